"""Asking for a call in plain words queues a callback; a city and state still searches."""

import pytest

from helpline.domain.conversation import Context, FindProviders, Inbound, RequestCallback, TexterState, decide
from helpline.services import callbacks


@pytest.mark.parametrize("text", ["please call me", "I need someone to call me", "call me", "Call me"])
def test_call_me_is_a_callback_not_a_town_in_maine(text):
    decision = decide(TexterState(welcomed=True), Inbound(text), Context())
    assert decision.actions == (RequestCallback(False, "callback"),)


@pytest.mark.parametrize("text", ["portland me", "Portland, ME", "austin, tx", "Moreno Valley, CA"])
def test_city_and_state_still_search(text):
    decision = decide(TexterState(welcomed=True), Inbound(text), Context())
    assert isinstance(decision.actions[0], FindProviders)


@pytest.mark.parametrize(
    "text",
    [
        "i want to talk to someone",
        "can i speak to a person",
        "Can I talk to a real person?",
        "i need someone to talk to",
        "have someone call me",
        "call me back please",
        "I want to talk to someone about treatment",
        "speak with staff please",
        "quiero hablar con alguien",
        "llámenme por favor",
        "me pueden llamar?",
    ],
)
def test_asking_for_a_person_in_plain_words_queues_a_callback(text):
    decision = decide(TexterState(welcomed=True), Inbound(text, can_call_back=True), Context())
    assert decision.intent == "call" and isinstance(decision.actions[0], RequestCallback)


@pytest.mark.parametrize("text", ["should i talk to my doctor about my dose", "talk to me about oih"])
def test_a_question_that_mentions_talking_is_not_a_callback(text):
    decision = decide(TexterState(welcomed=True), Inbound(text, can_call_back=True), Context())
    assert decision.intent != "call" and not decision.actions


def test_talk_to_someone_by_text_reaches_the_staff_queue(text, store):
    text("hi")
    (reply,) = text("can I talk to someone please")
    assert "call you back" in reply
    (request,) = callbacks.waiting(store)
    assert request.reason == "callback" and request.channel == "sms"


@pytest.mark.parametrize("typed", ["calll me", "cal me", "plz cll me", "can u cal me", "talk 2 som1"])
def test_call_typed_in_a_hurry_queues_a_callback(text, store, typed):
    (welcome, reply) = text(typed)
    assert "call you back" in reply
    (request,) = callbacks.waiting(store)
    assert request.reason == "callback"


def test_call_typed_in_a_hurry_after_a_search_is_a_callback_not_a_did_not_get_that(text, store):
    text("10001")
    (reply,) = text("calll me")
    assert "call you back" in reply and "did not get that" not in reply


def test_do_not_call_typed_in_a_hurry_is_never_a_callback(text, store):
    text("hi")
    (reply,) = text("pls dont cll me")
    assert "we will not call you" in reply
    assert callbacks.waiting(store) == []
