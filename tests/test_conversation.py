"""The texter state machine on its own: no Flask, no Redis, just decisions."""

import pytest

from helpline.domain.conversation import (
    AnswerFollowUp,
    Context,
    FindProviders,
    Inbound,
    RequestCallback,
    Say,
    SetOptOut,
    TexterState,
    check_outcome,
    decide,
)

WELCOMED = TexterState(welcomed=True)


def keys(decision):
    return [say.key for say in decision.replies]


@pytest.mark.parametrize(
    "answers, outcome",
    [
        ((True, False, False), "oih"),
        ((False, True, False), "oih"),
        ((False, False, True), "oud"),
        ((True, True, True), "both"),
        ((False, False, False), "none"),
    ],
)
def test_self_check_outcome(answers, outcome):
    assert check_outcome(answers) == outcome


def test_state_survives_a_round_trip_through_storage():
    state = TexterState(lang="es", welcomed=True, check_step=2, check_answers=(True,), location="10001")
    assert TexterState.from_dict(state.to_dict()) == state


def test_unknown_fields_in_stored_state_are_ignored():
    assert TexterState.from_dict({"lang": "es", "removed_field": 1}).lang == "es"


def test_crisis_resets_the_flow_and_asks_for_a_priority_callback():
    state = TexterState(welcomed=True, check_step=2, check_answers=(True,))
    decision = decide(state, Inbound("he won't wake up"), Context())
    assert keys(decision) == ["crisis_overdose"]
    assert decision.actions == (RequestCallback(True, "crisis"),)
    assert decision.state.check_step == 0


def test_stop_opts_out_with_one_confirmation():
    decision = decide(WELCOMED, Inbound("stop"), Context())
    assert decision.actions == (SetOptOut(True),)
    assert keys(decision) == ["optout_confirm"]


def test_opt_out_carrying_crisis_words_still_alerts_staff():
    decision = decide(WELCOMED, Inbound("stop I want to die", opt_out_type="STOP"), Context())
    assert decision.actions == (SetOptOut(True), RequestCallback(True, "crisis", texts_off=True))
    assert keys(decision) == []  # Twilio sends its own opt-out confirmation


def test_opted_out_texter_is_never_answered_except_by_start():
    for body in ("oih", "menu", "call", "10001", "help"):
        assert decide(WELCOMED, Inbound(body), Context(opted_out=True)).replies == ()
    decision = decide(WELCOMED, Inbound("start"), Context(opted_out=True))
    assert decision.actions == (SetOptOut(False),)


def test_yes_is_not_an_opt_in_for_someone_who_never_opted_out():
    decision = decide(WELCOMED, Inbound("yes"), Context())
    assert SetOptOut(False) not in decision.actions


def test_zip_with_service_word_asks_for_a_filtered_search():
    decision = decide(WELCOMED, Inbound("10001 methadone"), Context())
    assert decision.actions == (FindProviders("10001", "methadone", 0),)


def test_more_continues_the_last_search():
    state = TexterState(welcomed=True, location="10001", search_filter="pain", search_page=0)
    decision = decide(state, Inbound("MORE"), Context())
    assert decision.actions == (FindProviders("10001", "pain", 1),)
    assert decision.state.search_page == 1


def test_more_without_a_search_shows_the_menu():
    assert keys(decide(WELCOMED, Inbound("more"), Context())) == ["menu"]


def test_first_contact_gets_the_welcome_even_for_a_menu_word():
    assert keys(decide(TexterState(), Inbound("signs"), Context())) == ["welcome", "signs"]
    assert keys(decide(TexterState(), Inbound("menu"), Context())) == ["welcome"]


@pytest.mark.parametrize(
    ("body", "location", "service"),
    [
        ("Austin, TX methadone", "austin, tx", "methadone"),
        ("austin tx bupe", "austin, tx", "buprenorphine"),
        ("Springfield, IL", "springfield, il", None),
    ],
)
def test_a_city_may_be_followed_by_a_service_word(body, location, service):
    decision = decide(TexterState(), Inbound(body=body), Context())
    assert decision.actions == (FindProviders(location, service, 0),)


