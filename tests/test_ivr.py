"""The caller's menu as pure decisions: no Flask, no Redis, no clock."""

import pytest

from helpline.domain import ivr
from helpline.domain.ivr import CallFacts, CallState, Heard

CALLER = ivr.CallFacts(caller="+15551230002", can_text=True)
HIDDEN = ivr.CallFacts()


def keys(turn: ivr.Turn) -> list[str]:
    """Every catalog key the caller hears, the question's prompt included."""
    heard = [s.key for s in turn.say]
    return heard + ([s.key for s in turn.ask.prompt] if turn.ask else [])


def press(state: CallState, step: str, digits: str, facts: CallFacts = CALLER) -> ivr.Turn:
    return ivr.answer(state, step, Heard(digits=digits), facts)


def say(state: CallState, step: str, words: str, facts: CallFacts = CALLER) -> ivr.Turn:
    return ivr.answer(state, step, Heard(speech=words), facts)


def test_greeting_then_the_menu_with_the_spanish_offer_in_spanish():
    turn = ivr.greeting()
    assert keys(turn) == ["greeting", "menu", "language_offer"]
    assert turn.ask.step == ivr.MENU and turn.ask.speech
    assert turn.ask.prompt[-1].lang == "es"


@pytest.mark.parametrize(
    ("digit", "intent", "step"),
    [("1", "info", ivr.MENU), ("2", "treatment", ivr.ZIP), ("3", "callback", ivr.CALLBACK_CONFIRM),
     ("0", "emergency", ivr.EMERGENCY), ("9", "spanish", ivr.MENU)],
)  # fmt: skip
def test_each_menu_key_leads_to_its_option(digit, intent, step):
    turn = press(CallState(), ivr.MENU, digit)
    assert turn.intent == intent
    assert turn.ask.step == step


@pytest.mark.parametrize(
    ("words", "intent"),
    [("find treatment", "treatment"), ("I want a callback please", "callback"), ("talk to someone", "talk"),
     ("what is OIH", "info"), ("tratamiento", "treatment"), ("quiero hablar con alguien", "talk"),
     ("llamada", "callback"), ("español", "spanish"), ("repeat", "menu")],
)  # fmt: skip
def test_speech_at_the_menu_in_both_languages(words, intent):
    assert say(CallState(), ivr.MENU, words).intent == intent


@pytest.mark.parametrize("words", ["emergency", "it's an emergency", "emergencia", "auxilio"])
def test_saying_emergency_at_the_menu_is_a_crisis_the_options_and_a_priority_callback(words):
    turn = say(CallState(), ivr.MENU, words)
    assert turn.intent == "crisis"
    assert turn.ask.step == ivr.EMERGENCY
    assert turn.actions == (ivr.RequestCallback("+15551230002", "crisis", True),)


@pytest.mark.parametrize("words", ["I went to the emergency room for my back", "it's not an emergency"])
def test_an_emergency_that_is_not_happening_now_is_no_crisis(words):
    assert say(CallState(), ivr.MENU, words).intent != "crisis"


@pytest.mark.parametrize("step", [step for step in ivr.STEPS if step != ivr.EMERGENCY])
@pytest.mark.parametrize(
    "words", ["I think I took an overdose", "I want to kill myself", "creo que es una sobredosis"]
)
def test_crisis_words_anywhere_go_to_the_crisis_path_at_once(step, words):
    turn = say(CallState(zip="10001"), step, words)
    assert turn.intent == "crisis"
    assert keys(turn)[:2] == ["crisis_heard", "emergency"]
    assert turn.ask.step == ivr.EMERGENCY
    assert turn.actions == (ivr.RequestCallback("+15551230002", "crisis", True),)


def test_crisis_from_a_hidden_number_still_gets_the_guidance_without_a_callback_promise():
    turn = say(CallState(), ivr.MENU, "overdose", HIDDEN)
    assert turn.actions == ()
    assert "crisis_callback" not in keys(turn)


def test_star_at_the_menu_repeats_it_without_counting_a_miss():
    turn = press(CallState(misses=1), ivr.MENU, "*")
    assert turn.intent == "menu" and turn.state.misses == 0 and turn.ask.step == ivr.MENU


def test_four_goes_to_talk_now():
    turn = press(CallState(), ivr.MENU, "4")
    assert turn.actions == (ivr.TalkNow(),)


