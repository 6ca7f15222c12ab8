"""Phrase lexicons over texted words: SMS spellings undone, typo-tolerant words, ordered phrases with gaps.

The crisis and opt-out lexicons in config/ are written in this small language, so clinical staff
can read and extend them without reading code:

    took ... too|to|2 many|much     words in order; `a|b` either word; `...` up to three words between
    overdos*                        any word starting so (overdose, overdosed, overdosing)
    <person> is not breathing       `<name>` any word of the lexicon's set `name`
    took <5-999> pills              `<low-high>` a number in that range

Words of five letters or more also match with one typo (two from ten letters), and a stretched word
("pleeease") matches its plain form. Pure: the lexicon is handed in as data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from helpline.domain import keywords as kw

GAP = 3  # words a `...` may skip
FUZZY_FROM = 5  # shorter words must be spelt right: "od", "die", "blue" have too many neighbours
FUZZY_TWO_FROM = 10

# How people text, undone before matching. Lexicons add their own (e.g. "kms").
SMS_SPELLINGS = {
    "cant": "can not",
    "cannot": "can not",
    "cnt": "can not",
    "wont": "will not",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "aint": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "shouldnt": "should not",
    "havent": "have not",
    "hasnt": "has not",
    "im": "i am",
    "ive": "i have",
    "id": "i would",
    "ill": "i will",
    "hes": "he is",
    "shes": "she is",
    "theyre": "they are",
    "youre": "you are",
    "whats": "what is",
    "thats": "that is",
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plss": "please",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "tryna": "trying to",
    "rn": "right now",
    "b4": "before",
    "cuz": "because",
    "bc": "because",
    "n": "and",
    "q": "que",
    "k": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "x": "por",
    "d": "de",
    "kiero": "quiero",
    "kieren": "quieren",
    "toy": "estoy",
    "tmb": "tambien",
    "xfa": "por favor",
    "porfa": "por favor",
    "pa": "para",
}
# Two words people split or join: "my self", "over dose", "wake up".
SMS_JOINS = {
    ("my", "self"): "myself",
    ("him", "self"): "himself",
    ("her", "self"): "herself",
    ("them", "self"): "themself",
    ("over", "dose"): "overdose",
    ("over", "dosed"): "overdosed",
    ("over", "dosing"): "overdosing",
    ("sobre", "dosis"): "sobredosis",
    ("any", "more"): "anymore",
}

# Written before apostrophes go: "OD'd" is an overdose, "odd" is not.
_OD_FORMS = [
    (re.compile(r"\bo\.d\.?(?=\W|$)"), "od"),
    (re.compile(r"\bod(?:'e?d|ed)\b"), "overdosed"),
    (re.compile(r"\bod'?ing\b"), "overdosing"),
]
# The emoji that is a word: SOS ("🆘" alone is a call for help). Others are dropped with the punctuation.
EMOJI_WORDS = {"\U0001f198": " sos "}
_NON_WORD = re.compile(r"[^a-zñ0-9]+")
_NUMBER_OR_LETTERS = re.compile(r"\d+|[a-zñ]+")
_STRETCH = re.compile(r"(.)\1{2,}")


@lru_cache(maxsize=4096)
def sms_words(text: str) -> tuple[str, ...]:
    """Lower case words of a text with accents, emoji, punctuation and SMS spellings undone."""
    for emoji, word in EMOJI_WORDS.items():
        text = text.replace(emoji, word)
    text = kw.normalise(text)
    for pattern, replacement in _OD_FORMS:
        text = pattern.sub(replacement, text)
    text = text.replace("'", "")
    out: list[str] = []
    for token in _NON_WORD.split(text):
        if not token:
            continue
        expanded = SMS_SPELLINGS.get(token)
        if expanded is None:  # "30mg" is 30 mg; "b4" was a spelling
            expanded = " ".join(_NUMBER_OR_LETTERS.findall(token))
        for word in expanded.split():
            if out and (out[-1], word) in SMS_JOINS:
                out[-1] = SMS_JOINS[(out[-1], word)]
            else:
                out.append(word)
    return tuple(out)


def _squeezed(word: str) -> str:
    return _STRETCH.sub(r"\1", word)


@dataclass(frozen=True)
class Match:
    phrase: str
    start: int
    end: int  # exclusive
    tag: str | None = None  # what the lexicon filed the phrase under


class LexiconError(ValueError):
    """A lexicon phrase or set that cannot be read."""


@dataclass(frozen=True)
class _Phrase:
    text: str
    slots: tuple[frozenset[int], ...]
    gaps: tuple[int, ...]  # words that may come before each slot (0 for the first)
    tag: str | None


class PhraseSet:
    """Compiled phrases; `find` returns every phrase found in a text's words."""

    def __init__(
        self,
        phrases: Iterable[tuple[str, str | None]],
        sets: dict[str, list[str]] | None = None,
        exact_only: Iterable[str] = (),
        never_typos: Iterable[str] = (),
    ):
        self._atoms: dict[str, int] = {}
        self._sets = {name: [str(a) for a in atoms] for name, atoms in (sets or {}).items()}
        self._exact_only = frozenset(kw.normalise(word) for word in exact_only)
        self._never_typos = frozenset(kw.normalise(word) for word in never_typos)
        self._phrases = [self._compile(text, tag) for text, tag in phrases]
        self._by_first: dict[int, list[_Phrase]] = {}
        for phrase in self._phrases:
            for atom in phrase.slots[0]:
                self._by_first.setdefault(atom, []).append(phrase)
        self._words: dict[str, int] = {}
        self._stems: list[tuple[str, int]] = []
        self._ranges: list[tuple[int, int, int]] = []
        for atom, atom_id in self._atoms.items():
            if atom.startswith("#"):
                low, _, high = atom[1:].partition("-")
                self._ranges.append((int(low), int(high), atom_id))
            elif atom.endswith("*"):
                self._stems.append((atom[:-1], atom_id))
            else:
                self._words[atom] = atom_id
        self._squeezed: dict[str, set[int]] = {}
        for word, atom_id in self._words.items():
            self._squeezed.setdefault(_squeezed(word), set()).add(atom_id)
        # Typo candidates, compared in C one batch per texted word (a Python loop is too slow for 1600 chars).
        typo_words = [w for w in self._words if len(w) >= FUZZY_FROM and w not in self._exact_only]
        self._typo_words = (typo_words, [self._words[w] for w in typo_words])
        self._stems_by_length: dict[int, dict[str, int]] = {}
        for stem, atom_id in self._stems:
            self._stems_by_length.setdefault(len(stem), {})[stem] = atom_id
        # For each prefix length k, the stems a word's first k letters may be one typo away from.
        self._typo_stems: dict[int, tuple[list[str], list[int]]] = {}
        for stem, atom_id in self._stems:
            if len(stem) >= FUZZY_FROM and stem not in self._exact_only:
                for k in _around(len(stem)):
                    stems, ids = self._typo_stems.setdefault(k, ([], []))
                    stems.append(stem)
                    ids.append(atom_id)
        self.longest = max((len(phrase.slots) for phrase in self._phrases), default=0)
        self._cache: dict[str, frozenset[int]] = {}

    def __len__(self) -> int:
        return len(self._phrases)

    @property
    def exact_words(self) -> frozenset[str]:
        """Every whole word the phrases name (set members included), for telling a known word."""
        return frozenset(self._words)

    @property
    def stems(self) -> frozenset[str]:
        """Every `stem*` the phrases name, without the star."""
        return frozenset(stem for stem, _ in self._stems)

    # -- compiling ----------------------------------------------------------------------------
    def _compile(self, text: str, tag: str | None) -> _Phrase:
        slots: list[frozenset[int]] = []
        gaps: list[int] = []
        gap = 0
        for part in kw.normalise(str(text)).split():
            if part == "...":
                if not slots:
                    raise LexiconError(f"{text!r}: a phrase cannot start with '...'")
                gap = GAP
                continue
            slots.append(frozenset(self._atom_ids(part, text)))
            gaps.append(gap)
            gap = 0
        if not slots or gap:
            raise LexiconError(f"{text!r}: no words, or ends with '...'")
        return _Phrase(str(text), tuple(slots), tuple(gaps), tag)

    def _atom_ids(self, part: str, text: str, seen: tuple[str, ...] = ()) -> set[int]:
        ids: set[int] = set()
        for atom in part.split("|"):
            if number_range := re.fullmatch(r"<(\d+)-(\d+)>", atom):
                ids.add(self._atoms.setdefault("#{}-{}".format(*number_range.groups()), len(self._atoms)))
                continue
            if atom.startswith("<") and atom.endswith(">"):
                name = atom[1:-1]
                if name not in self._sets or name in seen:
                    raise LexiconError(f"{text!r}: unknown set <{name}>")
                for member in self._sets[name]:
                    ids |= self._atom_ids(kw.normalise(member), text, seen + (name,))
                continue
            if not re.fullmatch(r"[a-zñ0-9]+\*?", atom):
                raise LexiconError(f"{text!r}: {atom!r} is not a word, stem*, <set> or <low-high>")
            ids.add(self._atoms.setdefault(atom, len(self._atoms)))
        return ids

    # -- matching -----------------------------------------------------------------------------
    def atoms_of(self, token: str) -> frozenset[int]:
        """Every word, stem, set member and range a texted word counts as."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        found: set[int] = set()
        if token in self._words:
            found.add(self._words[token])
        if token.isdigit():
            value = int(token)
            found.update(atom_id for low, high, atom_id in self._ranges if low <= value <= high)
        else:
            found.update(self._fuzzy(token))
            squeezed = _squeezed(token)
            if squeezed != token:  # "pleeease", "helllp", "suiciiide"
                found.update(self._squeezed.get(squeezed, ()))
                found.update(self._fuzzy(squeezed))
        if len(self._cache) > 20_000:  # bounded: texts are endless, the lexicon's words are not
            self._cache.clear()
        result = self._cache[token] = frozenset(found)
        return result

    def _fuzzy(self, token: str) -> set[int]:
        found = set()
        for length, stems in self._stems_by_length.items():
            if (atom_id := stems.get(token[:length])) is not None and len(token) >= length:
                found.add(atom_id)
        if token in self._never_typos:
            return found
        # `suicde` for `suicid*`: the start of the word is one typo away from the stem.
        for k, (stems, ids) in self._typo_stems.items():
            if len(token) >= k:
                for _, _, index in process.extract(
                    token[:k], stems, scorer=OSA.distance, score_cutoff=1, limit=None
                ):
                    found.add(ids[index])
        if len(token) < FUZZY_FROM:
            return found
        words, ids = self._typo_words
        for word, distance, index in process.extract(
            token, words, scorer=OSA.distance, score_cutoff=2, limit=None
        ):
            if distance <= (2 if len(word) >= FUZZY_TWO_FROM else 1):
                found.add(ids[index])
        return found

    def find(self, words: tuple[str, ...]) -> list[Match]:
        """Every phrase found, each once (its first place), in the order of the lexicon."""
        atoms = [self.atoms_of(word) for word in words]
        found: dict[str, Match] = {}
        for start, token_atoms in enumerate(atoms):
            for atom in token_atoms:
                for phrase in self._by_first.get(atom, ()):
                    if phrase.text in found:
                        continue
                    end = _match_from(phrase, atoms, 1, start + 1)
                    if end is not None:
                        found[phrase.text] = Match(phrase.text, start, end, phrase.tag)
        return list(found.values())


def _around(length: int) -> range:
    return range(max(1, length - 1), length + 2)


def _match_from(phrase: _Phrase, atoms: list[frozenset[int]], slot: int, position: int) -> int | None:
    """The end of the phrase when slots from `slot` on match at or after `position`, else None."""
    if slot == len(phrase.slots):
        return position
    wanted = phrase.slots[slot]
    for at in range(position, min(len(atoms), position + phrase.gaps[slot] + 1)):
        if not wanted.isdisjoint(atoms[at]):
            end = _match_from(phrase, atoms, slot + 1, at + 1)
            if end is not None:
                return end
    return None


def covered(match: Match, by: Iterable[Match]) -> bool:
    """True when another match spans this one entirely (an ordinary phrase around crisis words)."""
    return any(other.start <= match.start and match.end <= other.end for other in by)


# -- Words texted in other shapes: joined, l33t, Spanish "k", dropped letters --------------------
# Stem endings a piece of a joined word may have: "breath" + "ing", "respir" + "a".
STEM_ENDINGS = frozenset(("", *"s e es ed d ing in er a o as os ar ando ado ada ion on".split()))
_LEET = re.compile(r"(?<=[a-zñ])[013](?=[a-zñ])")
_LEET_LETTERS = {"0": "o", "1": "i", "3": "e"}


def unleet(text: str) -> str:
    """Digits standing for letters inside a word: "k1ll" -> "kill", "su1c1de" -> "suicide"."""
    return _LEET.sub(lambda m: _LEET_LETTERS[m.group()], text)


def spelling_variants(word: str) -> list[str]:
    """Other spellings of a texted word, likeliest first: Spanish "k" for "qu"/"c" ("kreo", "ke"),
    a dropped "g" ("wakin", "breathin"), a Caribbean dropped "d" ("cansao", "moraos")."""
    variants = []
    if "k" in word:
        variants.append(re.sub(r"k(?=[ei])", "qu", word).replace("k", "c"))
    if len(word) >= 4 and word.endswith("in"):
        variants.append(word + "g")
    if len(word) >= 4 and word.endswith(("ao", "aos")):
        variants.append(word.replace("ao", "ado"))
    return [v for v in variants if v != word]


class WordSplitter:
    """Splits a word texted without spaces into known words: "mysonisnotbreathing" ->
    my son is not breathing, "norespira" -> no respira. A word splits only when every piece
    is a known word (or a known stem with a common ending); fewest pieces win, and one-letter
    pieces cost more, so an ordinary long word is rarely cut at all."""

    def __init__(self, words: Iterable[str], stems: Iterable[str], single: Iterable[str] = ("i", "y")):
        self._words = frozenset(w for w in words if len(w) >= 2) | frozenset(single)
        self._stems: dict[int, frozenset[str]] = {}
        for stem in stems:
            if len(stem) >= 4:
                self._stems.setdefault(len(stem), set()).add(stem)  # type: ignore[union-attr]
        self._stems = {k: frozenset(v) for k, v in self._stems.items()}
        self._longest = max((len(w) for w in self._words), default=1)
        self._longest = max(self._longest, max(self._stems, default=0) + max(map(len, STEM_ENDINGS)))
        self._cache: dict[str, tuple[str, ...] | None] = {}

    def known(self, word: str) -> bool:
        return word in self._words or self._stem_form(word)

    def _stem_form(self, piece: str) -> bool:
        return any(
            piece[:length] in stems and piece[length:] in STEM_ENDINGS
            for length, stems in self._stems.items()
            if len(piece) >= length
        )

    def split(self, word: str) -> tuple[str, ...] | None:
        """The pieces of a joined word, or None when it is not one."""
        if word in self._cache:
            return self._cache[word]
        n = len(word)
        best: list[tuple[int, int] | None] = [None] * (n + 1)  # (cost, start of last piece)
        best[0] = (0, 0)
        for end in range(1, n + 1):
            for start in range(max(0, end - self._longest), end):
                if best[start] is None:
                    continue
                piece = word[start:end]
                if not (piece in self._words or (len(piece) >= 4 and self._stem_form(piece))):
                    continue
                cost = best[start][0] + (3 if len(piece) == 1 else 1)
                if best[end] is None or cost < best[end][0]:
                    best[end] = (cost, start)
        pieces: tuple[str, ...] | None = None
        if best[n] is not None:
            out, end = [], n
            while end:
                start = best[end][1]
                out.append(word[start:end])
                end = start
            pieces = tuple(reversed(out)) if len(out) >= 2 else None
        if len(self._cache) > 20_000:
            self._cache.clear()
        self._cache[word] = pieces
        return pieces
