"""Import a directory export (FindTreatment.gov JSON or a SAMHSA CSV): the good rows go in.

Every row that cannot be named or placed is left out and reported with its line, field and
reason, all in one run; `strict` refuses the file instead. A file is refused whole only when it
cannot be read as a directory at all (`DirectoryFileError`), a quote that runs over whole rows
included: the rows it swallowed would be lost without a word. The import replaces its source in
one step (store.directory), so a search never sees half of it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from helpline.domain import treatment_services as svc
from helpline.domain.listing_rows import (
    HEADERS,
    RowProblem,
    build_provider,
    map_headers,
    normalise_state,
    normalise_zip,
)
from helpline.domain.listing_rows import provider_from_locator_row as locator_row
from helpline.domain.providers import Provider
from helpline.domain.same_clinic import merge_pair

SHOWN_PROBLEMS = 200  # skipped lines kept for `providers status` and /ops/directory


class DirectoryFileError(ValueError):
    """A file that cannot be read as a directory at all: the line (None: the whole file), the reason,
    and the rows that were bad when none was good."""

    def __init__(
        self, line: int | None, reason: str, problems: list[RowProblem] | None = None, unit: str = "line"
    ):
        super().__init__(f"line {line}: {reason}" if line is not None else reason)
        self.line = line
        self.reason = reason
        self.problems = problems or []
        self.unit = unit  # how the problems' places are said


class StrictImportRefused(ValueError):
    """`--strict` and the file has rows that would be skipped: nothing was imported."""

    def __init__(self, directory_file: DirectoryFile):
        super().__init__(f"{len(directory_file.problems)} bad rows")
        self.file = directory_file


@dataclass
class DirectoryFile:
    """What a file holds: its listings (one per site), and every row left out with why."""

    source: str
    file_name: str
    rows: int = 0
    providers: list[Provider] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    duplicates: int = 0  # rows naming a site another row of the file already names
    unit: str = "line"  # how a problem's place is said: a CSV line, or a JSON export's record
    header_line: int = 1  # where the CSV header was found (title lines above it are not rows)
    separator: str = ","
    cp1252_lines: int = 0  # lines that are not UTF-8, read as Windows-1252 (the rest of the file is UTF-8)

    @property
    def imported(self) -> int:
        return self.rows - len(self.problems)

    @property
    def approximate(self) -> int:
        return sum(p.approximate for p in self.providers)

    @property
    def no_phone(self) -> int:
        return sum(p.phone is None for p in self.providers)

    @property
    def far_from_zip(self) -> int:
        """Listings placed at their ZIP's centre because the file's coordinates were far from it."""
        return sum(p.approximate and "file_point" in p.extra for p in self.providers)

    def notes(self) -> list[str]:
        """What the import did besides reading rows, one sentence each, for its summary."""
        notes = []
        if self.far_from_zip:
            notes.append(f"{self.far_from_zip:,} placed at their ZIP: their coordinates were far from it.")
        if self.cp1252_lines:
            notes.append(
                f"{plural(self.cp1252_lines, 'line')} read as Windows-1252 (cp1252): not UTF-8 like the rest."
            )
        return notes

    def figures(self) -> dict:
        """What the directory keeps about this import (shown by `providers status` and /ops)."""
        return {
            "rows": self.rows,
            "imported": self.imported,
            "skipped": len(self.problems),
            "duplicates": self.duplicates,
            "far_from_zip": self.far_from_zip,
            "cp1252_lines": self.cp1252_lines,
            "unit": self.unit,
            "problems": [[p.line, p.field, p.reason] for p in self.problems[:SHOWN_PROBLEMS]],
        }


@dataclass(frozen=True)
class ImportResult:
    file: DirectoryFile
    version: str
    total: int  # listings in the whole directory after the import
    listings: int  # this source's listings
    merged: int  # of those, how many are the same clinic as another source's listing


# What a file that is no export at all starts with, in the words an operator knows it by.
_NOT_TEXT = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
    (b"GIF8", "an image"),
    (b"{\\rtf", "an RTF document"),
    (b"SQLite format 3", "a SQLite database"),
)
_SAVE_AS_CSV = "not a CSV or JSON export: save the directory as CSV (comma-separated) and import that"
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".geojson")
# Where a JSON export keeps its records: the locator's `rows`, and what other exports call them.
_RECORD_KEYS = ("rows", "data", "results", "records", "items", "providers", "facilities", "listings")


def _what_it_is(raw: bytes) -> str | None:
    """`a PDF document`, `an Excel workbook (.xlsx)`... for a file that is not text at all."""
    for magic, what in _NOT_TEXT:
        if raw.startswith(magic):
            if magic == b"PK\x03\x04" and (b"xl/" in raw[:65536] or b"[Content_Types]" in raw[:65536]):
                return "an Excel workbook (.xlsx)"
            return what
    return None


def _decode_lines(raw: bytes) -> tuple[str, int]:
    """Line by line: UTF-8 where a line is UTF-8, Windows-1252 where it is not (one row pasted from a
    spreadsheet into a UTF-8 file), and how many lines were read as Windows-1252."""
    lines, cp1252 = [], 0
    for line in raw.splitlines(keepends=True):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
            cp1252 += 1
    return "".join(lines), cp1252


def _decode(raw: bytes) -> tuple[str, int]:
    """The text, and how many of its lines were read as Windows-1252: UTF-8 (with or without BOM),
    UTF-16 as Excel's "Unicode text" saves it, else each line as UTF-8 or, where it is not,
    Windows-1252/Latin-1 as spreadsheets save it. DirectoryFileError for a binary file."""
    what = _what_it_is(raw)
    if what:
        raise DirectoryFileError(None, f"this is {what}, {_SAVE_AS_CSV}")
    head = raw[:4096]
    utf16 = None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        utf16 = "utf-16"
    elif len(head) >= 8 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) == 0:
        utf16 = "utf-16-le"
    elif len(head) >= 8 and head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) == 0:
        utf16 = "utf-16-be"
    if utf16:
        try:
            return raw.decode(utf16).lstrip("\ufeff"), 0
        except UnicodeDecodeError:
            pass
    cp1252 = 0
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text, cp1252 = _decode_lines(raw.removeprefix(b"\xef\xbb\xbf"))
    sample = text[:4096]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\x0c")
    if sample and control > max(8, len(sample) // 50):
        raise DirectoryFileError(None, f"this is a binary file, {_SAVE_AS_CSV}")
    if sample.lstrip()[:1] == "<" and re.match(r"\s*<(!doctype|html|\?xml|head|body)", sample, re.IGNORECASE):
        raise DirectoryFileError(None, f"this is a web page (perhaps a download that failed), {_SAVE_AS_CSV}")
    return text.replace("\x00", ""), cp1252


def _one_per_site(found: DirectoryFile, providers: list[Provider]) -> None:
    """One site listed twice in a file (e.g. as SA and as MH) is one listing."""
    unique: dict[str, Provider] = {}
    for p in providers:
        unique[p.id] = merge_pair(unique[p.id], p) if p.id in unique else p
    # A row of the site whose coordinates were right placed it: the far ones of another row say nothing.
    found.providers = [
        p
        if p.approximate or "file_point" not in p.extra
        else replace(p, extra={k: v for k, v in p.extra.items() if k != "file_point"})
        for p in unique.values()
    ]
    found.duplicates = len(providers) - len(unique)


def _json_records(text: str) -> list:
    """The records of a JSON export: the locator's `{rows: [...]}`, a bare list, `{data: [...]}`
    and the like, GeoJSON features, or JSON Lines (one record a line)."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise DirectoryFileError(None, "the JSON is nested too deeply to be a directory export") from None
    except json.JSONDecodeError as exc:
        lines = [line for line in text.splitlines() if line.strip()]
        if exc.msg == "Extra data" and lines and all(line.lstrip().startswith("{") for line in lines):
            return _json_lines(text)
        raise DirectoryFileError(exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        what = {str: "text", bool: "true or false", type(None): "null"}.get(type(data), "a number")
        raise DirectoryFileError(1, f"the JSON holds {what}, not a list of records")
    if isinstance(data.get("features"), list):  # GeoJSON: properties plus a point
        return [_geojson_record(f) for f in data["features"]]
    for key in _RECORD_KEYS:
        if isinstance(data.get(key), list):
            return data[key]
    lists = [v for v in data.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
    if len(lists) == 1:
        return lists[0]
    keys = ", ".join(list(data)[:8]) or "none"
    raise DirectoryFileError(1, f"no `rows` list (expected a FindTreatment.gov export; its keys: {keys})")


def _json_lines(text: str) -> list:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except (json.JSONDecodeError, RecursionError) as exc:
            records.append(RowProblem(number, "record", f"not valid JSON: {getattr(exc, 'msg', exc)}"))
    return records


def _geojson_record(feature: object) -> object:
    if not isinstance(feature, dict):
        return feature
    record = dict(feature.get("properties") or {})
    geometry = feature.get("geometry") or {}
    point = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if geometry.get("type") == "Point" and isinstance(point, list) and len(point) >= 2:
        record.setdefault("longitude", point[0])
        record.setdefault("latitude", point[1])
    return record


def read_json(text: str, found: DirectoryFile, updated: float, default_services: tuple[str, ...]) -> None:
    rows = _json_records(text)
    found.unit = "record"
    providers = []
    for number, row in enumerate(rows, start=1):
        found.rows += 1
        try:
            if isinstance(row, RowProblem):
                raise row
            providers.append(
                locator_row(
                    row, source=found.source, updated=updated, line=number, default_services=default_services
                )
            )
        except RowProblem as problem:
            found.problems.append(problem)
    _one_per_site(found, providers)


_SEPARATORS = (",", ";", "\t", "|")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_HEADER_SEARCH = 10  # title lines an export may put above its header


def _placeable(columns: dict[str, int]) -> bool:
    return "zip" in columns or {"lat", "lng"} <= set(columns) or "city" in columns


def _read_header(line: str, separator: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=separator), [])
    except csv.Error:
        return []


def _find_header(text: str) -> tuple[int, int, str, list[str]]:
    """Where the header is (its line, the offset of its text), the separator and the header's cells.

    The first of the first lines with a name column and a place column, read with the separator
    that makes most of it (`,`, `;`, tab, `|`; Excel's `sep=;` line names it)."""
    line_number, best, first = 0, None, None
    forced = None
    for match in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text):
        line, start = match.group(0), match.start()
        if not line:
            break
        line_number += 1
        content = line.rstrip("\r\n")
        sep_line = re.fullmatch(r"\s*sep=(.)\s*", content, re.IGNORECASE)
        if sep_line and line_number == 1:
            forced = sep_line.group(1)
            continue
        if not content.strip(" ,;\t|"):
            continue
        for separator in (forced,) if forced else _SEPARATORS:
            header = _read_header(content, separator)
            columns = map_headers(header)
            score = ("name" in columns and _placeable(columns), "name" in columns, len(columns), len(header))
            if best is None or score > best[0]:
                best = (score, line_number, start, separator, header)
        first = first or best
        if best[0][0] or line_number >= _HEADER_SEARCH:
            break
    if best is None or first is None:
        raise DirectoryFileError(1, "the file is empty")
    chosen = best if best[0][1] else first  # no line names a name column: the error speaks of the first
    return chosen[1], chosen[2], chosen[3], chosen[4]


