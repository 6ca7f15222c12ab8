"""The callback queue's rules, pure: order, retry backoff, outcomes, leases and who may act."""

import datetime as dt
from dataclasses import replace

import pytest

from config.settings import Settings
from helpline.domain.callback_rules import (
    CallbackPolicy,
    CallbackRequest,
    NotHolder,
    Outcome,
    apply_outcome,
    decide_outcome,
    effective_status,
    escalated,
    holder,
    is_due,
    lapsed,
    next_attempt_at,
    outcome_detail,
    require_holder,
)
from helpline.domain.hours import BusinessHours
from helpline.services.callbacks import policy

NY = dt.timezone(dt.timedelta(hours=-5))  # America/New_York in November (EST)
WEEKDAYS_9_TO_5 = BusinessHours.from_dict(
    {
        "timezone": "America/New_York",
        "weekly": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-11-26"],  # Thanksgiving
    }
)
POLICY = CallbackPolicy(
    lease=dt.timedelta(minutes=15),
    max_attempts=3,
    retry=dt.timedelta(hours=2),
    crisis_retry=dt.timedelta(minutes=15),
    follow_up_after=dt.timedelta(hours=48),
    follow_up_wait=dt.timedelta(hours=48),
)
T0 = 1_800_000_000.0


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=NY)  # 23 Nov 2026 is a Monday


def request(**fields) -> CallbackRequest:
    base = {"id": "cb000001", "created": T0, "priority": "normal", "lang": "en", "zip": None}
    return CallbackRequest(**(base | {"reason": "callback", "channel": "sms"} | fields))


def claimed(by: str = "ana@x.org", lease_until: float = T0 + 900, **fields) -> CallbackRequest:
    return request(status="claimed", claimed_by=by, lease_until=lease_until, **fields)


def test_the_shipped_settings_are_the_designed_policy():
    assert policy(Settings()) == POLICY


# -- order ------------------------------------------------------------------------------------


def test_crisis_comes_before_every_normal_request_then_the_oldest():
    old, new = request(created=T0 - 3600), request(created=T0)
    crisis = request(created=T0 + 3600, priority="crisis")
    assert sorted([new, crisis, old], key=CallbackRequest.rank) == [crisis, old, new]


def test_a_crisis_after_a_plain_request_makes_it_a_crisis_once():
    crisis = escalated(request(), "crisis", T0 + 5)
    assert (crisis.priority, crisis.reason, crisis.updated) == ("crisis", "crisis", T0 + 5)
    assert escalated(crisis, "crisis", T0 + 9) is None


# -- the retry backoff -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "attempts, now, expected",
    [
        (1, at(23, 10), at(23, 12)),  # Mon 10:00 miss -> 2 h later, same day
        (1, at(23, 16), at(24, 9)),  # Mon 16:00 -> 18:00 is closed -> Tue 9:00
        (2, at(23, 12), at(24, 9)),  # second miss -> next business morning
        (2, at(25, 10), at(27, 9)),  # Wed -> Thu is a holiday -> Fri 9:00
        (2, at(27, 15), at(30, 9)),  # Fri -> Mon 9:00
        (3, at(23, 10), None),  # three tries: stop
    ],
)
def test_backoff_two_hours_then_next_business_morning_then_stop(attempts, now, expected):
    assert next_attempt_at(attempts, now, WEEKDAYS_9_TO_5, POLICY) == expected


@pytest.mark.parametrize(
    "attempts, now, expected",
    [
        (1, at(23, 10), at(23, 10) + dt.timedelta(minutes=15)),  # a crisis is tried again soon
        (2, at(23, 10), at(23, 10) + dt.timedelta(minutes=15)),  # not the next morning
        (1, at(23, 16, 50), at(23, 17, 5)),  # even after the line closes: whoever is on duty sees it due
        (3, at(23, 10), None),  # three tries: stop
    ],
)
def test_a_crisis_request_is_tried_again_after_fifteen_minutes(attempts, now, expected):
    assert next_attempt_at(attempts, now, WEEKDAYS_9_TO_5, POLICY, crisis=True) == expected


def test_the_policy_sets_the_delays_and_the_number_of_tries():
    patient = replace(POLICY, retry=dt.timedelta(hours=1), max_attempts=5)
    assert next_attempt_at(1, at(23, 10), WEEKDAYS_9_TO_5, patient) == at(23, 11)
    assert next_attempt_at(4, at(23, 10), WEEKDAYS_9_TO_5, patient) == at(24, 9)
    assert next_attempt_at(5, at(23, 10), WEEKDAYS_9_TO_5, patient) is None


