"""`flask providers import` on files as operators really get them: other separators, encodings and
layouts import their good rows; files that are no export at all are refused in one sentence."""

from __future__ import annotations

import csv
import io
import json

import pytest

from helpline.domain import places
from helpline.services import directory_import as importer
from helpline.services.provider_search import find_providers
from tests.directory_fixtures import SHARED_DATA, SUT

SAMPLE = SHARED_DATA / "findtreatment-locator-sample.json"
BOSTON = places.zip_centroid("02115")


def run(app, *args):
    return app.test_cli_runner().invoke(args=["providers", "import", *args])


def sources(app) -> dict:
    result = app.test_cli_runner().invoke(args=["providers", "status", "--json"])
    return json.loads(result.output)["sources"]


def real_rows(count: int = 25) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows of the real SAMHSA facilities file."""
    rows = list(csv.reader(io.StringIO(SUT.read_text(encoding="utf-8-sig"), newline="")))
    return rows[0], rows[1 : count + 1]


def as_csv(header, rows, separator=",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    "name, content, said",
    [
        ("semicolons.csv", lambda h, r: as_csv(h, r, ";").encode(), "Read as semicolon-separated."),
        ("tabs.tsv", lambda h, r: as_csv(h, r, "\t").encode(), "Read as tab-separated."),
        ("excel-sep.csv", lambda h, r: ("sep=;\n" + as_csv(h, r, ";")).encode(), "semicolon-separated"),
        # Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated
        ("unicode.txt", lambda h, r: ("\ufeff" + as_csv(h, r, "\t")).encode("utf-16-le"), "tab-separated"),
        (
            "title.csv",
            lambda h, r: ("SAMHSA facilities,,\nExported 2024,,\n" + as_csv(h, r)).encode(),
            "line 3",
        ),
        ("blank-first.csv", lambda h, r: ("\n\n" + as_csv(h, r)).encode(), "header is on line 3"),
    ],
)
def test_real_rows_import_whatever_the_separator_encoding_or_title_lines(app, tmp_path, name, content, said):
    header, rows = real_rows()
    path = tmp_path / name
    path.write_bytes(content(header, rows))
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "25 imported, 0 skipped of 25 rows" in result.output and said in result.output


def test_other_header_spellings_and_column_orders_are_read(app, helpline, tmp_path):
    path = tmp_path / "renamed.csv"
    path.write_text(
        "Phone Number,LAT,Lon,Provider Name,Street Address,City,ST,ZIP Code,Notes\n"
        "(617) 555-0100 x12,42.3370,-71.0920,Fenway Health,1340 Boylston St,Boston,MA,02115,open late\n"
        "617-555-0101 617-555-0102,,,Back Bay Recovery,1 Newbury St,Boston,Massachusetts,2115.0,\n"
    )
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "2 imported, 0 skipped of 2 rows; 1 approximate" in result.output
    found = {p.name: p for p in find_providers(helpline, BOSTON, limit=5).providers}
    assert found["Fenway Health"].phone == "+16175550100 ext. 12" and not found["Fenway Health"].approximate
    back_bay = found["Back Bay Recovery"]
    assert (back_bay.phone, back_bay.zip, back_bay.state) == ("+16175550101", "02115", "MA")


def test_messy_cells_are_read_as_meant_and_only_real_nonsense_is_reported(app, tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text(
        "name,street1,city,state,zip,latitude,longitude\n"
        "Swapped,1 A St,Boston,MA,02115,-71.09,42.34\n"  # line 2: columns swapped
        "No Minus,2 A St,Boston,MA,02115,42.34,71.09\n"  # line 3: a lost minus sign
        "Unknown Place,3 A St,Boston,MA,02115,N/A,N/A\n"  # line 4: placed at its ZIP
        'Decimal Comma,4 A St,Boston,MA,02115,"42,34","-71,09"\n'
        "Paris,5 A St,Boston,MA,02115,48.85,2.35\n"  # line 6: not in the US
        'Excel Zip,6 A St,Boston,MA,="02115",,\n'
        "New Yorker,7 A St,New York,New York,,,\n"  # a state's name, no ZIP: its city
        "\x1b[31mBlinking\x1b[0m Clinic,8 A St,Boston,MA,02115,,\n"
        f"{'x' * 2000},9 A St,Boston,MA,02115,,\n"  # line 10: columns run together
    )
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "7 imported, 2 skipped of 9 rows; 4 approximate" in result.output
    assert "line 6 (latitude): latitude 48.85, longitude 2.35 is outside the US" in result.output
    assert "line 10 (name): a name of 2,000 characters" in result.output
    by_name = {p.name: p for p in importer.read_directory_file(path).providers}
    assert (by_name["Swapped"].lat, by_name["Swapped"].lng) == (42.34, -71.09)
    assert by_name["No Minus"].lng == -71.09 and by_name["Decimal Comma"].lat == 42.34
    assert by_name["Unknown Place"].approximate and by_name["Excel Zip"].zip == "02115"
    assert by_name["New Yorker"].state == "NY" and abs(by_name["New Yorker"].lat - 40.7) < 0.3
    assert "Blinking Clinic" in by_name  # no terminal escapes reach a text message


def test_a_repeated_header_is_not_a_bad_row_and_an_unclosed_quote_refuses_the_file(app, tmp_path):
    pasted = tmp_path / "pasted.csv"
    pasted.write_text("name,zip\nA Clinic,02115\nname,zip\nB Clinic,10001\n")
    result = run(app, str(pasted))
    assert result.exit_code == 0 and "2 imported, 0 skipped of 2 rows" in result.output, result.output
    broken = tmp_path / "broken.csv"
    broken.write_text('name,zip\nA Clinic,02115\n"B Clinic,10001\nC Clinic,10001\nD Clinic,10001\n')
    result = run(app, str(broken))
    assert result.exit_code == 1
    assert "line 3: a quote opened on this line is never closed, so lines 3 to 5" in result.output
    assert "Nothing was imported" in result.output and "broken" not in sources(app)


@pytest.mark.parametrize(
    "shape",
    [
        lambda rows: rows,  # a bare list
        lambda rows: {"data": rows},
        lambda rows: {"results": rows, "total": len(rows)},
        lambda rows: "\n".join(json.dumps(r) for r in rows),  # JSON Lines
        lambda rows: [{k.upper(): v for k, v in r.items()} for r in rows],  # other key spellings
    ],
)
def test_json_exports_in_other_shapes_import_like_the_locator_sample(app, tmp_path, shape):
    rows = json.loads(SAMPLE.read_text())["rows"]
    data = shape(rows)
    path = tmp_path / "export.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "30 imported, 0 skipped of 30 rows" in result.output and "0 without a phone" in result.output
    assert sources(app)["export"]["count"] == 24


def test_json_values_of_other_types_are_read(tmp_path):
    path = tmp_path / "numbers.json"
    path.write_text(
        json.dumps(
            [
                {"name1": "A Clinic", "zip": 2115.0, "phone": 6175550100, "services": "methadone; suboxone"},
                {"name1": ["not", "text"], "zip": "02115"},
            ]
        )
    )
    found = importer.read_directory_file(path)
    (clinic,) = found.providers
    assert (clinic.zip, clinic.phone, clinic.services) == (
        "02115",
        "+16175550100",
        ("methadone", "buprenorphine"),
    )
    assert [(p.line, p.field) for p in found.problems] == [(2, "name")]


@pytest.mark.parametrize(
    "content, said",
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "this is a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", "this is an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "this is an Excel 97-2003 workbook (.xls)"),
        (bytes(range(256)) * 8, "this is a binary file"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "this is a web page"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"name,street\nA Clinic,1 Main St\n", "the header is: name, street"),
    ],
)
def test_a_file_that_is_no_export_is_refused_in_one_sentence(app, tmp_path, content, said):
    path = tmp_path / "directory.csv"
    path.write_bytes(content)
    result = run(app, str(path))
    assert result.exit_code == 1
    assert said in result.output and "Nothing was imported." in result.output, result.output
    assert "Traceback" not in result.output and sources(app) == {}


def test_a_file_where_every_row_is_bad_says_why_for_each(app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,zip\nA Clinic,ABCDE\n,10001\n")
    result = run(app, str(path))
    assert result.exit_code == 1
    assert "line 2 (zip): ZIP 'ABCDE' is not a US ZIP code and no city" in result.output
    assert "line 3 (name): no name" in result.output
    assert "no providers in the file (2 rows skipped). Nothing was imported." in result.output


def test_strict_refuses_a_semicolon_file_with_one_bad_row_and_keeps_the_directory(app, tmp_path):
    header, rows = real_rows()
    rows[4][0] = ""
    path = tmp_path / "semi.csv"
    path.write_text(as_csv(header, rows, ";"))
    result = run(app, "--strict", str(path))
    assert result.exit_code == 1 and "1 of 25 rows are bad" in result.output
    assert "line 6 (name): no name" in result.output and sources(app) == {}
    result = run(app, str(path))
    assert result.exit_code == 0 and "24 imported, 1 skipped of 25 rows" in result.output


def test_a_one_clinic_file_is_counted_in_the_singular(app, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("name1,street1,city,state,zip\nHope Clinic,1 Main St,Boston,MA,02115\n")
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "'one': 1 listing (0 repeated rows folded in)" in result.output
    assert "now holds 1 listing (" in result.output
