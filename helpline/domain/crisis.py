"""Crisis detection: does a text (or a caller's words) say someone may be in danger now?

The words live in config/crisis.yaml for clinical staff to review; this module only reads them.
Tuned for recall: a false alarm costs a staff call, a miss can cost a life.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from helpline.domain import yaml_files
from helpline.domain.phrases import (
    SMS_SPELLINGS,
    Match,
    PhraseSet,
    WordSplitter,
    covered,
    sms_words,
    spelling_variants,
    unleet,
)

LEXICON_FILE = Path(__file__).resolve().parents[2] / "config" / "crisis.yaml"
KINDS = ("overdose", "suicide")
JOINED_FROM = 8  # a shorter unknown word ("needle") is never taken for words joined without spaces
LANGUAGES = ("en", "es")

# Read on the text as typed, before lower case: "ODd" and "ODed" are overdoses, "odd" is not.
_RAW_FORMS = [
    (re.compile(r"\bOD'?[eE]?[dD]\b"), " overdosed "),
    (re.compile(r"\bOD'?(?:ing|in|ING|IN)\b"), " overdosing "),
    (re.compile(r"\b[wW]/[oO]\b"), " without "),
    (re.compile(r"\b[wW]/(?=\s|$)"), " with "),
    (re.compile(r"\b[bB]/[cC]\b"), " because "),
    (re.compile("\U0001f48a"), " pills "),  # the pill emoji
]


@dataclass(frozen=True)
class CrisisSignal:
    """What the detector found: the kinds of danger, the language of the words, the phrases."""

    kinds: frozenset[str]
    lang: str | None  # "es" when only Spanish phrases matched, "en" when only English ones
    phrases: tuple[str, ...]

    @property
    def kind(self) -> str:
        """`overdose`, `suicide`, or `both`: which crisis reply fits."""
        return next(iter(self.kinds)) if len(self.kinds) == 1 else "both"


class CrisisLexicon:
    """The compiled crisis lexicon: `detect` a crisis, or `alarming` words while one is open."""

    def __init__(self, data: dict):
        spellings = {str(k): str(v) for k, v in (data.get("spellings") or {}).items()}
        self._spellings = spellings
        sets = data.get("sets") or {}
        exact = data.get("exact_only") or ()
        real = data.get("never_typos") or ()
        phrases: list[tuple[str, str]] = []
        for name, concept in (data.get("concepts") or {}).items():
            kind = concept.get("kind")
            if kind not in KINDS:
                raise ValueError(f"crisis concept {name!r}: kind must be one of {KINDS}, not {kind!r}")
            for lang in ("any", *LANGUAGES):
                phrases += [(str(p), f"{kind}:{lang}:{name}") for p in concept.get(lang) or ()]
        self.crisis = PhraseSet(phrases, sets, exact, real)
        self.ordinary = PhraseSet(_tagged(data.get("not_crisis")), sets, exact, real)
        self.alarming_words = PhraseSet(_tagged(data.get("alarming_while_open")), sets, exact, real)
        self.pleading_words = PhraseSet(_tagged(data.get("alarming_unless_asking")), sets, exact, real)
        people = [re.escape(str(p)) for p in sets.get("person") or ()]
        # "my brother's blue": a person's 's is "is" ("mom's not breathing").
        self._person_is = re.compile(rf"\b({'|'.join(people)})['’]s\b", re.IGNORECASE) if people else None
        self._joins = {tuple(str(k).split()): str(v) for k, v in (data.get("joins") or {}).items()}
        known = (
            self.crisis.exact_words
            | self.ordinary.exact_words
            | {str(w) for w in data.get("joined_words") or ()}
            | set(SMS_SPELLINGS)
            | set(spellings)
        )
        self._splitter = WordSplitter(known, self.crisis.stems | self.ordinary.stems)
        self._respelt: dict[str, tuple[str, ...]] = {}
        # A text is read once though the line asks of it several times (a crisis? alarming?); only the
        # texts being answered now are kept, never a history of what people wrote.
        self.words = functools.lru_cache(maxsize=64)(self._words)

    @classmethod
    def load(cls, path: Path) -> CrisisLexicon:
        with open(path, encoding="utf-8") as fh:
            return cls(yaml_files.load(fh))

    def _words(self, text: str) -> tuple[str, ...]:
        """The text's words as the lexicon reads them: SMS spellings undone (common and the
        lexicon's own), l33t digits read as letters, joined words split, other spellings tried."""
        for pattern, replacement in _RAW_FORMS:
            text = pattern.sub(replacement, text)
        if self._person_is is not None and "s" in text:
            text = self._person_is.sub(r"\1 is", text)
        out: list[str] = []
        for word in sms_words(unleet(text.lower()) if _has_leet(text) else text):
            for part in self._respell(word):
                if out and (out[-1], part) in self._joins:
                    out[-1:] = self._joins[(out[-1], part)].split()
                else:
                    out.append(part)
        return tuple(out)

    def _respell(self, word: str) -> tuple[str, ...]:
        cached = self._respelt.get(word)
        if cached is not None:
            return cached
        result = self._respelt_now(word)
        if len(self._respelt) > 20_000:  # bounded, like the phrase sets' own caches
            self._respelt.clear()
        self._respelt[word] = result
        return result

    def _respelt_now(self, word: str, depth: int = 0) -> tuple[str, ...]:
        if word in self._spellings:
            return tuple(self._spellings[word].split())
        if word.isdigit() or self._splitter.known(word) or depth > 1:
            return (word,)
        for variant in spelling_variants(word):
            if self._splitter.known(variant) or variant in self._spellings:
                return self._respelt_now(variant, depth + 1)
        if self.crisis.atoms_of(word):  # a typo of a lexicon word ("suisidio"): read as it is
            return (word,)
        pieces = self._splitter.split(word) if len(word) >= JOINED_FROM else None
        if pieces and max(map(len, pieces)) >= 4:
            return tuple(
                part
                for piece in pieces
                for part in (self._spellings.get(piece) or SMS_SPELLINGS.get(piece) or piece).split()
            )
        return (word,)

    def matches(self, text: str) -> list[Match]:
        """Crisis phrases found in the text, less those inside an ordinary phrase."""
        words = self.words(text)
        found = self.crisis.find(words)
        if not found:
            return []
        ordinary = self.ordinary.find(words)
        return [m for m in found if not covered(m, ordinary)]

    def detect(self, text: str) -> CrisisSignal | None:
        found = self.matches(text)
        if not found:
            return None
        kinds = frozenset(m.tag.split(":")[0] for m in found)
        langs = {m.tag.split(":")[1] for m in found} - {"any"}
        lang = langs.pop() if len(langs) == 1 else None
        return CrisisSignal(kinds, lang, tuple(m.phrase for m in found))

    def alarming(self, text: str, asking: bool = False) -> bool:
        """A crisis, or words that are alarming from someone whose crisis request is still open; a
        plea ("please", "now", "still") only when the text does not ask for something else."""
        words = self.words(text)
        if self.matches(text) or self.alarming_words.find(words):
            return True
        return not asking and bool(self.pleading_words.find(words))


def _has_leet(text: str) -> bool:
    return any(c in "013" for c in text)


def _tagged(section: dict | None) -> list[tuple[str, str]]:
    return [(str(p), lang) for lang, items in (section or {}).items() for p in items or ()]


@functools.cache
def default_lexicon() -> CrisisLexicon:
    """The shipped lexicon, read once per process."""
    return CrisisLexicon.load(LEXICON_FILE)


@functools.lru_cache(maxsize=64)  # only the texts being answered now: message text is not kept around
def detect(text: str) -> CrisisSignal | None:
    """The crisis a text signals, if any (the same text is looked at once: the line asks twice)."""
    return default_lexicon().detect(text) if text else None


def is_crisis(text: str) -> bool:
    return detect(text) is not None


def alarming(text: str, asking: bool = False) -> bool:
    """`asking`: the text also asks for something else (a place, MORE, a language, thanks)."""
    return bool(text) and default_lexicon().alarming(text, asking)
