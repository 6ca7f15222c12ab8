"""`flask providers import`: real SAMHSA files, messy files whose good rows go in, one listing per clinic."""

from __future__ import annotations

import json
import threading

import pytest

from helpline import create_app
from helpline.domain import places
from helpline.domain.same_clinic import merge_sources
from helpline.services import directory_import as importer
from helpline.services.provider_search import find_providers
from helpline.store import Keys
from helpline.store import directory as repository
from tests.directory_fixtures import MESSY, NEAR_10001, OTP, SHARED_DATA, SUT, real_rows, write_csv, zip_of

SAMPLE = SHARED_DATA / "findtreatment-locator-sample.json"
SITES, PHONES = MESSY / "messy-sites.csv", MESSY / "messy-phones.csv"
NYC = places.zip_centroid("10001")
# Real OTP rows whose ZIP the ZIP data does not know (they carry coordinates in the file).
UNKNOWN_ZIP_CITIES = {"West Allis", "Cleveland", "East Meadow", "Baltimore", "Vallejo", "Fullerton"}


def run(app, *args):
    return app.test_cli_runner().invoke(args=["providers", *args])


def status(app) -> dict:
    result = run(app, "status", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_real_samhsa_files_import_and_the_same_clinic_in_both_is_one_listing(app, helpline):
    result = run(app, "import", str(SUT))
    assert result.exit_code == 0, result.output
    assert "14,034 imported, 0 skipped of 14,034 rows" in result.output
    assert "13,763 listings" in result.output  # a site listed once per program is one listing
    result = run(app, "import", str(OTP))
    assert result.exit_code == 0, result.output
    assert "1,831 imported, 0 skipped" in result.output and "all offering methadone" in result.output
    state = status(app)
    sut = state["sources"]["substance-use-treatment-geocoded"]
    otp = state["sources"]["opioid-treatment-programs-geocoded"]
    assert sut["count"] == 13763 and otp["count"] == 1830
    assert otp["merged"] == sut["merged"] > 1200  # most OTPs are also in the facilities file
    assert state["total"] == 13763 + 1830 - otp["merged"] and state["merged"] == otp["merged"]
    # Every OTP, merged or not, offers methadone; those inside jails and prisons are not offered.
    jails = repository.meta(helpline.store._r)["held_there"]
    assert 15 <= jails <= 20 and state["services"]["methadone"] == 1830 - jails
    held = helpline.store._r.hlen(Keys.directory_providers(state["version"]))
    assert held == state["total"] == 14231 and state["without_phone"] == held  # each clinic once, no phones
    assert f"The directory now holds {held:,} listings" in result.output
    found = find_providers(helpline, places.zip_centroid("26059"), service="methadone")
    assert not found.fallback and any(p.name.startswith("Wheeling Treatment") for p in found.providers)
    assert state["oldest_import_age_seconds"] < 60
    near = repository.nearby(helpline.store._r, NYC.lat, NYC.lng, "methadone", (10,), 3)
    assert len(near.providers) == 3 and near.more
    assert all("methadone" in p.services for p in near.providers) and near.providers[0].miles < 1.5


def test_a_latin1_otp_file_keeps_its_spanish_names():
    found = importer.read_directory_file(OTP)
    assert any("Clínica" in p.name for p in found.providers)
    fixed = [p for p in found.providers if p.zip == "08879"]  # POSTAL "8879" lost its leading zero
    assert fixed and fixed[0].state == "NJ"
    assert all(len(p.zip) == 5 for p in found.providers)  # ZIP+4 cut to five digits


def test_real_rows_with_unknown_zips_and_no_coordinates_are_placed_at_their_city(app, helpline, tmp_path):
    unknown = lambda row: places.zip_centroid(zip_of(row)) is None  # noqa: E731
    path = real_rows(OTP, tmp_path / "otp-no-coordinates.csv", lambda row: True, blank_coordinates=unknown)
    result = run(app, "import", str(path))
    assert result.exit_code == 0, result.output
    assert "1,831 imported, 0 skipped" in result.output and "7 approximate" in result.output
    placed = [p for p in importer.read_directory_file(path).providers if p.approximate]
    assert {p.city for p in placed} == UNKNOWN_ZIP_CITIES
    west_allis = next(p for p in placed if p.city == "West Allis")
    assert places.city_centroid("West Allis", "WI").lat == west_allis.lat
    found = find_providers(helpline, places.zip_centroid("53214"), limit=1)  # a West Allis ZIP it knows
    assert found.providers[0].city == "West Allis" and found.providers[0].approximate


def test_a_messy_file_imports_its_good_rows_and_reports_every_bad_line_at_once(app):
    result = run(app, "import", str(SITES))
    assert result.exit_code == 0, result.output
    assert "8 imported, 5 skipped of 13 rows; 3 approximate" in result.output
    for line in (
        "line 7 (zip): ZIP 99999 is unknown and Springfield, XX is not a known city",
        "line 8 (name): no name",
        "line 9 (latitude): latitude 'north' is not a number",
        "line 11 (-): 11 fields, the header has 10",
        "line 15 (zip): ZIP 'ABCDE' is not a US ZIP code",
    ):
        assert line in result.output
    source = status(app)["sources"]["messy-sites"]
    assert (source["rows"], source["imported"], source["skipped"], source["approximate"]) == (13, 8, 5, 3)
    assert source["count"] == 7 and source["duplicates"] == 1  # "20 Park Dr" and "20 Park Drive"
    assert [p[0] for p in source["problems"]] == [7, 8, 9, 11, 15]


def test_strict_refuses_a_file_with_bad_rows_and_lists_them_all(app, small_directory):
    result = run(app, "import", "--strict", str(SITES))
    assert result.exit_code != 0
    assert "5 of 13 rows are bad" in result.output and "nothing was imported" in result.output
    assert result.output.count("line ") == 5
    assert set(status(app)["sources"]) == {"test"}


def test_messy_values_are_read_as_meant(tmp_path):
    by_name = {p.name: p for p in importer.read_directory_file(SITES).providers}
    affiliates = by_name["Affiliates for Consultation and Psychotherapy"]  # one name over two columns
    assert affiliates.zip == "02115" and affiliates.approximate  # "2115": a lost leading zero
    assert by_name["Back Bay Counseling and Wellness Inc"]  # no stray comma
    assert by_name["Fenway Recovery Center"].zip == "02115"  # ZIP+4 in the ZIP column
    san_juan = by_name["Clinica Bayamon Norte"]
    assert san_juan.zip == "00901" and abs(san_juan.lat - 18.47) < 0.1
    phones = {p.name: p.phone for p in importer.read_directory_file(PHONES).providers}
    assert phones["Clínica Bayamón Norte"] == "+17875550103"  # Latin-1 file, +1 787 555 0103
    assert phones["Beverly Hills Treatment"] == "+13105550105"  # the first of two
    assert phones["Back Bay Counseling & Wellness"] == "+16175550102 ext. 3"  # "617-555-0102 x3"
    assert phones["Harlem Outreach"] is None and phones["Bronx Local"] is None  # "not listed", no area code


def test_the_same_clinics_in_two_messy_files_become_one_listing_each_with_the_phone(app, helpline):
    assert run(app, "import", str(SITES)).exit_code == 0
    result = run(app, "import", str(PHONES))
    assert result.exit_code == 0, result.output
    assert "6 merged with another source's listing" in result.output
    state = status(app)
    assert state["merged"] == 6 and state["total"] == 7 + 8 - 6
    boston = find_providers(helpline, places.zip_centroid("02115"), limit=5).providers
    names = [p.name for p in boston]
    assert len([n for n in names if n.startswith("Affiliates")]) == 1
    assert len([n for n in names if n.startswith("Fenway")]) == 1
    assert all(p.phone for p in boston)  # each kept the phone only the second file had
    fenway = next(p for p in boston if p.name.startswith("Fenway"))
    assert not fenway.approximate  # the first file's coordinates beat the second's ZIP centre
    san_juan = find_providers(helpline, places.zip_centroid("00901"), service="bupe").providers
    assert san_juan[0].services == ("methadone", "buprenorphine")


def test_reimporting_a_source_replaces_it_and_keeps_the_others(app, helpline, tmp_path):
    virginia = importer.read_directory_file(SAMPLE)
    assert (virginia.rows, len(virginia.providers)) == (30, 24)  # one site listed twice is one listing
    assert run(app, "import", str(write_csv(tmp_path / "city.csv"))).exit_code == 0
    assert run(app, "import", str(SAMPLE), "--source", "virginia").exit_code == 0
    assert status(app)["total"] == 8 + 24
    assert run(app, "import", str(write_csv(tmp_path / "city.csv", NEAR_10001[:2]))).exit_code == 0
    state = status(app)
    assert state["total"] == 2 + 24 and state["sources"]["city"]["count"] == 2
    near = repository.nearby(helpline.store._r, NYC.lat, NYC.lng, "all", (100,), 10).providers
    assert {p.name for p in near} == {"Chelsea Methadone Clinic", "Midtown Pain Care"}


def test_a_findtreatment_json_export_keeps_phones_and_services():
    providers = importer.read_directory_file(SAMPLE).providers
    region_ten = providers[0]
    assert region_ten.name == "Region Ten Community Services Board" and region_ten.site == "Mohr Center"
    assert region_ten.phone == "+14349798871"
    assert "residential" in region_ten.services
    assert [p for p in providers if "buprenorphine" in p.services]


@pytest.mark.parametrize(
    "content, line, reason",
    [
        ("street,zip\n1 Main St,10001\n", 1, "no name column"),
        ("name,phone\nA,212-555-0100\n", 1, "no ZIP, city or latitude/longitude"),
        ("", 1, "empty"),
        ("name,zip\n", 1, "no providers"),
        ("name,zip\n,10001\nB,00000\n", 1, "no providers in the file (2 rows skipped)"),
        ('{"page": 1}', 1, "no `rows` list"),
        ('{"rows": [', 1, "not valid JSON"),
    ],
)
def test_a_file_that_is_no_directory_names_why_and_imports_nothing(
    app, small_directory, tmp_path, content, line, reason
):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = run(app, "import", str(path))
    assert result.exit_code != 0
    assert f"line {line}: " in result.output and reason in result.output, result.output
    assert "Nothing was imported" in result.output
    after = status(app)
    assert after["total"] == 8 and set(after["sources"]) == {"test"}


def test_bad_records_of_a_json_export_are_skipped_by_record_number(app, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"rows": [{"name1": "A", "zip": "10001"}, {"zip": "10001"}, "junk"]}))
    result = run(app, "import", str(path))
    assert result.exit_code == 0, result.output
    assert "record 2 (name): no name" in result.output and "record 3 (record)" in result.output


