"""The audit trail: who did what to a callback request, and when (claims, calls, outcomes, views).

Entries hold no personal data (no numbers, no note text): the action, its outcome name, who, when.
"""

from __future__ import annotations

import time

from helpline.domain.callback_rules import AuditEntry
from helpline.store import Store
from helpline.store.audit import RECENT_LIMIT

__all__ = ["OPS_TRAIL", "RECENT_LIMIT", "AuditEntry", "operator_action", "record", "recent", "trail"]

OPS_TRAIL = "ops"  # the audit trail of operators' actions (beside each callback request's own)


def record(
    store: Store,
    callback_id: str,
    who: str,
    action: str,
    detail: str = "",
    *,
    now: float | None = None,
    keep: int | None = None,
) -> AuditEntry:
    """One entry on the trail of `callback_id` (a request, or a trail of its own such as operators').

    `keep` caps that trail to its last entries (a trail that never closes, unlike a request's).
    """
    entry = AuditEntry(now or time.time(), who, action, callback_id, detail)
    store.audit.record(entry, keep=keep)
    return entry


def operator_action(store: Store, who: str, action: str, **detail) -> AuditEntry:
    """An operator's action on the line (`ops.<action>`), from /ops or the command line. No personal
    data and no secrets in `detail`: names and values such as `account=ana@example.org role=staff`."""
    text = " ".join(f"{k}={v}" for k, v in detail.items())
    # Operators' own trail never closes like a request's: it keeps its latest entries only.
    return record(store, OPS_TRAIL, who, f"ops.{action}", text, keep=RECENT_LIMIT)


def trail(store: Store, callback_id: str) -> list[AuditEntry]:
    """Everything done to one request, oldest first."""
    return store.audit.trail(callback_id)


def recent(store: Store, limit: int = 100) -> list[AuditEntry]:
    """The latest actions across all requests, newest first."""
    return store.audit.recent(limit)
