"""The audit trail in Redis: each request's own list, and one capped list of recent actions."""

from __future__ import annotations

import json

import redis

from helpline.domain.callback_rules import AuditEntry
from helpline.store import Keys

RECENT_LIMIT = 5000  # the cross-request list operators read; each request keeps its own trail


def push_entry(target, entry: AuditEntry, keep: int | None = None) -> None:
    """Queue the entry's writes on `target` (a pipeline, possibly another repository's transaction)."""
    raw = json.dumps(entry.__dict__)
    key = Keys.callback_audit(entry.callback_id)
    target.rpush(key, raw)
    if keep:
        target.ltrim(key, -keep, -1)
    target.lpush(Keys.audit_all, raw)
    target.ltrim(Keys.audit_all, 0, RECENT_LIMIT - 1)


def expire_trail(target, callback_id: str, seconds: int) -> None:
    target.expire(Keys.callback_audit(callback_id), seconds)


class AuditTrail:
    """Entries hold no personal data, so they are kept in clear (operators read them in bulk)."""

    def __init__(self, r: redis.Redis, vault, retention_seconds: int):
        self._r = r
        self.retention = retention_seconds

    def record(self, entry: AuditEntry, keep: int | None = None) -> None:
        """Append to the request's trail (capped to its last `keep` entries) and to the recent list."""
        pipe = self._r.pipeline()
        push_entry(pipe, entry, keep)
        pipe.execute()

    def trail(self, callback_id: str) -> list[AuditEntry]:
        """Everything done to one request, oldest first."""
        return [_entry(e) for e in self._r.lrange(Keys.callback_audit(callback_id), 0, -1)]

    def recent(self, limit: int = 100) -> list[AuditEntry]:
        """The latest actions across all requests, newest first."""
        return [_entry(e) for e in self._r.lrange(Keys.audit_all, 0, limit - 1)]

    def expire(self, callback_id: str) -> None:
        """A closed request's trail goes with it after the retention period."""
        expire_trail(self._r, callback_id, self.retention)


def _entry(raw: bytes) -> AuditEntry:
    return AuditEntry(**json.loads(raw))