def test_a_sentence_ending_in_a_state_and_a_plain_word_is_not_a_place():
    decision = decide(TexterState(), Inbound(body="i need help in ny now"), Context())
    assert not any(isinstance(a, FindProviders) for a in decision.actions)


def test_a_misspelt_crisis_in_the_self_check_leaves_it_for_the_crisis_reply():
    state = TexterState(welcomed=True, check_step=1)
    decision = decide(state, Inbound("cant breath"), Context())
    assert keys(decision) == ["crisis_overdose"]
    assert decision.actions == (RequestCallback(True, "crisis"),)
    assert decision.state.check_step == 0


def test_a_first_text_in_spanish_is_answered_in_spanish():
    decision = decide(TexterState(), Inbound("quiero morir"), Context())
    assert decision.state.lang == "es"
    assert keys(decision) == ["crisis_suicide"]


def test_a_later_text_in_english_switches_back():
    state = TexterState(welcomed=True, lang="es")
    assert decide(state, Inbound("what is the difference with tolerance"), Context()).state.lang == "en"
    assert decide(state, Inbound("oih"), Context()).state.lang == "es"  # a menu word says nothing


def test_an_alarming_text_while_a_crisis_is_open_alerts_staff_again():
    state = TexterState(welcomed=True, crisis_kind="overdose")
    decision = decide(state, Inbound("please hurry"), Context(has_open_callback=True, open_crisis=True))
    assert keys(decision) == ["crisis_overdose"]
    assert decision.actions == (RequestCallback(True, "crisis"),)
    plain = decide(state, Inbound("ok"), Context(has_open_callback=True, open_crisis=True))
    assert plain.intent != "crisis"


def test_a_crisis_from_an_opted_out_number_is_not_answered_but_staff_call():
    decision = decide(WELCOMED, Inbound("he is not breathing"), Context(opted_out=True))
    assert decision.replies == ()
    assert decision.actions == (RequestCallback(True, "crisis", texts_off=True),)


@pytest.mark.parametrize("body", ["stop texting me", "STOP please", "no more texts", "no mas mensajes"])
def test_opt_out_in_the_texters_own_words(body):
    decision = decide(WELCOMED, Inbound(body), Context())
    assert decision.actions == (SetOptOut(True),)
    assert keys(decision) == ["optout_confirm"]


@pytest.mark.parametrize("body", ["how do I stop methadone", "I want to quit oxy", "stop the pain"])
def test_asking_about_stopping_a_drug_is_not_an_opt_out(body):
    assert SetOptOut(True) not in decide(WELCOMED, Inbound(body), Context()).actions


@pytest.mark.parametrize(
    ("body", "location"), [("10001", "10001"), ("Austin, TX", "austin, tx"), ("02115 methadone", "02115")]
)
def test_a_place_sent_during_the_self_check_leaves_it_and_searches(body, location):
    decision = decide(
        TexterState(welcomed=True, check_step=2, check_answers=(True,)), Inbound(body), Context()
    )
    assert [type(a) for a in decision.actions] == [FindProviders]
    assert decision.actions[0].location == location
    assert decision.state.check_step == 0


def test_opting_out_with_crisis_words_still_gets_the_crisis_guidance_first():
    decision = decide(WELCOMED, Inbound("stop texting me i'm going to kill myself"), Context())
    assert keys(decision) == ["crisis_suicide", "optout_confirm"]
    assert decision.actions == (SetOptOut(True), RequestCallback(True, "crisis", texts_off=True))


def test_opting_out_and_asking_for_a_call_gets_the_call_and_no_more_texts():
    decision = decide(WELCOMED, Inbound("stop texting me, call me instead"), Context())
    assert keys(decision) == ["optout_call_confirm"]
    assert decision.actions == (SetOptOut(True), RequestCallback(False, "callback", texts_off=True))
    short_code = decide(WELCOMED, Inbound("stop texting me, call me instead", can_call_back=False), Context())
    assert short_code.actions == (SetOptOut(True),)


