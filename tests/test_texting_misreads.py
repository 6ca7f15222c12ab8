"""Texts as people really write them, labelled with what they must get and what they must not: an open
crisis keeps its reply whatever else the text says, a callback asked for is not taken back by a sentence
that only mentions calling, and a street, a dose or a stopping is read only where one is meant."""

import pytest

from helpline.domain.conversation import Context, FindProviders, Inbound, TexterState, decide
from helpline.services import callbacks

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


# -- saying not to call, and sentences that only mention calling ----------------------------------------
KEEPS_THE_REQUEST = [
    "pls dont call the cops on him, i just need help for my son",
    "no calls after 5 please, my husband gets home",
    "can you call me after 5? dont call before that, my husband is home",
    "i had to cancel it, my appointment got moved",
    "i dont call my doctor anymore, he never listens",
    "dont call me at work",
    "i can text only at night",
]
REFUSES_A_CALL = [
    "i don't want anyone to call me, my husband checks my phone",
    "i dont want a call",
    "you don't need to call me",
    "dnt call me",
    "stop calling me",
    "please don't call",
    "no calls please, text only",
    "DO NOT CALL ME my husband checks my phone",
    "pls dont cll me",
    "no me llamen por favor",
    "ok cancel it please",
]


@pytest.mark.parametrize("body", KEEPS_THE_REQUEST)
def test_a_sentence_about_whom_or_when_not_to_call_keeps_the_request_and_says_how_to_cancel(
    text, store, body
):
    text("hi")
    text("call")
    (reply,) = text(body)
    assert "still on our callback list" in reply and "NEVERMIND" in reply, reply
    assert len(callbacks.waiting(store)) == 1


@pytest.mark.parametrize("body", REFUSES_A_CALL)
def test_a_refusal_takes_an_open_request_back(text, store, body):
    text("hi")
    text("call")
    (reply,) = text(body)
    assert "off our callback list" in reply or "ya no esta en nuestra lista" in reply, reply
    assert callbacks.waiting(store) == []


@pytest.mark.parametrize("body", REFUSES_A_CALL + ["i dont want a call right now"])
def test_a_refusal_never_books_a_call(text, store, body):
    text("hi")
    text(body)
    assert callbacks.waiting(store) == []


def test_a_spanish_texter_is_told_in_spanish_how_to_take_the_request_back(text, store):
    text("hola")
    text("llamar")
    (reply,) = text("no me llamen antes de las 5 por favor")
    assert "Sigue en nuestra lista" in reply and "OLVIDALO" in reply
    (reply,) = text("olvidalo")
    assert "ya no esta en nuestra lista" in reply


# -- a street address, and sentences that only look like one --------------------------------------------
IS_A_STREET = [
    "i live at 123 main st",
    "123 main st apt 4",
    "on 5th ave and 23rd st",
    "im at 1600 pennsylvania ave",
]
NO_STREET = {
    "i take 10 off the street and my pain keeps getting worse": "oih",
    "i got 30 off the street and it hurts more every day": "oih",
    "i stopped my pills, got 20 from the street": "stopped_suddenly",
    "the nearest clinic is a 45 minute drive, is there anything closer?": "ask_place_near",
    "we live 2 hours drive from the clinic": "menu",
    "its a 20 min drive": "menu",
    "im staying with my 2 kids in st louis": "menu",
    "my 3 boys st patricks day party": "menu",
}


@pytest.mark.parametrize("body", IS_A_STREET)
def test_a_street_address_is_answered_with_what_we_can_search(body):
    assert keys(decide(WELCOMED, Inbound(body), Context())) == ["ask_place_for_street"]


@pytest.mark.parametrize("body, key", NO_STREET.items())
def test_a_sentence_with_a_number_and_a_street_word_is_not_an_address(body, key):
    assert keys(decide(WELCOMED, Inbound(body), Context())) == [key]


def test_buying_off_the_street_with_pain_growing_gets_what_oih_is(text):
    text("hi")
    (reply,) = text("i take 10 off the street and my pain keeps getting worse")
    assert "OIH (opioid-induced hyperalgesia)" in reply and "street address" not in reply


@pytest.mark.parametrize(
    "body, service",
    [
        ("my clinic on 3rd st closed, where else can i get methadone", "methadone"),
        ("i need suboxone, im at 500 main st", "buprenorphine"),
    ],
)
def test_a_street_named_with_a_service_keeps_the_service_for_the_next_place(body, service):
    asked = decide(WELCOMED, Inbound(body), Context())
    assert keys(asked) == ["ask_place_for_service"]
    searched = decide(asked.state, Inbound("60629"), Context())
    assert searched.actions == (FindProviders("60629", service),)


