"""Operators' counters in Redis: hourly, daily and running-total buckets per counter name.

Every process bumps the same buckets, so every web process (and /metrics) reads the same figures.
"""

from __future__ import annotations

import time

import redis

from helpline.store import Keys

HOUR_BUCKET = "%Y%m%d%H"  # UTC hour, kept 35 days
DAY_BUCKET = "%Y%m%d"  # UTC day, kept 400 days
HOUR_KEPT = 35 * 86400
DAY_KEPT = 400 * 86400

# One counter bump in every bucket, as one command (the texting hot path bumps several).
_COUNT = """
redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('INCRBY', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('INCRBY', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[4])
"""


def lua_count(hour: str, day: str, total: str, names: str, hour_kept: str, day_kept: str, name: str) -> str:
    """The Lua lines that bump one counter in its hour, day and running-total keys, for a script that
    counts as part of a larger write (arguments: the Lua expressions holding each key and value)."""
    return (
        f"redis.call('INCR', {hour})\n"
        f"redis.call('EXPIRE', {hour}, {hour_kept})\n"
        f"redis.call('INCR', {day})\n"
        f"redis.call('EXPIRE', {day}, {day_kept})\n"
        f"redis.call('INCR', {total})\n"
        f"redis.call('SADD', {names}, {name})\n"
    )


class Counters:
    """Counts of events by name; no personal data (names are checked words, values are numbers)."""

    def __init__(self, r: redis.Redis, vault, retention_seconds: int):
        self._r = r

    def count(self, name: str, now: float | None = None, amount: int = 1, pipe=None) -> None:
        """Hourly and daily buckets plus a running total (never expires: Prometheus counters only go up)."""
        keys = (*self.bucket_keys(name, now), Keys.stat_names)
        # EVAL, not EVALSHA: inside a pipeline it needs no SCRIPT EXISTS round trip first.
        (pipe if pipe is not None else self._r).eval(
            _COUNT, len(keys), *keys, amount, HOUR_KEPT, DAY_KEPT, name
        )

    @staticmethod
    def bucket_keys(name: str, now: float | None = None) -> tuple[str, str, str]:
        """The hour, day and running-total keys a count of `name` at `now` goes to (scripts bump them)."""
        moment = time.gmtime(now or time.time())
        return (
            Keys.stat(name, time.strftime(HOUR_BUCKET, moment)),
            Keys.stat(name, time.strftime(DAY_BUCKET, moment)),
            Keys.stat(name, "total"),
        )

    @staticmethod
    def buckets(now: float | None = None) -> tuple[str, str]:
        """The hour's and the day's bucket names at `now` (scripts that count build keys from them)."""
        moment = time.gmtime(now or time.time())
        return time.strftime(HOUR_BUCKET, moment), time.strftime(DAY_BUCKET, moment)

    @staticmethod
    def lifetimes() -> tuple[int, int]:
        """How long an hour's and a day's bucket are kept, in seconds."""
        return HOUR_KEPT, DAY_KEPT

    def names(self) -> list[str]:
        """Every counter name written so far."""
        return sorted(n.decode() for n in self._r.smembers(Keys.stat_names))

    def totals(self, names: list[str]) -> dict[str, int]:
        """Running totals since the service started."""
        if not names:
            return {}
        values = self._r.mget([Keys.stat(n, "total") for n in names])
        return {n: int(v or 0) for n, v in zip(names, values, strict=True)}

    def hours(self, names: list[str], starts: list[float]) -> dict[str, list[int]]:
        """Each counter's value in the UTC hours starting at `starts`, in their order; one round trip."""
        return self._buckets(names, [time.strftime(HOUR_BUCKET, time.gmtime(s)) for s in starts])

    def days(self, names: list[str], starts: list[float]) -> dict[str, list[int]]:
        """Each counter's value in the UTC days starting at `starts`, in their order; one round trip."""
        return self._buckets(names, [time.strftime(DAY_BUCKET, time.gmtime(s)) for s in starts])

    def _buckets(self, names: list[str], buckets: list[str]) -> dict[str, list[int]]:
        if not names or not buckets:
            return {name: [0] * len(buckets) for name in names}
        pipe = self._r.pipeline(transaction=False)
        for name in names:
            pipe.mget([Keys.stat(name, b) for b in buckets])
        return {
            name: [int(v or 0) for v in values] for name, values in zip(names, pipe.execute(), strict=True)
        }
