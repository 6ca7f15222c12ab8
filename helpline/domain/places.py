"""Where a texter is: a ZIP code or "city, ST" turned into coordinates with `zipcodes`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import zipcodes
from rapidfuzz import process
from rapidfuzz.distance import OSA


@dataclass(frozen=True)
class Place:
    label: str  # what we say back: "10001" or "Austin, TX"
    zip: str | None
    lat: float
    lng: float
    timezone: str | None = None


_CITY_WORDS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "pt": "point"}


def _city_key(city: str, state: str) -> tuple[str, str]:
    """`St. Louis` and `Saint Louis` are one city: exports and texters spell it either way."""
    words = city.lower().replace(".", " ").replace("-", " ").split()
    return " ".join(_CITY_WORDS.get(w, w) for w in words), state.strip().lower()


_CityZip = tuple[float, float, "str | None", str, str]  # lat, lng, time zone, city, state of one ZIP


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, Place], dict[tuple[str, str], list[_CityZip]]]:
    """ZIP -> its place, and city -> its ZIPs, from one read of the ZIP data. Dicts, not `zipcodes.matching`
    (a scan of 42,000 entries): the lookup is on every search's path. Each read of the data makes 42,000
    dicts of a dozen fields; only what a lookup needs is kept."""
    zips: dict[str, Place] = {}
    cities: dict[tuple[str, str], list[_CityZip]] = {}
    other_names: dict[tuple[str, str], list[_CityZip]] = {}
    unplaced: list[tuple[str, str, str]] = []
    for entry in zipcodes.list_all():
        code, city, state = entry["zip_code"], entry["city"], entry["state"]
        lat, lng, timezone = (
            float(entry.get("lat") or 0),
            float(entry.get("long") or 0),
            entry.get("timezone"),
        )
        if not lat or not lng:  # the data writes an unknown place as 0.0, 0.0: off the coast of Africa
            unplaced.append((code, city, state))
            continue
        zips.setdefault(code, Place(code, code, lat, lng, timezone))
        row = (lat, lng, timezone, city, state)
        cities.setdefault(_city_key(city, state), []).append(row)
        for name in entry.get("acceptable_cities") or ():
            other_names.setdefault(_city_key(name, state), []).append(row)
    # A town the postal service files under a bigger one (West Allis under Milwaukee) is still found.
    for key, rows in other_names.items():
        cities.setdefault(key, rows)
    # A ZIP without a place of its own (a post office box ZIP) is where its city is.
    for code, city, state in unplaced:
        if code not in zips and (rows := cities.get(_city_key(city, state))):
            lat, lng = sum(r[0] for r in rows) / len(rows), sum(r[1] for r in rows) / len(rows)
            zips[code] = Place(code, code, lat, lng, rows[0][2])
    # zipcodes keeps every entry it read (~100 MB a process); these indexes are all a lookup needs.
    if getattr(zipcodes, "_zips_cache", None) is not None:
        zipcodes._zips_cache = None
    return zips, cities


def _zip_index() -> dict[str, Place]:
    return _indexes()[0]


def _city_index() -> dict[tuple[str, str], list[_CityZip]]:
    return _indexes()[1]


def zip_centroid(zip_code: str) -> Place | None:
    """The centre of a 5-digit ZIP, or None when it does not exist."""
    return _zip_index().get((zip_code or "").strip()[:5].zfill(5))


def real_zip(text: str | None) -> str | None:
    """The 5-digit ZIP when it names a place, else None: 00000 and 99999 look like ZIPs but are not."""
    place = zip_centroid(text) if text and text.strip()[:5].isdigit() else None
    return place.zip if place else None


def city_centroid(city: str, state: str) -> Place | None:
    """The mean of the city's ZIP centres."""
    key = _city_key(city, state)
    entries = _city_index().get(key)
    if not entries:
        return None
    lat = sum(e[0] for e in entries) / len(entries)
    lng = sum(e[1] for e in entries) / len(entries)
    _, _, timezone, first_city, first_state = entries[0]
    named = first_city if _city_key(first_city, first_state) == key else city.strip().title()
    return Place(f"{named}, {first_state}", None, lat, lng, timezone)


@lru_cache(maxsize=1)
def _city_states() -> dict[str, tuple[tuple[str, int], ...]]:
    """City name -> (state, how many ZIP codes) of each state with a city of that name, biggest first."""
    by_name: dict[str, list[tuple[str, int]]] = {}
    for (name, state), rows in _city_index().items():
        by_name.setdefault(name, []).append((state.upper(), len(rows)))
    return {name: tuple(sorted(found, key=lambda sz: (-sz[1], sz[0]))) for name, found in by_name.items()}


def states_with_city(city: str) -> tuple[tuple[str, int], ...]:
    """`portland` -> (("OR", n), ("ME", m), ...): where a city of that name is, the biggest first."""
    return _city_states().get(_city_key(city, "")[0], ())


@lru_cache(maxsize=1)
def _cities_by_state() -> dict[str, tuple[str, ...]]:
    """State -> its city names, biggest (most ZIP codes) first."""
    by_state: dict[str, list[tuple[int, str]]] = {}
    for (name, state), rows in _city_index().items():
        by_state.setdefault(state, []).append((-len(rows), name))
    return {state: tuple(name for _, name in sorted(found)) for state, found in by_state.items()}


def city_like(city: str, state: str) -> str | None:
    """The city of that state a misspelt name means ("houstn" -> "houston", "cincinatti" -> "cincinnati"):
    one typo in a name of 5+ letters, two in 9+; of equally near ones, the biggest. None when none is
    that near, or the name is a city as written."""
    name, code = _city_key(city, state)
    limit = 0 if len(name) < 5 else 1 if len(name) < 9 else 2
    names = _cities_by_state().get(code, ())
    if not limit or not names:
        return None
    found = process.extract(name, names, scorer=OSA.distance, score_cutoff=limit, limit=None)
    if not found or min(distance for _, distance, _ in found) == 0:
        return None
    nearest = min(distance for _, distance, _ in found)
    return min((index, match) for match, distance, index in found if distance == nearest)[1]


def locate(text: str) -> Place | None:
    """`10001` or `austin, tx` (as the conversation recognised it) to a place."""
    if "," in text:
        city, state = text.rsplit(",", 1)
        return city_centroid(city, state)
    return zip_centroid(text)


def warm() -> None:
    """Load the ZIP data before the first texter waits for it."""
    _indexes()
    _city_states()
    _cities_by_state()