def _header_shown(header: list[str]) -> str:
    cells = [h.strip() for h in header if h.strip()]
    shown = ", ".join(c[:30] for c in cells[:12]) + (", ..." if len(cells) > 12 else "")
    return f"; the header is: {shown}" if shown else ""


_NEWLINE = re.compile(r"\r\n|\r|\n")
MOST_LINE_BREAKS = 2  # in one quoted field: an address over two or three lines; more is rows swallowed


def _field_lines(row: list[str], first_line: int) -> list[tuple[int, int]]:
    """Each field's first line and its line breaks, for a row that starts on `first_line`."""
    lines, line = [], first_line
    for cell in row:
        breaks = len(_NEWLINE.findall(cell))
        lines.append((line, breaks))
        line += breaks
    return lines


def _swallowed_rows(row: list[str], first_line: int, separator: str, width: int) -> tuple[int, int] | None:
    """(the line a quote opened on, the line that closed it) when a quoted field holds whole rows: more
    than two line breaks, a line with as many separators as a row has, the rest of its own row before
    its first break, or a row longer than the header because of it. None for a field that could be
    an address over two or three lines."""
    too_long = len(row) > width and any(cell.strip() for cell in row[width:])
    for index, (cell, (line, breaks)) in enumerate(zip(row, _field_lines(row, first_line), strict=True)):
        if not breaks:
            continue
        parts = _NEWLINE.split(cell)
        rest = width - 1 - index  # the separators the rest of its own row has
        if (
            breaks > MOST_LINE_BREAKS
            or too_long
            or any(part.count(separator) >= max(width - 1, 2) for part in parts[1:])
            or (rest >= 3 and parts[0].count(separator) >= rest)
        ):
            return line, line + breaks
    return None


