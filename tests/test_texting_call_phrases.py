"""Asking for a call in plain words queues a callback; a city and state still searches."""

import pytest

from helpline.domain.conversation import Context, FindProviders, Inbound, RequestCallback, TexterState, decide


@pytest.mark.parametrize("text", ["please call me", "I need someone to call me", "call me", "Call me"])
def test_call_me_is_a_callback_not_a_town_in_maine(text):
    decision = decide(TexterState(welcomed=True), Inbound(text), Context())
    assert decision.actions == (RequestCallback(False, "callback"),)


@pytest.mark.parametrize("text", ["portland me", "Portland, ME", "austin, tx", "Moreno Valley, CA"])
def test_city_and_state_still_search(text):
    decision = decide(TexterState(welcomed=True), Inbound(text), Context())
    assert isinstance(decision.actions[0], FindProviders)
