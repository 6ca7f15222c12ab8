"""One row of a directory export (a CSV line or a FindTreatment record) as a listing, or why not. Pure.

Real exports are messy: headers named differently (`name1` or `ID`, `zip` or `POSTAL`), ZIP+4,
ZIPs that lost a leading zero, names split over two columns, phones written every way. A row
without coordinates is placed at its ZIP's centre, or its city's when the ZIP is unknown, and
marked approximate; so is a row whose coordinates are far from both its ZIP and its city. Only a
row that cannot be named or placed at all is refused (`RowProblem`).
"""

from __future__ import annotations

import re

import phonenumbers

from helpline.domain import places
from helpline.domain import treatment_services as svc
from helpline.domain.keywords import STATE_NAMES
from helpline.domain.providers import Provider, miles_between, provider_id

# Our field -> the header spellings exports use (compared lower-case, letters and digits only), the
# first the file has winning. A bare `ID` names a listing only in a file with no name column (the OTP
# list calls its names that); beside `Facility Name` it is a number ("101").
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name1", "name", "facilityname", "providername", "programname", "facility", "id", "programid"),
    "name2": ("name2", "dba", "sitename"),
    "street1": ("street1", "address", "address1", "street", "streetaddress", "addressline1"),
    "street2": ("street2", "address2", "addressline2"),
    "city": ("city", "town"),
    "state": ("state", "st", "stateabbr"),
    "zip": ("zip", "zipcode", "postal", "postalcode", "zip5"),
    "lat": ("latitude", "lat", "y"),
    "lng": ("longitude", "lng", "lon", "long", "x"),
    "phone": ("phone", "telephone", "phonenumber", "intake1", "intake", "mainphone"),
    "services": ("services", "service", "servicecodes", "scodes", "typeofcare", "programtype"),
    "website": ("website", "url", "web"),
}
# Longer is a broken row (columns or lines run together), not a clinic to text: the longest real name
# is 122 characters (160 with its site's), the longest address 80, the longest city 25.
LONGEST_NAME = 200
LONGEST_ADDRESS = 150
LONGEST_CITY = 60
# Coordinates this far from both the row's ZIP and its city are another place's: the listing goes to its ZIP.
FAR_FROM_ZIP_MILES = 50.0
ZIP_RE = re.compile(r"^(\d{1,5})(?:-?(\d{4}))?$")
# How spreadsheets hide a ZIP: `'02115`, `="02115"`, `2115.0` (read as a number), `21151234` (ZIP+4 as one).
_ZIP_AS_TEXT = re.compile(r"^=?[\"']*(.*?)[\"']*$")
_ZIP_AS_NUMBER = re.compile(r"^(\d{1,9})\.0*$")
# Cells that mean "nothing here" in exports and spreadsheets.
_NOTHING = {
    "",
    "na",
    "n/a",
    "n.a.",
    "null",
    "none",
    "nil",
    "nan",
    "-",
    "--",
    "?",
    "unknown",
    "#n/a",
    "#value!",
}
# Territories and spellings the texting vocabulary does not need.
_MORE_STATES = {
    "guam": "GU", "virgin islands": "VI", "us virgin islands": "VI", "u s virgin islands": "VI",
    "american samoa": "AS", "northern mariana islands": "MP", "washington dc": "DC", "washington d c": "DC",
    "d c": "DC",
}  # fmt: skip
# Where a US listing can be (lat, lat, lng, lng): the states, Alaska past 180, the Pacific territories.
_US_BOXES = ((17.5, 72.0, -180.0, -64.0), (51.0, 55.0, 172.0, 180.0), (13.0, 21.0, 144.0, 147.0),
             (-15.0, -11.0, -171.0, -168.0))  # fmt: skip
