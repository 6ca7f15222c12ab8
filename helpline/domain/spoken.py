"""Numbers, hours and moments as a voice should read them. Pure: no I/O.

Text-to-speech reads "10001" as "ten thousand and one"; callers need "1 0 0 0 1".
"""

from __future__ import annotations

import datetime as dt
import re

from helpline.domain.hours import BusinessHours
from helpline.domain.phones import split_extension

DAY_WORDS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
DAY_SPANS = {"en": ("{a}", "{a} to {b}"), "es": ("el {a}", "de {a} a {b}")}
TIME_SPANS = {"en": "from {a} to {b}", "es": "de {a} a {b} horas"}
RELATIVE = {
    "en": ("today at {t}", "tomorrow at {t}", "on {d} at {t}"),
    "es": ("hoy a las {t}", "mañana a las {t}", "el {d} a las {t}"),
}
ZONES = {
    "America/New_York": {"en": "Eastern time", "es": "hora del Este"},
    "America/Chicago": {"en": "Central time", "es": "hora del Centro"},
    "America/Denver": {"en": "Mountain time", "es": "hora de la Montaña"},
    "America/Phoenix": {"en": "Mountain time", "es": "hora de la Montaña"},
    "America/Los_Angeles": {"en": "Pacific time", "es": "hora del Pacífico"},
}


def digits(text: str) -> str:
    """`10001` -> `1 0 0 0 1` (each digit said on its own)."""
    return " ".join(c for c in text if c.isdigit())


def phone(number: str, extension_word: str = "extension") -> str:
    """`+18006624357` or `1-800-662-4357` -> `8 0 0, 6 6 2, 4 3 5 7`: grouped, with pauses; an extension
    after it (`+16175550132 ext. 12` -> `6 1 7, 5 5 5, 0 1 3 2, extension 1 2`)."""
    number, extension = split_extension(number)
    said = _grouped(number)
    return f"{said}, {extension_word} {digits(extension)}" if extension else said


def _grouped(number: str) -> str:
    only = re.sub(r"\D", "", number)
    if len(only) == 11 and only.startswith("1"):
        only = only[1:]
    if len(only) != 10:
        return digits(only)
    return f"{digits(only[:3])}, {digits(only[3:6])}, {digits(only[6:])}"


def clock(t: dt.time, lang: str) -> str:
    if lang == "es":
        return f"{t.hour}" if t.minute == 0 else f"{t.hour}:{t.minute:02d}"
    hour = t.hour % 12 or 12
    suffix = "AM" if t.hour < 12 else "PM"
    return f"{hour} {suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d} {suffix}"


def zone(hours: BusinessHours, lang: str, at: dt.datetime) -> str:
    names = ZONES.get(hours.timezone.key)
    return names[lang] if names else hours.local(at).strftime("%Z")


def hours_said(hours: BusinessHours, lang: str, at: dt.datetime) -> str:
    """`Monday to Friday from 9 AM to 7 PM, Saturday from 10 AM to 2 PM, Eastern time`."""
    lang = lang if lang in DAY_WORDS else "en"
    names = DAY_WORDS[lang]
    one_day, day_span = DAY_SPANS[lang]
    parts = []
    for first, last, ranges in hours.day_groups():
        days = (
            one_day.format(a=names[first])
            if first == last
            else day_span.format(a=names[first], b=names[last])
        )
        said = [TIME_SPANS[lang].format(a=clock(s, lang), b=clock(e, lang)) for s, e in ranges]
        parts.append(f"{days} {', '.join(said)}")
    return ", ".join(parts) + ", " + zone(hours, lang, at)


def moment_said(hours: BusinessHours, moment: dt.datetime, lang: str, now: dt.datetime) -> str:
    """`today at 9 AM`, `tomorrow at 9 AM`, `on Monday at 9 AM` in the helpline's timezone."""
    lang = lang if lang in DAY_WORDS else "en"
    local = hours.local(moment)
    ahead = (local.date() - hours.local(now).date()).days
    today, tomorrow, other = RELATIVE[lang]
    t = clock(local.time(), lang)
    if ahead == 0:
        return today.format(t=t)
    if ahead == 1:
        return tomorrow.format(t=t)
    return other.format(d=DAY_WORDS[lang][local.weekday()], t=t)


# A listing's street as a voice should say it: whole words ("W 29th St" -> "West 29th Street").
_STREET_SAID = {
    "st": "Street", "ave": "Avenue", "av": "Avenue", "blvd": "Boulevard", "rd": "Road", "dr": "Drive",
    "ln": "Lane", "pl": "Place", "ct": "Court", "hwy": "Highway", "pkwy": "Parkway", "cir": "Circle",
    "ter": "Terrace", "sq": "Square", "trl": "Trail", "plz": "Plaza", "expy": "Expressway",
    "fwy": "Freeway", "mt": "Mount", "ft": "Fort", "jr": "Junior",
    "n": "North", "s": "South", "e": "East", "w": "West",
    "ne": "Northeast", "nw": "Northwest", "se": "Southeast", "sw": "Southwest",
}  # fmt: skip
_DIRECTIONS = {"n", "s", "e", "w", "ne", "nw", "se", "sw"}
_BEFORE_A_NAME = {"st": "Saint", "dr": "Doctor"}  # "St. Lukes Drive", "Dr. Martin Luther King Jr Blvd"
# A suite, unit or floor says which door inside; a caller finding the building does not need it.
_INSIDE = re.compile(
    r"\s+(?:(?:\d+(?:st|nd|rd|th)\s+)?(?:floor|fl)\b|suite|ste|unit|apt|room|rm|bldg|building|#).*$", re.I
)
_PO_BOX = re.compile(r"^p\.?\s*o\.?\s*box\b", re.I)
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.I)


def street(address: str, city: str = "", lang: str = "en") -> str:
    """`3801 W. 63rd St, Unit 3` in CHICAGO -> `3801 West 63rd Street, Chicago`: where a caller can go,
    said as a person would say it; '' when there is no street to go to (none, or a PO box)."""
    pieces = [p.strip() for p in (address or "").split(",") if p.strip()]
    # "Rachel Upjohn Building, 4250 Plymouth Road": the piece with the house number is the street.
    piece = _INSIDE.sub("", next((p for p in pieces if p[:1].isdigit()), pieces[0] if pieces else ""))
    if not piece or _PO_BOX.match(piece):
        return ""
    words = piece.split()
    said = []
    for at, word in enumerate(words):
        key = word.rstrip(".").lower()
        after = words[at + 1].rstrip(".").lower() if at + 1 < len(words) else ""
        if at and key in _BEFORE_A_NAME and after and after not in _DIRECTIONS:
            said.append(_BEFORE_A_NAME[key])
        elif at and key in _STREET_SAID:  # the house number is never a word ("1 E" is not "1 East")
            said.append(_STREET_SAID[key])
        elif lang != "en" and (ordinal := _ORDINAL.match(key)):
            said.append(ordinal.group(1))  # "63rd" is read letter by letter by a Spanish voice
        else:
            said.append(word.title() if word.isupper() and len(word) > 2 else word)
    town = (city or "").strip()
    town = town.title() if town.isupper() else town
    return ", ".join(x for x in (" ".join(said), town) if x)