def _shifted(fields: dict[str, str | None]) -> bool:
    """A short row whose cells do not read as their columns: a ZIP or a state that is none."""
    state, zip_code = (fields.get("state") or "").strip(), (fields.get("zip") or "").strip()
    return bool(state and not normalise_state(state)) or bool(zip_code and not normalise_zip(zip_code))


def read_csv(text: str, found: DirectoryFile, updated: float, default_services: tuple[str, ...]) -> None:
    if not text.strip():
        raise DirectoryFileError(1, "the file is empty")
    header_line, start, separator, header = _find_header(text)
    found.header_line, found.separator = header_line, separator
    columns = map_headers(header)
    if "name" not in columns:
        expected = ", ".join(HEADERS["name"])
        raise DirectoryFileError(
            header_line, f"no name column (expected one of: {expected}){_header_shown(header)}"
        )
    if not _placeable(columns):
        raise DirectoryFileError(
            header_line,
            f"no ZIP, city or latitude/longitude columns to place listings by{_header_shown(header)}",
        )
    reader = csv.reader(io.StringIO(text[start:], newline=""), delimiter=separator)
    next(reader)
    same_as_header = [h.strip().lower() for h in header]
    width = len(header)
    before = header_line - 1  # lines above the header
    last_line = before + len(_NEWLINE.findall(text[start:])) + (0 if _NEWLINE.match(text[-1:]) else 1)
    providers = []
    while True:
        row_start = before + reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            reason = str(exc)
            if "field larger than field limit" in reason and before + reader.line_num > row_start:
                raise DirectoryFileError(
                    row_start,
                    f"a quote opened on this line is not closed in {csv.field_size_limit():,} characters "
                    f"(lines {row_start:,} to {before + reader.line_num:,} and on read as one field); "
                    "close the quote and import again",
                ) from None
            if "field larger than field limit" in reason:
                reason = f"a field longer than {csv.field_size_limit():,} characters"
            found.rows += 1  # one line that cannot be read: the next ones may be fine
            found.problems.append(RowProblem(before + reader.line_num, "-", f"malformed CSV: {reason}"))
            continue
        row_end = before + reader.line_num
        if row and row_end >= last_line and _NEWLINE.search(row[-1]) and not text.rstrip().endswith('"'):
            opened = _field_lines(row, row_start)[-1][0]  # a quote left open runs to the end of the file
            lines = f", so lines {opened:,} to {row_end:,} read as one field" if row_end > opened else ""
            raise DirectoryFileError(
                opened,
                f"a quote opened on this line is never closed{lines}; close the quote and import again",
            )
        if row_end > row_start:  # a quoted field with line breaks: an address over lines, or rows swallowed
            swallowed = _swallowed_rows(row, row_start, separator, width)
            if swallowed:
                opened, closed = swallowed
                raise DirectoryFileError(
                    opened,
                    f"a quote opened on this line is closed only on line {closed:,}, so lines {opened:,} "
                    f"to {closed:,} read as one field; fix the quotes and import again",
                )
        if not any(cell.strip() for cell in row):
            continue  # blank lines are harmless
        if [cell.strip().lower() for cell in row] == same_as_header:
            continue  # the header again: two exports pasted one after the other
        found.rows += 1
        line = row_start
        shifted = RowProblem(line, "-", f"{plural(len(row), 'field')}, the header has {width}")
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            found.problems.append(shifted)
            continue
        fields = {f: (row[i] if i < len(row) else None) for f, i in columns.items()}
        try:
            provider = build_provider(
                fields, line=line, source=found.source, updated=updated, default_services=default_services
            )
        except RowProblem as problem:
            # A row a field short reads its cells in the wrong columns: that, not the cell, is the problem.
            found.problems.append(shifted if len(row) < width else problem)
            continue
        if len(row) < width and _shifted(fields):
            found.problems.append(shifted)
            continue
        providers.append(provider)
    _one_per_site(found, providers)


