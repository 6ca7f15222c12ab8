"""Read-only views of callback requests for the figures: their state and how soon staff tried them.

Reads only the fields figures need (never a number or a note), field by field, in bulk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from helpline.store import Keys


@dataclass(frozen=True)
class CallbackState:
    """What figures need of one request."""

    id: str
    status: str
    priority: str
    created: float
    attempts: int


class CallbackStats:
    def __init__(self, r: redis.Redis, vault, retention_seconds: int):
        self._r = r

    def states_since(self, since: float, limit: int) -> list[CallbackState]:
        """Requests created since `since` (at most `limit`, oldest first), less those expired meanwhile."""
        return self.states_between(since, None, limit)

    def states_between(self, since: float, until: float | None, limit: int) -> list[CallbackState]:
        """Requests created from `since` up to (not at) `until`, at most `limit`, oldest first."""
        upper = "+inf" if until is None else f"({until}"
        listed = self._r.zrangebyscore(Keys.callbacks_all, since, upper, start=0, num=limit)
        ids = [i.decode() for i in listed]
        if not ids:
            return []
        pipe = self._r.pipeline(transaction=False)
        for callback_id in ids:
            pipe.hmget(Keys.callback(callback_id), "status", "priority", "created", "attempts")
        states = []
        for callback_id, (status, priority, created, attempts) in zip(ids, pipe.execute(), strict=True):
            if status is None:
                continue  # expired since it was listed
            states.append(
                CallbackState(
                    callback_id,
                    json.loads(status),
                    json.loads(priority or '""'),
                    float(json.loads(created or "0")),
                    int(json.loads(attempts or "0")),
                )
            )
        return states

    def trails(self, callback_ids: list[str]) -> list[list[dict]]:
        """The audit trail of each request (JSON entries, oldest first), in one round trip."""
        if not callback_ids:
            return []
        pipe = self._r.pipeline(transaction=False)
        for callback_id in callback_ids:
            pipe.lrange(Keys.callback_audit(callback_id), 0, -1)
        return [[json.loads(e) for e in trail] for trail in pipe.execute()]
