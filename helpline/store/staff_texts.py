"""Texts staff sent from a request's page: who, when, the words (encrypted), and when they may go."""

from __future__ import annotations

import json

import redis

from helpline.store import Keys, Vault

KEEP = 200  # a conversation's worth; older staff texts stay in the conversation itself


class StaffTexts:
    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r
        self._vault = vault
        self.retention = retention_seconds

    def add(self, callback_id: str, entry: dict) -> int:
        """Keep one sent text (`{"at", "by", "body", "key", "send_at", ...}`); returns how many there are."""
        key = Keys.callback_texts(callback_id)
        pipe = self._r.pipeline()
        pipe.rpush(key, self._vault.encrypt(json.dumps(entry)))
        pipe.ltrim(key, -KEEP, -1)
        pipe.expire(key, self.retention)
        pipe.incr(Keys.callbacks_version)  # the request's page shows it at once
        return int(pipe.execute()[0])

    def count(self, callback_id: str) -> int:
        return int(self._r.llen(Keys.callback_texts(callback_id)))

    def of(self, callback_id: str) -> list[dict]:
        """Oldest first."""
        raw = self._r.lrange(Keys.callback_texts(callback_id), 0, -1)
        return [json.loads(self._vault.decrypt(item)) for item in raw]
