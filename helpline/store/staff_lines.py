"""Which staff phones are on a helpline call now, so "talk to someone now" rings only free ones.

A zset of staff phone ids scored by when the mark runs out (a safety net if the end of a call is
never reported), and per call the staff phone on it, so the call's end frees the right phone.
"""

from __future__ import annotations

import redis

from helpline.store import Keys, Vault

CALL_KEY_SECONDS = 6 * 3600  # longer than any call


class StaffLines:
    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r

    def busy(self, phone_id: str, until: float, call_sid: str | None = None) -> None:
        pipe = self._r.pipeline()
        pipe.zadd(Keys.staff_busy, {phone_id: until})
        if call_sid:
            pipe.set(Keys.staff_call(call_sid), phone_id, ex=CALL_KEY_SECONDS)
        pipe.execute()

    def free_call(self, call_sid: str) -> str | None:
        """The call ended: its staff phone is free again. Returns that phone's id (None if unknown)."""
        phone_id = self._r.getdel(Keys.staff_call(call_sid))
        if phone_id:
            self._r.zrem(Keys.staff_busy, phone_id)
        return phone_id.decode() if phone_id else None

    def free(self, phone_id: str) -> bool:
        return bool(self._r.zrem(Keys.staff_busy, phone_id))

    def busy_ids(self, now: float) -> set[str]:
        """Staff phones on a call now (marks that ran out are dropped on the way)."""
        pipe = self._r.pipeline()
        pipe.zremrangebyscore(Keys.staff_busy, "-inf", now)
        pipe.zrange(Keys.staff_busy, 0, -1)
        return {phone_id.decode() for phone_id in pipe.execute()[1]}
