"""Reading the operators' counters (hourly and daily buckets `Store.count` writes) and the callback queue.

Every process writes the same buckets, so every web process (and /metrics) agrees.
Only reads here; the summaries (`breakdown`, `hit_rate`, `percentile`) are pure.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field

from helpline.store import Store

HOUR = 3600
DAY = 86400
SELF_CHECK_PREFIX = "sms.intent.check_"  # sms.intent.check_oih | _oud | _both | _none
DELIVERY_FAILED_PREFIX = "delivery.failed."
SEARCH_FOUND = "search.found"  # what a provider search counts: someone found, or nobody
SEARCH_EMPTY = "search.empty"


@dataclass(frozen=True)
class Point:
    """One bucket of a series: its start (UTC) and the count in it."""

    at: dt.datetime
    value: int


def counter_names(store: Store) -> list[str]:
    """Every counter name written so far."""
    return store.counters.names()


def totals(store: Store, names: list[str] | None = None) -> dict[str, int]:
    """Running totals since the service started (never expire; for Prometheus counters)."""
    return store.counters.totals(counter_names(store) if names is None else names)


def hourly(store: Store, name: str, hours: int = 24, now: float | None = None) -> list[Point]:
    """Counts per UTC hour for the last `hours` hours, oldest first, the current hour last."""
    starts = _starts(hours, HOUR, now)
    return _points(starts, store.counters.hours([name], starts)[name])


def daily(store: Store, name: str, days: int = 30, now: float | None = None) -> list[Point]:
    """Counts per UTC day for the last `days` days, oldest first, today last."""
    starts = _starts(days, DAY, now)
    return _points(starts, store.counters.days([name], starts)[name])


def _starts(n: int, step: int, now: float | None) -> list[float]:
    now = time.time() if now is None else now
    return [int(now // step) * step - i * step for i in reversed(range(n))]


def _points(starts: list[float], values: list[int]) -> list[Point]:
    return [Point(dt.datetime.fromtimestamp(s, dt.UTC), v) for s, v in zip(starts, values, strict=True)]


def window_sums(store: Store, names: list[str], days: int = 30, now: float | None = None) -> dict[str, int]:
    """Total per counter over the last `days` days (daily buckets), in one round trip."""
    now = time.time() if now is None else now
    per_day = store.counters.days(names, [now - i * DAY for i in range(days)])
    return {name: sum(values) for name, values in per_day.items()}


def hour_sums(store: Store, names: list[str], hours: int = 24, now: float | None = None) -> dict[str, int]:
    """Total per counter over the last `hours` hours (hourly buckets), in one round trip."""
    now = time.time() if now is None else now
    per_hour = store.counters.hours(names, [now - i * HOUR for i in range(hours)])
    return {name: sum(values) for name, values in per_hour.items()}


def breakdown(sums: dict[str, int], prefix: str) -> dict[str, int]:
    """`{"sms.intent.oih": 3}` with prefix `sms.intent.` -> `{"oih": 3}`, largest first, no zeros."""
    picked = {name[len(prefix) :]: v for name, v in sums.items() if name.startswith(prefix) and v}
    return dict(sorted(picked.items(), key=lambda kv: (-kv[1], kv[0])))


def hit_rate(sums: dict[str, int]) -> float | None:
    """Share of provider searches that found someone (None until the search counts exist)."""
    hits, misses = sums.get(SEARCH_FOUND, 0), sums.get(SEARCH_EMPTY, 0)
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
    store: Store, days: int = 30, now: float | None = None, limit: int = 5000, delays: bool = False
) -> CallbackFigures:
    """Statuses of the last `days` days of callback requests (at most `limit`).

    With `delays`, also the time from request to the first call attempt (from the audit trail).
    """
    now = time.time() if now is None else now
    figures = CallbackFigures()
    tried: dict[str, float] = {}
    for request in store.callback_stats.states_since(now - days * DAY, limit):
        figures.by_status[request.status] = figures.by_status.get(request.status, 0) + 1
        if request.status == "waiting":
            age = now - request.created
            figures.oldest_waiting_seconds = max(figures.oldest_waiting_seconds or 0, age)
            if request.priority == "crisis":
                figures.crisis_waiting += 1
                figures.oldest_crisis_seconds = max(figures.oldest_crisis_seconds or 0, age)
        if delays and (request.attempts or request.status in ("done", "closed")):
            tried[request.id] = request.created
    if tried:
        waits = []
        for created, trail in zip(tried.values(), store.callback_stats.trails(list(tried)), strict=True):
            times = [e["at"] for e in trail if e.get("action") in FIRST_ATTEMPT_ACTIONS]
            if times:
                waits.append(max(0.0, min(times) - created))
        figures.first_attempt_median = percentile(waits, 0.5)
        figures.first_attempt_p90 = percentile(waits, 0.9)
    return figures


def dashboard(store: Store, now: float | None = None) -> dict:
    """Everything the operators' figures panel shows: sums, series, breakdowns and the callback queue."""
    now = time.time() if now is None else now
    names = counter_names(store)
    month = window_sums(store, names, 30, now)
    delivery_sent = month.get("sms.out", 0)
    delivery_failed = sum(v for n, v in month.items() if n.startswith(DELIVERY_FAILED_PREFIX))
    attempts = delivery_sent + delivery_failed
    return {
        "day": hour_sums(store, names, 24, now),
        "month": month,
        "texts_hourly": hourly(store, "sms.in", 24, now),
        "calls_hourly": hourly(store, "call.in", 24, now),
        "texts_daily": daily(store, "sms.in", 30, now),
        "calls_daily": daily(store, "call.in", 30, now),
        "text_choices": breakdown(month, "sms.intent."),
        "call_choices": breakdown(month, "call.menu."),
        "self_check": breakdown(month, SELF_CHECK_PREFIX),
        "delivery_failures": breakdown(month, DELIVERY_FAILED_PREFIX),
        "delivery_rate": delivery_failed / attempts if attempts else None,
        "hit_rate": hit_rate(month),
        "callbacks": callback_figures(store, now=now, delays=True),
        "outcomes": breakdown(month, "callback.outcome."),
        "updated": now,
    }