@pytest.mark.parametrize(
    "heard", [Heard(), Heard(digits="7"), Heard(speech="banana bread"), Heard(digits="?")]
)
def test_no_or_wrong_input_repeats_the_menu_twice_then_ends_or_reaches_a_person(heard):
    state = CallState()
    first = ivr.answer(state, ivr.MENU, heard, CALLER)
    second = ivr.answer(first.state, ivr.MENU, heard, CALLER)
    third = ivr.answer(second.state, ivr.MENU, heard, CALLER)
    why = "no_input" if heard.nothing else "not_understood"
    assert keys(first) == keys(second) == [why, "menu", "language_offer"]
    if heard.nothing:  # a silent line: a polite goodbye
        assert keys(third) == ["goodbye_no_input"]
        assert isinstance(third.then, ivr.Hangup) and third.ask is None
    else:  # a caller the menu keeps failing is put through to a person, never hung up on
        assert third.actions == (ivr.TalkNow(),) and third.then is None


@pytest.mark.parametrize("heard", [Heard(), Heard(digits="7")])
def test_someone_in_crisis_who_goes_quiet_is_put_through_to_988_not_hung_up_on(heard):
    turn = say(CallState(), ivr.MENU, "he's not breathing")
    for _ in range(3):
        turn = ivr.answer(turn.state, ivr.EMERGENCY, heard, CALLER)
    assert turn.intent == "dial_988" and isinstance(turn.then, ivr.DialCrisisLine)


@pytest.mark.parametrize(
    "words",
    ["yes", "988", "call 988", "nine eight eight", "one", "connect me", "he's still not breathing", "uno"],
)
def test_at_the_emergency_step_asking_for_988_in_words_connects(words):
    turn = say(CallState(crisis=True), ivr.EMERGENCY, words)
    assert turn.intent == "dial_988" and isinstance(turn.then, ivr.DialCrisisLine)


@pytest.mark.parametrize("key", ["4", "0"])
def test_at_the_emergency_step_four_reaches_someone_from_the_team(key):
    assert press(CallState(crisis=True), ivr.EMERGENCY, key).actions == (ivr.TalkNow(),)


@pytest.mark.parametrize(
    ("words", "intent"), [("two", "treatment"), ("press three", "callback"), ("uno", "info")]
)
def test_a_menu_key_said_instead_of_pressed_is_understood(words, intent):
    assert say(CallState(), ivr.MENU, words).intent == intent


def test_spanish_crisis_words_in_a_call_still_in_english_are_answered_in_spanish():
    turn = say(CallState(), ivr.MENU, "me quiero morir")
    assert turn.intent == "crisis" and turn.state.lang == "es"
    assert say(CallState(lang="es"), ivr.MENU, "overdose").state.lang == "es"  # never switched back


def test_a_good_answer_resets_the_count_of_misses():
    state = ivr.answer(CallState(), ivr.MENU, Heard(), CALLER).state
    state = press(state, ivr.MENU, "1").state
    assert state.misses == 0


def test_nine_switches_to_spanish_and_back():
    spanish = press(CallState(), ivr.MENU, "9")
    assert spanish.state.lang == "es"
    assert spanish.ask.prompt[-1].lang == "en"  # "For English, press 9" said in English
    assert press(spanish.state, ivr.MENU, "9").state.lang == "en"
    assert say(spanish.state, ivr.MENU, "english").state.lang == "en"
    assert say(CallState(), ivr.MENU, "español").state.lang == "es"


def test_info_says_what_oih_is_with_the_disclaimer_and_offers_the_menu_again():
    turn = press(CallState(), ivr.MENU, "1")
    assert keys(turn)[:3] == ["oih", "disclaimer", "back_to_menu"]
    assert turn.ask.step == ivr.MENU


def test_zip_by_keypad_is_read_back_while_it_is_searched_with_no_extra_question():
    turn = press(CallState(), ivr.ZIP, "10001#")
    assert turn.actions == (ivr.FindProviders("10001"),)
    assert turn.say == (ivr.Speak("looking_up_zip", {"zip": "10001"}),)
    assert turn.state.zip == "10001"


def test_a_spoken_zip_is_read_back_and_confirmed_first():
    turn = say(CallState(), ivr.ZIP, "one zero zero zero one")
    assert turn.ask.step == ivr.ZIP_CONFIRM and not turn.actions
    assert turn.ask.prompt[0] == ivr.Speak("zip_confirm", {"zip": "10001"})
    found = press(turn.state, ivr.ZIP_CONFIRM, "1")
    assert found.actions == (ivr.FindProviders("10001"),)
    again = press(turn.state, ivr.ZIP_CONFIRM, "2")
    assert again.ask.step == ivr.ZIP and again.state.zip is None


