"""Nothing accepted is lost and nothing is done twice when Redis fails in the middle of a webhook.

The service reaches Redis through a real network hop (tests/redis_faults.py) that drops the final
write of a delivery (a real ConnectionError: the write never reaches Redis), or goes down altogether
in the middle of a request. Twilio's retry of the same MessageSid / CallSid is then answered, and
the texter, caller or staff member notices everything exactly once.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from xml.etree import ElementTree

import pytest
from redis.connection import parse_url

from helpline.devtools import simulator
from helpline.infra.burst import drain
from helpline.services import callbacks
from helpline.services.test_call import call_params, path_of
from helpline.store import Keys
from helpline.store.webhooks import new_lease
from helpline.web.twilio_signature import twilio_auth_token
from tests.conftest import HELPLINE_NUMBER, TEXTER
from tests.redis_faults import FaultyLink, final_write_of
from tests.voice_fixtures import CALLER

CRISIS = "I think I took too much, overdose"


@pytest.fixture
def link(redis_url):
    with FaultyLink(redis_url) as link:
        yield link


@pytest.fixture
def settings(settings, link):
    """The service's Redis is reached through the faulty link."""
    return settings.with_overrides(redis_url=link.url)


def total(redis, name: str) -> int:
    return int(redis.get(Keys.stat(name, "total")) or 0)


def texted(store, phone: str = TEXTER) -> list[str]:
    return [m["body"] for m in store.delivery.outbox() if m["to"] == phone and m["kind"] == "sms"]


def test_a_crisis_text_whose_answer_could_not_be_written_is_answered_on_twilios_retry(
    app, signed_post, link, store, redis
):
    # The request gave up on Redis once, so it hands nothing back: its lease runs out (here in 1 s).
    app.extensions["helpline"].texting = replace(app.extensions["helpline"].texting, lease_seconds=1.0)
    params = simulator.sms_params(TEXTER, CRISIS, HELPLINE_NUMBER)
    link.cut_when(final_write_of("sms"))
    failed = signed_post("/twilio/sms", params)
    assert link.cuts >= 1
    # Twilio does not send a text again after an error: the guidance now, with no promise of a call.
    assert failed.status_code == 200
    (guidance,) = simulator.twiml_messages(failed.data)
    assert "911" in guidance and "reach 911 or 988 yourself" in guidance
    assert total(redis, "sms.in") == 0  # the text is not counted answered: its record was not written

    link.restore()
    retried = _retry_until_answered(signed_post, params)
    (reply,) = simulator.twiml_messages(retried.data)
    assert "911" in reply and "988" in reply
    later = signed_post("/twilio/sms", params)  # Twilio retrying once more: it did not get the answer
    assert later.status_code == 200 and simulator.twiml_messages(later.data) == [reply]  # the same words

    (request,) = callbacks.waiting(store)  # one crisis request, not alerted "again" by the retry
    assert request.is_crisis and request.realerted_at is None
    lines = store.conversation(store.vault.phone_id(TEXTER))
    assert [(line["dir"], line["text"]) for line in lines] == [("in", CRISIS), ("out", reply)]
    assert total(redis, "sms.in") == 1


def test_a_retry_while_the_text_is_being_answered_is_told_to_come_back_never_a_silent_200(
    app, link, signed_post, store, redis
):
    params = simulator.sms_params(TEXTER, "call", HELPLINE_NUMBER)
    link.hold_when(final_write_of("sms"))  # the first delivery is slow to write its answer
    first = {}
    worker = threading.Thread(target=lambda: first.update(response=_post(app, params)))
    worker.start()
    link.wait_held()
    busy = signed_post("/twilio/sms", params)  # Twilio's retry meanwhile
    assert busy.status_code == 503 and busy.headers["Retry-After"]
    link.let_go()
    worker.join(30)
    replies = simulator.twiml_messages(first["response"].data)
    assert "callback" in replies[-1].lower()  # after the first-contact welcome
    assert simulator.twiml_messages(signed_post("/twilio/sms", params).data) == replies  # the same again
    assert len(callbacks.waiting(store)) == 1 and total(redis, "sms.in") == 1


def test_redis_down_mid_request_the_lease_runs_out_and_the_retry_answers_once(
    app, link, signed_post, store, redis
):
    app.extensions["helpline"].texting = replace(app.extensions["helpline"].texting, lease_seconds=1.0)
    params = simulator.sms_params(TEXTER, "call", HELPLINE_NUMBER)
    link.cut_when(final_write_of("sms"), down=True)  # Redis dies as the answer is written
    (trouble,) = simulator.twiml_messages(signed_post("/twilio/sms", params).data)
    assert "text us again in a few minutes" in trouble
    link.restore()  # Redis is back; nobody could hand the dead delivery's lease back: it runs out
    answered = _retry_until_answered(signed_post, params)
    reply = simulator.twiml_messages(answered.data)[-1]
    assert "callback" in reply.lower() and "already" not in reply.lower()
    assert len(callbacks.waiting(store)) == 1
    assert total(redis, "sms.in") == 1
    assert simulator.twiml_messages(signed_post("/twilio/sms", params).data) == simulator.twiml_messages(
        answered.data
    )  # another retry: the same words, nothing done again
    assert len(callbacks.waiting(store)) == 1 and total(redis, "sms.in") == 1


