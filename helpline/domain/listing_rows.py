"""One row of a directory export (a CSV line or a FindTreatment record) as a listing, or why not. Pure.

Real exports are messy: headers named differently (`name1` or `ID`, `zip` or `POSTAL`), ZIP+4,
ZIPs that lost a leading zero, names split over two columns, phones written every way. A row
without coordinates is placed at its ZIP's centre, or its city's when the ZIP is unknown, and
marked approximate; only a row that cannot be named or placed at all is refused (`RowProblem`).
"""

from __future__ import annotations

import re

import phonenumbers

from helpline.domain import places
from helpline.domain import treatment_services as svc
from helpline.domain.providers import Provider, provider_id

# Our field -> the header spellings exports use (compared lower-case, letters and digits only).
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name1", "name", "id", "facilityname", "facility", "providername", "programname", "programid"),
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
ZIP_RE = re.compile(r"^(\d{1,5})(?:-?(\d{4}))?$")
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
    """`10001-1234` -> `10001`; `8879` (lost its leading zero) -> `08879`; else None."""
    match = ZIP_RE.match((value or "").strip())
    if not match:
        return None
    digits = match.group(1)
    return digits.zfill(5) if len(digits) >= 3 else None


def normalise_phone(value: str | None) -> str | None:
    """The first US phone in `(617) 555-0100`, `617.555.0100 x12`, `1-617-555-0100 / ...`, as E.164."""
    for part in re.split(r"[;/,|]| or ", value or ""):
        text = part.strip()
        if not text:
            continue
        try:
            number = phonenumbers.parse(text, "US")
        except phonenumbers.NumberParseException:
            continue
        # Ten digits: a seven-digit local number cannot be called without knowing its area code.
        if number.country_code == 1 and len(str(number.national_number)) == 10:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


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
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise RowProblem(line, what, f"{what} {text!r} is not a number") from None
    if number != number or not -limit <= number <= limit:
        raise RowProblem(line, what, f"{what} {text!r} is out of range")
    return number


def _place(zip_code: str | None, raw_zip: str, city: str, state: str, line: int) -> tuple[float, float]:
    """Coordinates for a row that has none: its ZIP's centre, else its city's."""
    centre = places.zip_centroid(zip_code) if zip_code else None
    if centre is None and city and state:
        centre = places.city_centroid(city, state)
    if centre is not None:
        return centre.lat, centre.lng
    where = f"{city}, {state}" if city or state else "no city"
    if not raw_zip:
        raise RowProblem(line, "zip", f"no coordinates, no ZIP, and {where} is not a known city")
    if zip_code is None:
        raise RowProblem(line, "zip", f"ZIP {raw_zip!r} is not a US ZIP code and {where} is not a known city")
    raise RowProblem(line, "zip", f"ZIP {zip_code} is unknown and {where} is not a known city")


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
    raw_zip = (fields.get("zip") or "").strip()
    zip_code = normalise_zip(raw_zip) if raw_zip else None
    city, state = _clean(fields.get("city")), (fields.get("state") or "").strip().upper()[:2]
    lat = _coordinate(fields.get("lat"), 90, "latitude", line)
    lng = _coordinate(fields.get("lng"), 180, "longitude", line)
    approximate = lat is None or lng is None or (lat == 0 and lng == 0)
    if approximate:
        lat, lng = _place(zip_code, raw_zip, city, state, line)
    street, street2 = _clean(fields.get("street1")), _clean(fields.get("street2"))
    if services is None:
        services = svc.from_text(fields.get("services")) if fields.get("services") else ()
    return Provider(
        id=provider_id(_clean(fields.get("name")), street, zip_code or ""),
        name=name,
        phone=normalise_phone(fields.get("phone")),
        address=", ".join(part for part in (street, street2) if part),
        city=city,
        state=state,
        zip=zip_code or "",
        lat=lat,
        lng=lng,
        services=tuple(s for s in svc.SERVICES if s in services or s in default_services),
        approximate=approximate,
        source=source,
        updated=updated,
        website=(fields.get("website") or "").strip() or None,
        extra={"site": site} if site else {},
    )


def provider_from_locator_row(
    row: dict, *, source: str, updated: float, line: int = 0, default_services: tuple[str, ...] = ()
) -> Provider:
    """A FindTreatment locator row (`name1`, `street1`, `latitude`, `services[{f1,f2,f3}]`...)."""
    if not isinstance(row, dict):
        raise RowProblem(line, "record", "record is not an object")
    fields = {k: (str(v) if v is not None else None) for k, v in row.items() if k != "services"}
    fields["name"] = fields.get("name1")
    fields["lat"], fields["lng"] = fields.get("latitude"), fields.get("longitude")
    fields["phone"] = fields.get("phone") or fields.get("intake1")
    entries = row.get("services") if isinstance(row.get("services"), list) else []
    return build_provider(
        fields,
        line=line,
        source=source,
        updated=updated,
        services=svc.from_locator_services(entries),
        default_services=default_services,
    )