def test_zip_can_be_spoken_as_digits():
    assert say(CallState(), ivr.ZIP, "one zero zero zero one").state.zip == "10001"


@pytest.mark.parametrize("digits", ["123", "1234567", "#", "abc"])
def test_a_wrong_zip_is_asked_again(digits):
    turn = press(CallState(), ivr.ZIP, digits)
    assert keys(turn)[0] in ("zip_not_valid", "not_understood")
    assert turn.ask.step == ivr.ZIP


def test_providers_are_read_and_offered_by_text_only_when_the_number_takes_texts():
    providers = [{"name": "Clinic", "phone": "+12125550100", "miles": 1.2}]
    turn = ivr.providers_found(CallState(zip="10001"), providers, CALLER)
    assert keys(turn) == ["providers_intro", "provider", "providers_options_text"]
    texted = press(turn.state, ivr.PROVIDERS, "1")
    assert texted.actions == (ivr.TextProviders(),)
    no_text = ivr.providers_found(CallState(zip="10001"), providers, CallFacts(caller="+15551230002"))
    assert keys(no_text)[-1] == "providers_options"
    assert press(no_text.state, ivr.PROVIDERS, "1", CallFacts(caller="+15551230002")).actions == ()


def test_no_providers_says_so_and_offers_the_national_line_and_a_callback():
    turn = ivr.providers_found(CallState(zip="10001"), [], CALLER)
    assert keys(turn)[0] == "providers_none"
    assert turn.ask.step == ivr.MENU


def test_callback_to_the_caller_id_when_confirmed():
    ask = press(CallState(), ivr.MENU, "3")
    assert ask.ask.prompt[0].params == {"last4": "0002"}
    turn = press(ask.state, ivr.CALLBACK_CONFIRM, "1")
    assert turn.actions == (ivr.RequestCallback("+15551230002", "callback", False),)


def test_callback_to_another_number_keyed_in_and_read_back():
    turn = press(CallState(), ivr.CALLBACK_CONFIRM, "2")
    assert turn.ask.step == ivr.CALLBACK_NUMBER
    typed = press(turn.state, ivr.CALLBACK_NUMBER, "2125550123#")
    assert typed.ask.prompt[0].params == {"number": "+12125550123"}
    done = press(typed.state, ivr.NUMBER_CONFIRM, "1")
    assert done.actions == (ivr.RequestCallback("+12125550123", "callback", False),)


@pytest.mark.parametrize("digits", ["12345", "0000000000", "212555012"])
def test_a_number_that_cannot_be_a_phone_is_asked_again(digits):
    turn = press(CallState(), ivr.CALLBACK_NUMBER, digits)
    assert keys(turn)[0] == "number_not_valid"


def test_a_hidden_caller_id_is_asked_for_a_number():
    turn = press(CallState(), ivr.MENU, "3", HIDDEN)
    assert keys(turn) == ["callback_no_caller_id", "number_ask"]


@pytest.mark.parametrize("open_now", [True, False])
def test_talk_now_rings_every_on_duty_phone_in_or_out_of_business_hours(open_now):
    turn = ivr.talk_now(CallState(), open_now, ["+12025550111", "+12025550112"])
    assert turn.then == ivr.DialStaff(("+12025550111", "+12025550112"))


@pytest.mark.parametrize(("open_now", "why"), [(False, "voicemail_closed"), (True, "voicemail_nobody")])
def test_talk_now_goes_to_voicemail_when_nobody_is_on_duty(open_now, why):
    turn = ivr.talk_now(CallState(), open_now, [])
    assert keys(turn) == [why, "voicemail_instructions"]
    assert isinstance(turn.then, ivr.RecordVoicemail)


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled", ""])
def test_unanswered_ringing_goes_to_voicemail(status):
    assert isinstance(ivr.dial_finished(CallState(), status, False).then, ivr.RecordVoicemail)


def test_answered_ringing_ends_politely():
    assert isinstance(ivr.dial_finished(CallState(), "completed", True).then, ivr.Hangup)
    assert isinstance(ivr.dial_finished(CallState(staff_accepted=True), "completed", False).then, ivr.Hangup)


def test_a_staff_phone_voicemail_that_answered_is_not_a_person():
    assert isinstance(ivr.dial_finished(CallState(), "completed", False).then, ivr.RecordVoicemail)


