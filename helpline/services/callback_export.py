"""Callback requests as rows for the operators' CSV export: the request, how it was worked, how it ended.

Numbers are decrypted here for operators only; the export page audits every download.
"""

from __future__ import annotations

import datetime as dt

from helpline.services import callbacks, figures
from helpline.store import Store

COLUMNS = (
    "id",
    "created",
    "phone",
    "priority",
    "status",
    "reason",
    "channel",
    "lang",
    "zip",
    "attempts",
    "first_attempt",
    "outcome",
    "provider",
    "claimed_by",
    "check_outcome",
    "linked_to",
    "updated",
)


def rows(store: Store, start: dt.date, end: dt.date, zone: dt.tzinfo) -> list[dict]:
    """Requests created from `start` to `end` (days included, in the helpline's timezone), oldest first."""
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone).timestamp()
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone).timestamp()
    requests = callbacks.created_between(store, since, until)  # those expired since are left out
    trails = store.callback_stats.trails([r.id for r in requests])
    return [_row(store, request, trail, zone) for request, trail in zip(requests, trails, strict=True)]


def _row(store: Store, request: callbacks.CallbackRequest, trail: list[dict], zone: dt.tzinfo) -> dict:
    tries = callbacks.attempts(store, request.id)
    referred = [a for a in tries if a.get("outcome") == "referred" and a.get("provider")]
    return {
        "id": request.id,
        "created": _iso(request.created, zone),
        "phone": callbacks.phone_of(store, request),
        "priority": request.priority,
        "status": request.status,
        "reason": request.reason,
        "channel": request.channel,
        "lang": request.lang,
        "zip": request.zip or "",
        "attempts": request.attempts,
        "first_attempt": _iso(figures.first_attempt(trail), zone),
        "outcome": tries[-1].get("outcome", "") if tries else "",
        "provider": (referred[-1]["provider"].get("name") or "") if referred else "",
        "claimed_by": request.claimed_by or "",
        "check_outcome": request.check_outcome or "",
        "linked_to": request.linked_to or "",
        "updated": _iso(request.updated, zone),
    }


def _iso(timestamp: float | None, zone: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(timestamp, zone).isoformat(timespec="seconds") if timestamp else ""
