"""Callbacks as CSV for a date range: numbers decrypted for operators only, every export audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from flask import Response, flash, redirect, render_template, request, url_for

from helpline.services import callback_export
from helpline.web.ops.blueprint import audit, bp, helpline, store

COLUMNS = callback_export.COLUMNS
MAX_DAYS = 400


def export_rows(start: dt.date, end: dt.date, zone) -> list[dict]:
    """Callback requests created from `start` to `end` (inclusive, in the helpline's timezone)."""
    return callback_export.rows(store(), start, end, zone)


def _safe_cell(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: quote them (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_phone(text) else text


def _is_phone(text: str) -> bool:
    return text.startswith("+") and text[1:].isdigit()


@bp.get("/export")
def export_page():
    zone = helpline().hours.timezone
    today = dt.datetime.now(zone).date()
    return render_template("ops/export.html", start=today - dt.timedelta(days=30), end=today)


@bp.post("/export")
def export_csv():
    zone = helpline().hours.timezone
    try:
        start = dt.date.fromisoformat(request.form.get("start", "")[:10])
        end = dt.date.fromisoformat(request.form.get("end", "")[:10])
    except ValueError:
        flash("Give both dates as YYYY-MM-DD.", "error")
        return redirect(url_for("ops.export_page"))
    if end < start or (end - start).days > MAX_DAYS:
        flash(f"The end must be after the start, and the range at most {MAX_DAYS} days.", "error")
        return redirect(url_for("ops.export_page"))
    rows = export_rows(start, end, zone)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})
    audit("export.callbacks", start=start.isoformat(), end=end.isoformat(), rows=len(rows))
    name = f"callbacks-{start.isoformat()}-to-{end.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",  # decrypted numbers: never kept by a proxy or the browser cache
            "X-Export-Rows": json.dumps(len(rows)),
        },
    )