def test_emergency_offers_988_now():
    turn = press(CallState(), ivr.EMERGENCY, "1")
    assert isinstance(turn.then, ivr.DialCrisisLine)
    assert press(CallState(), ivr.EMERGENCY, "*").ask.step == ivr.MENU


def test_state_round_trips_and_survives_junk():
    state = CallState(lang="es", zip="10001", providers=({"name": "x"},), turn=4)
    assert CallState.from_dict(state.to_dict()) == state
    assert CallState.from_dict({"lang": "fr", "nonsense": 1}).lang == "en"


@pytest.mark.parametrize(
    "words, intent",
    [
        ("I want to talk to somebody", "talk"),
        ("i need help", "talk"),
        ("help", "talk"),
        ("necesito ayuda", "talk"),
        ("I'd like to leave a message", "talk"),  # rings whoever is on duty, then the voicemail
        ("can somebody call me back", "callback"),
        ("rehab", "treatment"),
        ("where can i get help for my addiction", "treatment"),
        ("suboxone", "treatment"),
        ("goodbye", "goodbye"),
    ],
)
def test_what_callers_say_in_their_own_words_reaches_the_right_option(words, intent):
    assert say(CallState(), ivr.MENU, words).intent == intent


def test_saying_goodbye_ends_the_call_kindly():
    turn = say(CallState(), ivr.MENU, "ok bye")
    assert keys(turn) == ["thanks_goodbye"] and isinstance(turn.then, ivr.Hangup)


def test_a_zip_said_at_the_menu_is_read_back_for_confirmation():
    turn = say(CallState(), ivr.MENU, "my zip is one zero zero zero one")
    assert turn.ask.step == ivr.ZIP_CONFIRM and turn.state.zip == "10001"


@pytest.mark.parametrize(("confidence", "acted_on"), [(None, True), (0.0, True), (0.29, False), (0.3, True)])
def test_spoken_answers_are_acted_on_unless_the_recogniser_doubts_them(confidence, acted_on):
    turn = ivr.answer(CallState(), ivr.MENU, Heard(speech="treatment", confidence=confidence), CALLER)
    assert (turn.intent == "treatment") is acted_on
    if not acted_on:
        assert keys(turn)[0] == "not_sure" and turn.ask.step == ivr.MENU
    # Keys pressed with doubted words beside them are keys: they count.
    pressed = ivr.answer(CallState(), ivr.MENU, Heard(digits="2", speech="mumble", confidence=0.05), CALLER)
    assert pressed.intent == "treatment"


@pytest.mark.parametrize(
    ("words", "place"),
    [
        ("Chicago, Illinois.", "chicago, il"),
        ("I live in Dayton Ohio", "dayton, oh"),
        ("salt lake city utah please", "salt lake city, ut"),
        ("Washington DC", "washington, dc"),
        ("chicago", "chicago, il"),  # one state has a Chicago
        ("springfield", None),  # many do: the state is asked for
        ("i dont know it", None),
        ("talk to someone", None),
    ],
)
def test_a_city_and_state_said_instead_of_a_zip(words, place):
    turn = say(CallState(), ivr.ZIP, words)
    if place is None:
        assert turn.state.zip is None
    else:
        assert turn.state.zip == place and turn.ask.step == ivr.ZIP_CONFIRM


def test_a_caller_who_does_not_know_their_zip_is_told_the_ways_on_not_the_same_question():
    turn = say(CallState(), ivr.ZIP, "i don't know my zip")
    assert keys(turn) == ["zip_not_known", "zip_ask_again"]
    assert keys(say(turn.state, ivr.ZIP, "mumble mumble")) == ["zip_or_city_not_heard", "zip_ask_again"]
    assert press(turn.state, ivr.ZIP, "4").actions == (ivr.TalkNow(),)


@pytest.mark.parametrize(
    ("words", "lang"),
    [("emergencia", "es"), ("siete ocho siete cero uno", "es"), ("cinco ranch texas", "en"), ("two", "en")],
)
def test_spanish_words_alone_switch_the_call_a_place_named_in_spanish_does_not(words, lang):
    assert say(CallState(), ivr.ZIP, words).state.lang == lang


@pytest.mark.parametrize(
    "words", ["where can I get help", "where is the nearest clinic", "I have no insurance", "donde hay ayuda"]
)
def test_asking_where_to_go_at_the_menu_asks_for_the_zip(words):
    turn = say(CallState(), ivr.MENU, words)
    assert turn.intent == "treatment" and turn.ask.step == ivr.ZIP