# -- a dose question is no MORE -------------------------------------------------------------------------
IN_CHECK = TexterState(welcomed=True, disclaimed=True, check_step=2, check_answers=(True,))


@pytest.mark.parametrize("state", [WELCOMED, AFTER_SEARCH, IN_CHECK])
@pytest.mark.parametrize(
    "body",
    ["can i take more", "Can I take more?", "should i up my dose", "can he take more", "puedo tomar mas"],
)
def test_a_dose_question_gets_the_dose_advice_wherever_it_comes(state, body):
    assert keys(decide(state, Inbound(body), Context())) == ["tolerance"]


@pytest.mark.parametrize("body", ["more", "more please", "show me more", "can you send more", "next"])
def test_more_after_a_search_still_pages(body):
    assert decide(AFTER_SEARCH, Inbound(body), Context()).intent == "more"


def test_can_i_take_more_after_a_search_is_told_not_to_raise_the_dose_alone(text):
    text("60629")
    (reply,) = text("can i take more")
    assert reply.startswith("Tolerance:") and "More treatment" not in reply


# -- a service turned down or asked about is no search for it -------------------------------------------
@pytest.mark.parametrize(
    "body",
    ["no methadone", "i dont want methadone", "no detox", "sin metadona", "i don't want to go on methadone"],
)
def test_a_service_turned_down_after_a_search_searches_nothing_for_it(body):
    decision = decide(AFTER_SEARCH, Inbound(body), Context())
    assert not any(isinstance(action, FindProviders) for action in decision.actions)
    assert decision.state.wanted_service is None


@pytest.mark.parametrize(
    "body", ["is methadone safe", "what is detox like", "is vivitrol a shot", "does suboxone help with pain"]
)
def test_a_question_about_a_treatment_gets_what_treatment_is_not_a_search(body):
    for state in (WELCOMED, AFTER_SEARCH):
        assert keys(decide(state, Inbound(body), Context())) == ["treat"]


@pytest.mark.parametrize(
    "body, service",
    [
        ("methadone", "methadone"),
        ("what about detox", "detox"),
        ("vivitrol", "naltrexone"),
        ("metadona", "methadone"),
        ("methadone not suboxone", "methadone"),
    ],
)
def test_a_service_asked_for_after_a_search_still_searches_for_it(body, service):
    assert decide(AFTER_SEARCH, Inbound(body), Context()).actions == (FindProviders("60629", service),)


@pytest.mark.parametrize("body", ["is there methadone near me", "whats the closest methadone clinic"])
def test_asking_where_a_treatment_is_asks_for_the_place(body):
    assert keys(decide(WELCOMED, Inbound(body), Context())) == ["ask_place_for_service"]


def test_no_methadone_after_a_search_is_no_list_of_methadone_clinics(text):
    text("60629")
    (reply,) = text("no methadone")
    assert "Looking up" not in reply and "MORE" in reply


# -- stopping a medicine, and other stoppings ------------------------------------------------------------
STOPPED_A_MEDICINE = [
    "i stopped my methadone yesterday",
    "she ran out of her pills",
    "he quit his oxy cold turkey",
    "i stopped taking my pills",
    "i stopped my pills, got 20 from the street",
    "my mom stopped her pain meds",
    "i just stopped all my pain pills",
    "i stopped them yesterday",
    "i came off my suboxone last week",
    "deje de tomar las pastillas",
    "deje la metadona",
]
OTHER_STOPPINGS = {
    "i quit smoking but my oxy isnt working": "oih",
    "i quit drinking and my back hurts more": "oih",
    "my husband stopped talking to me because of my pills": "menu",
    "i stopped by the pharmacy to pick up my meds": "menu",
    "i stopped going to the clinic": "menu",
}


@pytest.mark.parametrize("body", STOPPED_A_MEDICINE)
def test_having_stopped_a_medicine_gets_the_stopped_suddenly_advice(body):
    assert keys(decide(WELCOMED, Inbound(body), Context())) == ["stopped_suddenly"]


@pytest.mark.parametrize("body, key", OTHER_STOPPINGS.items())
def test_another_stopping_with_a_medicine_later_is_not_read_as_stopping_it(body, key):
    assert keys(decide(WELCOMED, Inbound(body), Context())) == [key]


