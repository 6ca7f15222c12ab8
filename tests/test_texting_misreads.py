"""Texts as people really write them, labelled with what they must get and what they must not: an open
crisis keeps its reply whatever else the text says, a callback asked for is not taken back by a sentence
that only mentions calling, and a street, a dose or a stopping is read only where one is meant."""

import pytest

from helpline.domain.conversation import Context, Inbound, TexterState, decide

WELCOMED = TexterState(welcomed=True, disclaimed=True)
AFTER_SEARCH = TexterState(welcomed=True, disclaimed=True, location="60629")
CRISIS_OPEN = Context(has_open_callback=True, open_crisis=True)


def keys(decision):
    return [say.key for say in decision.replies]


# -- while a crisis request is open ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "body, state",
    [
        ("we are at 123 main st apt 4", WELCOMED),
        ("123 Main St, Springfield IL", WELCOMED),
        ("we're at the walmart on 5th st", WELCOMED),
        ("estamos en 450 oak street", WELCOMED),
        ("estamos en la calle olmo 450", WELCOMED),
        ("av. juarez #12 depto 3", WELCOMED),
        ("i dont know the zip", WELCOMED),
        ("no se el codigo postal", WELCOMED),
        ("can he take more pills", WELCOMED),
        ("should i give him more of his meds", WELCOMED),
        ("he stopped his meds last week", WELCOMED),
        ("hi are you there", WELCOMED),
        ("hello?? anyone", WELCOMED),
        ("we are at 123 main st apt 4", AFTER_SEARCH),
        ("where are they", AFTER_SEARCH),
    ],
)
def test_while_a_crisis_is_open_a_text_gets_staff_are_coming_not_a_treatment_reply(body, state):
    decision = decide(state, Inbound(body), CRISIS_OPEN)
    assert keys(decision) in (["crisis_still_here"], ["crisis"], ["crisis_overdose"]), keys(decision)


def test_an_address_texted_during_an_overdose_is_told_staff_are_coming(text):
    text("my husband took too many pills")
    (reply,) = text("we are at 123 main st apt 4")
    assert "still here" in reply and "911" in reply
    assert "street address" not in reply


def test_an_address_texted_in_spanish_during_an_overdose_is_told_staff_are_coming(text):
    text("mi hijo tomo demasiadas pastillas", sender="+15551238002")
    (reply,) = text("estamos en 450 oak street", sender="+15551238002")
    assert "911" in reply and "direccion" not in reply.lower()


@pytest.mark.parametrize(
    "body",
    ["we are at 123 main st apt 4", "i dont know my zip", "hi are you there", "can he take more pills"],
)
def test_without_a_crisis_the_same_texts_are_read_as_before(body):
    assert keys(decide(WELCOMED, Inbound(body), Context())) != ["crisis_still_here"]


@pytest.mark.parametrize("body", ["60629", "oih", "menu", "more"])
def test_while_a_crisis_is_open_a_plain_request_is_still_answered(body):
    decision = decide(AFTER_SEARCH, Inbound(body), CRISIS_OPEN)
    assert keys(decision) != ["crisis_still_here"]
