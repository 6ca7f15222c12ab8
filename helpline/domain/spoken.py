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