def test_searches_during_an_import_never_see_half_a_directory(helpline, small_directory):
    r = helpline.store._r
    seen: list[tuple[int, bool]] = []
    done = threading.Event()

    def search_while_importing():
        while not done.is_set():
            near = repository.nearby(r, NYC.lat, NYC.lng, "all", (10,), 3)
            seen.append((len(near.providers), near.more))

    reader = threading.Thread(target=search_while_importing)
    reader.start()
    try:
        repository.replace_source(r, "test", importer.read_directory_file(SUT).providers, SUT.name)
    finally:
        done.set()
        reader.join()
    assert seen and set(seen) == {(3, True)}  # always a full answer, from one version or the other


def test_hide_and_unhide_from_the_command_line(app, small_directory):
    chelsea = next(p for p in small_directory if p.name == "Chelsea Methadone Clinic")
    assert run(app, "hide", chelsea.id, "--reason", "closed").exit_code == 0
    assert status(app)["hidden"] == 1
    assert run(app, "hide", "nope", "--reason", "x").exit_code != 0
    assert run(app, "unhide", chelsea.id).exit_code == 0
    assert status(app)["hidden"] == 0


def test_a_hidden_clinic_stays_hidden_when_another_file_lists_it_too(app, helpline):
    assert run(app, "import", str(PHONES)).exit_code == 0
    fenway = next(p for p in importer.read_directory_file(PHONES).providers if p.name.startswith("Fenway"))
    assert run(app, "hide", fenway.id, "--reason", "closed").exit_code == 0
    assert run(app, "import", str(SITES)).exit_code == 0  # merges a second record into the listing
    boston = find_providers(helpline, places.zip_centroid("02115"), limit=8).providers
    assert not [p for p in boston if p.name.startswith("Fenway")]
    assert status(app)["hidden"] == 1


