"""Reading the operators' counters: hourly and daily buckets `Store.count` writes, and live gauges.

Every process writes the same Redis buckets, so every web process (and /metrics) agrees.
Only reads here; the summaries (`breakdown`, `hit_rate`, `percentile`) are pure.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from dataclasses import dataclass, field

import redis

from helpline.store import Keys

HOUR = 3600
DAY = 86400
SELF_CHECK_PREFIX = "sms.intent.check_"  # sms.intent.check_oih | _oud | _both | _none
DELIVERY_FAILED_PREFIX = "delivery.failed."
SEARCH_HIT_NAMES = ("search.found", "search.hit")  # what the directory search counts, whichever exists
SEARCH_MISS_NAMES = ("search.empty", "search.none", "search.miss")


@dataclass(frozen=True)
class Point:
    """One bucket of a series: its start (UTC) and the count in it."""

    at: dt.datetime
    value: int


def counter_names(r: redis.Redis) -> list[str]:
    """Every counter name written so far (the set `Store.count` keeps)."""
    return sorted(n.decode() for n in r.smembers(Keys.stat_names))


def totals(r: redis.Redis, names: list[str] | None = None) -> dict[str, int]:
    """Running totals since the service started (never expire; for Prometheus counters)."""
    names = counter_names(r) if names is None else names
    if not names:
        return {}
    values = r.mget([Keys.stat(n, "total") for n in names])
    return {n: int(v or 0) for n, v in zip(names, values, strict=True)}


def hourly(r: redis.Redis, name: str, hours: int = 24, now: float | None = None) -> list[Point]:
    """Counts per UTC hour for the last `hours` hours, oldest first, the current hour last."""
    return _series(r, name, hours, HOUR, "%Y%m%d%H", now)


def daily(r: redis.Redis, name: str, days: int = 30, now: float | None = None) -> list[Point]:
    """Counts per UTC day for the last `days` days, oldest first, today last."""
    return _series(r, name, days, DAY, "%Y%m%d", now)


def _series(r: redis.Redis, name: str, n: int, step: int, fmt: str, now: float | None) -> list[Point]:
    now = time.time() if now is None else now
    starts = [int(now // step) * step - i * step for i in reversed(range(n))]
    keys = [Keys.stat(name, time.strftime(fmt, time.gmtime(s))) for s in starts]
    values = r.mget(keys) if keys else []
    return [
        Point(dt.datetime.fromtimestamp(s, dt.UTC), int(v or 0)) for s, v in zip(starts, values, strict=True)
    ]


def window_sums(r: redis.Redis, names: list[str], days: int = 30, now: float | None = None) -> dict[str, int]:
    """Total per counter over the last `days` days (daily buckets), in one round trip."""
    now = time.time() if now is None else now
    return _bucket_sums(r, names, [time.strftime("%Y%m%d", time.gmtime(now - i * DAY)) for i in range(days)])


def hour_sums(r: redis.Redis, names: list[str], hours: int = 24, now: float | None = None) -> dict[str, int]:
    """Total per counter over the last `hours` hours (hourly buckets), in one round trip."""
    now = time.time() if now is None else now
    return _bucket_sums(
        r, names, [time.strftime("%Y%m%d%H", time.gmtime(now - i * HOUR)) for i in range(hours)]
    )


def _bucket_sums(r: redis.Redis, names: list[str], buckets: list[str]) -> dict[str, int]:
    pipe = r.pipeline(transaction=False)
    for name in names:
        pipe.mget([Keys.stat(name, b) for b in buckets])
    return {
        name: sum(int(v or 0) for v in values) for name, values in zip(names, pipe.execute(), strict=True)
    }


def breakdown(sums: dict[str, int], prefix: str) -> dict[str, int]:
    """`{"sms.intent.oih": 3}` with prefix `sms.intent.` -> `{"oih": 3}`, largest first, no zeros."""
    picked = {name[len(prefix) :]: v for name, v in sums.items() if name.startswith(prefix) and v}
    return dict(sorted(picked.items(), key=lambda kv: (-kv[1], kv[0])))


def hit_rate(sums: dict[str, int]) -> float | None:
    """Share of provider searches that found someone (None until the search counts exist)."""
    hits = sum(sums.get(n, 0) for n in SEARCH_HIT_NAMES)
    misses = sum(sums.get(n, 0) for n in SEARCH_MISS_NAMES)
    return hits / (hits + misses) if hits + misses else None


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (0 < fraction <= 1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


@dataclass
class CallbackFigures:
    """The callback queue now, and how fast people were first tried."""

    by_status: dict[str, int] = field(default_factory=dict)
    crisis_waiting: int = 0
    oldest_waiting_seconds: float | None = None
    oldest_crisis_seconds: float | None = None
    first_attempt_median: float | None = None
    first_attempt_p90: float | None = None


FIRST_ATTEMPT_ACTIONS = ("call", "outcome")  # audit actions that mean staff tried to reach the person


def callback_figures(
    r: redis.Redis, days: int = 30, now: float | None = None, limit: int = 5000, delays: bool = False
) -> CallbackFigures:
    """Statuses of the last `days` days of callback requests (at most `limit`), read field by field.

    With `delays`, also the time from request to the first call attempt (from the audit trail).
    """
    now = time.time() if now is None else now
    ids = [
        i.decode() for i in r.zrangebyscore(Keys.callbacks_all, now - days * DAY, "+inf", start=0, num=limit)
    ]
    pipe = r.pipeline(transaction=False)
    for callback_id in ids:
        pipe.hmget(Keys.callback(callback_id), "status", "priority", "created", "attempts")
    figures = CallbackFigures()
    tried: dict[str, float] = {}
    for callback_id, (status, priority, created, attempts) in zip(
        ids, pipe.execute() if ids else [], strict=True
    ):
        if status is None:
            continue  # expired since it was listed
        status = json.loads(status)
        figures.by_status[status] = figures.by_status.get(status, 0) + 1
        created = float(json.loads(created or "0"))
        if status == "waiting":
            age = now - created
            figures.oldest_waiting_seconds = max(figures.oldest_waiting_seconds or 0, age)
            if json.loads(priority or '""') == "crisis":
                figures.crisis_waiting += 1
                figures.oldest_crisis_seconds = max(figures.oldest_crisis_seconds or 0, age)
        if delays and (json.loads(attempts or "0") or status in ("done", "closed")):
            tried[callback_id] = created
    if tried:
        pipe = r.pipeline(transaction=False)
        for callback_id in tried:
            pipe.lrange(Keys.callback_audit(callback_id), 0, -1)
        waits = []
        for created, trail in zip(tried.values(), pipe.execute(), strict=True):
            times = [e["at"] for e in map(json.loads, trail) if e.get("action") in FIRST_ATTEMPT_ACTIONS]
            if times:
                waits.append(max(0.0, min(times) - created))
        figures.first_attempt_median = percentile(waits, 0.5)
        figures.first_attempt_p90 = percentile(waits, 0.9)
    return figures
