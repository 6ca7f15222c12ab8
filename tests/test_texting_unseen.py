"""Texts written the way people write them, not the way the menu spells them: each one gets the reply a
texter would expect (a callback, a search, the self-check going on, a kind word), never a stray menu."""

import pytest

from helpline.domain.conversation import (
    Context,
    FindProviders,
    Inbound,
    RequestCallback,
    SetOptOut,
    TexterState,
    decide,
)
from helpline.services import callbacks
from tests.conftest import TEXTER

WELCOMED = TexterState(welcomed=True)
IN_CHECK = TexterState(welcomed=True, check_step=2, check_answers=(True,))


def said(text, state=WELCOMED, ctx=None):
    return decide(state, Inbound(text), ctx or Context())


def keys(decision):
    return [say.key for say in decision.replies]


# -- asking for a person -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "is there a person i can talk to",
        "Is there someone I can talk to?",
        "can i speak to a nurse",
        "its my mom she needs someone to talk to",
        "can you call the number i texted from",
    ],
)
def test_asking_whether_there_is_a_person_to_talk_to_queues_a_callback(text):
    decision = said(text)
    assert decision.intent == "call" and isinstance(decision.actions[0], RequestCallback)


@pytest.mark.parametrize(
    "text", ["me pueden llamar?", "llamame", "me podrian llamar por favor", "pueden llamarme?"]
)
def test_asking_for_a_call_in_spanish_switches_to_spanish(text):
    decision = said(text, TexterState())
    assert decision.intent == "call" and decision.state.lang == "es"


def test_a_callback_asked_for_with_a_zip_keeps_the_zip_for_staff_and_more(text, store):
    text("hi")
    (reply,) = text("Can someone call me back? My zip is 45402")
    assert "call you back" in reply
    (request,) = callbacks.waiting(store)
    assert request.zip == "45402"  # staff see where they are
    (more,) = text("more")  # the place is known: MORE starts the list from the top
    assert "near 45402" in more


def test_a_long_first_text_asking_for_a_person_is_a_callback_not_the_menu():
    decision = said(
        "Hi, I have been on oxycodone for 6 years for my back and my pain keeps getting worse and worse even "
        "though my doctor keeps raising my dose. Is there someone I can talk to? I live in Dayton, Ohio.",
        TexterState(),
    )
    assert decision.intent == "call" and decision.state.location == "dayton, oh"
    assert keys(decision) == ["welcome"]


@pytest.mark.parametrize("text", ["should i call my doctor", "i called my doctor and he said raise the dose"])
def test_calling_someone_else_is_not_a_callback_request(text):
    assert not any(isinstance(action, RequestCallback) for action in said(text).actions)


# -- places --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed, location",
    [
        ("I'm in Houston, Texas.", "houston, tx"),
        ("houston texas please", "houston, tx"),
        ("Austin, TX!", "austin, tx"),
        ("im in nyc", "new york, ny"),
        ("NYC", "new york, ny"),
        ("new york city", "new york, ny"),
        ("Philly PA", "philadelphia, pa"),
        ("LA, CA", "los angeles, ca"),
        ("suboxone doctor in SF CA", "san francisco, ca"),
    ],
)
def test_a_place_with_punctuation_or_a_nickname_searches(typed, location):
    decision = said(typed)
    assert decision.intent == "search"
    assert decision.actions[0].location == location


def test_la_on_its_own_is_not_los_angeles():
    assert said("la").intent != "search"


@pytest.mark.parametrize(
    "typed", ["zip 00000", "my zip is 99999", "i live in 00000", "mi codigo postal es 99999"]
)
def test_an_impossible_zip_in_a_sentence_is_told_it_is_not_a_place(text, typed):
    text("hi")
    replies = text(typed)
    assert any(
        "10001" in reply and ("couldn't find" in reply or "No encontramos" in reply) for reply in replies
    )


