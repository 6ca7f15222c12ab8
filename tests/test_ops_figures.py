"""Counters read back per hour and per day, and the pure summaries operators see."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from helpline.infra.burst import drain
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


# -- figures over a range of days, on the helpline's clock -------------------------------------------

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def settings(settings, findtreatment_fake):
    """Searches that miss the directory go to the local fake locator, never the internet."""
    return settings.with_overrides(findtreatment_api_url=findtreatment_fake.url, locator_read_timeout=1.0)


def this_week(now: float | None = None) -> figures.DateRange:
    return figures.DateRange.last_days(7, NEW_YORK, time.time() if now is None else now)


def test_a_repeated_call_is_one_callback_request(store, text):
    text("call")
    text("call")  # updates the open request
    text("CALL please")
    text("call", sender="+15551230002")
    result = figures.range_figures(store, this_week())
    assert result.callbacks == 2
    assert figures.totals(store, ["callback.requested"]) == {"callback.requested": 4}  # how often asked


def test_texts_out_count_the_replies_and_the_workers_texts(app, store, text, small_directory):
    replies = text("oih") + text("10001")  # the explainer, then "looking up…"
    drain(store.rq_connection)  # the worker texts the providers found
    result = figures.range_figures(store, this_week())
    assert result.texts_in == 2
    assert result.texts_replied == len(replies)
    sent = [m for m in store.delivery.outbox() if m["to"] == "+15551230001"]
    assert result.texts_out == len(replies) + len(sent) and sent


def test_each_search_is_found_empty_or_failed_exactly_once(
    app, store, text, small_directory, findtreatment_fake
):
    text("10001", sender="+15551230011")  # near the directory: found
    text("99950", sender="+15551230012")  # Ketchikan: nobody near, the locator knows nobody either
    drain(store.rq_connection)
    findtreatment_fake.fail_with = 503
    text("22902", sender="+15551230013")  # not in the directory and the locator is down: failed
    drain(store.rq_connection, scheduled_now=True)  # every retry, then the last try answers
    result = figures.range_figures(store, this_week())
    assert (result.search_found, result.search_empty, result.search_failed) == (1, 1, 1)
    assert result.searches == 3 == result.search_found + result.search_empty + result.search_failed
    assert result.hit_rate == pytest.approx(1 / 3)


def test_searches_by_phone_add_up_too(phone_call, store, small_directory, findtreatment_fake):
    for keys in (["2", "10001", "1"], ["2", "99950", "1"]):
        call = phone_call()
        call.start()
        for key in keys:
            call.press(key)
    result = figures.range_figures(store, this_week())
    assert result.searches == result.search_found + result.search_empty + result.search_failed == 2
    assert result.search_found == 1


def test_a_call_s_search_texted_to_the_caller_as_well_is_one_search(phone_call, store, small_directory):
    call = phone_call()
    call.start()
    call.press("2")
    call.press("10001")  # read out: one search
    call.press("1")  # and texted: the same search, not a second one
    drain(store.rq_connection)
    assert any("Treatment near 10001" in m["body"] for m in store.delivery.outbox())
    result = figures.range_figures(store, this_week())
    assert (result.searches, result.search_found) == (1, 1)


def test_days_are_the_helpline_s_days_not_utc_ones(store):
    # 03:30 UTC on 10 March 2026 is 23:30 on 9 March in New York.
    late_evening = dt.datetime(2026, 3, 10, 3, 30, tzinfo=dt.UTC).timestamp()
    store.count("sms.in", late_evening)
    store.count("sms.in", late_evening + 3600)  # 00:30 on the 10th in New York
    now = late_evening + 86400
    ninth = figures.DateRange(dt.date(2026, 3, 9), dt.date(2026, 3, 9), NEW_YORK)
    tenth = figures.DateRange(dt.date(2026, 3, 10), dt.date(2026, 3, 10), NEW_YORK)
    assert figures.range_figures(store, ninth, now).texts_in == 1
    assert figures.range_figures(store, tenth, now).texts_in == 1
    hours = figures.range_figures(store, ninth, now).series("sms.in")
    assert len(hours) == 24 and hours[-1].at.hour == 23 and hours[-1].value == 1  # charted on the local hour
    both = figures.range_figures(
        store, figures.DateRange(dt.date(2026, 3, 9), dt.date(2026, 3, 10), NEW_YORK), now
    )
    assert [(p.at.date().day, p.value) for p in both.series("sms.in")] == [(9, 1), (10, 1)]


def test_days_older_than_the_hourly_counts_come_from_the_daily_ones(store):
    now = time.time()
    long_ago = now - 100 * 86400
    store.count("call.in", long_ago)
    store._r.delete(*store._r.keys("hl:stat:call.in:??????????"))  # the hourly buckets are long gone
    day = dt.datetime.fromtimestamp(long_ago, dt.UTC).date()
    counts = figures.read_counts(store, ["call.in"], figures.DateRange(day, day, NEW_YORK), now)
    assert counts.total("call.in") == 1 and counts.old_days == [day] and not counts.hours_cover_range
    spanning = figures.DateRange(day - dt.timedelta(days=1), this_week(now).end, NEW_YORK)
    per_day = figures.range_figures(store, spanning, now).series("call.in")
    assert sum(p.value for p in per_day) == 1 and [p.value for p in per_day][1] == 1


def test_a_range_is_read_from_the_page_s_inputs():
    now = dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC).timestamp()
    default = figures.DateRange.parse(None, "", NEW_YORK, now)
    assert (default.start, default.end) == (dt.date(2026, 3, 4), dt.date(2026, 3, 10))
    chosen = figures.DateRange.parse("2026-03-01", "2026-03-02", NEW_YORK, now)
    assert chosen.days == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    assert chosen.since == dt.datetime(2026, 3, 1, tzinfo=NEW_YORK).timestamp()
    assert figures.DateRange.parse("2026-03-01", "2030-01-01", NEW_YORK, now).end == dt.date(2026, 3, 10)
    assert figures.DateRange.parse("1999-01-01", None, NEW_YORK, now).start == dt.date(2025, 2, 4)
    for start, end in (("yesterday", None), ("2026-03-05", "2026-03-01"), ("2020-01-01", "2020-01-02")):
        with pytest.raises(figures.BadRange):
            figures.DateRange.parse(start, end, NEW_YORK, now)


def test_service_figures_time_to_first_attempt_and_reached_within_1_h_and_24_h(store):
    from helpline.services import audit, callbacks

    now = time.time()
    # (hours ago the request was made, minutes to the first call, minutes to a reached outcome or None)
    made = [(30, 10, 20), (30, 50, None), (30, 120, 600), (5, 30, None), (0.5, None, None)]
    for i, (hours_ago, tried, reached) in enumerate(made):
        created = now - hours_ago * 3600
        request, _ = callbacks.request_callback(
            store, f"+1555123011{i}", lang="en", reason="callback", priority=False, channel="sms", now=created
        )
        if tried is not None:
            audit.record(store, request.id, "sam@example.org", "call", now=created + tried * 60)
            audit.record(
                store, request.id, "sam@example.org", "outcome", "no_answer next=1", now=created + tried * 60
            )
        if reached is not None:
            audit.record(
                store, request.id, "sam@example.org", "outcome", "reached", now=created + reached * 60
            )
    service = figures.range_figures(store, this_week(now), now).service
    assert (service.requests, service.tried) == (5, 4)
    assert service.first_attempt_median == 30 * 60 and service.first_attempt_p90 == 120 * 60
    assert service.old_enough_1h == 4  # the request made 30 min ago cannot tell yet
    assert service.reached_1h == pytest.approx(1 / 4)
    assert service.old_enough_24h == 3 and service.reached_24h == pytest.approx(2 / 3)


def test_calls_for_a_person_answered_voicemail_or_abandoned(phone_call, staff_on_duty, store):
    hour = dt.datetime.now(NEW_YORK).hour
    taken = phone_call(dial_outcome="completed")  # a staff phone takes it
    taken.start()
    taken.press("4")
    nobody = phone_call(caller="+15551230021", dial_outcome="no-answer")
    nobody.start()
    nobody.press("4")  # nobody answers: the voicemail prompt
    nobody.say("Hi it's Ann, please call me back")
    gone = phone_call(caller="+15551230022", dial_outcome="no-answer")
    gone.start()
    gone.press("4")
    gone.hang_up()  # at the beep
    person = figures.range_figures(store, this_week()).person
    assert (person.asked, person.answered, person.voicemail, person.abandoned) == (3, 1, 1, 1)
    assert sum(person.missed_by_hour) == 2  # the voicemail and the hang-up …
    assert person.missed_by_hour[hour] + person.missed_by_hour[(hour + 1) % 24] == 2  # … when they rang
