"""What every worker shares about the FindTreatment locator: cached answers and the circuit breaker.

Answers are cached per area so a neighbourhood's texters share one call; the breaker opens after
a run of failures and lets one trial request through after the cooldown. Both live in Redis so
every web and worker process agrees on them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time

import redis

from helpline.store import Keys

log = logging.getLogger(__name__)


def _hashed(area: str) -> str:
    # The key names where someone searched, so it is kept as a digest, not coordinates in the clear.
    return hashlib.sha256(area.encode()).hexdigest()[:32]


class BreakerOpen(Exception):
    """The breaker says: do not call the locator now (open, or another process holds the trial)."""


class LocatorState:
    def __init__(self, r: redis.Redis):
        self._r = r

    # -- answers cached per area ---------------------------------------------------------
    def cached_rows(self, area: str) -> list[dict] | None:
        raw = self._r.get(Keys.locator_cache(_hashed(area)))
        return json.loads(raw) if raw is not None else None

    def cache_rows(self, area: str, rows: list[dict], seconds: int) -> None:
        self._r.set(Keys.locator_cache(_hashed(area)), json.dumps(rows), ex=seconds)

    # -- circuit breaker -----------------------------------------------------------------
    def allow(self, trial_seconds: int) -> None:
        """Return when a call may go out; BreakerOpen when it may not."""
        open_until = float(self._r.hget(Keys.locator_breaker, "open_until") or 0)
        if not open_until:
            return
        if time.time() < open_until:
            raise BreakerOpen("breaker open")
        # Half-open: one process tries; the rest keep skipping until it reports back.
        if not self._r.set(Keys.locator_probe(), b"1", nx=True, ex=trial_seconds):
            raise BreakerOpen("breaker half-open, trial in flight")

    def failed(self, error: str, threshold: int, cooldown: int) -> int:
        """Count a failure (opening the breaker at `threshold` in a row); returns the run's length."""
        now = time.time()
        pipe = self._r.pipeline()
        pipe.hincrby(Keys.locator_breaker, "failures", 1)
        pipe.hset(Keys.locator_health, mapping={"last_error": error, "last_error_at": now})
        failures = int(pipe.execute()[0])
        if failures >= threshold:
            self._r.hset(Keys.locator_breaker, "open_until", now + cooldown)
            log.warning("event=locator.breaker_open failures=%d cooldown=%d", failures, cooldown)
        self._r.delete(Keys.locator_probe())
        return failures

    def succeeded(self) -> None:
        pipe = self._r.pipeline()
        pipe.delete(Keys.locator_breaker, Keys.locator_probe())
        pipe.hset(Keys.locator_health, "last_ok", time.time())
        pipe.execute()

    def health(self) -> dict:
        """Breaker state (closed, open, half-open), failures in a row, last answer and last error."""
        breaker = {k.decode(): v.decode() for k, v in self._r.hgetall(Keys.locator_breaker).items()}
        health = {k.decode(): v.decode() for k, v in self._r.hgetall(Keys.locator_health).items()}
        open_until = float(breaker.get("open_until") or 0)
        if open_until and time.time() < open_until:
            state = "open"
        elif open_until:
            state = "half-open"
        else:
            state = "closed"
        return {
            "breaker": state,
            "failures": int(breaker.get("failures") or 0),
            "last_ok": float(health["last_ok"]) if "last_ok" in health else None,
            "last_error": health.get("last_error"),
            "last_error_at": float(health["last_error_at"]) if "last_error_at" in health else None,
        }