# -- menu words ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed, intent",
    [
        ("calll", "call"),
        ("cal", "call"),
        ("meun", "menu"),
        ("Menue", "menu"),
        ("chek", "check"),
        ("moree", "more"),
        ("nxt", "more"),
        ("option 1", "oih"),
        ("#3", "tolerance"),
        ("5 please", "check"),
        ("hi what are the signs", "signs"),
        ("hey can i take the test", "check"),
    ],
)
def test_misspelt_or_dressed_up_menu_choices_are_understood(typed, intent):
    assert said(typed).intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "it hurts more every day",
        "my mom is on fentanyl patches and hurts more every month what do we do",
        "me duele mas cada dia",
    ],
)
def test_more_in_a_sentence_does_not_page_the_providers(text):
    state = TexterState(welcomed=True, location="10001", search_page=0)
    decision = said(text, state)
    assert decision.intent != "more" and not any(isinstance(a, FindProviders) for a in decision.actions)


@pytest.mark.parametrize(
    "text", ["i failed a drug test", "my urine test came back positive", "can you check on my dad"]
)
def test_test_or_check_in_a_sentence_does_not_start_the_self_check(text):
    assert keys(said(text)) != ["check_q1"]


@pytest.mark.parametrize(
    "text",
    [
        "how do i get off opioids safely",
        "i want to stop taking oxy",
        "can i stop suddenly",
        "how do i stop methadone",
    ],
)
def test_asking_how_to_stop_a_medicine_gets_the_taper_advice_not_an_opt_out(text):
    decision = said(text)
    assert keys(decision) == ["treat"] and not decision.actions


@pytest.mark.parametrize(
    "text",
    [
        "i want to stop living",
        "i just want to stop existing",
        "i want it all to stop",
        "quiero dejar de vivir",
    ],
)
def test_wanting_to_stop_living_is_a_crisis_not_taper_advice(text):
    decision = said(text)
    assert keys(decision) == ["crisis_suicide"] and decision.actions[0].priority


@pytest.mark.parametrize("typed", ["so shud i up my dose?", "should i take more pills for the pain"])
def test_asking_about_a_higher_dose_is_told_not_to_raise_it_alone(text, typed):
    welcome, answer = text(typed)
    assert "Don't raise your dose yourself; ask your prescriber" in answer


def test_leaving_pills_somewhere_is_not_stopping_them():
    assert "stopped_suddenly" not in keys(said("deje mis pastillas en el carro"))


def test_asking_about_more_naloxone_is_never_told_to_ask_the_prescriber():
    assert "tolerance" not in keys(said("can i take more than one dose of narcan"))


def test_asking_about_stopping_cold_turkey_is_told_never_to_stop_suddenly(text):
    welcome, answer = text("can i just stop my pills cold turkey")
    assert "Never stop suddenly" in answer and "prescriber" in answer


@pytest.mark.parametrize(
    "typed, words",
    [
        (
            "i stopped my methadone yesterday and feel awful",
            "with your prescriber or clinic. Contact them today",
        ),
        ("deje la metadona ayer y me siento mal", "con quien se los receta o su clinica. Hableles hoy"),
    ],
)
def test_having_stopped_a_medicine_is_told_to_reach_the_prescriber_not_asked_for_a_zip(text, typed, words):
    welcome, answer = text(typed)
    assert words in answer and "ZIP" not in answer and "codigo postal" not in answer


def test_stopping_living_on_pills_is_about_the_pills():
    assert keys(said("I want to stop living on pills")) == ["treat"]


@pytest.mark.parametrize("typed", ["no hablo ingles", "No hablo inglés", "no entiendo"])
def test_not_reading_english_is_answered_in_spanish_from_then_on(text, typed):
    (welcome,) = text(typed)
    assert welcome.startswith("Helpline: informacion gratis")
    (menu,) = text("menu")
    assert "LLAMAR" in menu


@pytest.mark.parametrize("typed", ["senales", "sintomas", "tolerancia"])
def test_a_first_text_with_a_spanish_menu_word_is_answered_in_spanish(text, typed):
    welcome, answer = text(typed)
    assert "Responda" in welcome and "OIH" in answer


