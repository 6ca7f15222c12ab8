"""Development mode (no Twilio credentials): texts and calls land in the Redis outbox, once."""

from __future__ import annotations

from helpline.infra import sender
from helpline.infra.burst import drain
from helpline.store import Keys
from tests.conftest import HELPLINE_NUMBER, TEXTER


def test_no_credentials_means_no_twilio_client(app):
    assert app.config["SETTINGS"].development
    assert app.extensions["helpline"].twilio is None


def test_texts_and_calls_go_to_the_outbox_once(store, helpline, redis):
    sender.queue_text(helpline, TEXTER, "Hello", "dev-1")
    sender.queue_call(helpline, TEXTER, url="/twilio/voice/bridge", idempotency_key="dev-call")
    drain(redis, scheduled_now=True)
    sender.queue_text(helpline, TEXTER, "Hello", "dev-1")
    sender.queue_call(helpline, TEXTER, url="/twilio/voice/bridge", idempotency_key="dev-call")
    drain(redis, scheduled_now=True)

    outbox = store.delivery.outbox()
    assert [(m["kind"], m["to"]) for m in outbox] == [("sms", TEXTER), ("call", TEXTER)]
    assert outbox[0]["body"] == "Hello"
    assert outbox[1]["url"].startswith("http") and outbox[1]["url"].endswith("/twilio/voice/bridge")
    assert outbox[1]["caller_id"] == HELPLINE_NUMBER
    assert TEXTER.encode() not in b"".join(redis.lrange(Keys.outbox, 0, -1))  # encrypted at rest


def test_opted_out_numbers_get_no_text_in_development_either(store, helpline, redis):
    store.set_opted_out(store.vault.phone_id(TEXTER), True)
    sender.queue_text(helpline, TEXTER, "Hello", "dev-2")
    drain(redis, scheduled_now=True)
    assert store.delivery.outbox() == []


def test_what_came_after_a_point_in_the_outbox_is_read_whole_even_once_it_is_trimmed(store, helpline, redis):
    sender.queue_text(helpline, TEXTER, "Before", "dev-before")
    drain(redis, scheduled_now=True)
    cursor = store.delivery.outbox_cursor()
    for n in range(1100):  # more than the outbox keeps (the development sender's own write, without RQ)
        entry = {"to": TEXTER, "body": f"After {n}", "kind": "sms"}
        store.delivery.to_outbox(f"dev-after-{n}", entry, ttl=60)
    after = [m["body"] for m in store.delivery.outbox_after(cursor)]
    assert "Before" not in after and after[-1] == "After 1099"
    assert after == [m["body"] for m in store.delivery.outbox()]  # all it still holds came after

    cursor = store.delivery.outbox_cursor()
    sender.queue_text(helpline, TEXTER, "Next", "dev-next")
    drain(redis, scheduled_now=True)
    assert [m["body"] for m in store.delivery.outbox_after(cursor)] == ["Next"]
