"""`flask providers import` checks what a row says before it is texted to anyone: a quote that swallows
rows refuses the file, a bare ID column is no name, stray Windows-1252 lines, coordinates far from
their ZIP, phones that do not exist or belong to a fax, and rows a field short or long."""

from __future__ import annotations

import json

import pytest

from config.settings import CONFIG_DIR
from helpline.domain import places
from helpline.domain import result_texts as replies
from helpline.domain.content import Catalog
from helpline.domain.listing_rows import normalise_phone
from helpline.domain.providers import miles_between
from helpline.services import directory_import as importer
from helpline.services.provider_search import find_providers
from tests.directory_fixtures import OTP, SUT

HEADER = "name,street,city,state,zip,phone,latitude,longitude\n"
ALPHA = "Alpha Clinic,1 Main St,Boston,MA,02134,617-555-0101,42.3539,-71.1337\n"
BETA = "Beta Recovery,2 Elm St,Boston,MA,02134,617-555-0102,42.3549,-71.1327\n"
GAMMA = "Gamma Health,3 Oak St,New York,NY,10001,212-555-0103,40.7484,-73.9967\n"
ALLSTON = places.zip_centroid("02134")
CATALOG = Catalog.load(CONFIG_DIR)


def texted(provider) -> str:
    """The listing's line in a result text, as a texter reads it."""
    return replies.provider_line(1, provider, lambda key, **params: CATALOG.render("en", key, **params))


def run(app, *args):
    return app.test_cli_runner().invoke(args=["providers", "import", *args])


def status(app) -> dict:
    return json.loads(app.test_cli_runner().invoke(args=["providers", "status", "--json"]).output)


def listed(helpline, place, limit=10) -> dict:
    return {p.name: p for p in find_providers(helpline, place, limit=limit).providers}


# -- quotes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rows, said",
    [
        (  # opened at a row's start; the last row's quoted field closes it
            '"Open Quote Clinic,1 Q St,Boston,MA,02134,617-555-0170,42.35,-71.13\n'
            + BETA
            + GAMMA.replace("-73.9967", '"-73.9967"'),
            "line 3: a quote opened on this line is closed only on line 5, so lines 3 to 5 read as one field",
        ),
        (  # opened mid-row; a later row's quoted street closes it, the row after it reads on as usual
            'Open Clinic,"1 Q St,Boston,MA,02134,617-555-0170,42.35,-71.13\n'
            + BETA
            + GAMMA
            + 'Delta Health,"4 Oak St",New York,NY,10001,212-555-0104,40.7484,-73.9967\n'
            + "Eps Health,5 Oak St,New York,NY,10001,212-555-0105,40.7484,-73.9967\n",
            "line 3: a quote opened on this line is closed only on line 6, so lines 3 to 6 read as one field",
        ),
        (  # one row swallowed: the open field holds the rest of its own row
            'Open Clinic,"1 Q St,Boston,MA,02134,617-555-0170,42.35,-71.13\n'
            + BETA.replace("2 Elm St", '2 Elm St"')
            + GAMMA,
            "line 3: a quote opened on this line is closed only on line 4",
        ),
        (  # opened in the last column, closed on the next row's street: a row of fourteen fields
            ALPHA.replace("Alpha", "Open").replace("-71.1337", '"-71.13')
            + BETA.replace("2 Elm St", '"2 Elm St"')
            + GAMMA,
            "line 3: a quote opened on this line is closed only on line 4",
        ),
        (  # never closed
            '"Open Quote Clinic,1 Q St,Boston,MA,02134,617-555-0170,42.35,-71.13\n' + BETA + GAMMA,
            "line 3: a quote opened on this line is never closed, so lines 3 to 5 read as one field",
        ),
        (
            '"Open Quote Clinic,1 Q St,Boston,MA,02134\n',
            "line 3: a quote opened on this line is never closed;",
        ),
    ],
)
def test_a_quote_that_swallows_rows_refuses_the_file_at_the_line_it_opened_on(
    app, small_directory, tmp_path, rows, said
):
    path = tmp_path / "quotes.csv"
    path.write_text(HEADER + ALPHA + rows)
    result = run(app, str(path))
    assert result.exit_code == 1
    assert said in result.output and "Nothing was imported." in result.output, result.output
    after = status(app)
    assert set(after["sources"]) == {"test"} and after["total"] == 8


def test_a_quote_opened_early_in_a_big_file_is_found_too(app, tmp_path):
    rows = [line for line in SUT.read_text(encoding="utf-8-sig").splitlines(keepends=True) if '"' not in line]
    rows[500] = '"' + rows[500]  # no later quote closes it: it runs past the CSV reader's field limit
    path = tmp_path / "facilities.csv"
    path.write_text("".join(rows))
    result = run(app, str(path))
    assert result.exit_code == 1
    assert "line 501: a quote opened on this line is not closed in 131,072 characters" in result.output
    assert "Nothing was imported." in result.output and status(app)["sources"] == {}