def read_directory_file(
    path: str | Path, source: str | None = None, default_services: tuple[str, ...] = ()
) -> DirectoryFile:
    """The file's listings and its bad rows; DirectoryFileError when it is not a directory at all."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DirectoryFileError(0, f"cannot read {path.name}: {exc.strerror}") from None
    text, cp1252_lines = _decode(raw)
    found = DirectoryFile(source or source_name(path), path.name, cp1252_lines=cp1252_lines)
    updated = time.time()
    if text.lstrip()[:1] in ("{", "[") or path.suffix.lower() in JSON_SUFFIXES:
        read_json(text, found, updated, default_services)
    else:
        read_csv(text, found, updated, default_services)
    if not found.providers:
        skipped = f" ({plural(len(found.problems), 'row')} skipped)" if found.problems else ""
        raise DirectoryFileError(1, f"no providers in the file{skipped}", found.problems, found.unit)
    return found


def import_file(
    store,
    path: str | Path,
    *,
    source: str | None = None,
    services: str | None = None,
    strict: bool = False,
) -> ImportResult:
    """Read `path` and make it the whole of its source; the other sources stay (svc.UnknownService
    for a bad `services`, DirectoryFileError, or StrictImportRefused with `strict` and bad rows)."""
    path = Path(path)
    default_services = svc.services_named(services) if services else guess_services(path)
    found = read_directory_file(path, source=source, default_services=default_services)
    if strict and found.problems:
        raise StrictImportRefused(found)
    version = store.directory.replace_source(
        found.source, found.providers, found.file_name, figures=found.figures()
    )
    meta = store.directory.meta(version)
    mine = meta["sources"][found.source]
    return ImportResult(found, version, meta.get("total", 0), mine["count"], mine.get("merged", 0))


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def source_name(path: Path) -> str:
    """The file's stem, as a key-safe name: re-importing the same file replaces its listings."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "import"


def guess_services(path: Path) -> tuple[str, ...]:
    """A list of certified opioid treatment programs (OTPs) is, by definition, methadone clinics."""
    stem = path.stem.lower()
    if "opioid-treatment-program" in stem or re.search(r"(^|[^a-z])otp([^a-z]|$)", stem):
        return (svc.METHADONE,)
    return ()