# -- thanks, goodbye, emoji ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed", ["Thank u", "bye", "goodbye", "ok thanks bye", "adios", "no thanks", "🙏🙏"]
)
def test_thanks_and_goodbye_get_a_kind_word(text, typed):
    text("hi")
    (reply,) = text(typed)
    assert reply.startswith(("You're welcome", "De nada"))


@pytest.mark.parametrize("typed", ["ok", "k", "okay"])
def test_an_ok_is_not_answered_you_are_welcome(text, typed):
    text("hi")
    (reply,) = text(typed)
    assert reply.startswith("OK. We're here 24/7") and "CALL" in reply


def test_an_ok_after_the_crisis_reply_is_told_staff_are_still_coming(text):
    text("i cant do this anymore i want to die")
    (reply,) = text("ok")
    assert "You're welcome" not in reply and "as soon as they can" in reply and "988" in reply


def test_more_as_a_first_text_gets_the_welcome_once_not_a_second_menu(text):
    (welcome,) = text("more")
    assert "Reply OIH" in welcome


@pytest.mark.parametrize("typed", ["zip 6o629", "6062 9"])
def test_a_zip_typed_with_a_letter_o_or_a_space_searches(text, typed):
    text("hi")
    (reply,) = text(typed)
    assert "Looking up treatment providers near 60629" in reply


@pytest.mark.parametrize("typed", ["?", "???", "😭😭😭", "..."])
def test_a_question_mark_or_a_sad_emoji_is_not_answered_you_are_welcome(text, typed):
    text("hi")
    (reply,) = text(typed)
    assert "welcome" not in reply and reply.startswith("Reply a word or number")


# -- the self-check ------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["yea", "ya", "yess", "sure", "definitely", "absolutely", "correct", "👍"])
def test_yes_in_other_words_answers_the_self_check(typed):
    decision = said(typed, IN_CHECK)
    assert keys(decision) == ["check_q3"] and decision.state.check_answers == (True, True)


@pytest.mark.parametrize("typed", ["never", "nooo", "false", "👎", "ya no"])
def test_no_in_other_words_answers_the_self_check(typed):
    decision = said(typed, IN_CHECK)
    assert keys(decision) == ["check_q3"] and decision.state.check_answers == (True, False)


@pytest.mark.parametrize("typed", ["not sure", "no se", "idk", "maybe", "sometimes", "1", "2", "7", "10"])
def test_unsure_or_a_number_during_the_self_check_asks_again(typed):
    decision = said(typed, IN_CHECK)
    assert keys(decision) == ["check_yes_no"] and decision.state.check_step == 2


def test_a_zip_still_leaves_the_self_check():
    assert said("10001", IN_CHECK).intent == "search"


# -- opting out and back in ----------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["stop this", "STOP THESE", "lose my number"])
def test_more_ways_to_ask_for_no_more_texts(typed):
    assert said(typed).actions == (SetOptOut(True),)


def test_resume_after_stop_brings_the_texts_back(text, store):
    text("hi")
    text("stop")
    assert text("hello") == []
    (confirm,) = text("resume")
    assert "subscribed" in confirm
    assert text("oih")
    assert store.load_state(store.vault.phone_id(TEXTER))["welcomed"]


# -- telling their story ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    [
        "my mom's pain keeps getting worse on her oxycodone",
        "my pain is getting worse even though i take more oxy",
        "why does it hurt more",
        "i think my opioids are making my pain worse",
        "me duele mas cada dia",
        "tengo mas dolor que antes",
        "her pain meds arent working anymore",
        "my oxy stopped helping",
        "las pastillas ya no me sirven",
    ],
)
def test_pain_that_keeps_getting_worse_is_told_what_oih_is(typed):
    decision = said(typed)
    assert decision.intent == "oih" and keys(decision) == ["oih"]


def test_a_first_text_telling_of_worse_pain_gets_the_welcome_then_what_oih_is(text):
    welcome, oih = text("my dad's pain got worse after his dose went up")
    assert "Reply STOP" in welcome and "OIH" in oih and "not medical advice" in oih


