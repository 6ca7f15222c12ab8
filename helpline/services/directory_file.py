"""A directory file as the importer reads it: its bytes turned into text (whatever a spreadsheet saved),
what it holds (its listings, one per site, and every row left out with why), and the errors that
refuse it whole. The CSV and JSON readers fill a `DirectoryFile`; `directory_import` stores it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from helpline.domain.listing_rows import RowProblem
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


def decode(raw: bytes) -> tuple[str, int]:
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


def one_per_site(found: DirectoryFile, providers: list[Provider]) -> None:
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


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")
