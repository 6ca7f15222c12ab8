"""Reading a CSV directory export (SAMHSA's files and what spreadsheets save): the header found under any
title lines, the separator guessed, quotes that swallow rows refused, and each row a listing or a
reported problem with its line."""

from __future__ import annotations

import csv
import io
import re

from helpline.domain.listing_rows import (
    HEADERS,
    RowProblem,
    build_provider,
    map_headers,
    normalise_state,
    normalise_zip,
)
from helpline.services.directory_file import DirectoryFile, DirectoryFileError, one_per_site, plural

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
    one_per_site(found, providers)
