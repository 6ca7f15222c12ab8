"""A treatment provider as the helpline keeps it, whatever source it came from."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field

# Among listings at a similar distance, one with a phone comes first: a listing without a phone
# ranks as if it were this much farther (a mile, or a tenth of its distance far away).
NO_PHONE_EXTRA_MILES = 1.0
NO_PHONE_EXTRA_SHARE = 0.1
_ROW_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    phone: str | None  # E.164 (`+16175550132 ext. 12` with one); None: no usable phone (kept, said so)
    address: str
    city: str
    state: str
    zip: str
    lat: float
    lng: float
    services: tuple[str, ...] = ()
    miles: float = 0.0  # from the searched place; set by search
    approximate: bool = False  # coordinates are the ZIP centroid, not the address
    source: str = ""
    updated: float = 0.0  # when the source data was imported or fetched (epoch seconds)
    website: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("miles")
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes, miles: float = 0.0) -> Provider:
        text = raw.decode() if isinstance(raw, bytes) else raw
        data, end = _ROW_DECODER.raw_decode(text)  # json.loads without its encoding sniffing: rows are UTF-8
        if end != len(text):
            raise ValueError("a listing row with something after it")
        data["services"] = tuple(data.get("services") or ())
        data["miles"] = miles
        if data.keys() == cls.__dataclass_fields__.keys():
            # Every search reads these rows (written by to_json): skip the frozen per-field __init__.
            provider = object.__new__(cls)
            provider.__dict__.update(data)
            return provider
        # Written by another version of this class: keep the fields we know, defaults for the rest.
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def at(self, miles: float) -> Provider:
        """This listing `miles` (to a tenth) from the searched place; every search makes one per row shown."""
        moved = object.__new__(type(self))
        moved.__dict__.update(self.__dict__)
        moved.__dict__["miles"] = round(miles, 1)
        return moved

    def offering(self, services: tuple[str, ...]) -> Provider:
        """This listing as a line of results offering `services` (those of every listing at its door)."""
        line = object.__new__(type(self))
        line.__dict__.update(self.__dict__)
        line.__dict__["services"] = services
        return line

    @property
    def site(self) -> str | None:
        """The site's own name when one organisation runs several (`Mohr Center`)."""
        return (self.extra or {}).get("site")


@dataclass(frozen=True)
class SearchResult:
    """One page of providers near a place, and how it was found."""

    providers: list[Provider]
    radius_miles: int
    source: str  # "directory" | "locator" | "none" (no source could be asked)
    more: bool  # there are listings after these (for MORE)
    fallback: tuple[str, ...] = ()  # services asked for that no listing nearby offers: these are any kind
    unavailable: bool = False  # a source failed: asking again shortly may find them


def ranking_miles(miles: float, has_phone: bool) -> float:
    """Nearest first, but never a listing without a phone above a callable one nearly as close."""
    return miles if has_phone else miles + max(NO_PHONE_EXTRA_MILES, NO_PHONE_EXTRA_SHARE * miles)


def callable_first(providers: list[Provider]) -> list[Provider]:
    """`providers` (with `miles` set) in the order a texter can act on."""
    return sorted(providers, key=lambda p: (ranking_miles(p.miles, bool(p.phone)), p.miles))


STREET_WORDS = {
    "street": "st", "avenue": "ave", "av": "ave", "road": "rd", "boulevard": "blvd", "drive": "dr",
    "lane": "ln", "place": "pl", "court": "ct", "highway": "hwy", "parkway": "pkwy", "suite": "ste",
    "west": "w", "east": "e", "north": "n", "south": "s", "first": "1st", "second": "2nd", "third": "3rd",
}  # fmt: skip
_NAME_NOISE = {"inc", "llc", "the", "corp", "co", "pc"}


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]", " ", text.lower()).split()


def provider_id(name: str, street: str, zip_code: str) -> str:
    """Stable across imports and sources (hiding, referrals and reports keep it): never change the rule.

    Spelling differences exports make ("311 West 35th St." / "311 West 35th Street", "Inc",
    a floor after a comma) do not make two ids.
    """
    name_key = " ".join(w for w in _words(name) if w not in _NAME_NOISE)
    street_key = " ".join(STREET_WORDS.get(w, w) for w in _words(street.split(",")[0]))
    key = "|".join((name_key, street_key, zip_code[:5]))
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]


def miles_between(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), in statute miles."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 3958.7613 * 2 * math.asin(math.sqrt(min(1.0, a)))


# A program inside a jail or prison treats the people held there: listed in the sources, but no door a
# texter can walk through ("Estrella Jail", "Rikers Island Correctional Facility").
_HELD_THERE = re.compile(
    r"\b(?:jail|prison|penitentiary|detention (?:center|centre|facility)|correctional (?:center|centre|"
    r"institution|facility|health services)|department of corrections|rikers island)\b",
    re.IGNORECASE,
)


def serves_only_people_held_there(listing: Provider) -> bool:
    """A jail's or prison's own program (by its name or address): not offered to texters and callers."""
    return bool(_HELD_THERE.search(listing.name) or _HELD_THERE.search(listing.address))
