"""The cookie Twilio sends back with a texter's next text only ever saves a round trip: Redis has the last
word. A cookie that is old, another texter's, made up, or that predates a block, an opt-out or a callback
never changes what the texter gets, and a text answered in one step is answered exactly once."""

from __future__ import annotations

import pytest

from helpline.devtools import simulator
from helpline.services import blocklist, callbacks
from helpline.services.texting import HINT_COOKIE
from tests.conftest import HELPLINE_NUMBER, TEXTER

OTHER = "+14155550199"


@pytest.fixture
def send_with(signed_post, client):
    """Send a text with exactly this cookie (None: none), as Twilio would with a cookie it kept."""

    def send(body: str, cookie: str | None, sender: str = TEXTER, sid: str | None = None):
        client.delete_cookie(HINT_COOKIE, path="/twilio")
        if cookie is not None:
            client.set_cookie(HINT_COOKIE, cookie, path="/twilio")
        extra = {"MessageSid": sid} if sid else {}
        response = signed_post("/twilio/sms", simulator.sms_params(sender, body, HELPLINE_NUMBER, **extra))
        assert response.status_code == 200 and response.mimetype == "text/xml"
        kept = client.get_cookie(HINT_COOKIE, path="/twilio")
        return simulator.twiml_messages(response.data), kept.value if kept else None

    return send


def test_an_old_cookie_never_decides_the_answer(send_with):
    """Twilio may send a cookie that is not the latest: the texter is where Redis says they are."""
    _, before_check = send_with("hi", None)
    (first,), _ = send_with("check", before_check)
    assert "1/" in first
    (second,), _ = send_with("yes", before_check)  # the cookie from before the self-check began
    assert "2/" in second


def test_another_texters_cookie_is_not_theirs(send_with):
    _, others = send_with("check", None, sender=OTHER)
    (reply,), _ = send_with("yes", others)  # never began a self-check: not taken for its answer
    assert "2/" not in reply


@pytest.mark.parametrize("cookie", ["", "x", "0123456789ab.", "abc.!!notbase64!!", "a" * 3000, "é.é"])
def test_a_made_up_or_garbled_cookie_gets_the_usual_answer(send_with, cookie):
    (welcome,), _ = send_with("hi", cookie)
    assert "Helpline" in welcome


def test_a_made_up_cookie_for_this_texter_gets_the_usual_answer(send_with):
    _, kept = send_with("hi", None)
    tag = kept.partition(".")[0]
    (reply,), _ = send_with("check", f"{tag}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert "1/" in reply


def test_a_number_blocked_since_its_cookie_gets_silence(send_with, store):
    _, kept = send_with("hi", None)
    blocklist.block(store, TEXTER, "abusive texts")
    replies, _ = send_with("oih", kept)
    assert replies == []


def test_an_opted_out_texter_gets_nothing_whatever_cookie_comes_back(send_with):
    _, before_stop = send_with("hi", None)
    (confirmation,), _ = send_with("STOP", before_stop)
    assert "won't get more texts" in confirmation
    replies, _ = send_with("oih", before_stop)
    assert replies == []


def test_a_texter_with_a_callback_open_is_screened_first(send_with, store):
    _, before_call = send_with("hi", None)
    (queued,), after_call = send_with("call", before_call)
    assert "call you back" in queued
    (again,), _ = send_with("call", before_call)  # the old cookie says nothing is open
    assert "already on our callback list" in again
    assert len([r for r in callbacks.waiting(store) if callbacks.phone_of(store, r) == TEXTER]) == 1
    (again,), _ = send_with("call", after_call)
    assert "already on our callback list" in again


def test_twilios_retry_of_a_text_answered_at_once_gets_the_same_words_and_counts_once(send_with, store):
    _, kept = send_with("hi", None)
    first, _ = send_with("10001", kept, sid="SMretry0001")
    again, _ = send_with("10001", kept, sid="SMretry0001")
    assert first == again and "10001" in first[0]
    in_lines = [line for line in store.conversation(store.vault.phone_id(TEXTER)) if line["dir"] == "in"]
    assert [line["text"] for line in in_lines] == ["hi", "10001"]
