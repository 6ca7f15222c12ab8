"""Outbound texts and calls through the real SDK against the local fake Twilio: sent once, retried
on 429/5xx, never retried on a final refusal, and reconciled when a job died mid-send."""

from __future__ import annotations

import time

import pytest
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from helpline.infra import queues, sender
from helpline.infra.burst import drain
from helpline.store import Keys
from tests.conftest import HELPLINE_NUMBER, TEXTER


@pytest.fixture
def app(live_twilio_app):
    return live_twilio_app


def test_a_queued_text_reaches_twilio_once_with_a_status_callback(store, helpline, redis, twilio_fake):
    sender.queue_text(helpline, TEXTER, "Hello from the helpline", "reply-1")
    drain(redis, scheduled_now=True)

    [message] = twilio_fake.messages
    assert message["To"] == TEXTER
    assert message["From"] == HELPLINE_NUMBER
    assert message["Body"] == "Hello from the helpline"
    assert message["StatusCallback"].endswith("/twilio/status")
    assert store._r.get(Keys.sent("reply-1")) == f"sent:{message['Sid']}".encode()
    assert store.conversation(store.vault.phone_id(TEXTER))[-1]["text"] == "Hello from the helpline"


def test_the_same_key_queued_or_run_again_never_texts_twice(store, helpline, redis, twilio_fake):
    sender.queue_text(helpline, TEXTER, "Only once", "reply-2")
    drain(redis, scheduled_now=True)
    sender.queue_text(helpline, TEXTER, "Only once", "reply-2")  # a web retry enqueues it again
    drain(redis, scheduled_now=True)
    phone_enc = store.vault.encrypt(TEXTER).decode()
    body_enc = store.vault.encrypt("Only once").decode()
    assert sender.deliver_text(helpline, phone_enc, body_enc, "reply-2") == "duplicate"
    assert len(twilio_fake.to(TEXTER)) == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_twilio_busy_or_down_is_retried_with_backoff_until_sent(helpline, redis, twilio_fake, status):
    twilio_fake.fail_next(2, status)
    sender.queue_text(helpline, TEXTER, "Eventually", "reply-busy")

    drain(redis)
    scheduled = ScheduledJobRegistry(queue=queues.queue(queues.URGENT, redis))
    assert scheduled.get_job_ids() == ["text-reply-busy"]  # waiting for its backoff, not failed
    assert twilio_fake.messages == []

    drain(redis, scheduled_now=True)
    assert [m["Body"] for m in twilio_fake.to(TEXTER)] == ["Eventually"]
    assert twilio_fake.requests_seen == 3


def test_retries_give_up_after_the_backoff_schedule(store, helpline, redis, twilio_fake):
    twilio_fake.fail_next(len(helpline.settings.send_retry_seconds) + 1, 500)
    sender.queue_text(helpline, TEXTER, "Never", "reply-down")
    drain(redis, scheduled_now=True)
    assert FailedJobRegistry(queue=queues.queue(queues.URGENT, redis)).get_job_ids() == ["text-reply-down"]
    assert twilio_fake.requests_seen == len(helpline.settings.send_retry_seconds) + 1
    assert twilio_fake.messages == []
    hour = time.strftime("%Y%m%d%H", time.gmtime())
    assert int(store._r.get(Keys.stat("delivery.gave_up", hour))) == 1  # counted once, at the end


def test_21610_marks_the_number_opted_out_and_is_not_retried(store, helpline, redis, twilio_fake):
    twilio_fake.fail_next(1, 400, 21610)
    sender.queue_text(helpline, TEXTER, "First", "reply-a")
    drain(redis, scheduled_now=True)
    assert twilio_fake.requests_seen == 1
    assert store.is_opted_out(store.vault.phone_id(TEXTER))

    sender.queue_text(helpline, TEXTER, "Second", "reply-b")
    drain(redis, scheduled_now=True)
    assert twilio_fake.requests_seen == 1  # never asked again
    assert twilio_fake.messages == []


@pytest.mark.parametrize("code", [21211, 21614])
def test_invalid_number_is_marked_and_not_retried(store, helpline, redis, twilio_fake, code):
    twilio_fake.fail_next(1, 400, code)
    sender.queue_text(helpline, TEXTER, "First", "reply-a")
    drain(redis, scheduled_now=True)
    assert store.delivery.is_invalid(store.vault.phone_id(TEXTER))
    sender.queue_text(helpline, TEXTER, "Second", "reply-b")
    drain(redis, scheduled_now=True)
    assert twilio_fake.requests_seen == 1
    assert FailedJobRegistry(queue=queues.queue(queues.URGENT, redis)).count == 0


def test_opted_out_and_malformed_numbers_are_never_sent(store, helpline, redis, twilio_fake):
    store.set_opted_out(store.vault.phone_id(TEXTER), True)
    sender.queue_text(helpline, TEXTER, "No", "reply-a")
    sender.queue_text(helpline, "+1555", "No", "reply-b")
    drain(redis, scheduled_now=True)
    assert twilio_fake.requests_seen == 0