def test_a_yes_with_a_call_request_at_the_check_in_answers_both():
    decision = decide(
        WELCOMED, Inbound("yes I did, but can someone call me"), Context(awaiting_follow_up=True)
    )
    assert decision.actions == (AnswerFollowUp(True), RequestCallback(False, "callback"))


@pytest.mark.parametrize(
    "body, intent",
    [
        ("how is oih treated", "treat"),
        ("oih treatment?", "treat"),
        ("is oih the same as tolerance", "tolerance"),
        ("what are the signs of oih", "signs"),
        ("como se trata la hiperalgesia", "treat"),
        ("what is oih", "oih"),
        ("tell me more about oih", "oih"),
        ("how do i know if i have oih", "signs"),
        ("could this be hyperalgesia?", "signs"),
        ("como se si tengo hiperalgesia", "signs"),
    ],
)
def test_a_question_about_oih_gets_the_answer_to_the_question_not_the_topic(body, intent):
    assert decide(WELCOMED, Inbound(body), Context()).intent == intent


def test_being_treated_somewhere_is_not_a_question_about_treatment():
    assert decide(WELCOMED, Inbound("i was treated badly at the er"), Context()).intent != "treat"


@pytest.mark.parametrize("body, intent", [("denver", "ask_state"), ("chicago", "search")])
def test_a_city_named_alone_leaves_the_self_check_like_a_zip(body, intent):
    state = TexterState(welcomed=True, check_step=2, check_answers=(True,))
    decision = decide(state, Inbound(body), Context())
    assert decision.intent == intent and decision.state.check_step == 0


@pytest.mark.parametrize(
    "body, intent",
    [
        ("he's ok now, we need a methadone clinic near 45402 please", "search"),
        ("more please", "more"),
        ("english please", "english"),
        ("ok what now", "unknown"),
        ("thank you", "thanks"),
        ("please hurry", "crisis"),
        ("please", "crisis"),
        ("is anyone there", "crisis"),
        ("he isnt ok", "crisis"),
        ("please call me now", "crisis"),
        ("what do i do", "crisis"),
    ],
)
def test_while_a_crisis_is_open_a_plea_alerts_staff_but_a_request_is_answered(body, intent):
    assert decide(WELCOMED, Inbound(body), Context(open_crisis=True)).intent == intent


@pytest.mark.parametrize("body", ["i want to kill myself", "he took too many pills", "quiero morir"])
def test_a_crisis_from_a_sender_we_cannot_call_is_not_promised_a_call(body):
    decision = decide(WELCOMED, Inbound(body, can_call_back=False), Context())
    assert decision.intent == "crisis" and keys(decision)[0].endswith("_nocall")


def test_a_place_at_the_end_of_a_long_text_searches():
    body = "my husband has been on oxycodone for years and it keeps getting worse and we live in dayton ohio"
    decision = decide(WELCOMED, Inbound(body), Context())
    assert decision.actions == (FindProviders("dayton, oh", None),)


@pytest.mark.parametrize("first, then, location", [("i live in ohio", "dayton", "dayton, oh"),
                                                   ("texas", "houstn", "houston, tx"),
                                                   ("we are in new mexico", "87102", "87102")])  # fmt: skip
def test_a_state_named_alone_asks_which_city_and_the_answer_searches_there(first, then, location):
    asked = decide(WELCOMED, Inbound(first), Context())
    assert keys(asked) == ["ask_city_in_state"] and not asked.actions
    answered = decide(asked.state, Inbound(then), Context())
    assert answered.actions == (FindProviders(location, None),)
    assert answered.state.pending_state is None


def test_someone_already_on_a_medicine_whose_pain_grows_gets_what_oih_is():
    body = "my son is on suboxone but his pain keeps getting worse what should we do"
    assert decide(WELCOMED, Inbound(body), Context()).intent == "oih"
    assert decide(WELCOMED, Inbound("i need suboxone"), Context()).intent == "service"


def test_words_not_understood_after_results_say_what_can_be_done_with_them():
    state = TexterState(welcomed=True, location="austin, tx", search_page=0)
    decision = decide(state, Inbound("i called #1 already and they couldnt help"), Context())
    assert decision.replies == (Say("unknown_after_results", {"place": "Austin, TX"}),)
