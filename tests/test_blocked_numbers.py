"""A blocked number is answered by silence everywhere: texts get no reply (STOP and START still hold),
calls are rejected at once, and no callback, voicemail, final text, follow-up or any other text is
made for it. Staff see on the queue and the request page that a number is blocked."""

from __future__ import annotations

import time

import pytest

from helpline.infra import sender
from helpline.infra.burst import drain
from helpline.services import blocklist, callbacks
from helpline.services.callbacks import Outcome
from helpline.store import Keys
from tests.conftest import TEXTER
from tests.test_staff_auth import login
from tests.voice_fixtures import CALLER

PROVIDER = {"id": "p1", "name": "Riverside Pain and Recovery", "phone": "+12125550199"}


@pytest.fixture
def hl(app):
    return app.extensions["helpline"]


def said(lines) -> str:
    return " ".join(lines)


def texts_to(store, phone: str, since: int = 0) -> list[str]:
    return [m["body"] for m in store.delivery.outbox(since) if m.get("to") == phone and m["kind"] == "sms"]


def test_a_call_from_a_blocked_number_is_rejected_before_anything_is_said(phone_call, store, redis):
    blocklist.block(store, CALLER, "abusive calls")
    call = phone_call()
    assert call.start() == ["(the helpline hangs up)"]  # not one word is said
    assert call.ended and "<Reject" in call.responses[-1]
    assert callbacks.waiting(store) == []
    assert not redis.exists(Keys.conversation(store.vault.phone_id(CALLER)))
    assert int(redis.get(Keys.stat("call.in", "total")) or 0) == 0
    assert int(redis.get(Keys.stat("call.blocked", "total"))) == 1


def test_crisis_words_from_a_blocked_number_still_get_the_911_and_988_guidance(text, store):
    blocklist.block(store, TEXTER, "abusive texts")
    (guidance,) = text("i want to end my life tonight")
    assert "988" in guidance and "call you back" not in guidance  # no promise staff will not keep
    assert callbacks.waiting(store) == []  # nothing queued for staff: the number is blocked
    (spanish,) = text("me quiero morir")
    assert "988" in spanish and "oprima 2" in spanish
    assert text("you people are useless") == []  # anything else: silence, as before


def test_a_call_from_another_number_is_answered_as_usual(phone_call, store):
    blocklist.block(store, TEXTER, "abusive texts")
    call = phone_call()
    assert "Helpline" in said(call.start()) and not call.ended


def test_texts_from_a_blocked_number_get_silence_but_stop_and_start_hold(text, store):
    blocklist.block(store, TEXTER, "abusive texts")
    assert text("hi") == []
    assert text("call") == []
    assert callbacks.waiting(store) == []
    assert text("STOP") == []
    assert store.is_opted_out(store.vault.phone_id(TEXTER))
    blocklist.unblock(store, TEXTER)
    assert text("oih") == []  # unblocked, but they said STOP while blocked: still nothing
    blocklist.block(store, TEXTER, "abusive texts")
    assert text("START") == []
    assert not store.is_opted_out(store.vault.phone_id(TEXTER))
    blocklist.unblock(store, TEXTER)
    assert text("oih")  # opted back in while blocked: answered once unblocked


def test_no_callback_is_queued_for_a_number_blocked_during_the_call(phone_call, store):
    call = phone_call()
    call.start()
    blocklist.block(store, CALLER, "abusive calls")
    call.press("3")
    heard = said(call.press("1"))
    assert "Goodbye" in heard and "callback list" not in heard
    assert call.ended
    assert callbacks.waiting(store) == []


def test_a_number_keyed_in_that_is_blocked_gets_no_callback(phone_call, store):
    blocklist.block(store, "+12125550123", "abusive calls")
    call = phone_call(caller="anonymous")
    call.start()
    call.press("3")
    call.press("2125550123")
    assert "Goodbye" in said(call.press("1"))
    assert callbacks.waiting(store) == []


