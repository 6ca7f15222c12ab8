"""Understanding what a texter typed: normalising, menu keywords with typo tolerance, places.

Pure functions; the conversation module decides what to do with the result. Crisis and opt-out
words have their own lexicons (domain/crisis.py, domain/opt_out.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA

# Carrier help words (whole message only). Opt-out and opt-in words are in config/opt_out.yaml.
HELP_WORDS = {"help", "info", "ayuda"}

# Menu intents and the words (both languages) that ask for them; numbers follow the menu.
MENU_WORDS = {
    "oih": {"oih", "hio", "hyperalgesia", "hiperalgesia"},
    "signs": {"signs", "sign", "symptoms", "señales", "senales", "sintomas", "signos"},
    "tolerance": {"tolerance", "tolerancia"},
    "treat": {"treat", "treatment", "treatments", "tratar", "tratamiento", "tratamientos"},
    "check": {"check", "selfcheck", "test", "quiz", "prueba", "evaluar"},
    "call": {"call", "callback", "llamar", "llamada", "llamame", "llameme"},
    "more": {"more", "mas", "next"},
    "menu": {"menu", "options", "opciones", "hi", "hello", "hola", "inicio"},
    "spanish": {"español", "espanol", "spanish", "espaol"},
    "english": {"english", "ingles", "inglés"},
}
MENU_NUMBERS = {"1": "oih", "2": "signs", "3": "tolerance", "4": "treat", "5": "check", "6": "call"}

YES_WORDS = {"yes", "y", "yeah", "yep", "yup", "si", "sí", "s", "claro", "ok"}
NO_WORDS = {"no", "n", "nope", "nah", "not"}

ZIP_RE = re.compile(r"^\s*(\d{5})(?:-\d{4})?(?:\s+([a-z]+))?\s*$")
CITY_STATE_RE = re.compile(r"^\s*([a-z][a-z .'-]{1,40}?)\s*,?\s+([a-z]{2})\s*$")
US_STATES = frozenset(
    (
        "al ak az ar ca co ct de dc fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj "
        "nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy pr"
    ).split()
)


# Full state names people write instead of the abbreviation ("denver colorado"), longest first.
STATE_NAMES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
    "colorado": "co", "connecticut": "ct", "delaware": "de", "district of columbia": "dc",
    "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in",
    "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md",
    "massachusetts": "ma", "michigan": "mi", "minnesota": "mn", "mississippi": "ms", "missouri": "mo",
    "montana": "mt", "nebraska": "ne", "nevada": "nv", "new hampshire": "nh", "new jersey": "nj",
    "new mexico": "nm", "new york": "ny", "north carolina": "nc", "north dakota": "nd", "ohio": "oh",
    "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa", "rhode island": "ri",
    "south carolina": "sc", "south dakota": "sd", "tennessee": "tn", "texas": "tx", "utah": "ut",
    "vermont": "vt", "virginia": "va", "washington": "wa", "west virginia": "wv", "wisconsin": "wi",
    "wyoming": "wy", "puerto rico": "pr",
}  # fmt: skip
STATE_NAMES_LONGEST_FIRST = tuple(
    sorted(STATE_NAMES, key=len, reverse=True)
)  # "west virginia" before "virginia"
# A 5-digit number inside a sentence ("my zip is 10001", "estoy en 78701"), not an amount or a dose.
ZIP_IN_TEXT_RE = re.compile(
    r"(?<![\d$#.,-])(\d{5})(?:-\d{4})?(?![\d,.]?\d)(?!\s*(?:mg|mcg|ml|milligrams?|micrograms?|pills?|"
    r"tabs?|tablets?|pastillas?|dollars?|dolares|usd|times|veces|x\b|%|percent|por ciento|mme|units?))"
)


# Asking for a person in plain words ("can I talk to someone", "quiero hablar con alguien"): a callback.
_PERSON = (
    r"(?:someone|somebody|anyone|anybody|a person|a human|(?:a|an) (?:real|actual|live) (?:person|human)"
    r"|staff|a counsell?or)"
)
_ASKS_FOR_A_PERSON = re.compile(
    "|".join(
        (
            rf"\b(?:talk|speak|chat)(?:ing)? (?:to|with) {_PERSON}\b",
            rf"\bneed {_PERSON} to talk to\b",
            r"\b(?:call|ring) me back\b",
            rf"\bhave {_PERSON} call\b",
            r"\bhablar con (?:alguien|una persona|un humano|una consejera|un consejero|el personal)\b",
            r"\bllamenme\b|\bllamarme\b|\bque me llamen\b",
            r"\bme (?:pueden|puede|podrian|podria) llamar\b",
        )
    )
)


# Asking what the line is ("who is this", "is this free", "¿es confidencial?"): told, and how to reach
# a person.
_ASKS_ABOUT_THE_LINE = re.compile(
    "|".join(
        (
            r"^(?:hi |hello |hey )?(?:what|who) (?:is|are) (?:this|you|u)\b",
            r"\bis (?:this|it) (?:a bot|a robot|automated|a real person|free|confidential|private)\b",
            r"\bis (?:this|it) anonymous\b",
            r"\bare (?:you|u) (?:a bot|a robot|a real person|real|human|a person)\b",
            r"\bhow much (?:does (?:this|it) cost|is it)\b|\bdoes (?:this|it) cost\b",
            r"\b(?:do|will) you (?:share|sell|keep) my\b",
            r"^(?:que|quien|quienes) (?:es esto|es|son|eres)\b",
            r"\bes (?:gratis|confidencial|privado|anonimo|un robot)\b|\beres (?:un robot|una persona|real)\b",
            r"\bcuanto cuesta\b",
        )
    )
)
# A whole text that only thanks or acknowledges ("thanks", "ok thank you", "gracias", "👍").
THANKING = {"thanks", "thank", "thx", "ty", "tysm", "gracias", "ok", "okay", "k", "kk", "cool", "great"}
THANKS_WORDS = THANKING | {"you", "got", "it", "so", "much", "muchas", "vale", "bueno", "perfecto", "listo"}


def asks_about_the_line(normalised: str) -> bool:
    """Whether a text asks what this line is: who answers, what it costs, whether it is confidential."""
    return bool(_ASKS_ABOUT_THE_LINE.search(normalised))


def only_thanks(normalised: str) -> bool:
    """Whether a text only thanks or acknowledges (an emoji alone counts: nothing to answer but kindly)."""
    said = words(normalised)
    if not said:
        return any(not c.isspace() and not c.isalnum() for c in normalised) and len(normalised) <= 8
    return all(word in THANKS_WORDS for word in said) and any(word in THANKING for word in said)


def asks_for_a_person(normalised: str) -> bool:
    """Whether a text asks to talk to a person (a callback), in English or Spanish."""
    return bool(_ASKS_FOR_A_PERSON.search(normalised))


def normalise(text: str) -> str:
    """Lower case, accents off (ñ kept), control characters and odd spacing gone."""
    text = unicodedata.normalize("NFKC", text).replace("ñ", "\0").replace("Ñ", "\0")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).replace(
        "\0", "ñ"
    )
    text = text.lower().replace("’", "'")
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    return re.findall(r"[a-zñ0-9']+", text)


def _allowed_typos(word: str) -> int:
    return 0 if len(word) <= 4 else 1 if len(word) <= 7 else 2


# Every menu word once, in the order of MENU_WORDS (the first intent naming a word wins), with the typos
# it tolerates: read once, not on every text.
_EXACT: dict[str, str] = dict(MENU_NUMBERS)
for _intent, _options in MENU_WORDS.items():
    for _option in sorted(_options):
        _EXACT.setdefault(_option, _intent)
_FUZZY = tuple(
    (option, intent, _allowed_typos(option))
    for option, intent in _EXACT.items()
    if option not in MENU_NUMBERS
)


@lru_cache(maxsize=8192)  # texters send the same few words again and again
def menu_intent(word: str, fuzzy: bool = True) -> str | None:
    """The menu intent a single word asks for, tolerating small typos in longer words.

    Typos are counted as optimal string alignment distance (insert, delete, substitute, transpose).
    """
    intent = _EXACT.get(word)
    if intent is not None or not fuzzy:
        return intent
    word_typos = _allowed_typos(word)
    if not word_typos:
        return None
    best, best_distance = None, 99
    for option, option_intent, option_typos in _FUZZY:
        limit = min(option_typos, word_typos)
        if not limit or abs(len(option) - len(word)) > limit:
            continue
        distance = OSA.distance(word, option, score_cutoff=limit)  # in C; limit + 1 when further
        if distance <= limit and distance < best_distance:
            best, best_distance = option_intent, distance
    return best


def yes_no(normalised: str) -> bool | None:
    tokens = words(normalised)
    if not tokens:
        return None
    if tokens[0] in YES_WORDS:
        return True
    if tokens[0] in NO_WORDS:
        return False
    return None
