"""Read a directory export (FindTreatment.gov JSON or a SAMHSA CSV) into providers, or refuse it.

Real exports are messy: headers named differently (`name1` or `ID`, `zip` or `POSTAL`), a UTF-8
byte-order mark or a Latin-1 file, quoted commas, ZIP+4, ZIPs that lost a leading zero in a
spreadsheet, rows without coordinates (placed at their ZIP's centre, marked approximate) or
without a phone (kept, phone None). Any row we cannot place or name makes the whole file fail
with `DirectoryFileError(line, reason)`: an import is all or nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path

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
    "zip4": ("zip4", "plus4"),
    "lat": ("latitude", "lat", "y"),
    "lng": ("longitude", "lng", "lon", "long", "x"),
    "phone": ("phone", "telephone", "phonenumber", "intake1", "intake", "mainphone"),
    "services": ("services", "service", "servicecodes", "scodes", "typeofcare", "programtype"),
    "website": ("website", "url", "web"),
}
ZIP_RE = re.compile(r"^(\d{1,5})(?:-?(\d{4}))?$")


class DirectoryFileError(ValueError):
    """A directory file we refuse, with the line (or record) and the reason."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def map_headers(header: list[str]) -> dict[str, int]:
    """Our field -> column index, for the columns this file has."""
    keys = [_header_key(h) for h in header]
    found: dict[str, int] = {}
    for field, spellings in HEADERS.items():
        for spelling in spellings:
            if spelling in keys:
                found[field] = keys.index(spelling)
                break
    return found


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252/Latin-1 as spreadsheets save it."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def normalise_zip(value: str) -> str | None:
    """`10001-1234` -> `10001`; `8879` (lost its leading zero) -> `08879`; else None."""
    match = ZIP_RE.match((value or "").strip())
    if not match or not match.group(1):
        return None
    digits = match.group(1)
    return digits.zfill(5) if len(digits) >= 3 else None