def test_no_voicemail_request_for_a_number_blocked_during_the_call(phone_call, store, redis):
    call = phone_call()
    call.start()
    blocklist.block(store, CALLER, "abusive calls")
    assert call.press("4")  # nobody on duty: straight to the recording
    assert call.waiting.tag == "Record"
    heard = said(call.say("call me back"))
    assert "Goodbye" in heard and "we have your message" not in heard
    assert callbacks.waiting(store) == []
    assert int(redis.get(Keys.stat("call.voicemail", "total")) or 0) == 0


@pytest.fixture
def waiting_request(store, text):
    text("call")
    (request,) = callbacks.waiting(store)
    return request


def test_no_final_text_to_a_number_blocked_after_asking(app, hl, store, waiting_request):
    blocklist.block(store, TEXTER, "abusive texts")
    t = time.time()
    for _ in range(hl.settings.callback_max_attempts):
        callbacks.claim(hl, waiting_request.id, "ana@x.org", now=t)
        request, _ = callbacks.record_outcome(hl, waiting_request.id, "ana@x.org", Outcome.NO_ANSWER, now=t)
        t = (request.next_attempt_at or t) + 1
    assert request.status == "closed"
    before = store.delivery.outbox_length()
    drain(store.rq_connection, scheduled_now=True)
    assert texts_to(store, TEXTER, before) == []


def test_no_follow_up_for_a_number_blocked_before_or_after_the_referral(hl, store, text, waiting_request):
    blocklist.block(store, TEXTER, "abusive texts")
    callbacks.claim(hl, waiting_request.id, "ana@x.org")
    callbacks.record_outcome(
        hl, waiting_request.id, "ana@x.org", Outcome.REFERRED, provider=PROVIDER, follow_up=True
    )
    assert callbacks.follow_up_state(store, waiting_request.id) is None  # not scheduled at all

    blocklist.unblock(store, TEXTER)
    text("call")
    (second,) = callbacks.waiting(store)
    callbacks.claim(hl, second.id, "ana@x.org")
    callbacks.record_outcome(hl, second.id, "ana@x.org", Outcome.REFERRED, provider=PROVIDER, follow_up=True)
    blocklist.block(store, TEXTER, "abusive texts")  # blocked while the check-in waits
    before = store.delivery.outbox_length()
    assert callbacks.send_follow_up(hl, second.id) == "blocked"
    drain(store.rq_connection, scheduled_now=True)
    assert texts_to(store, TEXTER, before) == []
    assert callbacks.expire_follow_up(store, second.id) is None
    assert callbacks.waiting(store) == []


def test_no_text_of_any_kind_goes_to_a_blocked_number(hl, store):
    blocklist.block(store, TEXTER, "abusive texts")
    sender.queue_text(hl, TEXTER, "Riverside Pain and Recovery, 2 miles", idempotency_key="results-1")
    drain(store.rq_connection)
    assert texts_to(store, TEXTER) == []


def test_no_text_reaches_twilio_for_a_blocked_number(live_twilio_settings, twilio_fake, store):
    from helpline import create_app

    app = create_app(live_twilio_settings, flask={"TESTING": True})
    with app.app_context():
        hl = app.extensions["helpline"]
        blocklist.block(hl.store, TEXTER, "abusive texts")
        assert (
            sender.deliver_text(
                hl, hl.store.vault.encrypt(TEXTER).decode(), hl.store.vault.encrypt("hello").decode(), "k1"
            )
            == "blocked"
        )
    assert [m for m in twilio_fake.messages if m["To"] == TEXTER] == []


def test_staff_see_a_blocked_number_on_the_queue_and_the_request(client, staff_user, store, waiting_request):
    login(client, staff_user.email)
    assert ">Blocked<" not in client.get("/staff").get_data(as_text=True)
    blocklist.block(store, TEXTER, "abusive texts")
    assert ">Blocked<" in client.get("/staff").get_data(as_text=True)
    page = client.get(f"/staff/callbacks/{waiting_request.id}").get_data(as_text=True)
    assert "blocked number" in page
