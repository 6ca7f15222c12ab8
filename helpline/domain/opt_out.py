"""Opt-out and opt-in in people's own words, as well as the carriers' keywords.

The words live in config/opt_out.yaml; this module only reads them. Asking about stopping a drug
("how do I stop methadone") is never an opt-out: only a request to stop the texts is.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from helpline.domain.phrases import PhraseSet, covered, sms_words

LEXICON_FILE = Path(__file__).resolve().parents[2] / "config" / "opt_out.yaml"
_REPEATS = re.compile(r"(.)\1+")
# Carrier keywords are short: a typo of one is another word ("cancer", "and"), so none are fuzzy.
_SHORT = (
    "stop",
    "stopall",
    "cancel",
    "end",
    "quit",
    "optout",
    "revoke",
    "start",
    "unstop",
    "yes",
    "alto",
    "baja",
)


class OptOutLexicon:
    """The compiled opt-out lexicon."""

    def __init__(self, data: dict):
        self._polite = frozenset(str(w) for w in data.get("polite") or ())
        # Words a typo away from an opt-out word that mean the opposite ("subscribe", "suscribirme").
        never = [str(w) for w in data.get("never_typos") or ()]
        self._whole = PhraseSet(
            [(str(p), None) for p in data.get("whole_message") or ()], exact_only=_SHORT, never_typos=never
        )
        self._opt_in = PhraseSet([(str(p), None) for p in data.get("opt_in") or ()], exact_only=_SHORT)
        self._phrases = PhraseSet(_tagged(data.get("phrases")), exact_only=_SHORT, never_typos=never)
        self._not = PhraseSet(_tagged(data.get("not_opt_out")), exact_only=_SHORT)

    @classmethod
    def load(cls, path: Path) -> OptOutLexicon:
        with open(path, encoding="utf-8") as fh:
            return cls(yaml.safe_load(fh))

    def _core(self, text: str) -> tuple[str, ...]:
        """The message less polite words and repeats: "STOP STOP please" -> ("stop",)."""
        core: list[str] = []
        for word in sms_words(text):
            if word not in self._polite and (not core or core[-1] != word):
                core.append(word)
        return tuple(core)

    def is_opt_out(self, text: str) -> bool:
        if _whole(self._whole, self._core(text)):
            return True
        words = sms_words(text)
        found = self._phrases.find(words)
        return bool(found) and not all(covered(m, self._not.find(words)) for m in found)

    def is_opt_in(self, text: str) -> bool:
        return _whole(self._opt_in, self._core(text))


def _whole(phrases: PhraseSet, core: tuple[str, ...]) -> bool:
    """True when one phrase is the whole message, as typed or with doubled letters undone ("stopp")."""
    if not core or len(core) > phrases.longest:  # a long text is never one of these words
        return False
    for words in {core, tuple(_REPEATS.sub(r"\1", w) for w in core)}:
        if any(m.start == 0 and m.end == len(words) for m in phrases.find(words)):
            return True
    return False


def _tagged(section: dict | None) -> list[tuple[str, str]]:
    return [(str(p), lang) for lang, items in (section or {}).items() for p in items or ()]


@cache
def default_lexicon() -> OptOutLexicon:
    """The shipped lexicon, read once per process."""
    return OptOutLexicon.load(LEXICON_FILE)


def is_opt_out(text: str) -> bool:
    return bool(text) and default_lexicon().is_opt_out(text)


def is_opt_in(text: str) -> bool:
    return bool(text) and default_lexicon().is_opt_in(text)
