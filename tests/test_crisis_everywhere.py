"""Crisis words win at every step: the follow-up check-in, a search, and the voice line's menu."""

import pytest

from helpline.domain import ivr
from helpline.domain.conversation import Context, FindProviders, Inbound, RequestCallback, TexterState, decide

WELCOMED = TexterState(welcomed=True)


def test_a_crisis_during_the_follow_up_check_in_is_not_taken_for_no():
    decision = decide(WELCOMED, Inbound("no, he is not breathing"), Context(awaiting_follow_up=True))
    assert decision.intent == "crisis"
    assert decision.actions == (RequestCallback(True, "crisis"),)


def test_a_crisis_with_a_zip_is_a_crisis_not_a_search():
    decision = decide(WELCOMED, Inbound("10001 my son overdosed"), Context())
    assert decision.intent == "crisis"
    assert not any(isinstance(a, FindProviders) for a in decision.actions)


@pytest.mark.parametrize(
    "speech", ["my husband took too many pills", "she wont wake up", "me quiero matar", "no respira"]
)
def test_the_voice_line_hears_a_crisis_in_any_words(speech):
    assert ivr.spoken_choice(speech) == "crisis"


@pytest.mark.parametrize("speech", ["treatment", "talk to someone", "my pain is killing me"])
def test_the_voice_line_does_not_hear_a_crisis_in_ordinary_words(speech):
    assert ivr.spoken_choice(speech) != "crisis"
