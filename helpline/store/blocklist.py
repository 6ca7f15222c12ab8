"""Numbers whose texts get no reply: kept by keyed hash only, with an encrypted reason."""

from __future__ import annotations

import redis

from helpline.store import Keys, Vault


class Blocklist:
    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r
        self._vault = vault

    def add(self, phone: str, reason: str) -> None:
        self._r.hset(Keys.blocklist, self._vault.phone_id(phone), self._vault.encrypt(reason))

    def remove(self, phone: str) -> None:
        self.remove_id(self._vault.phone_id(phone))

    def remove_id(self, phone_id: str) -> None:
        self._r.hdel(Keys.blocklist, phone_id)

    def has(self, phone_id: str) -> bool:
        return bool(self._r.hexists(Keys.blocklist, phone_id))

    def which(self, phone_ids: list[str]) -> set[str]:
        """Those of these phone ids that are blocked, in one round trip."""
        if not phone_ids:
            return set()
        found = self._r.hmget(Keys.blocklist, phone_ids)
        return {phone_id for phone_id, reason in zip(phone_ids, found, strict=True) if reason is not None}

    def entries(self) -> list[tuple[str, str]]:
        """(phone id, reason), by phone id: the number itself is not kept, so it cannot be listed."""
        raw = self._r.hgetall(Keys.blocklist)
        return sorted((pid.decode(), self._vault.decrypt(reason)) for pid, reason in raw.items())
