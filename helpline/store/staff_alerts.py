"""Each staff member's crisis alert choices (sound, desktop notification), remembered per account."""

from __future__ import annotations

import redis

from helpline.store import Keys, Vault


class StaffAlerts:
    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r
        self._vault = vault

    def choices(self, email: str) -> dict[str, bool]:
        raw = self._r.hgetall(Keys.staff_alerts(self._vault.account_id(email)))
        return {name: raw.get(name.encode()) == b"1" for name in ("sound", "notify")}

    def choose(self, email: str, *, sound: bool, notify: bool) -> None:
        key = Keys.staff_alerts(self._vault.account_id(email))
        self._r.hset(key, mapping={"sound": int(sound), "notify": int(notify)})
