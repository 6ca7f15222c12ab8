"""Reading a JSON directory export: the FindTreatment.gov locator's `{rows: [...]}`, a bare list, other
exports' `{data: [...]}` and the like, GeoJSON, or JSON Lines. Each record becomes a listing or a
reported problem."""

from __future__ import annotations

import json

from helpline.domain.listing_rows import RowProblem
from helpline.domain.listing_rows import provider_from_locator_row as locator_row
from helpline.services.directory_file import DirectoryFile, DirectoryFileError, one_per_site

# Where a JSON export keeps its records: the locator's `rows`, and what other exports call them.
_RECORD_KEYS = ("rows", "data", "results", "records", "items", "providers", "facilities", "listings")


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
    one_per_site(found, providers)
