"""Crisis words win everywhere; opt-out silences every path until START."""

import time
from dataclasses import replace

import pytest

from helpline.services import callbacks
from tests.conftest import TEXTER

CRISIS_TEXTS = [
    "I think he overdosed",
    "my son OD'd",
    "she is not breathing",
    "I can't breathe",
    "thinking about suicide",
    "I want to kill myself",
    "i just want to die",
    "creo que es una sobredosis",
    "pienso en el suicidio",
    "no respira",
]


@pytest.mark.parametrize("message", CRISIS_TEXTS)
def test_crisis_words_get_911_and_988_at_once_and_a_priority_callback(text, store, message):
    text("hi")
    replies = text(message)
    assert len(replies) == 1
    assert "911" in replies[0] and "988" in replies[0]
    (request,) = callbacks.waiting(store)
    assert request.priority == "crisis"
    assert callbacks.phone_of(store, request) == TEXTER


def test_crisis_on_first_contact_is_answered_without_a_menu_first(text):
    replies = text("overdose help")
    assert "911" in replies[-1]
    assert all("Reply a word or number" not in r for r in replies)


def test_crisis_wins_in_the_middle_of_the_self_check(text, store):
    text("hi")
    text("check")
    (reply,) = text("I want to die")
    assert "988" in reply
    (next_reply,) = text("yes")  # the self-check was left; YES is not taken as an answer
    assert "Self-check (2/3)" not in next_reply
    assert callbacks.waiting(store)[0].priority == "crisis"


def test_crisis_in_spanish_is_answered_in_spanish(text):
    text("hi")
    text("español")
    (reply,) = text("sobredosis")
    assert "llame al 911" in reply


def test_crisis_after_a_plain_callback_request_raises_its_priority(text, store):
    text("hi")
    text("call")
    assert callbacks.waiting(store)[0].priority == "normal"
    text("overdose")
    (request,) = callbacks.waiting(store)
    assert request.priority == "crisis"


def test_crisis_requests_are_queued_before_older_plain_ones(text, store):
    text("call", sender="+15551230002")
    text("suicide", sender="+15551230003")
    order = [callbacks.phone_of(store, r) for r in callbacks.waiting(store)]
    assert order == ["+15551230003", "+15551230002"]


@pytest.mark.parametrize("word", ["STOP", "stop", "StopAll", "UNSUBSCRIBE", "cancel", "END", "quit"])
def test_opt_out_words_silence_everything_until_start(text, store, word):
    text("hi")
    (confirm,) = text(word)
    assert "START" in confirm
    assert store.is_opted_out(store.vault.phone_id(TEXTER))
    assert text("oih") == []
    assert text("menu") == []
    (back,) = text("START")
    assert "subscribed" in back
    assert "hyperalgesia" in text("oih")[0]


@pytest.mark.parametrize("word", ["YES", "unstop"])
def test_yes_and_unstop_also_opt_back_in(text, word):
    text("stop")
    assert text("oih") == []
    assert text(word)
    assert text("oih")


def test_twilio_opt_out_type_opts_out_and_lets_twilio_confirm(text, store):
    assert text("please stop", OptOutType="STOP") == []
    assert store.is_opted_out(store.vault.phone_id(TEXTER))
    assert text("START", OptOutType="START") == []
    assert text("oih")


def test_opted_out_texter_in_crisis_gets_no_text_but_staff_call(text, store):
    text("stop")
    assert text("overdose") == []
    assert callbacks.waiting(store)[0].priority == "crisis"


def test_opt_out_never_expires(text, store, redis):
    text("stop")
    from helpline.store import Keys

    assert redis.ttl(Keys.optouts) == -1


def test_blocklisted_number_gets_an_empty_response(text, store):
    store.block(TEXTER, "abuse reported by staff")
    assert text("oih") == []
    assert text("call") == []
    assert callbacks.waiting(store) == []


def test_flood_from_one_number_gets_empty_responses_but_crisis_still_gets_through(app, text, store, caplog):
    helpline = app.extensions["helpline"]
    moment = time.time()
    helpline.texting = replace(helpline.texting, clock=lambda: moment)  # all within one minute's count
    limit = app.config["SETTINGS"].sms_rate_limit_per_minute
    answered = [bool(text(f"menu {i}")) for i in range(limit + 5)]
    assert answered[:limit] == [True] * limit
    assert answered[limit:] == [False] * 5
    assert sum("sms.rate_limited" in r.message for r in caplog.records) == 1  # logged once
    assert "911" in text("overdose")[0]