def normalise_phone(value: str | None) -> str | None:
    """A US phone as E.164, or None when missing or not a number (the listing is kept)."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _coordinate(value: str | None, limit: float, what: str, line: int) -> float | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise DirectoryFileError(line, f"{what} {text!r} is not a number") from None
    if not -limit <= number <= limit or number != number:
        raise DirectoryFileError(line, f"{what} {text!r} is out of range")
    return number


def build_provider(
    fields: dict[str, str | None],
    *,
    line: int,
    source: str,
    updated: float,
    default_services: tuple[str, ...] = (),
    extra_services: tuple[str, ...] = (),
) -> Provider:
    """One listing from already-mapped fields; raises DirectoryFileError naming `line`."""
    name = " ".join((fields.get("name") or "").split())
    if not name:
        raise DirectoryFileError(line, "no name")
    raw_zip = (fields.get("zip") or "").strip()
    zip_code = normalise_zip(raw_zip) if raw_zip else None
    if raw_zip and zip_code is None:
        raise DirectoryFileError(line, f"ZIP {raw_zip!r} is not a US ZIP code")
    lat = _coordinate(fields.get("lat"), 90, "latitude", line)
    lng = _coordinate(fields.get("lng"), 180, "longitude", line)
    approximate = False
    if lat is None or lng is None or (lat == 0 and lng == 0):
        if not zip_code:
            raise DirectoryFileError(line, "no coordinates and no ZIP to place it by")
        centre = places.zip_centroid(zip_code)
        if centre is None:
            raise DirectoryFileError(line, f"no coordinates and ZIP {zip_code} is unknown")
        lat, lng, approximate = centre.lat, centre.lng, True
    street = " ".join((fields.get("street1") or "").split())
    street2 = " ".join((fields.get("street2") or "").split())
    listed = svc.from_text(fields.get("services")) if fields.get("services") else ()
    services = tuple(s for s in svc.SERVICES if s in listed or s in default_services or s in extra_services)
    name2 = " ".join((fields.get("name2") or "").split())
    return Provider(
        id=provider_id(name, street, zip_code or ""),
        name=name,
        phone=normalise_phone(fields.get("phone")),
        address=", ".join(part for part in (street, street2) if part),
        city=" ".join((fields.get("city") or "").split()),
        state=(fields.get("state") or "").strip().upper()[:2],
        zip=zip_code or "",
        lat=lat,
        lng=lng,
        services=services,
        approximate=approximate,
        source=source,
        updated=updated,
        website=(fields.get("website") or "").strip() or None,
        extra={"site": name2} if name2 else {},
    )


def provider_from_locator_row(row: dict, *, source: str, updated: float, line: int = 0) -> Provider | None:
    """A FindTreatment locator row (`name1`, `street1`, `latitude`, `services[{f1,f2,f3}]`...)."""
    if not isinstance(row, dict):
        return None
    fields = {k: (str(row[k]) if row.get(k) is not None else None) for k in row if k != "services"}
    fields["name"] = fields.get("name1")
    fields["lat"], fields["lng"] = fields.get("latitude"), fields.get("longitude")
    fields["phone"] = fields.get("phone") or fields.get("intake1")
    fields.pop("services", None)
    try:
        provider = build_provider(fields, line=line, source=source, updated=updated)
    except DirectoryFileError:
        if line:
            raise
        return None  # a live answer with one bad row still helps with the others
    from_services = svc.from_locator_services(
        row.get("services") if isinstance(row.get("services"), list) else []
    )
    return Provider(**{**provider.__dict__, "services": from_services})


def read_json(text: str, source: str, updated: float) -> list[Provider]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DirectoryFileError(exc.lineno, f"not valid JSON: {exc.msg}") from None
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise DirectoryFileError(1, "no `rows` list (expected a FindTreatment.gov export)")
    providers = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise DirectoryFileError(number, "record is not an object")
        try:
            provider = provider_from_locator_row(row, source=source, updated=updated, line=number)
        except DirectoryFileError as exc:
            raise DirectoryFileError(number, f"record {number}: {exc.reason}") from None
        providers.append(provider)
    return providers


def read_csv(
    text: str, source: str, updated: float, default_services: tuple[str, ...] = ()
) -> list[Provider]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DirectoryFileError(1, "the file is empty") from None
    except csv.Error as exc:
        raise DirectoryFileError(1, f"unreadable header: {exc}") from None
    columns = map_headers(header)
    if "name" not in columns:
        raise DirectoryFileError(1, f"no name column (expected one of: {', '.join(HEADERS['name'])})")
    if "zip" not in columns and not {"lat", "lng"} <= set(columns):
        raise DirectoryFileError(1, "no ZIP column and no latitude/longitude columns")
    providers = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DirectoryFileError(reader.line_num, f"malformed CSV: {exc}") from None
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines are harmless
        if len(row) > len(header):
            raise DirectoryFileError(line, f"{len(row)} fields, the header has {len(header)}")
        fields = {f: (row[i] if i < len(row) else None) for f, i in columns.items()}
        providers.append(
            build_provider(
                fields, line=line, source=source, updated=updated, default_services=default_services
            )
        )
    return providers


def read_directory_file(
    path: str | Path, source: str | None = None, default_services: tuple[str, ...] = ()
) -> list[Provider]:
    """Every provider in the file, or DirectoryFileError; `default_services` apply to every row."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DirectoryFileError(0, f"cannot read {path.name}: {exc.strerror}") from None
    text = _decode(raw)
    source = source or source_name(path)
    updated = time.time()
    if text.lstrip()[:1] in ("{", "["):
        providers = read_json(text, source, updated)
        if default_services:
            providers = [
                Provider(
                    **{
                        **p.__dict__,
                        "services": tuple(
                            s for s in svc.SERVICES if s in p.services or s in default_services
                        ),
                    }
                )
                for p in providers
            ]
    else:
        providers = read_csv(text, source, updated, default_services)
    if not providers:
        raise DirectoryFileError(1, "no providers in the file")
    return providers


def source_name(path: Path) -> str:
    """The file's stem, as a key-safe name: re-importing the same file replaces its listings."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "import"


def guess_services(path: Path, header: list[str] | None = None) -> tuple[str, ...]:
    """A list of certified opioid treatment programs (OTPs) is, by definition, methadone clinics."""
    stem = path.stem.lower()
    if "opioid-treatment-program" in stem or re.search(r"(^|[^a-z])otp([^a-z]|$)", stem):
        return (svc.METHADONE,)
    return ()
