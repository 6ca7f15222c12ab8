"""Crisis detection: does a text (or a caller's words) say someone may be in danger now?

The words live in config/crisis.yaml for clinical staff to review; this module only reads them.
Tuned for recall: a false alarm costs a staff call, a miss can cost a life.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from helpline.domain.phrases import Match, PhraseSet, covered, sms_words

LEXICON_FILE = Path(__file__).resolve().parents[2] / "config" / "crisis.yaml"
KINDS = ("overdose", "suicide")
LANGUAGES = ("en", "es")


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

    @classmethod
    def load(cls, path: Path) -> CrisisLexicon:
        with open(path, encoding="utf-8") as fh:
            return cls(yaml.safe_load(fh))

    def words(self, text: str) -> tuple[str, ...]:
        base = sms_words(text)
        if not any(word in self._spellings for word in base):
            return base
        return tuple(part for word in base for part in self._spellings.get(word, word).split())

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

    def alarming(self, text: str) -> bool:
        """A crisis, or words that are alarming from someone whose crisis request is still open."""
        return bool(self.matches(text) or self.alarming_words.find(self.words(text)))


def _tagged(section: dict | None) -> list[tuple[str, str]]:
    return [(str(p), lang) for lang, items in (section or {}).items() for p in items or ()]


@cache
def default_lexicon() -> CrisisLexicon:
    """The shipped lexicon, read once per process."""
    return CrisisLexicon.load(LEXICON_FILE)


def detect(text: str) -> CrisisSignal | None:
    return default_lexicon().detect(text) if text else None


def is_crisis(text: str) -> bool:
    return detect(text) is not None


def alarming(text: str) -> bool:
    return bool(text) and default_lexicon().alarming(text)
