"""One listing per clinic: the same clinic in several sources is recognised and merged. Pure.

Two listings from different sources are one clinic when they stand at the same street address
(in the same ZIP or the same city) within a few hundred feet of each other, and their names agree
or nothing else of the other source stands at that address; or when they carry the same name in
the same ZIP a stone's throw apart. Records with one provider id (the same name at the same
street and ZIP) are one clinic wherever the sources placed them. The merged listing keeps every
phone, website and service, and the freshest source's record; its id is stable however the sources
are imported, and no two listings share one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace

from helpline.domain import places
from helpline.domain import treatment_services as svc
from helpline.domain.providers import STREET_WORDS, Provider, miles_between

SAME_PLACE_MILES = 0.25  # one address geocoded by two sources lands this close
SAME_NAME_MILES = 0.1  # one name, two street spellings: the same door, not another branch
APPROXIMATE_MILES = 5.0  # a listing placed at its ZIP or city centre is only this sure
NAMES_AGREE = 0.5  # share of the shorter name's distinctive words the other name has too

_STREET_WORDS = {**STREET_WORDS, "circle": "cir"}
_STREET_END = {"suite", "ste", "unit", "floor", "fl", "bldg", "building", "room", "rm", "apt"}
_NAME_WORDS = {
    "trt": "treatment", "ctr": "center", "cntr": "center", "servs": "services", "srvs": "services",
    "svcs": "services", "hlth": "health", "prog": "program", "prg": "program", "cnty": "county",
    "assoc": "association", "dept": "department", "med": "medical", "behav": "behavioral",
    "natl": "national", "inst": "institute", "univ": "university", "hosp": "hospital", "st": "saint",
    "mh": "mental", "sa": "substance", "add": "addiction", "rehab": "rehabilitation",
}  # fmt: skip
_NAME_NOISE = {
    "inc", "llc", "lcc", "llp", "pc", "pllc", "psc", "pa", "co", "corp", "corporation", "company", "ltd",
    "the", "of", "and", "for", "at", "in", "on", "a", "dba", "opco",
}  # fmt: skip
GENERIC_NAME_WORDS = {
    "treatment", "center", "service", "recovery", "health", "behavioral", "clinic", "program",
    "counseling", "care", "medical", "addiction", "substance", "abuse", "mental", "community",
    "family", "wellness", "hospital", "system", "group", "solution", "comprehensive", "opioid",
    "methadone", "outpatient", "drug", "alcohol", "rehabilitation", "management", "healthcare",
}  # fmt: skip


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", (text or "").lower())  # "Clínica" is "Clinica"
    return re.sub(r"[^a-z0-9 ]", " ", "".join(c for c in folded if not unicodedata.combining(c))).split()


def street_key(address: str) -> str:
    """`311 West 35th Street, 2nd Floor` and `311 W 35th St. Suite 2` -> `311 w 35th st`."""
    words = []
    for word in _words(address.split(",")[0].split("#")[0]):
        if word in _STREET_END:
            break
        words.append(_STREET_WORDS.get(word, word))
    return " ".join(words) if words and words[0][0].isdigit() else ""  # a PO box or "Main" says nothing


def search_words(text: str) -> list[str]:
    """Words to find a listing by: accents and case folded, `Street` read as `st` (`Centre St` finds it)."""
    return [_STREET_WORDS.get(word, word) for word in _words(text)]


def name_words(name: str) -> frozenset[str]:
    """The words of a name that tell it apart: abbreviations spelled out, plurals and `Inc` dropped."""
    out = set()
    for word in _words(name):
        word = _NAME_WORDS.get(word, word)
        if word in _NAME_NOISE:
            continue
        out.add(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return frozenset(out)


def names_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Most distinctive words of the shorter name are in the other (generic words only if that is all)."""
    da, db = a - GENERIC_NAME_WORDS, b - GENERIC_NAME_WORDS
    if not (da and db):
        da, db = a, b
    if not (da and db):
        return False
    return len(da & db) / min(len(da), len(db)) >= NAMES_AGREE


def _placed(new: Provider, old: Provider) -> Provider:
    """The record whose point to keep: an address beats a ZIP centre; of two addresses placed apart
    (one geocoded miles off: the same door in two files), the one nearer its ZIP; else the fresher."""
    if new.approximate != old.approximate:
        return old if new.approximate else new
    if miles_between(new.lat, new.lng, old.lat, old.lng) > SAME_PLACE_MILES:
        centre = places.zip_centroid(new.zip) if new.zip == old.zip else None
        if centre is not None:
            return min((new, old), key=lambda p: miles_between(p.lat, p.lng, centre.lat, centre.lng))
    return new


