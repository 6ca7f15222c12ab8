"""Status callbacks posted over HTTP by the fake Twilio, signed as Twilio signs them."""

from __future__ import annotations

import time

import pytest

from helpline.infra import sender
from helpline.infra.burst import drain
from helpline.store import Keys
from tests.conftest import TEXTER


@pytest.fixture
def app(live_twilio_app):
    return live_twilio_app


def _hour() -> str:
    return time.strftime("%Y%m%d%H", time.gmtime())


def _stat(store, name: str) -> int:
    return int(store._r.get(Keys.stat(name, _hour())) or 0)


@pytest.fixture
def sent_sid(helpline, redis, twilio_fake):
    sender.queue_text(helpline, TEXTER, "Your providers", "status-1")
    drain(redis, scheduled_now=True)
    return twilio_fake.messages[-1]["Sid"]


def test_delivered_status_is_recorded_for_the_message(store, twilio_fake, live_app_url, sent_sid):
    url = live_app_url + "/twilio/status"
    assert twilio_fake.message_status(sent_sid, "sent", url=url).status_code == 204
    assert twilio_fake.message_status(sent_sid, "delivered", url=url).status_code == 204
    record = store.delivery.status(sent_sid)
    assert record["status"] == "delivered"
    assert record["phone_id"] == store.vault.phone_id(TEXTER)
    assert TEXTER not in str(store._r.hgetall(Keys.delivery(sent_sid)))
    assert _stat(store, "delivery.delivered") == 1


def test_failures_are_counted_by_error_code_once_despite_twilio_retries(
    store, twilio_fake, live_app_url, sent_sid
):
    url = live_app_url + "/twilio/status"
    for _ in range(3):  # Twilio retries a callback it thinks was lost
        assert twilio_fake.message_status(sent_sid, "undelivered", 30007, url=url).status_code == 204
    assert _stat(store, "delivery.failed.30007") == 1
    assert _stat(store, "delivery.undelivered") == 1
    assert store.delivery.status(sent_sid)["error_code"] == "30007"


def test_call_outcome_and_duration_are_recorded(store, helpline, redis, twilio_fake, live_app_url):
    sender.queue_call(helpline, TEXTER, url="/twilio/voice", idempotency_key="status-call")
    drain(redis, scheduled_now=True)
    sid = twilio_fake.calls[-1]["Sid"]
    url = live_app_url + "/twilio/status"
    assert twilio_fake.call_status(sid, "completed", duration=95, url=url).status_code == 204
    assert twilio_fake.call_status(sid, "completed", duration=95, url=url).status_code == 204
    assert store.delivery.status(sid) | {"at": "-"} == {
        "kind": "call",
        "status": "completed",
        "duration": "95",
        "phone_id": store.vault.phone_id(TEXTER),
        "at": "-",
    }
    assert _stat(store, "calls.outcome.completed") == 1
    assert _stat(store, "calls.seconds") == 95


def test_a_message_status_only_moves_forward_and_the_message_counts_once(
    store, twilio_fake, live_app_url, sent_sid
):
    url = live_app_url + "/twilio/status"
    # Twilio's callbacks can arrive in any order; late ones, and a second final one, change nothing.
    for status, code in (("delivered", None), ("sent", None), ("queued", None), ("undelivered", 30007)):
        assert twilio_fake.message_status(sent_sid, status, code, url=url).status_code == 204
    assert store.delivery.status(sent_sid)["status"] == "delivered"
    assert "error_code" not in store.delivery.status(sent_sid)
    assert _stat(store, "delivery.delivered") == 1
    assert [_stat(store, f"delivery.{name}") for name in ("sent", "queued", "undelivered")] == [0, 0, 0]
    assert _stat(store, "delivery.failed.30007") == 0  # the operators' delivery rate is untouched


def test_a_call_is_counted_under_one_outcome_whatever_order_its_statuses_come_in(
    store, helpline, redis, twilio_fake, live_app_url
):
    sender.queue_call(helpline, TEXTER, url="/twilio/voice", idempotency_key="status-order")
    drain(redis, scheduled_now=True)
    sid = twilio_fake.calls[-1]["Sid"]
    url = live_app_url + "/twilio/status"
    for status in ("completed", "ringing", "in-progress", "failed", "busy"):
        duration = 40 if status == "completed" else None
        assert twilio_fake.call_status(sid, status, duration=duration, url=url).status_code == 204
    assert store.delivery.status(sid)["status"] == "completed"
    outcomes = {name: _stat(store, f"calls.outcome.{name}") for name in ("completed", "failed", "busy")}
    assert outcomes == {"completed": 1, "failed": 0, "busy": 0}
    assert _stat(store, "calls.seconds") == 40


def test_unsigned_or_missigned_callbacks_change_nothing(store, twilio_fake, live_app_url, sent_sid):
    import requests

    url = live_app_url + "/twilio/status"
    params = {"MessageSid": sent_sid, "MessageStatus": "failed", "ErrorCode": "30003", "To": TEXTER}
    assert requests.post(url, data=params, timeout=5).status_code == 403
    forged = requests.post(url, data=params, headers={"X-Twilio-Signature": "bm90IGl0"}, timeout=5)
    assert forged.status_code == 403
    assert store.delivery.status(sent_sid) == {}
    assert _stat(store, "delivery.failed.30003") == 0


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"MessageSid": "SM123", "MessageStatus": "delivered"},
        {"MessageSid": "SM" + "a" * 32, "MessageStatus": "<script>"},
        {"CallSid": "CA" + "b" * 32, "CallStatus": "completed", "CallDuration": "x" * 5000},
        {"MessageSid": "SM" + "c" * 32, "MessageStatus": "failed", "ErrorCode": "💥" * 50},
    ],
)
def test_bad_callbacks_get_a_4xx_or_are_recorded_safely_never_a_500(store, twilio_fake, live_app_url, params):
    response = twilio_fake.post_status(live_app_url + "/twilio/status", params)
    assert response.status_code in (204, 400)
    assert "Traceback" not in response.text