def test_a_zip_search_whose_answer_could_not_be_written_texts_the_results_once(
    app, signed_post, link, store, small_directory
):
    app.extensions["helpline"].texting = replace(app.extensions["helpline"].texting, lease_seconds=1.0)
    params = simulator.sms_params(TEXTER, "10001", HELPLINE_NUMBER)
    link.cut_when(final_write_of("sms"))
    (trouble,) = simulator.twiml_messages(signed_post("/twilio/sms", params).data)
    assert "text us again in a few minutes" in trouble
    link.restore()
    replies = simulator.twiml_messages(_retry_until_answered(signed_post, params).data)
    assert "Looking up" in replies[-1]
    drain(store.rq_connection)  # both deliveries queued the search: the same job, its texts once
    results = texted(store)
    assert results and "Midtown Pain Care" in "\n".join(results)
    assert len(results) == len(set(results))
    assert sum("Midtown Pain Care" in t for t in results) == 1


def test_a_voice_step_whose_answer_could_not_be_written_is_answered_on_twilios_retry(
    signed_post, link, store, redis
):
    sid = "CA" + "1" * 32
    start = signed_post("/twilio/voice", call_params(CALLER, HELPLINE_NUMBER, sid))
    menu = gather_action(start)
    step = call_params(CALLER, HELPLINE_NUMBER, sid, Digits="3")
    link.cut_when(final_write_of("voice"))
    trouble = signed_post(menu, step)
    assert trouble.status_code == 200 and "technical problem" in trouble.get_data(as_text=True)
    assert "<Dial>988</Dial>" in trouble.get_data(as_text=True)  # never a dead line
    link.restore()
    asked = signed_post(menu, step)
    assert asked.status_code == 200 and "0 0 0 2" in asked.get_data(as_text=True)

    confirm_step, confirm = gather_action(asked), call_params(CALLER, HELPLINE_NUMBER, sid, Digits="1")
    link.cut_when(final_write_of("voice"))
    assert "technical problem" in signed_post(confirm_step, confirm).get_data(as_text=True)
    link.restore()
    answered = signed_post(confirm_step, confirm)
    replay = signed_post(confirm_step, confirm)
    assert answered.status_code == 200 and "callback list" in answered.get_data(as_text=True)
    assert replay.get_data(as_text=True) == answered.get_data(as_text=True)  # the same TwiML again
    (request,) = callbacks.waiting(store)
    assert callbacks.phone_of(store, request) == CALLER
    turns = [line for line in store.conversation(store.vault.phone_id(CALLER)) if line["channel"] == "voice"]
    assert [line["text"] for line in turns].count("(phone) callback") == 1


def gather_action(response) -> str:
    gather = ElementTree.fromstring(response.data).find("Gather")  # noqa: S314 - the service's TwiML
    return path_of(gather.get("action"))


def test_a_status_callback_that_could_not_be_recorded_is_counted_once_on_retry(signed_post, link, redis):
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003", "To": TEXTER}
    link.cut_when(lambda data: b"EXEC" in data and b"hl:seen:status:" in data)
    assert signed_post("/twilio/status", form).status_code == 503
    link.restore()
    assert signed_post("/twilio/status", form).status_code == 204
    assert signed_post("/twilio/status", form).status_code == 204
    assert total(redis, "delivery.undelivered") == 1 and total(redis, "delivery.failed.30003") == 1


def _post(app, params):
    """The same signed POST from another connection (Twilio's first delivery, in its own thread)."""
    url = "http://localhost/twilio/sms"
    signature = simulator.sign(twilio_auth_token(app.config["SETTINGS"]), url, params)
    return app.test_client().post("/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})


def _retry_until_answered(signed_post, params, timeout: float = 10.0):
    """Twilio's later retries: answered once the lease of the delivery that died runs out."""
    deadline = time.monotonic() + timeout
    while True:
        response = signed_post("/twilio/sms", params)
        if response.status_code != 503 or time.monotonic() > deadline:
            assert response.status_code == 200, response.status_code
            return response
        time.sleep(0.1)  # Twilio's retry interval, shortened


def test_the_faulty_link_reaches_this_test_process_s_own_database(redis_url):
    """On a shared server each test process has a database of its own; the link must not wander off it."""
    with FaultyLink("redis://127.0.0.1:6379/3") as link:
        assert parse_url(link.url)["db"] == 3
    with FaultyLink(redis_url) as link:
        assert parse_url(link.url).get("db", 0) == parse_url(redis_url).get("db", 0)


def test_lease_tokens_never_repeat_across_deliveries_or_forked_web_processes():
    """gunicorn forks its web processes from one master: each must hand out leases of its own."""
    tokens = {new_lease("sms", "SM1").token for _ in range(1000)}
    assert len(tokens) == 1000
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked process's first lease
        os.write(write_end, new_lease("sms", "SM1").token.encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    child = os.read(read_end, 100).decode()
    os.close(read_end)
    assert child and child != new_lease("sms", "SM1").token and child not in tokens