def merge_pair(a: Provider, b: Provider) -> Provider:
    """One listing from two records of a clinic: the fresher record, with every phone, site and service."""
    new, old = (a, b) if a.updated >= b.updated else (b, a)
    placed = _placed(new, old)
    ids = sorted({a.id, b.id, *a.extra.get("ids", ()), *b.extra.get("ids", ())})
    sources = sorted({a.source, b.source, *a.extra.get("sources", ()), *b.extra.get("sources", ())} - {""})
    extra = {**old.extra, **new.extra, "ids": ids, "sources": sources}
    return replace(
        new,
        id=a.id if a.id <= b.id else b.id,  # the same id whichever source came first
        phone=new.phone or old.phone,
        website=new.website or old.website,
        services=tuple(s for s in svc.SERVICES if s in a.services or s in b.services),
        lat=placed.lat,
        lng=placed.lng,
        approximate=placed.approximate,
        extra=extra,
    )


@dataclass
class MergedDirectory:
    listings: list[Provider]
    merged: dict[str, int] = field(default_factory=dict)  # source -> its listings shared with another
    folded: int = 0  # source listings that went into another source's listing of the same clinic


def _close(a: Provider, b: Provider, miles: float) -> bool:
    limit = APPROXIMATE_MILES if a.approximate or b.approximate else miles
    return miles_between(a.lat, a.lng, b.lat, b.lng) <= limit


class _Clinics:
    """Listings being merged, indexed by address and by name."""

    def __init__(self) -> None:
        self.listings: list[Provider] = []
        self.names: list[frozenset[str]] = []
        self.members: list[list[tuple[str, str]]] = []  # (source, id) of every record in a listing
        self.by_id: dict[str, int] = {}  # every record's id -> its listing
        self.by_address: dict[tuple, list[int]] = defaultdict(list)
        self.by_name: dict[tuple, list[int]] = defaultdict(list)

    def add(self, source: str, p: Provider) -> None:
        street, words = street_key(p.address), name_words(p.name)
        city = " ".join(_words(p.city))
        addresses = [
            key
            for key, known in ((("zip", street, p.zip), p.zip), (("city", street, city, p.state), city))
            if street and known
        ]
        name_key = (" ".join(sorted(words)), p.zip) if words and p.zip else None
        at = self.by_id.get(p.id)  # one name, street and ZIP: this clinic however far apart placed
        if at is None:
            at = self._match(p, source, words, addresses, name_key)
        if at is None:
            at = len(self.listings)
            self.listings.append(p)
            self.names.append(words)
            self.members.append([(source, p.id)])
        else:
            self.listings[at] = merge_pair(self.listings[at], p)
            self.members[at].append((source, p.id))
        self.by_id[p.id] = at
        for key in addresses:
            if at not in self.by_address[key]:
                self.by_address[key].append(at)
        if name_key and at not in self.by_name[name_key]:
            self.by_name[name_key].append(at)

    def _match(self, p: Provider, source: str, words, addresses: list, name_key) -> int | None:
        """The listing of another source that is this clinic, or None."""

        def other_source(i: int) -> bool:
            return all(s != source for s, _ in self.members[i])

        best: tuple | None = None
        for key in addresses:
            here = [i for i in self.by_address.get(key, ()) if other_source(i)]
            for i in here:
                if not _close(p, self.listings[i], SAME_PLACE_MILES):
                    continue
                agree = names_agree(words, self.names[i])
                if agree or len(here) == 1:  # one clinic at this door in the other file: that one
                    there = self.listings[i]
                    score = (agree, -miles_between(p.lat, p.lng, there.lat, there.lng))
                    best = max(best, (score, i)) if best else (score, i)
        if best is None and name_key:
            for i in self.by_name.get(name_key, ()):
                if other_source(i) and _close(p, self.listings[i], SAME_NAME_MILES):
                    return i
        return best[1] if best else None


def merge_sources(by_source: dict[str, list[Provider]]) -> MergedDirectory:
    """Every source's listings as one directory, each clinic once."""
    clinics = _Clinics()
    sources_of: dict[str, set[str]] = defaultdict(set)
    for source, rows in by_source.items():
        for p in rows:
            sources_of[p.id].add(source)
    # Records of one id in several sources pair up first: a near name at that door must not take one.
    for pairs_first in (True, False):
        for source in sorted(by_source):
            for p in sorted(by_source[source], key=lambda p: p.id):  # the same result however rows were read
                if (len(sources_of[p.id]) > 1) == pairs_first:
                    clinics.add(source, p)
    merged: dict[str, int] = defaultdict(int)
    for group in clinics.members:
        if len({s for s, _ in group}) > 1:
            for source, _ in group:
                merged[source] += 1
    folded = sum(map(len, clinics.members)) - len(clinics.listings)
    return MergedDirectory(clinics.listings, dict(merged), folded)
