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


@lru_cache(maxsize=1)
def _city_index() -> dict[tuple[str, str], list[dict]]:
    index: dict[tuple[str, str], list[dict]] = {}
    for entry in zipcodes.list_all():
        if entry.get("lat") and entry.get("long"):
            index.setdefault((entry["city"].lower(), entry["state"].lower()), []).append(entry)
    return index


def zip_centroid(zip_code: str) -> Place | None:
    """The centre of a 5-digit ZIP, or None when it does not exist."""
    zip_code = (zip_code or "").strip()[:5].zfill(5)
    try:
        found = zipcodes.matching(zip_code)
    except (TypeError, ValueError):
        return None
    found = [z for z in found if z.get("lat") and z.get("long")]
    if not found:
        return None
    z = found[0]
    return Place(zip_code, zip_code, float(z["lat"]), float(z["long"]), z.get("timezone"))


def city_centroid(city: str, state: str) -> Place | None:
    """The mean of the city's ZIP centres."""
    entries = _city_index().get((city.strip().lower(), state.strip().lower()))
    if not entries:
        return None
    lat = sum(float(e["lat"]) for e in entries) / len(entries)
    lng = sum(float(e["long"]) for e in entries) / len(entries)
    label = f"{entries[0]['city']}, {entries[0]['state']}"
    return Place(label, None, lat, lng, entries[0].get("timezone"))


def locate(text: str) -> Place | None:
    """`10001` or `austin, tx` (as the conversation recognised it) to a place."""
    if "," in text:
        city, state = text.rsplit(",", 1)
        return city_centroid(city, state)
    return zip_centroid(text)


def warm() -> None:
    """Load the ZIP data before the first texter waits for it."""
    zip_centroid("10001")
    _city_index()