def test_quitting_smoking_while_the_oxy_stops_working_gets_what_oih_is(text):
    text("hi")
    (reply,) = text("i quit smoking but my oxy isnt working")
    assert "OIH (opioid-induced hyperalgesia)" in reply and "Stopping opioids" not in reply


# -- taking back a call with none open; "call" that asks nothing of us ----------------------------------
@pytest.mark.parametrize(
    "body", ["cancel my callback", "nevermind the call", "cancel the call", "ya no necesito la llamada"]
)
def test_cancelling_a_call_with_none_open_never_books_one(text, store, body):
    text("hi")
    (reply,) = text(body)
    assert "we will not call you" in reply or "no le llamaremos" in reply, reply
    assert callbacks.waiting(store) == []


CALL_ASKS_NOTHING_OF_US = {
    "my son plays call of duty all night and his back pain keeps getting worse": "oih",
    "call of duty": "menu",
    "i'll call you later": "about",
    "can i call you": "about",
    "whats the number to call": "about",
    "what number do i call": "about",
}
CALL_ASKS_FOR_A_CALL = [
    "call",
    "call please",
    "i need a call",
    "can you call",
    "call asap",
    "pls call",
    "i want a call back",
]


@pytest.mark.parametrize("body, key", CALL_ASKS_NOTHING_OF_US.items())
def test_call_that_asks_nothing_of_us_books_no_call(body, key):
    decision = decide(WELCOMED, Inbound(body), Context())
    assert keys(decision) == [key] and decision.actions == ()


@pytest.mark.parametrize("body", CALL_ASKS_FOR_A_CALL)
def test_call_asked_for_still_books_one(body):
    assert decide(WELCOMED, Inbound(body), Context()).intent == "call"


# -- a little English that says Spanish ------------------------------------------------------------------
@pytest.mark.parametrize(
    "body", ["no english, solo español", "I no speak english", "not much english", "i dont speak english"]
)
def test_saying_no_english_in_english_gets_spanish(body):
    decision = decide(WELCOMED, Inbound(body), Context())
    assert decision.state.lang == "es" and keys(decision) == ["menu"]


def test_no_english_in_the_self_check_asks_the_same_question_in_spanish_and_records_nothing():
    state = TexterState(welcomed=True, check_step=1)
    decision = decide(state, Inbound("no english"), Context())
    assert keys(decision) == ["check_q1"] and decision.state.lang == "es"
    assert decision.state.check_answers == ()


def test_a_first_text_no_english_is_welcomed_in_spanish(text):
    (welcome,) = text("no english, solo español")
    assert "Helpline:" in welcome and "gratis" in welcome


# -- after a crisis call, a first text --------------------------------------------------------------------
@pytest.mark.parametrize("body", ["ok", "k", "we are at 123 main st apt 4"])
def test_a_first_text_after_a_crisis_call_hears_that_staff_are_on_their_way(body):
    decision = decide(TexterState(), Inbound(body), CRISIS_OPEN)
    assert keys(decision) == ["welcome", "crisis_still_here"]


# -- smaller misreads ------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", ["hi 6o629", "6o629 please", "hey, 6062 9"])
def test_a_zip_with_a_slip_after_a_greeting_or_before_please_still_searches(body):
    assert decide(WELCOMED, Inbound(body), Context()).actions == (FindProviders("60629", None),)


@pytest.mark.parametrize(
    "body, not_known",
    [
        ("whats my zip", True),
        ("cual es mi codigo postal", True),
        ("i dont know my zip", True),
        ("whats the zip for the clinic", False),
    ],
)
def test_only_their_own_zip_not_known_asks_for_a_city(body, not_known):
    assert (keys(decide(WELCOMED, Inbound(body), Context())) == ["zip_not_known"]) is not_known


@pytest.mark.parametrize("body", ["never mind thx", "olvidalo porfa", "nevermind please"])
def test_nevermind_said_kindly_takes_the_request_back(body):
    decision = decide(WELCOMED, Inbound(body), Context(has_open_callback=True))
    assert decision.intent == "call_withdraw"


@pytest.mark.parametrize("body", ["i changed my mind", "dont need it anymore"])
def test_an_unclear_change_of_mind_keeps_the_request_and_says_how_to_take_it_back(body):
    decision = decide(WELCOMED, Inbound(body), Context(has_open_callback=True))
    assert keys(decision) == ["call_still_on_list"] and decision.actions == ()
