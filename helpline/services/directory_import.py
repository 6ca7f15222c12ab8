"""Import a directory export (FindTreatment.gov JSON or a SAMHSA CSV): the good rows go in.

Every row that cannot be named or placed is left out and reported with its line, field and
reason, all in one run; `strict` refuses the file instead. A file is refused whole only when it
cannot be read as a directory at all (`DirectoryFileError`), a quote that runs over whole rows
included: the rows it swallowed would be lost without a word. The import replaces its source in
one step (store.directory), so a search never sees half of it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from helpline.domain import treatment_services as svc
from helpline.services.directory_csv import SEPARATOR_NAMES, read_csv
from helpline.services.directory_file import (
    JSON_SUFFIXES,
    DirectoryFile,
    DirectoryFileError,
    StrictImportRefused,
    decode,
    plural,
)
from helpline.services.directory_json import read_json

__all__ = [
    "SEPARATOR_NAMES",
    "DirectoryFile",
    "DirectoryFileError",
    "ImportResult",
    "StrictImportRefused",
    "guess_services",
    "import_file",
    "plural",
    "read_directory_file",
    "source_name",
]


@dataclass(frozen=True)
class ImportResult:
    file: DirectoryFile
    version: str
    total: int  # listings in the whole directory after the import
    listings: int  # this source's listings
    merged: int  # of those, how many are the same clinic as another source's listing


def read_directory_file(
    path: str | Path, source: str | None = None, default_services: tuple[str, ...] = ()
) -> DirectoryFile:
    """The file's listings and its bad rows; DirectoryFileError when it is not a directory at all."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DirectoryFileError(0, f"cannot read {path.name}: {exc.strerror}") from None
    text, cp1252_lines = decode(raw)
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


def source_name(path: Path) -> str:
    """The file's stem, as a key-safe name: re-importing the same file replaces its listings."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "import"


def guess_services(path: Path) -> tuple[str, ...]:
    """A list of certified opioid treatment programs (OTPs) is, by definition, methadone clinics."""
    stem = path.stem.lower()
    if "opioid-treatment-program" in stem or re.search(r"(^|[^a-z])otp([^a-z]|$)", stem):
        return (svc.METHADONE,)
    return ()