def test_an_address_over_two_or_three_lines_is_still_one_address(app, helpline, tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text(
        HEADER
        + ALPHA
        + '"Two Line Clinic","1 Q St\nSuite 5",Boston,MA,02134,617-555-0170,42.35,-71.13\n'
        + '"Three Line Clinic","2 Q St\nSuite 6\nRear, Floor 2",Boston,MA,02134,617-555-0171,42.35,-71.13\n'
        + BETA.replace("-71.1327", '"-71.1327\n"')  # a line break in the last field of the last row
    )
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "4 imported, 0 skipped of 4 rows" in result.output
    near = listed(helpline, ALLSTON)
    assert near["Two Line Clinic"].address == "1 Q St Suite 5"
    assert near["Three Line Clinic"].address == "2 Q St Suite 6 Rear, Floor 2"


def test_an_address_of_swallowed_lines_is_too_long_to_be_one(app, helpline, tmp_path):
    swallowed = " ".join(line.rstrip("\n").replace(",", " ") for line in (BETA, GAMMA, BETA, GAMMA))
    path = tmp_path / "long.csv"
    path.write_text(HEADER + ALPHA + f'Open Clinic,"{swallowed}",Boston,MA,02134,617-555-0170,42.35,-71.13\n')
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert f"line 3 (address): an address of {len(swallowed)} characters" in result.output
    assert "1 imported, 1 skipped of 2 rows" in result.output
    assert set(listed(helpline, ALLSTON)) == {"Alpha Clinic"}


# -- name columns ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name_column", ["Facility Name", "Provider Name", "Program Name", "Name"])
def test_a_name_column_wins_over_an_id_column(app, helpline, tmp_path, name_column):
    path = tmp_path / "ids.csv"
    path.write_text(
        f"ID,{name_column},Address,City,State,Zip,Phone\n"
        "101,Lambda Clinic,11 F St,Boston,MA,02134,617-555-0111\n"
        "102,Mu Clinic,12 G St,Boston,MA,02134,617-555-0112\n"
    )
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert set(listed(helpline, ALLSTON)) == {"Lambda Clinic", "Mu Clinic"}


def test_an_id_column_names_listings_only_when_there_is_no_name_column(app, helpline, tmp_path):
    path = tmp_path / "program-ids.csv"
    path.write_text(
        "Program ID,Program Name,Address,City,State,Zip\nA-17,Nu Program,13 H St,Boston,MA,02134\n"
    )
    assert run(app, str(path)).exit_code == 0
    assert set(listed(helpline, ALLSTON)) == {"Nu Program"}
    names = {p.name for p in importer.read_directory_file(OTP).providers}  # its `ID` column is the name
    assert {"14th St. Clinic", "11100 Billingsley Road OPCO LLC"} <= names


# -- encodings ------------------------------------------------------------------------------------


def test_one_windows_1252_line_in_a_utf8_file_leaves_the_other_lines_utf8(app, helpline, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"name,street,city,state,zip\n"
        + "Asociación Puertorriqueños en Marcha,1 Calle,San Juan,PR,00901\n".encode()
        + "Clínica Señora,2 Calle,San Juan,PR,00901\n".encode("cp1252")
        + "Hogar Posada la Victoria,Hectómetro 7,San Juan,PR,00901\n".encode()
    )
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "3 imported, 0 skipped of 3 rows" in result.output
    near = listed(helpline, places.zip_centroid("00901"))
    assert set(near) == {"Asociación Puertorriqueños en Marcha", "Clínica Señora", "Hogar Posada la Victoria"}
    assert near["Hogar Posada la Victoria"].address == "Hectómetro 7"
    found = importer.read_directory_file(path)
    assert found.cp1252_lines == 1 and status(app)["sources"]["mixed"]["imported"] == 3
    assert "1 line read as Windows-1252 (cp1252): not UTF-8 like the rest." in found.notes()


def test_the_real_files_say_what_was_read_as_windows_1252():
    assert importer.read_directory_file(SUT).notes() == [
        "8 placed at their ZIP: their coordinates were far from it."
    ]
    otp = importer.read_directory_file(OTP)
    assert otp.notes() == ["1 line read as Windows-1252 (cp1252): not UTF-8 like the rest."]
    assert any(p.name.startswith("Clínica de Tratamiento Integral") for p in otp.providers)


# -- coordinates far from the ZIP -----------------------------------------------------------------

# Houston's ZIP, San Antonio's coordinates
AAMA = "AAMA Inc,Selena Outpatient,204 Clifton Street,Houston,TX,77011,29.4271194,-98.5206545\n"


def test_coordinates_far_from_the_zip_and_city_put_the_listing_at_its_zip(app, helpline, tmp_path):
    path = tmp_path / "far.csv"
    path.write_text(
        "name1,name2,street1,city,state,zip,latitude,longitude\n"
        + AAMA
        + "Near Clinic,,100 Main St,Houston,TX,77011,29.7400,-95.3100\n"
        # the ZIP is Vermont's, the coordinates Middletown's: the coordinates are kept
        + "Connecticut Valley Hospital,,1000 Silver Street,Middletown,CT,05457,41.5577922,-72.62117502\n"
    )
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "3 imported, 0 skipped of 3 rows; 1 approximate" in result.output
    san_antonio = find_providers(helpline, places.zip_centroid("78207"), limit=5).providers
    assert [p for p in san_antonio if p.name == "AAMA Inc" and p.miles < 50] == []
    houston = listed(helpline, places.zip_centroid("77011"))
    aama = houston["AAMA Inc"]
    assert aama.approximate and aama.miles < 1 and not houston["Near Clinic"].approximate
    assert "~0.0 mi" in texted(aama)
    middletown = listed(helpline, places.city_centroid("Middletown", "CT"))["Connecticut Valley Hospital"]
    assert not middletown.approximate and middletown.lat == 41.5577922
    found = importer.read_directory_file(path)
    assert found.far_from_zip == 1
    assert found.notes() == ["1 placed at their ZIP: their coordinates were far from it."]


def test_real_listings_far_from_their_zip_are_placed_at_it(app):
    result = run(app, str(SUT))
    assert result.exit_code == 0, result.output
    assert "14,034 imported, 0 skipped of 14,034 rows; 8 approximate" in result.output
    found = importer.read_directory_file(SUT)
    aama = next(p for p in found.providers if p.name == "AAMA Inc" and p.zip == "77011")
    houston = places.zip_centroid("77011")
    assert aama.approximate and (aama.lat, aama.lng) == (houston.lat, houston.lng)
    assert aama.extra["file_point"] == [29.4271194, -98.5206545]
    for p in found.providers:  # every other listing is within 50 miles of its ZIP or its city
        centre = places.zip_centroid(p.zip)
        if centre and not p.approximate and miles_between(p.lat, p.lng, centre.lat, centre.lng) > 50:
            town = places.city_centroid(p.city, p.state)
            assert town and miles_between(p.lat, p.lng, town.lat, town.lng) <= 50, p
    otp = {p.name: p for p in importer.read_directory_file(OTP).providers}
    hospital = next(p for p in otp.values() if p.name.startswith("Connecticut Valley Hospital"))
    for listing in (hospital, otp["Jacksonville Treatment Center"]):
        assert not listing.approximate  # a wrong ZIP, right coordinates: kept where they are


# -- phones ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, phone",
    [
        ("111-111-1111", None),
        ("123-456-7890", None),
        ("999-999-9999", None),
        ("555-555-5555", None),
        ("617-555-0132 ext. 12", "+16175550132 ext. 12"),
        ("617-555-0133 x12", "+16175550133 ext. 12"),
        ("(617) 555-0134 ext 4", "+16175550134 ext. 4"),
        ("Fax: 617-555-0199; Phone: 617-555-0100", "+16175550100"),
        ("Fax 617-555-0198 Phone 617-555-0101", "+16175550101"),
        ("617-555-0197 (fax), 617-555-0102", "+16175550102"),
        ("Fax: 617-555-0196", None),
        ("617-555-0195 / 123-456-7890", "+16175550195"),
        ("123-456-7890 / 617-555-0194", "+16175550194"),
        ("1-800-662-4357", "+18006624357"),
    ],
)
def test_a_listing_phone_is_a_number_that_exists_with_its_extension_never_a_fax(
    app, helpline, tmp_path, written, phone
):
    path = tmp_path / "phones.csv"
    path.write_text(f'name,street,city,state,zip,phone\nPhone Clinic,1 P St,Boston,MA,02134,"{written}"\n')
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert f"{0 if phone else 1} without a phone" in result.output
    clinic = listed(helpline, ALLSTON)["Phone Clinic"]
    assert clinic.phone == phone
    assert normalise_phone(written) == (phone.split(" ext. ")[0] if phone else None)  # the number to call
    if phone and " ext. " in phone:
        assert f"ext. {phone.split(' ext. ')[1]}" in texted(clinic)


# -- rows a field short or long -------------------------------------------------------------------


def test_a_row_a_field_short_or_long_says_how_many_fields_it_has(app, helpline, tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text(
        HEADER
        + "Iota Clinic,9 D St,Boston,02134,617-555-0109,42.35,-71.13\n"  # line 2: no state
        + "10 E St,Boston,MA,02134,617-555-0110,42.35,-71.13\n"  # line 3: no name, the rest moved left
        + "Kappa Clinic,11 F St,Boston,MA,MA,02134,617-555-0111,42.35,-71.13\n"  # line 4: the state twice
        + "Lambda Clinic,12 G St,Boston,MA,02134,617-555-0112\n"  # no coordinates: placed at its ZIP
        + ALPHA
    )
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "2 imported, 3 skipped of 5 rows; 1 approximate" in result.output
    assert "line 2 (-): 7 fields, the header has 8" in result.output
    assert "line 3 (-): 7 fields, the header has 8" in result.output
    assert "line 4 (-): 9 fields, the header has 8" in result.output
    assert "is not a US ZIP code" not in result.output
    assert set(listed(helpline, ALLSTON)) == {"Lambda Clinic", "Alpha Clinic"}
