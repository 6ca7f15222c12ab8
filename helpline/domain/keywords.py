"""Understanding what a texter typed: normalising, menu keywords with typo tolerance, places.

Pure functions; the conversation module decides what to do with the result. Crisis and opt-out
words have their own lexicons (domain/crisis.py, domain/opt_out.py).
"""

from __future__ import annotations

import re
import unicodedata

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


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (typos: insert, delete, substitute, transpose)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def _allowed_typos(word: str) -> int:
    return 0 if len(word) <= 4 else 1 if len(word) <= 7 else 2


def menu_intent(word: str, fuzzy: bool = True) -> str | None:
    """The menu intent a single word asks for, tolerating small typos in longer words."""
    if word in MENU_NUMBERS:
        return MENU_NUMBERS[word]
    for intent, options in MENU_WORDS.items():
        if word in options:
            return intent
    if not fuzzy:
        return None
    best, best_distance = None, 99
    for intent, options in MENU_WORDS.items():
        for option in options:
            limit = min(_allowed_typos(option), _allowed_typos(word))
            if limit and (d := _distance(word, option, limit)) <= limit and d < best_distance:
                best, best_distance = intent, d
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
