"""A texter who says when to call (or not to) has it kept on their callback request, in their words and
encrypted, and hears that staff will get it; calling is never held by it."""

import logging

import pytest

from helpline.services import callbacks
from tests.conftest import TEXTER, every_stored_byte

NOTED = "We'll pass on to staff what you said about when to call."


def call_time(store):
    (request,) = callbacks.waiting(store)
    said = callbacks.call_time_of(store, request)
    return said.words if said else None


def test_asking_for_a_call_with_a_time_keeps_it_and_the_confirmation_says_so(text, store):
    text("hi")
    (reply,) = text("Call me after 5 please, my husband is home before that")
    assert "call you back" in reply and reply.endswith(NOTED)
    assert call_time(store) == "Call me after 5 please, my husband is home before that"


def test_a_first_text_asking_for_a_call_with_a_time_is_welcomed_and_confirmed_in_two_texts(text, store):
    welcome, reply = text("can someone call me tomorrow morning")
    assert "Reply STOP" in welcome and "call you back" in reply and NOTED in reply
    assert call_time(store) == "can someone call me tomorrow morning"


@pytest.mark.parametrize("body", ["mornings only", "no calls after 5pm", "not before noon", "only weekends"])
def test_a_time_texted_while_a_request_is_open_is_kept_and_acknowledged(text, store, body):
    text("hi")
    text("call")
    (reply,) = text(body)
    assert reply.startswith("Thanks, we'll pass on to staff what you said about when to call")
    assert "still on our callback list" in reply and "NEVERMIND" in reply
    assert call_time(store) == body
    assert len(callbacks.waiting(store)) == 1  # the same request, nothing queued again


def test_the_latest_time_they_give_is_the_one_staff_see(text, store):
    text("hi")
    text("call me after 5")
    (reply,) = text("i work nights call after 3")
    assert "already on our callback list" in reply and reply.endswith(NOTED)
    assert call_time(store) == "i work nights call after 3"


def test_a_spanish_texter_hears_it_in_spanish(text, store):
    text("hola")
    (reply,) = text("llamenme despues de las 6")
    assert "Gracias" in reply and reply.endswith(
        "Le diremos a nuestro personal lo que nos dijo sobre cuando llamarle."
    )
    (reply,) = text("solo fines de semana")
    assert reply.startswith("Gracias, le diremos a nuestro personal") and "OLVIDALO" in reply
    (request,) = callbacks.waiting(store)
    assert request.lang == "es" and callbacks.call_time_of(store, request).words == "solo fines de semana"


@pytest.mark.parametrize("body", ["I've been on oxy for 5 years", "my pain is worse at night", "10001"])
def test_a_time_or_number_that_is_not_when_to_call_is_not_kept(text, store, body):
    text("hi")
    text("call")
    (reply,) = text(body)
    assert "when to call" not in reply
    assert call_time(store) is None


def test_without_a_request_a_time_alone_queues_nothing(text, store):
    text("hi")
    (reply,) = text("mornings only")
    assert "when to call" not in reply
    assert callbacks.waiting(store) == []


def test_while_a_crisis_is_open_they_hear_staff_still_call_as_soon_as_they_can(text, store):
    text("i think my husband overdosed")
    (reply,) = text("after 5 is better, my mom will be here")
    assert "we'll pass on to staff" in reply and "as soon as they can" in reply and "911" in reply
    (request,) = callbacks.waiting(store)
    assert request.is_crisis
    assert callbacks.call_time_of(store, request).words == "after 5 is better, my mom will be here"


def test_a_crisis_text_that_says_when_keeps_its_words_on_the_priority_request(text, store):
    text("hi")
    (reply,) = text("i took too many pills, dont call after 5")
    assert "911" in reply and "when to call" not in reply  # the guidance, as it always reads
    (request,) = callbacks.waiting(store)
    assert request.is_crisis
    assert callbacks.call_time_of(store, request).words == "i took too many pills, dont call after 5"


def test_taking_the_request_back_keeps_nothing(text, store):
    text("hi")
    text("call")
    (reply,) = text("cancel my callback, i work mornings")
    assert "off our callback list" in reply
    assert callbacks.waiting(store) == []


def test_their_words_are_encrypted_at_rest_and_never_logged(text, redis, caplog):
    caplog.set_level(logging.DEBUG)
    text("hi")
    text("call me after 5 when my husband leaves for work")
    text("mornings only please my boyfriend sleeps late")
    stored = every_stored_byte(redis)
    for needle in ("husband leaves", "boyfriend sleeps", TEXTER):
        assert needle.encode() not in stored, needle
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "husband" not in logged and "boyfriend" not in logged