# -- outcomes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome, attempts, status, final_text",
    [
        (Outcome.REACHED, 1, "done", False),
        (Outcome.REFERRED, 1, "done", False),
        (Outcome.DECLINED, 2, "done", False),
        (Outcome.WRONG_NUMBER, 1, "closed", False),
        (Outcome.NO_ANSWER, 1, "waiting", False),
        (Outcome.VOICEMAIL_LEFT, 2, "waiting", False),
        (Outcome.NO_ANSWER, 3, "closed", True),
        (Outcome.VOICEMAIL_LEFT, 3, "closed", True),
    ],
)
def test_outcome_decides_what_happens_next(outcome, attempts, status, final_text):
    decision = decide_outcome(outcome, attempts, at(23, 10), WEEKDAYS_9_TO_5, POLICY)
    assert (decision.status, decision.final_text) == (status, final_text)
    assert (decision.next_attempt_at is not None) == (status == "waiting")


def test_an_outcome_counts_the_attempt_ends_the_claim_and_sets_the_next_try():
    now = at(23, 10).timestamp()
    after, decision = apply_outcome(
        claimed(lease_until=now + 60), "ana@x.org", Outcome.NO_ANSWER, now, WEEKDAYS_9_TO_5, POLICY
    )
    assert (after.status, after.attempts, after.claimed_by, after.lease_until) == ("waiting", 1, None, None)
    assert after.next_attempt_at == at(23, 12).timestamp() == decision.next_attempt_at.timestamp()
    assert outcome_detail(Outcome.NO_ANSWER, after) == f"no_answer next={int(at(23, 12).timestamp())}"
    done, _ = apply_outcome(
        claimed(lease_until=now + 60), "ana@x.org", Outcome.REACHED, now, WEEKDAYS_9_TO_5, POLICY
    )
    assert (done.status, done.next_attempt_at) == ("done", None)
    assert outcome_detail(Outcome.REACHED, done) == "reached"


@pytest.mark.parametrize(
    "current",
    [None, request(), claimed(by="bo@x.org"), claimed(lease_until=T0 - 1), request(status="done")],
    ids=["missing", "unclaimed", "someone else", "lapsed", "closed"],
)
def test_only_the_holder_records_an_outcome(current):
    with pytest.raises(NotHolder):
        apply_outcome(current, "ana@x.org", Outcome.REACHED, T0, WEEKDAYS_9_TO_5, POLICY)


# -- leases and who may act ------------------------------------------------------------------


def test_a_claim_holds_while_its_lease_runs_and_lapses_by_itself():
    held = claimed(lease_until=T0 + 900)
    assert holder(held, T0 + 899) == "ana@x.org" and effective_status(held, T0 + 899) == "claimed"
    assert require_holder(held, "ana@x.org", T0 + 899) is held
    assert not lapsed(held, T0 + 899)
    assert holder(held, T0 + 900) is None and effective_status(held, T0 + 900) == "waiting"
    assert lapsed(held, T0 + 900)
    with pytest.raises(NotHolder):
        require_holder(held, "ana@x.org", T0 + 900)
    with pytest.raises(NotHolder):
        require_holder(held, "bo@x.org", T0)
    assert not lapsed(request(), T0) and effective_status(request(status="done"), T0) == "done"


def test_a_request_is_due_when_its_next_try_has_come():
    assert is_due(request(), T0)
    later = request(next_attempt_at=T0 + 60)
    assert not is_due(later, T0) and is_due(later, T0 + 60)


def test_missed_calls_alone_never_close_a_crisis_request_made_hours_ago_or_less():
    opened = at(23, 10)
    quick = opened + dt.timedelta(seconds=4)  # three "No answer" in a few seconds
    decision = decide_outcome(
        Outcome.NO_ANSWER, 3, quick, WEEKDAYS_9_TO_5, POLICY, crisis=True, opened=opened
    )
    assert decision.status == "waiting" and not decision.final_text  # no "we tried 3 times" text
    assert decision.next_attempt_at == quick + POLICY.crisis_retry
    later = opened + POLICY.crisis_keep_trying + dt.timedelta(minutes=1)
    after_a_night = decide_outcome(
        Outcome.NO_ANSWER, 9, later, WEEKDAYS_9_TO_5, POLICY, crisis=True, opened=opened
    )
    assert after_a_night.status == "closed" and after_a_night.final_text
    # Not a crisis: the third missed call still ends it, as before.
    assert (
        decide_outcome(Outcome.NO_ANSWER, 3, quick, WEEKDAYS_9_TO_5, POLICY, opened=opened).status == "closed"
    )