@pytest.mark.parametrize(
    "typed",
    [
        "hello, my pain keeps getting worse on oxycodone",
        "Hi my dad is on oxycodone and his pain is getting worse",
        "Hey. the pills dont work anymore",
    ],
)
def test_a_greeting_in_front_of_the_story_still_gets_what_oih_is(text, typed):
    welcome, oih = text(typed)
    assert "Reply STOP" in welcome and oih.startswith("OIH (opioid-induced hyperalgesia)")


@pytest.mark.parametrize(
    "typed, intent", [("hi there", "menu"), ("hi im in denver", "ask_state"), ("hey austin", "menu")]
)
def test_a_greeting_with_little_else_still_gets_the_menu_or_its_question(typed, intent):
    assert said(typed).intent == intent


@pytest.mark.parametrize(
    "typed", ["my pain is better now", "i am in pain in my back and legs", "my meds are working fine"]
)
def test_pain_that_is_not_growing_is_not_told_about_oih(typed):
    assert said(typed).intent == "unknown"


# -- a place with more said after it ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed, location, service",
    [
        ("im in austin tx and need suboxone", "austin, tx", "buprenorphine"),
        ("we live in brooklyn new york and need methadone", "brooklyn, ny", "methadone"),
        ("denver co looking for bupe please", "denver, co", "buprenorphine"),
        ("estoy en austin texas y necesito ayuda", "austin, tx", None),
        ("i live in springfield il but work in chicago", "springfield, il", None),
    ],
)
def test_a_city_and_state_followed_by_more_words_searches_there(typed, location, service):
    decision = said(typed)
    assert decision.intent == "search"
    assert decision.actions == (FindProviders(location, service, 0),)


@pytest.mark.parametrize("typed", ["i am in pain ok so what now", "help me find a place in me"])
def test_a_state_abbreviation_inside_a_sentence_is_not_taken_for_a_place(typed):
    assert not any(isinstance(action, FindProviders) for action in said(typed).actions)


# -- a city without its state ------------------------------------------------------------------------------
@pytest.mark.parametrize("typed, location", [("chicago", "chicago, il"), ("Seattle", "seattle, wa")])
def test_a_city_only_one_state_has_searches_there(typed, location):
    assert said(typed).actions == (FindProviders(location, None, 0),)


def test_a_city_in_several_states_asks_which_then_searches_there(text):
    text("hi")
    (ask,) = text("im in portland")
    assert "Which state is Portland in?" in ask and "Portland, OR" in ask
    (looking,) = text("maine")
    assert "near Portland, ME" in looking


def test_the_service_asked_for_first_carries_through_the_state_question():
    first = said("i need suboxone")
    asked = said("denver", first.state)
    assert asked.intent == "ask_state" and keys(asked) == ["ask_state"]
    assert said("CO", asked.state).actions == (FindProviders("denver, co", "buprenorphine", 0),)


def test_a_state_sent_with_no_city_asked_about_is_not_a_search():
    asked = said("denver")
    moved_on = said("signs", asked.state)
    assert said("co", moved_on.state).intent == "unknown"  # the question was left: "co" alone means nothing


@pytest.mark.parametrize("typed", ["why", "hope", "hello", "nothing", "love", "home"])
def test_ordinary_words_that_are_also_small_towns_are_not_places(typed):
    assert said(typed).intent not in ("search", "ask_state")


@pytest.mark.parametrize("typed", ["vivo en chicago", "estamos cerca de chicago"])
def test_saying_where_they_live_in_spanish_is_answered_in_spanish(typed):
    decision = said(typed, TexterState())
    assert decision.state.lang == "es" and decision.actions == (FindProviders("chicago, il", None, 0),)


@pytest.mark.parametrize(
    "typed, lang",
    [
        ("i need help", "en"),
        ("can someone help me", "en"),
        ("please help me", "en"),
        ("necesito ayuda", "es"),
    ],
)
def test_a_plea_for_help_is_told_how_to_reach_a_person_not_given_the_menu(text, typed, lang):
    text("hi")
    (reply,) = text(typed)
    assert ("reply CALL" in reply) if lang == "en" else ("LLAMAR" in reply)
