"""The audit trail: who did what to a callback request, and when (claims, calls, outcomes, views).

Entries hold no personal data (no numbers, no note text): the action, its outcome name, who, when.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from helpline.store import Keys, Store

RECENT_LIMIT = 5000  # the cross-request list operators read; each request keeps its own trail


@dataclass(frozen=True)
class AuditEntry:
    at: float
    who: str
    action: str  # claim | release | call | outcome | note | view | follow-up text | …
    callback_id: str
    detail: str = ""


def record(
    store: Store, callback_id: str, who: str, action: str, detail: str = "", *, now=None, pipe=None
) -> AuditEntry:
    entry = AuditEntry(now or time.time(), who, action, callback_id, detail)
    raw = json.dumps(entry.__dict__)
    target = pipe or store.r.pipeline()
    target.rpush(Keys.callback_audit(callback_id), raw)
    target.lpush(Keys.audit_all, raw)
    target.ltrim(Keys.audit_all, 0, RECENT_LIMIT - 1)
    if pipe is None:
        target.execute()
    return entry


def trail(store: Store, callback_id: str) -> list[AuditEntry]:
    """Everything done to one request, oldest first."""
    return [AuditEntry(**json.loads(e)) for e in store.r.lrange(Keys.callback_audit(callback_id), 0, -1)]


def recent(store: Store, limit: int = 100) -> list[AuditEntry]:
    """The latest actions across all requests, newest first."""
    return [AuditEntry(**json.loads(e)) for e in store.r.lrange(Keys.audit_all, 0, limit - 1)]


def expire(store: Store, callback_id: str, pipe=None) -> None:
    """A closed request's trail goes with it after the retention period."""
    (pipe or store.r).expire(Keys.callback_audit(callback_id), store.retention)
