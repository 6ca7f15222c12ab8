"""The queue in Redis: atomic claims, leases that lapse, outcomes, retries, final text, follow-up.

The rules themselves (order, backoff, who may act) are tested pure in test_callback_rules.py.
"""

import threading
import time
from zoneinfo import ZoneInfo

import pytest
from rq.registry import ScheduledJobRegistry

from helpline.infra import queues
from helpline.infra.burst import drain
from helpline.services import audit, callbacks
from helpline.services.callbacks import ClaimRefused, NotHolder, Outcome
from tests.conftest import TEXTER

# -- Redis: claims ----------------------------------------------------------------------------


@pytest.fixture
def hl(app):
    return app.extensions["helpline"]


@pytest.fixture
def lease(hl):
    return hl.settings.callback_lease_seconds


@pytest.fixture
def waiting_request(store, text):
    text("call")
    (request,) = callbacks.waiting(store)
    return request


def test_two_simultaneous_claims_exactly_one_wins(store, text, hl):
    for round_ in range(15):
        request, _ = callbacks.request_callback(
            store, f"+1555123{round_:04d}", lang="en", reason="callback", priority=False, channel="sms"
        )
        barrier = threading.Barrier(2)
        results = {}

        def claim(who, request_id=request.id, barrier=barrier, results=results):
            barrier.wait()
            try:
                callbacks.claim(hl, request_id, who)
                results[who] = "won"
            except ClaimRefused as exc:
                results[who] = exc.holder

        threads = [threading.Thread(target=claim, args=(w,)) for w in ("ana@x.org", "bo@x.org")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [w for w, r in results.items() if r == "won"]
        assert len(winners) == 1, results
        loser = ({"ana@x.org", "bo@x.org"} - set(winners)).pop()
        assert results[loser] == winners[0]  # the loser is told who holds it
        assert callbacks.holder(callbacks.get(store, request.id)) == winners[0]


def test_abandoned_claim_lapses_and_returns_to_the_queue(store, waiting_request, hl, lease):
    t0 = time.time()
    callbacks.claim(hl, waiting_request.id, "ana@x.org", now=t0)
    with pytest.raises(ClaimRefused):
        callbacks.claim(hl, waiting_request.id, "bo@x.org", now=t0 + 60)
    later = t0 + lease + 1
    request = callbacks.get(store, waiting_request.id)
    assert callbacks.holder(request, later) is None
    assert callbacks.effective_status(request, later) == "waiting"
    callbacks.claim(hl, waiting_request.id, "bo@x.org", now=later)
    assert not callbacks.renew_lease(hl, waiting_request.id, "ana@x.org", now=later + 1)
    with pytest.raises(NotHolder):
        callbacks.record_outcome(hl, waiting_request.id, "ana@x.org", Outcome.REACHED, now=later + 2)


def test_renewing_keeps_the_claim(store, waiting_request, hl, lease):
    t0 = time.time()
    callbacks.claim(hl, waiting_request.id, "ana@x.org", now=t0)
    assert callbacks.renew_lease(hl, waiting_request.id, "ana@x.org", now=t0 + 600)
    request = callbacks.get(store, waiting_request.id)
    assert callbacks.holder(request, t0 + 600 + lease - 1) == "ana@x.org"


def test_release_by_hand_returns_it_and_only_the_holder_can(store, waiting_request, hl):
    callbacks.claim(hl, waiting_request.id, "ana@x.org")
    with pytest.raises(NotHolder):
        callbacks.release(store, waiting_request.id, "bo@x.org")
    callbacks.release(store, waiting_request.id, "ana@x.org")
    assert callbacks.holder(callbacks.get(store, waiting_request.id)) is None
    callbacks.claim(hl, waiting_request.id, "bo@x.org")
    actions = [(e.who, e.action) for e in audit.trail(store, waiting_request.id)]
    assert actions == [("ana@x.org", "claim"), ("ana@x.org", "release"), ("bo@x.org", "claim")]


def test_closed_requests_cannot_be_claimed(hl, store, waiting_request):
    callbacks.claim(hl, waiting_request.id, "ana@x.org")
    callbacks.record_outcome(hl, waiting_request.id, "ana@x.org", Outcome.REACHED)
    with pytest.raises(ClaimRefused) as refused:
        callbacks.claim(hl, waiting_request.id, "bo@x.org")
    assert refused.value.reason == "closed"
    assert callbacks.waiting(store) == []


# -- outcomes, retries, the final text ----------------------------------------------------------


def miss_three_times(hl, request_id):
    t = time.time()
    for n in range(3):
        callbacks.claim(hl, request_id, "ana@x.org", now=t)
        request, decision = callbacks.record_outcome(
            hl, request_id, "ana@x.org", Outcome.NO_ANSWER, note=f"try {n + 1}", now=t
        )
        t = (request.next_attempt_at or t) + 1
    return request


def test_three_missed_calls_close_with_one_final_text(app, hl, store, waiting_request):
    outbox_before = store.delivery.outbox_length()
    request = miss_three_times(hl, waiting_request.id)
    assert request.status == "closed" and request.attempts == 3
    assert [a["outcome"] for a in callbacks.attempts(store, request.id)] == ["no_answer"] * 3
    assert [n["text"] for n in callbacks.notes(store, request.id)] == ["try 1", "try 2", "try 3"]
    connection = app.extensions["helpline"].store.rq_connection
    drain(connection)
    # The third try is just after midnight where they are: the last text waits for 8 am, then goes once.
    assert [m for m in store.delivery.outbox(outbox_before) if m["to"] == TEXTER] == []
    (held,) = ScheduledJobRegistry(queue=queues.queue(queues.URGENT, connection)).get_job_ids()
    at = ScheduledJobRegistry(queue=queues.queue(queues.URGENT, connection)).get_scheduled_time(held)
    assert at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "08:00"
    drain(connection, scheduled_now=True)
    finals = [m for m in store.delivery.outbox(outbox_before) if m["to"] == TEXTER]
    assert len(finals) == 1 and "Text CALL any time" in finals[0]["body"]
    assert callbacks.open_request_for(store, request.phone_id) is None


def test_a_crisis_request_missed_three_times_in_a_minute_stays_on_the_queue_with_no_final_text(
    app, hl, store, text
):
    text("my son took too many pills and wont wake up")
    (request,) = callbacks.waiting(store)
    outbox_before = store.delivery.outbox_length()
    t = time.time()
    for _ in range(3):  # claimed again at once and "No answer" each time, no call in between
        callbacks.claim(hl, request.id, "ana@x.org", now=t)
        request, _ = callbacks.record_outcome(hl, request.id, "ana@x.org", Outcome.NO_ANSWER, now=t)
        t += 20
    assert request.status == "waiting" and request.attempts == 3  # tried again soon, not closed
    assert request.next_attempt_at and request.next_attempt_at - t < 3600
    drain(app.extensions["helpline"].store.rq_connection, scheduled_now=True)
    assert [m for m in store.delivery.outbox(outbox_before) if m["to"] == TEXTER] == []  # no "we tried"


def test_no_final_text_to_an_opted_out_number(app, hl, store, text, waiting_request):
    text("STOP")
    outbox_before = store.delivery.outbox_length()
    request = miss_three_times(hl, waiting_request.id)
    assert request.status == "closed"
    drain(app.extensions["helpline"].store.rq_connection)
    assert [m for m in store.delivery.outbox(outbox_before) if m["to"] == TEXTER] == []


def test_missed_call_goes_back_on_the_queue_for_later(hl, store, waiting_request):
    callbacks.claim(hl, waiting_request.id, "ana@x.org")
    request, decision = callbacks.record_outcome(hl, waiting_request.id, "ana@x.org", Outcome.NO_ANSWER)
    assert request.status == "waiting" and request.attempts == 1
    assert not callbacks.is_due(request) and callbacks.is_due(request, request.next_attempt_at)
    assert [r.id for r in callbacks.waiting(store)] == [request.id]


@pytest.mark.parametrize("first_crisis", [False, True])
def test_a_crisis_text_makes_a_retry_scheduled_for_later_due_now(hl, store, text, first_crisis):
    """No answer, "try tomorrow": then "i dont want to live anymore" must not wait for tomorrow."""
    text("my brother overdosed and wont wake up" if first_crisis else "call")
    (request,) = callbacks.waiting(store)
    callbacks.claim(hl, request.id, "ana@x.org")
    scheduled, _ = callbacks.record_outcome(hl, request.id, "ana@x.org", Outcome.NO_ANSWER)
    assert not callbacks.is_due(scheduled)
    text("i dont want to live anymore")
    raised = callbacks.get(store, request.id)
    assert raised.is_crisis and callbacks.is_due(raised)
    assert callbacks.waiting(store)[0].id == request.id


def test_notes_are_encrypted_at_rest(store, waiting_request):
    callbacks.add_note(store, waiting_request.id, "ana@x.org", "prefers evenings, ask for Maria")
    raw = b"".join(store._r.lrange(f"hl:callback-notes:{waiting_request.id}", 0, -1))
    assert b"Maria" not in raw
    assert callbacks.notes(store, waiting_request.id)[0]["text"] == "prefers evenings, ask for Maria"


# -- referral and follow-up ----------------------------------------------------------------------

PROVIDER = {"id": "p1", "name": "Harbor Pain & Recovery"}


def refer(hl, request_id, follow_up=True):
    callbacks.claim(hl, request_id, "ana@x.org")
    return callbacks.record_outcome(
        hl, request_id, "ana@x.org", Outcome.REFERRED, provider=PROVIDER, follow_up=follow_up
    )


def test_referral_with_consent_schedules_the_check_in_in_48_hours(app, store, waiting_request, hl):
    refer(hl, waiting_request.id)
    registry = queues.queue(queues.HOUSEKEEPING, store.rq_connection).scheduled_job_registry
    (job_id,) = registry.get_job_ids()
    assert job_id == f"follow-up-{waiting_request.id}"
    when = registry.get_scheduled_time(job_id).timestamp()
    assert abs(when - (time.time() + 48 * 3600)) < 60


def test_referral_without_consent_schedules_nothing(app, store, waiting_request, hl):
    refer(hl, waiting_request.id, follow_up=False)
    assert queues.queue(queues.HOUSEKEEPING, store.rq_connection).scheduled_job_registry.get_job_ids() == []


def test_check_in_no_reply_puts_a_linked_request_on_the_queue(app, store, waiting_request, hl):
    refer(hl, waiting_request.id)
    outbox_before = store.delivery.outbox_length()
    assert callbacks.send_follow_up(hl, waiting_request.id) == "sent"
    drain(app.extensions["helpline"].store.rq_connection)
    (check_in,) = [m for m in store.delivery.outbox(outbox_before) if m["to"] == TEXTER]
    assert check_in["body"].startswith("Helpline: did you reach Harbor Pain & Recovery?")
    new = callbacks.expire_follow_up(store, waiting_request.id)
    assert new.linked_to == waiting_request.id and new.reason == "follow-up"
    assert [r.id for r in callbacks.waiting(store)] == [new.id]
    assert [h.id for h in callbacks.linked_history(store, new)] == [waiting_request.id]
    assert callbacks.expire_follow_up(store, waiting_request.id) is None  # once only


def test_check_in_is_not_sent_to_an_opted_out_number(app, store, text, waiting_request, hl):
    refer(hl, waiting_request.id)
    text("STOP")
    assert callbacks.send_follow_up(hl, waiting_request.id) == "opted_out"


@pytest.mark.parametrize("reply, reached", [("yes", True), ("Si", True), ("no", False), ("NO thanks", False)])
def test_check_in_answer_is_read_from_yes_or_no(reply, reached):
    from helpline.domain.conversation import AnswerFollowUp, Context, Inbound, TexterState, decide

    state = TexterState(welcomed=True)
    decision = decide(state, Inbound(reply), Context(awaiting_follow_up=True))
    assert decision.actions == (AnswerFollowUp(reached),)
    assert decision.replies[0].key == ("follow_up_thanks" if reached else "follow_up_callback")
    assert decide(state, Inbound(reply), Context()).intent != "follow_up"  # only when we asked
    assert decide(state, Inbound("oih"), Context(awaiting_follow_up=True)).intent == "oih"


def test_texting_no_to_the_check_in_queues_a_linked_callback(app, store, text, waiting_request, hl):
    refer(hl, waiting_request.id)
    callbacks.send_follow_up(hl, waiting_request.id)
    assert text("No")[0].startswith("OK, we have asked our staff to call you back.")
    (new,) = callbacks.waiting(store)
    assert new.linked_to == waiting_request.id
    assert callbacks.follow_up_state(store, waiting_request.id)["answer"] == "no"
    assert callbacks.expire_follow_up(store, waiting_request.id) is None


@pytest.mark.parametrize(
    "reply", ["no thank you, im fine", "no dont call me", "nah all good", "no gracias, estoy bien"]
)
def test_no_to_the_check_in_with_no_call_wanted_queues_nothing_now_or_when_the_check_in_lapses(
    app, store, text, waiting_request, hl, reply
):
    refer(hl, waiting_request.id)
    callbacks.send_follow_up(hl, waiting_request.id)
    (answer,) = text(reply)
    assert "we will not call you" in answer or "no le llamaremos" in answer.lower()
    assert callbacks.waiting(store) == []
    assert callbacks.follow_up_state(store, waiting_request.id)["answer"] == "no, no call wanted"
    assert callbacks.expire_follow_up(store, waiting_request.id) is None  # no call 48 hours on either


def test_texting_yes_to_the_check_in_closes_the_journey(app, store, text, waiting_request, hl):
    refer(hl, waiting_request.id)
    callbacks.send_follow_up(hl, waiting_request.id)
    assert text("yes")[0].startswith("Thank you for letting us know.")
    assert callbacks.waiting(store) == []
    assert callbacks.follow_up_state(store, waiting_request.id)["answer"] == "yes"
    assert callbacks.expire_follow_up(store, waiting_request.id) is None


def test_lapsed_claims_are_written_back_as_waiting_with_an_audit_entry(store, waiting_request, hl, lease):
    t0 = time.time()
    callbacks.claim(hl, waiting_request.id, "ana@x.org", now=t0)
    assert callbacks.return_lapsed_claims(store, callbacks.waiting(store), now=t0 + 60) == 0
    later = t0 + lease + 1
    assert callbacks.return_lapsed_claims(store, callbacks.waiting(store), now=later) == 1
    request = callbacks.get(store, waiting_request.id)
    assert (request.status, request.claimed_by) == ("waiting", None)
    assert audit.trail(store, request.id)[-1].action == "lease lapsed"


def test_outcome_survives_the_open_page_renewing_its_lease_at_the_same_time(app, store, waiting_request, hl):
    callbacks.claim(hl, waiting_request.id, "ana@x.org")
    stop, renewals = threading.Event(), []

    def keep_renewing():
        while not stop.is_set():
            renewals.append(callbacks.renew_lease(hl, waiting_request.id, "ana@x.org"))
            stop.wait(0.002)  # as often as an eager page would, and not a moment after the test ends

    renewer = threading.Thread(target=keep_renewing)
    renewer.start()
    try:
        for _ in range(20):  # many outcomes race the renewals; none may fail or be lost
            request, _ = callbacks.record_outcome(hl, waiting_request.id, "ana@x.org", Outcome.NO_ANSWER)
            if request.status == "closed":
                break
            callbacks.claim(hl, waiting_request.id, "ana@x.org")
    finally:
        stop.set()
        renewer.join()
    assert request.status == "closed" and request.attempts == 3
    assert len(callbacks.attempts(store, waiting_request.id)) == 3
    assert any(renewals)
