"""One line per site in the results a texter gets: listings that lead to one door are one choice. Pure.

Several programs of one site ("BAART Programs Southeast" and "BAART Behavioral Health Services" at
4920 Avalon Blvd), or an organisation listed under its old and new names, stay separate listings in
the directory (each keeps its name and services) but take one line in a list of results: the best
ranked of them, with the services of the others folded in.

Two listings are at one site when their house numbers meet (`127` is within `127-131`), nothing says
they are different parts of one building (a medical building holds many practices: "Suite 200" and
"Suite 300" stay two lines, "Suite 200" and no suite are one), their directions do not differ ("1631
E 2nd St" is not "1631 W 2nd St"), and either they are on the same street in the same ZIP (`4920
Avalon Boulevard` = `4920 S. Avalon Blvd.`; `1631-A East Second St.` = `1631 East 2nd Street,
Building A`) or both are placed at their address within `SAME_DOOR_MILES` of each other.

`sites` groups an imported directory once (a few listings in a hundred share a door); the search then
shows the first ranked listing of each site, and `one_line_per_site` does the same for a live list.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from helpline.domain import treatment_services as svc
from helpline.domain.providers import STREET_WORDS, Provider, miles_between
from helpline.domain.same_clinic import GENERIC_NAME_WORDS, name_words

SAME_DOOR_MILES = 0.05  # two listings with one house number this close are one building
RANGE_MOST = 50  # `127-131 W 25th St` is a building's numbers; `31-10 Thomson Ave` (Queens) is one
ADDRESSES_KEPT_PARSED = 16384  # per process; searches near one place keep meeting the same addresses

_STREET = {
    **STREET_WORDS,
    "av": "ave", "avenida": "ave", "circle": "cir", "terrace": "ter", "square": "sq", "trail": "trl",
    "plaza": "plz", "expressway": "expy", "freeway": "fwy", "turnpike": "tpke",
    "rte": "route", "saint": "st", "mount": "mt", "fort": "ft", "northeast": "ne", "northwest": "nw",
    "southeast": "se", "southwest": "sw", "fourth": "4th", "fifth": "5th", "sixth": "6th",
    "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th",
}  # fmt: skip
_DIRECTIONS = {"n", "s", "e", "w", "ne", "nw", "se", "sw"}
_KINDS = {
    "st", "ave", "rd", "blvd", "dr", "ln", "pl", "ct", "hwy", "pkwy", "cir", "ter", "sq", "trl", "plz",
    "expy", "fwy", "tpke", "way", "pike", "loop", "row", "aly", "walk",
}  # fmt: skip
# Name words many organisations share, which say nothing of which one a listing is.
_COMMON_NAME_WORDS = {
    "saint", "county", "city", "north", "south", "east", "west", "new", "united", "american",
    "center", "centers", "inc", "professional", "associate", "partner", "service", "program", "team",
    "life", "hope", "valley", "regional", "general", "memorial", "university", "medicine",
    "psychiatric", "psychiatry", "outpatient", "inpatient", "residential", "detox", "detoxification",
    "unit", "division", "department", "office", "practice", "physician", "doctor", "dr", "md",
}  # fmt: skip
_HOUSE_WORDS = {"one": "1"}  # "One Elizabeth Place"
# Words that name a part of a building; what follows them ("Suite 200", "Units A, B and C") says which.
_UNIT_MARKS = {
    "suite", "suites", "ste", "stuites", "unit", "units", "apt", "room", "rooms", "rm", "office", "#",
    "bldg", "building", "buildings", "floor", "floors", "fl", "level", "space",
}  # fmt: skip
_FLOORS = {"floor", "floors", "fl", "level"}  # "2nd Floor": the number comes before
_PARTS = {"lower", "upper", "basement", "ground", "rear", "mezzanine", "annex", "penthouse"}
_ORDINALS = {"first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6"}
_HOUSE = re.compile(r"^(\d+(?:-\d+)?)(?:-?([a-z]))?$")  # 1631, 127-131, 1631-A / 77F (a building)
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_NOT_A_WORD = re.compile(r"[^a-z0-9#,\- ]")
# Where `door` finds the house number: the first word of the address or of a piece after a comma.
_HOUSE_AT = re.compile(r"(?:^|,)[^a-z0-9#,\-]*(?:(\d+(?:-\d+)?)(?:-?[a-z])?|one)(?![a-z0-9#\-])")


@dataclass(frozen=True)
class Door:
    """An address as far as telling doors apart goes: `1631-A East Second St.` ->
    number 1631, before "e", street ("2nd",), kind "st", part {"a"}."""

    number: str
    street: tuple[str, ...]
    kind: str = ""  # st, ave, blvd...
    before: str = ""  # a direction before the street name ("S Avalon")
    after: str = ""  # or after it ("Gibson Blvd SE")
    part: frozenset[str] = frozenset()  # which suite, floor or building, when said


def _tokens(text: str) -> list[str]:
    text = (text or "").lower()
    if not text.isascii():  # "Calle Méndez": accents off
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_A_WORD.sub(" ", text.replace("#", " # ")).split()


def _part_of(words: list[str]) -> frozenset[str]:
    """Which suite, floor or building `words` name: `Suites A, B and C` -> {a, b, c}; `2nd Floor` -> {2}."""
    out: set[str] = set()
    marked = False
    for i, word in enumerate(words):
        if word in _UNIT_MARKS:
            if word in _FLOORS and i:
                before = words[i - 1]
                value = _ORDINALS.get(before) or (m.group(1) if (m := _ORDINAL.match(before)) else None)
                if value:
                    out.add(value)
            marked = True
            continue
        if word in _PARTS:
            out.add(word)
            continue
        if not marked:
            continue
        if word in ("and", "&", "-"):
            continue
        if any(c.isdigit() for c in word) or len(word) == 1:
            m = _ORDINAL.match(word)
            out.add(m.group(1) if m else word.lstrip("#-"))
        elif word not in _ORDINALS:
            marked = False  # "Suite 200, Executive Park": the name of a building is not a part of it
    return frozenset(out)


@lru_cache(maxsize=ADDRESSES_KEPT_PARSED)
def door(address: str) -> Door | None:
    """The door an address leads to, or None when it has no house number (a PO box, "Carretera 2")."""
    pieces = _tokens(address.replace(",", " , ")) if address else []
    house = None
    for at, word in enumerate(pieces):  # "Rachel Upjohn Building, 4250 Plymouth Road": the number
        if (at == 0 or pieces[at - 1] == ",") and (house := _HOUSE.match(_HOUSE_WORDS.get(word, word))):
            break  # begins the first piece it begins
    if house is None:
        return None
    street: list[str] = []
    rest = pieces[at + 1 :]
    for k, word in enumerate(rest):
        if word in _UNIT_MARKS or word == ",":
            rest = rest[k:]
            break
        if "-" in word:
            street.extend(_STREET.get(w, w) for w in word.split("-") if w)
        else:
            street.append(_STREET.get(word, word))
    else:
        rest = []
    part = _part_of([w for w in rest if w != ","]) if rest else frozenset()
    if house.group(2):
        part = part | {house.group(2)}
    before = after = kind = ""
    if len(street) > 1 and street[-1] in _DIRECTIONS:
        after, street = street[-1], street[:-1]
    if len(street) > 1 and street[-1] in _KINDS:
        kind, street = street[-1], street[:-1]
    if len(street) > 1 and street[0] in _DIRECTIONS:
        before, street = street[0], street[1:]
    return Door(house.group(1), tuple(street), kind, before, after, part)


@lru_cache(maxsize=ADDRESSES_KEPT_PARSED)
def house_number(address: str) -> str | None:
    """The house number `door` finds (`127-131` for a range), read quickly: listings whose numbers
    differ and are no ranges are at different doors, so a list of them needs no closer look."""
    match = _HOUSE_AT.search(address.lower()) if address else None
    return (match.group(1) or "1") if match else None


def apart(numbers: Iterable[str | None]) -> bool:
    """Whether listings with these house numbers (`house_number`) are each at a door of its own."""
    known = [n for n in numbers if n is not None]  # no number: no door, never one with another
    if len(set(known)) < len(known):
        return False
    return not any("-" in n for n in known) or not _meeting(known)


def _meeting(numbers: list[str | None]) -> set[int]:
    """The places in `numbers` of those that meet another (`100` twice, or `127` and `127-131`)."""
    out: set[int] = set()
    first: dict[str, int] = {}
    for i, n in enumerate(numbers):
        if n is not None:
            if n in first:
                out.update((first[n], i))
            else:
                first[n] = i
    ranged = [i for i, n in enumerate(numbers) if n and "-" in n and _span(n)]
    for i in ranged:
        low, high = _span(numbers[i])
        for j, n in enumerate(numbers):
            if n and j != i and (span := _span(n)) and span[0] <= high and low <= span[1]:
                out.update((i, j))
    return out


def _span(number: str) -> tuple[int, int] | None:
    """`127-131` -> (127, 131), `4920` -> (4920, 4920); None for `31-10` (a block and a house)."""
    first, _, last = number.partition("-")
    low = int(first)
    if not last:
        return low, low
    high = int(last)
    return (low, high) if 0 < high - low <= RANGE_MOST else None


def _numbers_meet(a: str, b: str) -> bool:
    """One house number, or one within a range (`127 W 25th St` is in `127-131 W 25th St`)."""
    if a == b:
        return True
    sa, sb = _span(a), _span(b)
    return sa is not None and sb is not None and sa[0] <= sb[1] and sb[0] <= sa[1]


def _agree(a: str, b: str) -> bool:
    return not a or not b or a == b


def _one_building(a: Door, b: Door) -> bool:
    """Nothing in the two addresses says they are different doors of one number."""
    return (
        _numbers_meet(a.number, b.number)
        and (not a.part or not b.part or a.part <= b.part or b.part <= a.part)
        and _agree(a.before, b.before)
        and _agree(a.after, b.after)
    )


def same_site(a: Provider, b: Provider) -> bool:
    """Whether two listings lead to one door (see the module's rules)."""
    da, db = door(a.address), door(b.address)
    return da is not None and db is not None and _same_site(a, da, b, db)


def one_organisation(a: Provider, b: Provider) -> bool:
    """Whether two names may be one organisation's: they share a word that tells it apart ("BAART
    Programs Southeast", "BAART Behavioral Health Services"), or the names are one. Different
    organisations on one hospital campus stay apart ("Lowell House", "Danvers Treatment Center",
    "Community Healthcare": a name of common words tells no more than that it is not another's)."""
    return bool(_own_words(a.name) & _own_words(b.name)) or name_words(a.name) == name_words(b.name)


@lru_cache(maxsize=ADDRESSES_KEPT_PARSED)
def _own_words(name: str) -> frozenset[str]:
    return name_words(name) - GENERIC_NAME_WORDS - _COMMON_NAME_WORDS


def _same_site(a: Provider, da: Door, b: Provider, db: Door) -> bool:
    return _same_door(a, da, b, db) and one_organisation(a, b)


def _same_door(a: Provider, da: Door, b: Provider, db: Door) -> bool:
    if not _one_building(da, db):
        return False
    if a.zip[:5] and a.zip[:5] == b.zip[:5] and da.street == db.street and _agree(da.kind, db.kind):
        return True
    return (
        not a.approximate
        and not b.approximate
        and miles_between(a.lat, a.lng, b.lat, b.lng) <= SAME_DOOR_MILES
    )


def _candidates(listings: Iterable[Provider]) -> list[list[tuple[Provider, Door]]]:
    """Groups of listings that may share a door (house numbers meet, and one ZIP or placed within
    `SAME_DOOR_MILES`): every pair `same_site` finds is inside one group, so only these are compared."""
    by_number: dict[str, list[tuple[Provider, Door]]] = defaultdict(list)
    for p in listings:
        d = door(p.address)
        if d is not None:
            span = _span(d.number)
            for key in [d.number] if span is None else [str(n) for n in range(span[0], span[1] + 1)]:
                by_number[key].append((p, d))
    parent: dict[str, str] = {}

    def top(i: str) -> str:
        while parent.get(i, i) != i:
            parent[i] = parent.get(parent[i], parent[i])
            i = parent[i]
        return i

    def join(a: str, b: str) -> None:
        a, b = top(a), top(b)
        if a != b:
            parent[max(a, b)] = parent[min(a, b)] = min(a, b)

    window = SAME_DOOR_MILES / 68.0  # degrees of latitude, a little more than the distance
    found: dict[str, tuple[Provider, Door]] = {}
    for group in by_number.values():
        if len(group) < 2:
            continue
        first_in_zip: dict[str, str] = {}
        for p, d in group:
            found[p.id] = (p, d)
            if p.zip[:5]:
                join(first_in_zip.setdefault(p.zip[:5], p.id), p.id)
        placed = sorted((p for p, _ in group if not p.approximate), key=lambda p: p.lat)
        for i, p in enumerate(placed):
            for q in placed[i + 1 :]:
                if q.lat - p.lat > window:
                    break
                if miles_between(p.lat, p.lng, q.lat, q.lng) <= SAME_DOOR_MILES:
                    join(p.id, q.id)
    groups: dict[str, list[tuple[Provider, Door]]] = defaultdict(list)
    for i in sorted(parent):
        groups[top(i)].append(found[i])
    return [g for g in groups.values() if len(g) > 1]


def sites(listings: Iterable[Provider]) -> dict[str, str]:
    """Listing id -> the id of its site, for each listing at one door with another (the others are a
    site each). A site is named by the listing that stands for it: callable ones first, then by id,
    so an import of the same listings always makes the same sites."""
    out: dict[str, str] = {}
    for group in _candidates(listings):
        for one in _organisations(group):  # "BAART" and "ART Southeast" at one door: one by way of a third
            one.sort(key=lambda pd: (pd[0].phone is None, pd[0].id))
            for site in _join_doors(one, _same_door):
                if len(site) > 1:
                    out.update((p.id, site[0][0].id) for p, _ in site)
    return out


def _organisations(group: list[tuple[Provider, Door]]) -> list[list[tuple[Provider, Door]]]:
    """`group` in the sets that `_same_site` joins, each listing to any other of its set."""
    sets: list[list[tuple[Provider, Door]]] = []
    for p, d in group:
        meets = [s for s in sets if any(_same_site(p, d, q, e) for q, e in s)]
        joined = [(p, d)] + [pd for s in meets for pd in s]
        sets = [s for s in sets if s not in meets] + [joined]
    return sets


def site_services(listings: Iterable[Provider]) -> tuple[str, ...]:
    """What the listings of one site offer between them, in the usual order."""
    offered = {s for p in listings for s in p.services}
    return tuple(s for s in svc.SERVICES if s in offered)


def _join_doors(
    listings: list[tuple[Provider, Door | None]], same
) -> list[list[tuple[Provider, Door | None]]]:
    """`listings` in sites, in order: each joins the first site before it that every listing of is
    `same` with ("Suite 200" and "Suite 300" stay apart even where a listing without a suite is at
    both doors)."""
    out: list[list[tuple[Provider, Door | None]]] = []
    for p, d in listings:
        if d is not None:
            joined = next((s for s in out if s[0][1] and all(same(p, d, q, e) for q, e in s)), None)
            if joined is not None:
                joined.append((p, d))
                continue
        out.append([(p, d)])
    return out


def one_line_per_site(ranked: Iterable[Provider]) -> list[Provider]:
    """`ranked` (best first) with each site once, in the place of its best ranked listing, which
    stands for it with the services of every listing at that site. For listings that come without
    the import's `sites` (the live locator's); the sites of a longer list begin with the sites of any
    shorter list it begins with."""
    ranked = ranked if isinstance(ranked, list) else list(ranked)
    numbers = [house_number(p.address) for p in ranked]
    if apart(numbers):
        return ranked  # no two with one house number: each is a site of its own (nearly every search)
    closer = _meeting(numbers)  # only these may share a door: the others are a site each
    read = [(p, door(p.address) if i in closer else None) for i, p in enumerate(ranked)]
    return [site[0][0] if len(site) == 1 else _standing_for(site) for site in _join_doors(read, _same_site)]


def _standing_for(site: list[tuple[Provider, Door | None]]) -> Provider:
    """The line of a site: its best ranked listing (the best ranked with a phone, when that one has
    none: a line to act on), as near as the site's nearest, with every listing's services."""
    first = site[0][0]
    best = first if first.phone else next((p for p, _ in site if p.phone), first)
    offered = site_services(p for p, _ in site)
    if best is first and set(offered) <= set(first.services):
        return first
    return best.at(first.miles).offering(offered)
