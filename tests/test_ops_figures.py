"""Counters read back per hour and per day, and the pure summaries operators see."""

from __future__ import annotations

import datetime as dt
import time

from helpline.services import figures

NOW = dt.datetime(2026, 3, 10, 15, 30, tzinfo=dt.UTC).timestamp()


def test_hourly_series_puts_each_text_in_its_hour(store):
    store.count("sms.in", NOW)
    store.count("sms.in", NOW - 60)
    store.count("sms.in", NOW - 3 * 3600)
    store.count("sms.in", NOW - 30 * 3600)  # outside the last 24 hours
    series = figures.hourly(store, "sms.in", 24, NOW)
    assert len(series) == 24
    assert series[-1] == figures.Point(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC), 2)
    assert series[-4].value == 1
    assert sum(p.value for p in series) == 3


def test_daily_series_and_window_sums_cover_thirty_days(store):
    for days_ago in (0, 1, 1, 29, 31):
        store.count("crisis", NOW - days_ago * 86400)
    series = figures.daily(store, "crisis", 30, NOW)
    assert [p.value for p in series][-2:] == [2, 1]
    assert sum(p.value for p in series) == 4
    assert figures.window_sums(store, ["crisis"], 30, NOW) == {"crisis": 4}
    assert figures.totals(store) == {"crisis": 5}


def test_counters_expire_on_their_own(store, redis):
    store.count("sms.in", time.time())
    hour_key = next(k for k in redis.keys("hl:stat:sms.in:??????????"))
    day_key = next(k for k in redis.keys("hl:stat:sms.in:????????"))
    assert 34 * 86400 < redis.ttl(hour_key) <= 35 * 86400
    assert 399 * 86400 < redis.ttl(day_key) <= 400 * 86400
    assert redis.ttl("hl:stat:sms.in:total") == -1


def test_breakdown_and_hit_rate():
    sums = {"sms.intent.oih": 3, "sms.intent.signs": 5, "sms.intent.menu": 0, "sms.in": 9}
    assert figures.breakdown(sums, "sms.intent.") == {"signs": 5, "oih": 3}
    assert figures.hit_rate({}) is None
    assert figures.hit_rate({"search.found": 3, "search.empty": 1}) == 0.75


def test_percentile_nearest_rank():
    assert figures.percentile([], 0.5) is None
    assert figures.percentile([5.0], 0.9) == 5.0
    assert figures.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5) == 5
    assert figures.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9


def test_callback_figures_after_texts(text, store):
    text("call")
    text("overdose", sender="+15551230009")
    result = figures.callback_figures(store)
    assert result.by_status == {"waiting": 2}
    assert result.crisis_waiting == 1
    assert result.oldest_waiting_seconds is not None and result.oldest_waiting_seconds < 60


def test_time_to_first_attempt_comes_from_the_audit_trail(store):
    from helpline.services import audit, callbacks

    now = time.time()
    for i, wait in enumerate((60, 120, 600)):
        request, _ = callbacks.request_callback(
            store,
            f"+1555123010{i}",
            lang="en",
            reason="callback",
            priority=False,
            channel="sms",
            now=now - 3600,
        )
        audit.record(store, request.id, "sam@example.org", "claim", now=now - 3600 + wait / 2)
        audit.record(store, request.id, "sam@example.org", "call", now=now - 3600 + wait)
        audit.record(store, request.id, "sam@example.org", "call", now=now - 60)  # a later attempt
        request.attempts = 1
        callbacks.save(store, request)
    result = figures.callback_figures(store, now=now, delays=True)
    assert result.first_attempt_median == 120
    assert result.first_attempt_p90 == 600
    assert figures.callback_figures(store, now=now).first_attempt_median is None  # /metrics skips the trails