# Terminal escapes, other control characters and invisible direction marks: nothing a text should carry.
_CONTROL = re.compile(
    r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
# Words a name cut in two columns ends on ("Affiliates for Consultation and" | "Psychotherapy").
_CUT_AFTER = {"and", "of", "for", "the", "at", "on", "in", "to", "a", "&", "de", "del", "en", "y", "with"}


class RowProblem(ValueError):
    """A row left out of an import: its line (or record number), the field, and why."""

    def __init__(self, line: int, field: str, reason: str):
        super().__init__(f"line {line} ({field}): {reason}")
        self.line = line
        self.field = field
        self.reason = reason


def header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def map_headers(header: list[str]) -> dict[str, int]:
    """Our field -> column index, for the columns this file has."""
    keys = [header_key(h) for h in header]
    found: dict[str, int] = {}
    for field, spellings in HEADERS.items():
        for spelling in spellings:
            if spelling in keys:
                found[field] = keys.index(spelling)
                break
    return found


def normalise_zip(value: str | None) -> str | None:
    """`10001-1234` -> `10001`; `8879` (lost its leading zero) -> `08879`; `2115.0`, `'02115`,
    `="02115"` and `021151234` as a spreadsheet leaves them -> `02115`; else None."""
    text = _ZIP_AS_TEXT.match((value or "").strip()).group(1).strip()
    number = _ZIP_AS_NUMBER.match(text)
    if number:
        digits = number.group(1)
        if len(digits) in (6, 7):
            return None
        text = digits.zfill(9)[:5] if len(digits) > 5 else digits  # ZIP+4 kept as one number
    match = ZIP_RE.match(text)
    if not match:
        return None
    digits = match.group(1)
    return digits.zfill(5) if len(digits) >= 3 else None


def normalise_state(value: str | None) -> str:
    """`MA`, `ma`, `Massachusetts`, `N.J.` -> the two-letter code; a name we do not know -> ``."""
    text = _clean(value)
    words = " ".join(re.sub(r"[^a-z]+", " ", text.lower()).split())
    if len(words.replace(" ", "")) == 2:
        return words.replace(" ", "").upper()
    code = STATE_NAMES.get(words) or _MORE_STATES.get(words)
    return code.upper() if code else ""


_PHONE_PARTS = re.compile(r"[;/|]|,(?!\s*(?:ext|x)\b)| or ", re.IGNORECASE)
_FAX = re.compile(r"\bfax\b|\bfacsimile\b", re.IGNORECASE)
_VOICE = re.compile(r"\b(phone|ph|tel|telephone|main|office|intake|call|voice)\b", re.IGNORECASE)
_NUMBER_STARTS = re.compile(r"[+(\d]")


def _us_number(number: phonenumbers.PhoneNumber) -> bool:
    """A whole US number that exists: ten digits (a seven-digit local number cannot be called without
    knowing its area code) in an area code and exchange that are assigned (not 123-456-7890 or
    999-999-9999). The 555-01xx numbers reserved for fiction pass, as the phone plan has them."""
    return (
        number.country_code == 1
        and len(str(number.national_number)) == 10
        and phonenumbers.is_valid_number(number)
    )


def _phone_candidates(value: str | None) -> list[tuple[int, phonenumbers.PhoneNumber]]:
    """Every US number in the cell, each with its rank: 0 labelled as a phone (`Phone:`, `Tel`,
    `Main`, `Intake`), 1 unlabelled. A number labelled fax is no candidate."""
    text = re.sub(r"^(\d{10,11})\.0*$", r"\1", (value or "").strip())
    found: list[tuple[int, phonenumbers.PhoneNumber]] = []

    def add(number: phonenumbers.PhoneNumber, label: str) -> None:
        if _us_number(number) and not _FAX.search(label):
            found.append((0 if _VOICE.search(label) else 1, number))

    for part in _PHONE_PARTS.split(text):
        part = part.strip()
        if not part:
            continue
        starts = _NUMBER_STARTS.search(part)
        try:
            number = phonenumbers.parse(part, "US")
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and _us_number(number):
            add(number, part[: starts.start()] if starts else "")
            continue
        # Two numbers in one part, or words around one: `Fax 617-555-0199 Phone 617-555-0100`.
        before = 0
        matches = list(phonenumbers.PhoneNumberMatcher(part, "US", leniency=phonenumbers.Leniency.POSSIBLE))
        for index, match in enumerate(matches):
            after_end = matches[index + 1].start if index + 1 < len(matches) else len(part)
            after = part[match.end : after_end]
            label = part[before : match.start] + (after if after.lstrip().startswith("(") else "")
            add(match.number, label)
            before = match.end
    return found


def _best_phone(value: str | None) -> phonenumbers.PhoneNumber | None:
    candidates = _phone_candidates(value)
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


def normalise_phone(value: str | None) -> str | None:
    """The US phone to call in `(617) 555-0100`, `617.555.0100 x12`, `1-617-555-0100 / ...`,
    `617-555-0100 617-555-0199`, `6175550100.0` (a spreadsheet's number), `Fax: ...; Phone: ...`,
    as E.164: the first labelled a phone, else the first; never a fax, never a number that
    does not exist (123-456-7890)."""
    number = _best_phone(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None


def listing_phone(value: str | None) -> str | None:
    """The phone a listing gives: `normalise_phone`'s number with its extension, if it has one
    (`617-555-0132 ext. 12` -> `+16175550132 ext. 12`), for the texter to ask for."""
    number = _best_phone(value)
    if number is None:
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164} ext. {number.extension}" if number.extension else e164


def _clean(text: str | None) -> str:
    return " ".join(_CONTROL.sub(" ", text or "").split())


def clean_name(name1: str | None, name2: str | None = None) -> tuple[str, str | None]:
    """The listing's name and its site's name, with a name cut over two columns joined again.

    `Affiliates for Consultation and` + `Psychotherapy` is one name; `Region Ten Community Services
    Board` + `Mohr Center` is an organisation and one of its sites. Stray commas go.
    """
    first, second = _clean(name1).strip(" ,;-"), _clean(name2).strip(" ,;-")
    last_word = first.rsplit(" ", 1)[-1].lower() if first else ""
    if second and (last_word in _CUT_AFTER or second[0] in "(&" or second[0].islower()):
        first, second = f"{first} {second}", ""
    first = re.sub(r"\b(and|of|for|the|at|on|in|to|&),\s+", r"\1 ", first, flags=re.IGNORECASE)
    first = re.sub(r"\s*,(\s*,)+", ",", first).strip(" ,")
    if second.lower() == first.lower() or second.lower() in first.lower():
        second = ""
    return first, second or None


def _coordinate(value: str | None, limit: float, what: str, line: int) -> float | None:
    """`42.34`, `42,34`, `42.34°`, `71.09 W`; None for an empty cell or `N/A`."""
    text = _clean(value)
    if text.lower() in _NOTHING:
        return None
    number_text = text.rstrip("°º ").replace("° ", "").replace("°", "")
    sign = 1
    if number_text[-1:].upper() in ("N", "S", "E", "W"):
        sign = -1 if number_text[-1].upper() in ("S", "W") else 1
        number_text = number_text[:-1].rstrip("°º ")
    if number_text.count(",") == 1 and "." not in number_text:
        number_text = number_text.replace(",", ".")  # a decimal comma
    try:
        number = sign * float(number_text)
    except ValueError:
        raise RowProblem(line, what, f"{what} {text!r} is not a number") from None
    if number != number:
        return None
    if not -limit <= number <= limit:
        raise RowProblem(line, what, f"{what} {text!r} is out of range")
    return number


def _in_us(lat: float, lng: float) -> bool:
    return any(s <= lat <= n and w <= lng <= e for s, n, w, e in _US_BOXES)


def _us_point(lat: float, lng: float, line: int) -> tuple[float, float]:
    """The coordinates as meant: swapped columns and a lost minus sign are read back; a point
    outside the US and its territories is refused (it would never be near anyone who texts)."""
    for a, b in ((lat, lng), (lng, lat), (lat, -lng), (-lng, lat)):
        if -90 <= a <= 90 and _in_us(a, b):
            return a, b
    raise RowProblem(line, "latitude", f"latitude {lat:g}, longitude {lng:g} is outside the US")


def _place(
    zip_code: str | None, raw_zip: str, city: str, state: str, line: int, raw_state: str = ""
) -> tuple[float, float]:
    """Coordinates for a row that has none: its ZIP's centre, else its city's."""
    centre = places.zip_centroid(zip_code) if zip_code else None
    if centre is None and city and state:
        centre = places.city_centroid(city, state)
    if centre is not None:
        return centre.lat, centre.lng
    if not city:
        where = "no city"
    elif not state and raw_state:
        where = f"{raw_state!r} is not a US state"
    elif not state:
        where = f"{city} has no state"
    else:
        where = f"{city}, {state} is not a known city"
    if not raw_zip:
        raise RowProblem(line, "zip", f"no coordinates, no ZIP, and {where}")
    if zip_code is None:
        raise RowProblem(line, "zip", f"ZIP {raw_zip!r} is not a US ZIP code and {where}")
    raise RowProblem(line, "zip", f"ZIP {zip_code} is unknown and {where}")


def _nearer_its_zip(
    lat: float, lng: float, zip_code: str | None, city: str, state: str
) -> tuple[float, float] | None:
    """The ZIP's centre when the row's coordinates are far from it: a geocoder that put the clinic in
    another town (204 Clifton Street, Houston, at San Antonio). None when they are near it, or near
    the row's city while the ZIP is elsewhere (then the ZIP is the mistake, not the coordinates)."""
    centre = places.zip_centroid(zip_code) if zip_code else None
    if centre is None or miles_between(lat, lng, centre.lat, centre.lng) <= FAR_FROM_ZIP_MILES:
        return None
    town = places.city_centroid(city, state) if city and state else None
    if town is not None and miles_between(lat, lng, town.lat, town.lng) <= FAR_FROM_ZIP_MILES:
        return None
    return centre.lat, centre.lng


def build_provider(
    fields: dict[str, str | None],
    *,
    line: int,
    source: str,
    updated: float,
    services: tuple[str, ...] | None = None,
    default_services: tuple[str, ...] = (),
) -> Provider:
    """One listing from already-mapped fields; raises RowProblem naming `line` and the field."""
    name, site = clean_name(fields.get("name"), fields.get("name2"))
    if not name:
        raise RowProblem(line, "name", "no name")
    if len(name) > LONGEST_NAME:
        raise RowProblem(line, "name", f"a name of {len(name):,} characters (columns run together?)")
    street, street2 = _clean(fields.get("street1")), _clean(fields.get("street2"))
    address = ", ".join(part for part in (street, street2) if part)
    if len(address) > LONGEST_ADDRESS:
        raise RowProblem(line, "address", f"an address of {len(address):,} characters (lines run together?)")
    raw_zip = (fields.get("zip") or "").strip()
    zip_code = normalise_zip(raw_zip) if raw_zip else None
    city, state = _clean(fields.get("city")), normalise_state(fields.get("state"))
    if len(city) > LONGEST_CITY:
        raise RowProblem(line, "city", f"a city of {len(city):,} characters (columns run together?)")
    lat = _coordinate(fields.get("lat"), 180, "latitude", line)  # up to 180: the columns may be swapped
    lng = _coordinate(fields.get("lng"), 180, "longitude", line)
    approximate = lat is None or lng is None or (lat == 0 and lng == 0)
    extra: dict = {}
    if not approximate:
        lat, lng = _us_point(lat, lng, line)
        if (centre := _nearer_its_zip(lat, lng, zip_code, city, state)) is not None:
            extra["file_point"] = [lat, lng]  # where the file put it, for whoever reviews the listing
            (lat, lng), approximate = centre, True
    else:
        lat, lng = _place(zip_code, raw_zip, city, state, line, _clean(fields.get("state")))
    if site:
        extra["site"] = site
    if services is None:
        services = svc.from_text(fields.get("services")) if fields.get("services") else ()
    return Provider(
        id=provider_id(_clean(fields.get("name")), street, zip_code or ""),
        name=name,
        phone=listing_phone(fields.get("phone")),
        address=address,
        city=city,
        state=state,
        zip=zip_code or "",
        lat=lat,
        lng=lng,
        services=tuple(s for s in svc.SERVICES if s in services or s in default_services),
        approximate=approximate,
        source=source,
        updated=updated,
        website=_clean(fields.get("website")) or None,
        extra=extra,
    )


def _scalar(value: object) -> str | None:
    """A JSON value as a cell (`6175550100` -> `6175550100`); lists and objects are no cell: None."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value)


def map_record(row: dict) -> dict[str, str | None]:
    """A JSON record's keys read as a CSV header is (`Name1`, `ZIP Code`, `lat`...); the locator's
    `phone` first, its `intake1` when there is none."""
    cells = {header_key(str(k)): _scalar(v) for k, v in row.items() if k != "services"}
    fields: dict[str, str | None] = {}
    for field, spellings in HEADERS.items():
        fields[field] = next((cells[s] for s in spellings if cells.get(s) not in (None, "")), None)
    return fields


def _record_services(value: object) -> tuple[str, ...]:
    """`services` as the locator gives it (`[{f1, f2, f3}]`), as a list of words, or as text."""
    if isinstance(value, list):
        entries = [e for e in value if isinstance(e, dict)]
        words = "; ".join(str(e) for e in value if isinstance(e, str))
        return tuple(dict.fromkeys(svc.from_locator_services(entries) + svc.from_text(words)))
    return svc.from_text(value) if isinstance(value, str) else ()


def provider_from_locator_row(
    row: dict, *, source: str, updated: float, line: int = 0, default_services: tuple[str, ...] = ()
) -> Provider:
    """A FindTreatment locator row (`name1`, `street1`, `latitude`, `services[{f1,f2,f3}]`...), or any
    export's record with the column names a CSV could have."""
    if not isinstance(row, dict):
        raise RowProblem(line, "record", "record is not an object")
    services = row.get("services", row.get("Services"))
    return build_provider(
        map_record(row),
        line=line,
        source=source,
        updated=updated,
        services=_record_services(services),
        default_services=default_services,
    )
