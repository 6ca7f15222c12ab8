"""STOP keeps a waiting callback on the queue, marked "texts off" where staff look, and no last text
goes; START clears it. The staff-phone bridge answers Twilio's retries with the same TwiML: the
person is dialled once and the trail says so once."""

from __future__ import annotations

import time

import pytest

from helpline.infra.burst import drain
from helpline.services import audit, callbacks
from helpline.services.callbacks import Outcome
from helpline.services.test_call import call_params
from tests.conftest import HELPLINE_NUMBER, TEXTER
from tests.test_staff_auth import login
from tests.test_staff_pages import bridge_post

STAFF_PHONE = "+12125550142"


@pytest.fixture
def hl(app):
    return app.extensions["helpline"]


@pytest.fixture
def request_id(store, text):
    text("call")
    (request,) = callbacks.waiting(store)
    return request.id


def texts_off_shown(client, request_id) -> tuple[bool, bool]:
    queue = client.get("/staff").get_data(as_text=True)
    page = client.get(f"/staff/callbacks/{request_id}").get_data(as_text=True)
    return ">Texts off<" in queue, "texts off" in page


def test_stop_keeps_the_callback_waiting_marked_texts_off_and_start_clears_it(
    client, staff_user, store, text, request_id
):
    login(client, staff_user.email)
    assert texts_off_shown(client, request_id) == (False, False)
    text("STOP")
    (request,) = callbacks.waiting(store)
    assert request.id == request_id and request.status == "waiting"  # still on the queue, to call
    assert texts_off_shown(client, request_id) == (True, True)
    text("START")
    assert texts_off_shown(client, request_id) == (False, False)


def test_after_stop_no_last_text_goes_when_staff_give_up(hl, store, text, request_id):
    text("STOP")
    t = time.time()
    for _ in range(hl.settings.callback_max_attempts):
        callbacks.claim(hl, request_id, "ana@x.org", now=t)
        request, _ = callbacks.record_outcome(hl, request_id, "ana@x.org", Outcome.NO_ANSWER, now=t)
        t = (request.next_attempt_at or t) + 1
    assert request.status == "closed"
    before = store.delivery.outbox_length()
    drain(store.rq_connection, scheduled_now=True)
    assert [m for m in store.delivery.outbox(before) if m["to"] == TEXTER] == []


def test_a_replayed_connect_dials_once_and_is_in_the_trail_once(app, client, store, request_id):
    path = f"/twilio/voice/staff-bridge/{request_id}"
    leg = call_params(HELPLINE_NUMBER, STAFF_PHONE, "CA" + "7" * 32, Direction="outbound-api")
    prompts = [bridge_post(app, client, path, leg).get_data(as_text=True) for _ in range(2)]
    assert prompts[0] == prompts[1] and "Press 1 to connect" in prompts[0]

    first = bridge_post(app, client, path + "/connect", dict(leg, Digits="1"))
    replay = bridge_post(app, client, path + "/connect", dict(leg, Digits="1"))
    assert first.status_code == replay.status_code == 200
    assert replay.get_data(as_text=True) == first.get_data(as_text=True)
    assert first.get_data(as_text=True).count(
        "<Dial"
    ) == 1 and f"<Number>{TEXTER}</Number>" in first.get_data(as_text=True)
    connects = [e for e in audit.trail(store, request_id) if e.action == "connect"]
    assert len(connects) == 1


def test_another_staff_call_connects_again(app, client, store, request_id):
    path = f"/twilio/voice/staff-bridge/{request_id}/connect"
    for sid in ("CA" + "7" * 32, "CA" + "8" * 32):  # staff called twice: two calls, two bridges
        leg = call_params(HELPLINE_NUMBER, STAFF_PHONE, sid, Digits="1")
        assert "<Dial" in bridge_post(app, client, path, leg).get_data(as_text=True)
    assert len([e for e in audit.trail(store, request_id) if e.action == "connect"]) == 2