def test_a_job_killed_after_twilios_201_does_not_text_again(app, store, helpline, redis, twilio_fake):
    # The attempt that died: claimed the key, Twilio accepted the text, nothing recorded after.
    claimed = time.time()
    store._r.set(Keys.sent("reply-k"), f"sending:{claimed}")
    twilio = app.extensions["helpline"].twilio
    first = twilio.messages.create(to=TEXTER, from_=HELPLINE_NUMBER, body="The answer")

    sender.queue_text(helpline, TEXTER, "The answer", "reply-k")
    drain(redis, scheduled_now=True)
    assert len(twilio_fake.to(TEXTER)) == 1
    assert store._r.get(Keys.sent("reply-k")) == f"sent:{first.sid}".encode()
    # The texter got one answer, and it is in the conversation staff read.
    assert [t["text"] for t in store.conversation(store.vault.phone_id(TEXTER))] == ["The answer"]


def test_a_job_killed_before_reaching_twilio_sends_on_retry(store, helpline, redis, twilio_fake):
    store._r.set(Keys.sent("reply-k"), f"sending:{time.time()}")
    twilio_fake.messages.append(  # an older, different text to the same number is not ours
        {"Sid": "SM" + "0" * 32, "To": TEXTER, "From": HELPLINE_NUMBER, "Body": "Other", "at": time.time()}
    )
    sender.queue_text(helpline, TEXTER, "The answer", "reply-k")
    drain(redis, scheduled_now=True)
    assert [m["Body"] for m in twilio_fake.to(TEXTER)] == ["Other", "The answer"]


def test_queue_call_places_one_call_with_absolute_twiml_url(helpline, redis, twilio_fake):
    job = sender.queue_call(helpline, TEXTER, url="/twilio/voice/bridge?cb=7", idempotency_key="call-7")
    assert job.id == "call-call-7"
    drain(redis, scheduled_now=True)
    sender.queue_call(helpline, TEXTER, url="/twilio/voice/bridge?cb=7", idempotency_key="call-7")
    drain(redis, scheduled_now=True)

    [call] = twilio_fake.calls
    assert call["To"] == TEXTER
    assert call["From"] == HELPLINE_NUMBER
    assert call["Url"].startswith("http") and call["Url"].endswith("/twilio/voice/bridge?cb=7")
    assert call["StatusCallback"].endswith("/twilio/status")
    assert twilio_fake.messages == []


def test_queue_call_with_a_caller_id_and_retry_on_429(helpline, redis, twilio_fake):
    twilio_fake.fail_next(1, 429)
    sender.queue_call(
        helpline, "+15551239999", url="https://example.org/t", idempotency_key="c2", caller_id="+15555550199"
    )
    drain(redis, scheduled_now=True)
    [call] = twilio_fake.calls
    assert (call["From"], call["Url"]) == ("+15555550199", "https://example.org/t")


def test_texts_are_sent_with_the_configured_credentials(live_twilio_settings, redis, twilio_fake):
    from helpline import create_app

    wrong = create_app(live_twilio_settings.with_overrides(twilio_auth_token="not-the-token"))
    with wrong.app_context():
        sender.queue_text(wrong.extensions["helpline"], TEXTER, "Hi", "reply-auth")
        drain(redis, scheduled_now=True)
    assert twilio_fake.messages == []  # 401: refused, counted, and not retried forever
    assert FailedJobRegistry(queue=queues.queue(queues.URGENT, redis)).count == 0


def test_any_idempotency_key_works_even_ones_rq_would_refuse_as_job_ids(helpline, redis, twilio_fake):
    for _ in range(2):
        sender.queue_text(helpline, TEXTER, "Colons and spaces", "search:job 1/0")
        drain(redis, scheduled_now=True)
    assert [m["Body"] for m in twilio_fake.to(TEXTER)] == ["Colons and spaces"]


def test_status_callback_and_call_urls_use_the_public_base_url(live_twilio_settings, redis, twilio_fake):
    from helpline import create_app

    public = create_app(live_twilio_settings.with_overrides(public_base_url="https://line.example.org"))
    with public.app_context():
        helpline = public.extensions["helpline"]
        sender.queue_text(helpline, TEXTER, "Hi", "public-1")
        sender.queue_call(helpline, TEXTER, url="/twilio/voice/bridge", idempotency_key="public-2")
        drain(redis, scheduled_now=True)
    assert twilio_fake.messages[0]["StatusCallback"] == "https://line.example.org/twilio/status"
    assert twilio_fake.calls[0]["Url"] == "https://line.example.org/twilio/voice/bridge"


def test_delivery_logs_never_show_a_number_or_a_text(helpline, redis, twilio_fake, caplog):
    caplog.set_level("DEBUG")
    twilio_fake.fail_next(1, 500)
    sender.queue_text(helpline, TEXTER, "Private words", "log-1")
    twilio_fake.fail_next(1, 400, 21211)
    sender.queue_text(helpline, "+15551239876", "Private words", "log-2")
    sender.queue_call(helpline, "+15551238765", url="/twilio/voice", idempotency_key="log-3")
    drain(redis, scheduled_now=True)
    assert caplog.records  # it did log what happened
    for secret in (TEXTER, "+15551239876", "+15551238765", "Private words"):
        assert secret not in caplog.text