def test_status_of_an_empty_directory_reads_plainly(app):
    result = run(app, "status")
    assert result.exit_code == 0
    assert "Directory: empty (nothing imported; searches use the live locator)" in result.output
    assert "Locator:" in result.output and "breaker closed" in result.output


def test_status_with_the_locator_switched_off_says_searches_find_nothing(settings):
    result = run(create_app(settings.with_overrides(findtreatment_api_url="off")), "status")
    assert "Directory: empty (nothing imported; searches find nothing)" in result.output
    assert "Locator: off breaker disabled" in result.output


def test_status_shows_skipped_approximate_and_merged_figures(app):
    run(app, "import", str(SITES))
    run(app, "import", str(PHONES))
    result = run(app, "status")
    assert "Directory: 9 listings, 6 source listings merged" in result.output
    assert "source messy-sites: 7 listings from messy-sites.csv" in result.output
    assert "13 rows, 8 imported, 5 skipped, 3 approximate, 7 without phone, 6 merged" in result.output


def test_the_ops_directory_page_shows_the_same_figures_and_the_skipped_lines(app, operator_client):
    run(app, "import", str(SITES))
    page = operator_client.get("/ops/directory").get_data(as_text=True)
    assert 'data-testid="skipped-messy-sites">5<' in page
    assert 'data-testid="approximate-messy-sites">3<' in page
    assert "line 9 (latitude): latitude &#39;north&#39; is not a number" in page


def test_the_same_clinic_in_two_files_is_one_listing_with_both_services(app, helpline, tmp_path):
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
    (clinic,) = repository.nearby(helpline.store._r, NYC.lat, NYC.lng, "all", (10,), 5).providers
    assert clinic.services == ("methadone", "outpatient")
    assert clinic.phone == "+12125550199"
    assert clinic.approximate is False  # the file with coordinates wins over a ZIP centre


def test_a_missing_file_is_refused_plainly(app, tmp_path):
    result = run(app, "import", str(tmp_path / "nope.csv"))
    assert result.exit_code != 0 and "does not exist" in result.output


def test_merging_gives_the_same_listings_whatever_order_the_rows_come_in():
    sites = importer.read_directory_file(SITES).providers
    phones = importer.read_directory_file(PHONES).providers
    forward = merge_sources({"sites": sites, "phones": phones})
    backward = merge_sources({"sites": sites[::-1], "phones": phones[::-1]})
    assert sorted(p.id for p in forward.listings) == sorted(p.id for p in backward.listings)
    assert forward.folded == backward.folded == 6
