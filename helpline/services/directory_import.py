"""Import a directory export (FindTreatment.gov JSON or a SAMHSA CSV): the good rows go in.

Every row that cannot be named or placed is left out and reported with its line, field and
reason, all in one run; `strict` refuses the file instead. A file is refused whole only when it
cannot be read as a directory at all (`DirectoryFileError`). The import replaces its source in
one step (store.directory), so a search never sees half of it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from helpline.domain import treatment_services as svc
from helpline.domain.listing_rows import HEADERS, RowProblem, build_provider, map_headers
from helpline.domain.listing_rows import provider_from_locator_row as locator_row
from helpline.domain.providers import Provider
from helpline.domain.same_clinic import merge_pair

SHOWN_PROBLEMS = 200  # skipped lines kept for `providers status` and /ops/directory


class DirectoryFileError(ValueError):
    """A file that cannot be read as a directory at all: the line and the reason."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


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

    @property
    def imported(self) -> int:
        return self.rows - len(self.problems)

    @property
    def approximate(self) -> int:
        return sum(p.approximate for p in self.providers)

    @property
    def no_phone(self) -> int:
        return sum(p.phone is None for p in self.providers)

    def figures(self) -> dict:
        """What the directory keeps about this import (shown by `providers status` and /ops)."""
        return {
            "rows": self.rows,
            "imported": self.imported,
            "skipped": len(self.problems),
            "duplicates": self.duplicates,
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


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252/Latin-1 as spreadsheets save it."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _one_per_site(found: DirectoryFile, providers: list[Provider]) -> None:
    """One site listed twice in a file (e.g. as SA and as MH) is one listing."""
    unique: dict[str, Provider] = {}
    for p in providers:
        unique[p.id] = merge_pair(unique[p.id], p) if p.id in unique else p
    found.providers = list(unique.values())
    found.duplicates = len(providers) - len(unique)


def read_json(text: str, found: DirectoryFile, updated: float, default_services: tuple[str, ...]) -> None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DirectoryFileError(exc.lineno, f"not valid JSON: {exc.msg}") from None
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise DirectoryFileError(1, "no `rows` list (expected a FindTreatment.gov export)")
    found.unit = "record"
    providers = []
    for number, row in enumerate(rows, start=1):
        found.rows += 1
        try:
            providers.append(
                locator_row(
                    row, source=found.source, updated=updated, line=number, default_services=default_services
                )
            )
        except RowProblem as problem:
            found.problems.append(problem)
    _one_per_site(found, providers)


def read_csv(text: str, found: DirectoryFile, updated: float, default_services: tuple[str, ...]) -> None:
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
    if "zip" not in columns and not {"lat", "lng"} <= set(columns) and "city" not in columns:
        raise DirectoryFileError(1, "no ZIP, city or latitude/longitude columns to place listings by")
    providers = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a broken quote: that line is lost, the next ones may be fine
            found.rows += 1
            found.problems.append(RowProblem(reader.line_num, "-", f"malformed CSV: {exc}"))
            continue
        if not any(cell.strip() for cell in row):
            continue  # blank lines are harmless
        found.rows += 1
        line = reader.line_num
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            found.problems.append(RowProblem(line, "-", f"{len(row)} fields, the header has {len(header)}"))
            continue
        fields = {f: (row[i] if i < len(row) else None) for f, i in columns.items()}
        try:
            providers.append(
                build_provider(
                    fields, line=line, source=found.source, updated=updated, default_services=default_services
                )
            )
        except RowProblem as problem:
            found.problems.append(problem)
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
    text = _decode(raw)
    found = DirectoryFile(source or source_name(path), path.name)
    updated = time.time()
    if text.lstrip()[:1] in ("{", "["):
        read_json(text, found, updated, default_services)
    else:
        read_csv(text, found, updated, default_services)
    if not found.providers:
        skipped = f" ({len(found.problems)} rows skipped)" if found.problems else ""
        raise DirectoryFileError(1, f"no providers in the file{skipped}")
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


def source_name(path: Path) -> str:
    """The file's stem, as a key-safe name: re-importing the same file replaces its listings."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "import"


def guess_services(path: Path) -> tuple[str, ...]:
    """A list of certified opioid treatment programs (OTPs) is, by definition, methadone clinics."""
    stem = path.stem.lower()
    if "opioid-treatment-program" in stem or re.search(r"(^|[^a-z])otp([^a-z]|$)", stem):
        return (svc.METHADONE,)
    return ()
