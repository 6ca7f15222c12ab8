"""Opt-out and opt-in in people's own words, as well as the carriers' keywords.

The words live in config/opt_out.yaml; this module only reads them. Asking about stopping a drug
("how do I stop methadone") is never an opt-out: only a request to stop the texts is. Pure: the
lexicon is read once, and a text is matched in memory.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

from helpline.domain import keywords as kw
from helpline.domain import yaml_files
from helpline.domain.phrases import PhraseSet, covered, sms_words

LEXICON_FILE = Path(__file__).resolve().parents[2] / "config" / "opt_out.yaml"
_REPEATS = re.compile(r"(.)\1+")
# Three or more letters texted one by one: "S T O P", "s.t.o.p".
_SPACED_LETTERS = re.compile(r"(?<![a-zñ0-9'])[a-zñ](?:[ .\-_*]+[a-zñ](?![a-zñ0-9'])){2,}")
_NOT_LETTER = re.compile(r"[^a-zñ]")
_TOKEN = re.compile(r"(?<![a-zñ0-9'])[a-zñ0-9]+(?![a-zñ0-9'])")
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
        self._polite = frozenset(_REPEATS.sub(r"\1", kw.normalise(str(w))) for w in data.get("polite") or ())
        self._spellings = {
            kw.normalise(str(k)): kw.normalise(str(v)) for k, v in (data.get("spellings") or {}).items()
        }
        sets = data.get("sets") or {}
        exact = (*_SHORT, *(str(w) for w in data.get("exact_only") or ()))
        # Words a typo away from an opt-out word that mean the opposite ("subscribe", "suscribirme").
        never = [str(w) for w in data.get("never_typos") or ()]

        def phrase_set(phrases: list[tuple[str, str | None]]) -> PhraseSet:
            return PhraseSet(phrases, sets, exact_only=exact, never_typos=never)

        self._whole = phrase_set([(str(p), None) for p in data.get("whole_message") or ()])
        self._asides = phrase_set([(str(p), None) for p in data.get("asides") or ()])
        self._opt_in = phrase_set([(str(p), None) for p in data.get("opt_in") or ()])
        self._phrases = phrase_set(_tagged(data.get("phrases")))
        self._not = phrase_set(_tagged(data.get("not_opt_out")))
        # Every text is asked about (most are the same few words: "yes", "2", "call"); a verdict is kept
        # by the words it was read from, as `sms_words` keeps the words of a text.
        self._says_opt_out = lru_cache(maxsize=4096)(self._reads_as_opt_out)
        self._says_opt_in = lru_cache(maxsize=4096)(self._reads_as_opt_in)

    @classmethod
    def load(cls, path: Path) -> OptOutLexicon:
        with open(path, encoding="utf-8") as fh:
            return cls(yaml_files.load(fh))

    def words(self, text: str) -> tuple[str, ...]:
        """The text's words as the lexicon reads them: letters texted one by one joined ("S T O P"),
        the lexicon's spellings ("msgs", "k") and then the common SMS ones undone."""
        text = _SPACED_LETTERS.sub(lambda m: _NOT_LETTER.sub("", m.group()), kw.normalise(text))
        if self._spellings:
            text = _TOKEN.sub(lambda m: self._spellings.get(m.group(), m.group()), text)
        return sms_words(text)

    def _core(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The message less asides, polite words and repeats: "not interested, STOP STOP pls" -> ("stop",)."""
        aside = {i for m in self._asides.find(words) for i in range(m.start, m.end)}
        core: list[str] = []
        for i, word in enumerate(words):
            if i in aside or _REPEATS.sub(r"\1", word) in self._polite:
                continue
            if not core or core[-1] != word:
                core.append(word)
        return tuple(core)

    def is_opt_out(self, text: str) -> bool:
        return self._says_opt_out(self.words(text))

    def is_opt_in(self, text: str) -> bool:
        return self._says_opt_in(self.words(text))

    def _reads_as_opt_out(self, words: tuple[str, ...]) -> bool:
        if _whole(self._whole, self._core(words)):
            return True
        found = self._phrases.find(words)
        if not found:
            return False
        excused = self._not.find(words)
        return not all(covered(m, excused) for m in found)

    def _reads_as_opt_in(self, words: tuple[str, ...]) -> bool:
        return _whole(self._opt_in, self._core(words))


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
