"""Directory fixtures: a small hand-made directory, real SAMHSA rows near four cities, messy files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from helpline.services import directory_import as importer
from helpline.store import directory as repository
from tests.findtreatment_fixtures import findtreatment_fake, findtreatment_server  # noqa: F401

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SUT = SHARED_DATA / "substance-use-treatment-geocoded.csv"
OTP = SHARED_DATA / "opioid-treatment-programs-geocoded.csv"
MESSY = Path(__file__).resolve().parent / "data"

# Around Manhattan (10001 is at 40.7506, -73.9972): distances grow down the list.
NEAR_10001 = [
    # name, street, zip, lat, lng, phone, services
    ("Chelsea Methadone Clinic", "1 W 29th St", "10001", 40.7466, -73.9880, "212-555-0101", "methadone"),
    ("Midtown Pain Care", "200 W 34th St", "10001", 40.7510, -73.9900, "212-555-0102", "pain"),
    ("Hudson Recovery", "30 Hudson Yards", "10001", 40.7540, -74.0010, "", "outpatient"),
    ("Village Bupe Program", "10 Bleecker", "10012", 40.7260, -73.9950, "212-555-0104", "bupe; outpatient"),
    ("Harlem Naltrexone Center", "100 W 125th St", "10027", 40.8090, -73.9470, "212-555-0105", "naltrexone"),
    ("Newark Treatment", "1 Broad St", "07102", 40.7360, -74.1720, "973-555-0106", "methadone, detox"),
    ("Trenton Residential", "1 State St", "08608", 40.2200, -74.7650, "609-555-0107", "residential"),
    ("Philadelphia Pain Clinic", "1 Market St", "19106", 39.9500, -75.1440, "215-555-0108", "pain"),
]
HEADER = ["name1", "street1", "zip", "latitude", "longitude", "phone", "services", "city", "state"]


def write_csv(path: Path, rows=NEAR_10001) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for name, street, zip_code, lat, lng, phone, services in rows:
            writer.writerow([name, street, zip_code, lat, lng, phone, services, "New York", "NY"])
    return path


@pytest.fixture
def small_directory(app, tmp_path):
    """Eight providers from Manhattan to Philadelphia, imported as source `test`."""
    path = write_csv(tmp_path / "test.csv")
    providers = importer.read_directory_file(path, source="test").providers
    repository.replace_source(app.extensions["helpline"].store._r, "test", providers, path.name)
    return providers


def real_rows(source: Path, out: Path, keep, *, blank_coordinates=lambda row: False) -> Path:
    """The rows of a real SAMHSA CSV that `keep(row)` selects, written to `out` in the same layout
    (coordinates blanked where `blank_coordinates(row)`)."""
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, reader.fieldnames)
        writer.writeheader()
        for row in reader:
            if keep(row):
                if blank_coordinates(row):
                    row.update({k: "" for k in row if k.lower() in ("latitude", "longitude")})
                writer.writerow(row)
    return out


def zip_of(row: dict) -> str:
    return (row.get("zip") or row.get("POSTAL") or "").split("-")[0].zfill(5)


@pytest.fixture
def real_directory(app, tmp_path):
    """Real SAMHSA listings (no phones, no services) around Boston, New York, San Juan and Beverly Hills."""
    near = ("021", "100", "009", "902")
    path = real_rows(SUT, tmp_path / "samhsa-near.csv", lambda row: zip_of(row).startswith(near))
    found = importer.read_directory_file(path, source="samhsa")
    repository.replace_source(app.extensions["helpline"].store._r, "samhsa", found.providers, path.name)
    return found.providers
