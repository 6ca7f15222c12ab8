"""`flask providers import`: real SAMHSA files, messy files that still import, bad files that don't."""

from __future__ import annotations

import json
import threading

import pytest

from helpline import create_app
from helpline.domain import places
from helpline.services import directory_import as importer
from helpline.store import directory as repository
from tests.conftest import SHARED_DATA

SUT = SHARED_DATA / "substance-use-treatment-geocoded.csv"
OTP = SHARED_DATA / "opioid-treatment-programs-geocoded.csv"
SAMPLE = SHARED_DATA / "findtreatment-locator-sample.json"
NYC = places.zip_centroid("10001")


def run(app, *args):
    return app.test_cli_runner().invoke(args=["providers", *args])


def status(app) -> dict:
    result = run(app, "status", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_real_samhsa_files_import_and_answer_searches(app):
    result = run(app, "import", str(SUT))
    assert result.exit_code == 0, result.output
    assert "Imported 14034 rows" in result.output
    assert "as 13763 providers" in result.output  # a site listed once per program is one listing
    result = run(app, "import", str(OTP))
    assert result.exit_code == 0, result.output
    assert "all offering methadone" in result.output  # a list of OTPs is a list of methadone clinics
    state = status(app)
    assert state["sources"]["substance-use-treatment-geocoded"]["count"] == 13763
    otps = state["sources"]["opioid-treatment-programs-geocoded"]["count"]
    assert 1800 < otps <= 1831
    assert state["services"]["methadone"] == otps
    assert state["oldest_import_age_seconds"] < 60
    r = app.extensions["helpline"].store.r
    near = repository.nearby(r, NYC.lat, NYC.lng, "methadone", (10,), 3).providers
    assert len(near) == 4 and all("methadone" in p.services for p in near)
    assert near[0].miles < 1.5


def test_a_latin1_otp_file_keeps_its_spanish_names(app):
    providers = importer.read_directory_file(OTP)
    assert any("Clínica" in p.name for p in providers)
    fixed = [p for p in providers if p.zip == "08879"]  # POSTAL "8879" lost its leading zero
    assert fixed and fixed[0].state == "NJ"
    assert all(len(p.zip) == 5 for p in providers)  # ZIP+4 cut to five digits


def test_reimporting_a_source_replaces_it_and_keeps_the_others(app, tmp_path):
    from tests.directory_fixtures import NEAR_10001, write_csv

    r = app.extensions["helpline"].store.r
    virginia = len({p.id for p in importer.read_directory_file(SAMPLE)})  # one site listed twice is one
    assert virginia == 24
    assert run(app, "import", str(write_csv(tmp_path / "city.csv"))).exit_code == 0
    assert run(app, "import", str(SAMPLE), "--source", "virginia").exit_code == 0
    assert status(app)["total"] == 8 + virginia
    assert run(app, "import", str(write_csv(tmp_path / "city.csv", NEAR_10001[:2]))).exit_code == 0
    state = status(app)
    assert state["total"] == 2 + virginia
    assert state["sources"]["city"]["count"] == 2
    assert {p.name for p in repository.nearby(r, NYC.lat, NYC.lng, "all", (100,), 10).providers} == {
        "Chelsea Methadone Clinic",
        "Midtown Pain Care",
    }


def test_a_findtreatment_json_export_keeps_phones_and_services(app):
    providers = importer.read_directory_file(SAMPLE)
    assert len(providers) == 30
    region_ten = providers[0]
    assert region_ten.name == "Region Ten Community Services Board"
    assert region_ten.phone == "+14349798871"
    assert "residential" in region_ten.services
    bupe = [p for p in providers if "buprenorphine" in p.services]
    assert bupe, "Buprenorphine in the locator's services must be recognised"


MESSY = (
    "\ufeffFacility Name,Address,City,ST,Postal Code,Telephone,Lat,Lon\r\n"
    '"Smith, Jones & Co Recovery","1 Main St, Suite 2",Boston,MA,2108,(617) 555-0100,42.357,-71.064\r\n'
    "Cape Cod Care,2 Sea Rd,Hyannis,MA,02601-1234,,,\r\n"
    "\r\n"
    "Berkshire Bupe,3 Hill Rd,Pittsfield,MA,01201,not a phone,42.45,-73.25\r\n"
)


def test_a_messy_csv_still_imports(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_bytes(MESSY.encode("utf-8"))
    boston, cape, berkshire = importer.read_directory_file(path)
    assert boston.name == "Smith, Jones & Co Recovery" and boston.address == "1 Main St, Suite 2"
    assert boston.zip == "02108" and boston.phone == "+16175550100" and not boston.approximate
    assert cape.zip == "02601" and cape.phone is None
    assert cape.approximate and abs(cape.lat - 41.65) < 0.1  # placed at its ZIP's centre
    assert berkshire.phone is None  # kept, marked: no usable phone


@pytest.mark.parametrize(
    "content, line, reason",
    [
        ("name,zip\nA,10001\n,10002\n", 3, "no name"),
        (
            "name,zip,lat,lng\nA,10001,40.7,-74.0\nB,10001,north,-74.0\n",
            3,
            "latitude 'north' is not a number",
        ),
        ("name,zip,lat,lng\nA,10001,40.7,-274.0\n", 2, "out of range"),
        ("name,zip\nA,10001\nB,ABCDE\n", 3, "not a US ZIP code"),
        ("name,zip\nA,10001\nB,\n", 3, "no coordinates and no ZIP"),
        ("name,zip\nA,00000\n", 2, "ZIP 00000 is unknown"),
        ("street,zip\n1 Main St,10001\n", 1, "no name column"),
        ("name,city\nA,Boston\n", 1, "no ZIP column"),
        ("name,zip\nA,10001,extra,fields\n", 2, "4 fields, the header has 2"),
        ("", 1, "empty"),
        ("name,zip\n", 1, "no providers"),
        ('{"rows": [{"name1": "A", "zip": "10001"}, {"zip": "10001"}]}', 2, "record 2: no name"),
        ('{"page": 1}', 1, "no `rows` list"),
        ('{"rows": [', 1, "not valid JSON"),
    ],
)
def test_a_bad_file_names_the_line_and_imports_nothing(app, small_directory, tmp_path, content, line, reason):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    before = status(app)
    result = run(app, "import", str(path))
    assert result.exit_code != 0
    assert f"line {line}: " in result.output and reason in result.output, result.output
    assert "Nothing was imported" in result.output
    after = status(app)
    assert after["total"] == before["total"] == 8 and after["sources"].keys() == before["sources"].keys()


def test_searches_during_an_import_never_see_half_a_directory(app, small_directory):
    r = app.extensions["helpline"].store.r
    seen: list[int] = []
    done = threading.Event()

    def search_while_importing():
        while not done.is_set():
            seen.append(len(repository.nearby(r, NYC.lat, NYC.lng, "all", (10,), 3).providers))

    reader = threading.Thread(target=search_while_importing)
    reader.start()
    try:
        big = importer.read_directory_file(SUT)
        repository.replace_source(r, "test", big, SUT.name)  # replaces the 8 with 14,034
    finally:
        done.set()
        reader.join()
    assert seen and min(seen) == 4  # always a full answer (need + 1), from one version or the other


def test_hide_and_show_from_the_command_line(app, small_directory):
    chelsea = next(p for p in small_directory if p.name == "Chelsea Methadone Clinic")
    assert run(app, "hide", chelsea.id, "--reason", "closed").exit_code == 0
    assert status(app)["hidden"] == 1
    assert run(app, "hide", "nope", "--reason", "x").exit_code != 0
    assert run(app, "show", chelsea.id).exit_code == 0
    assert status(app)["hidden"] == 0


def test_status_of_an_empty_directory_reads_plainly(app):
    result = run(app, "status")
    assert result.exit_code == 0
    assert "Directory: empty (nothing imported; searches use the live locator)" in result.output
    assert "Locator:" in result.output and "breaker closed" in result.output


def test_status_with_the_locator_switched_off_says_searches_find_nothing(settings):
    result = run(create_app(settings.with_overrides(findtreatment_api_url="off")), "status")
    assert "Directory: empty (nothing imported; searches find nothing)" in result.output
    assert "Locator: off breaker disabled" in result.output


def test_the_same_clinic_in_two_files_is_one_listing_with_both_services(app, tmp_path):
    otp = tmp_path / "otp-list.csv"
    otp.write_text(
        "ID,ADDRESS,CITY,STATE,POSTAL\nWest Midtown Management Group,311 West 35th St.,New York,NY,10001\n"
    )
    sut = tmp_path / "facilities.csv"
    sut.write_text(
        "name1,street1,city,state,zip,phone,services,latitude,longitude\n"
        'West Midtown Management Group Inc,"311 West 35th Street, 2nd Floor",New York,NY,10001,'
        "212-555-0199,outpatient,40.7535,-73.9945\n"
    )
    assert run(app, "import", str(otp)).exit_code == 0
    assert run(app, "import", str(sut)).exit_code == 0
    r = app.extensions["helpline"].store.r
    (clinic,) = repository.nearby(r, NYC.lat, NYC.lng, "all", (10,), 5).providers
    assert clinic.services == ("methadone", "outpatient")
    assert clinic.phone == "+12125550199"
    assert clinic.approximate is False  # the file with coordinates wins over a ZIP centre


def test_a_missing_file_is_refused_plainly(app, tmp_path):
    result = run(app, "import", str(tmp_path / "nope.csv"))
    assert result.exit_code != 0 and "does not exist" in result.output
