"""Where a texter is: a ZIP code or "city, ST" turned into coordinates with `zipcodes`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import zipcodes


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


@lru_cache(maxsize=1)
def _city_index() -> dict[tuple[str, str], list[dict]]:
    index: dict[tuple[str, str], list[dict]] = {}
    other_names: dict[tuple[str, str], list[dict]] = {}
    for entry in zipcodes.list_all():
        if entry.get("lat") and entry.get("long"):
            index.setdefault(_city_key(entry["city"], entry["state"]), []).append(entry)
            for name in entry.get("acceptable_cities") or ():
                other_names.setdefault(_city_key(name, entry["state"]), []).append(entry)
    # A town the postal service files under a bigger one (West Allis under Milwaukee) is still found.
    for key, entries in other_names.items():
        index.setdefault(key, entries)
    return index


@lru_cache(maxsize=1)
def _zip_index() -> dict[str, Place]:
    # A dict, not `zipcodes.matching` (a scan of 42,000 entries): the lookup is on every search's path.
    index: dict[str, Place] = {}
    for z in zipcodes.list_all():
        if z.get("lat") and z.get("long") and z["zip_code"] not in index:
            code = z["zip_code"]
            index[code] = Place(code, code, float(z["lat"]), float(z["long"]), z.get("timezone"))
    return index


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
    lat = sum(float(e["lat"]) for e in entries) / len(entries)
    lng = sum(float(e["long"]) for e in entries) / len(entries)
    first = entries[0]
    named = first["city"] if _city_key(first["city"], first["state"]) == key else city.strip().title()
    label = f"{named}, {first['state']}"
    return Place(label, None, lat, lng, entries[0].get("timezone"))


def locate(text: str) -> Place | None:
    """`10001` or `austin, tx` (as the conversation recognised it) to a place."""
    if "," in text:
        city, state = text.rsplit(",", 1)
        return city_centroid(city, state)
    return zip_centroid(text)


def warm() -> None:
    """Load the ZIP data before the first texter waits for it."""
    _zip_index()
    _city_index()
