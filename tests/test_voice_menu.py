"""The voice line end to end through signed webhooks: greeting, menu, languages, info, emergency, repeats."""

import pytest

from helpline.devtools.simulate_call import call_params
from helpline.domain import ivr
from helpline.services import callbacks
from helpline.store import Keys
from tests.conftest import HELPLINE_NUMBER, every_stored_byte
from tests.twiml_check import check_voice, spoken
from tests.voice_fixtures import CALLER


def said(lines: list[str]) -> str:
    return " ".join(lines)


def test_a_call_is_greeted_with_the_menu_and_the_spanish_offer(phone_call, store):
    call = phone_call()
    heard = said(call.start())
    assert "Thank you for calling the Helpline" in heard
    assert "press 2" in heard and "press 4" in heard and "press 0" in heard
    assert "Para español, oprima 9" in heard
    gather = call.waiting
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "en-US"
    assert "treatment" in gather.get("hints")
    call.press("3")
    assert call.waiting.get("hints").startswith("yes, no")
    spanish = [say for say in gather.iter("Say") if say.get("language") == "es-US"]
    assert spanish and spanish[0].get("voice") == "Polly.Lupe"


def test_nine_gives_the_whole_menu_in_spanish_from_then_on(phone_call):
    call = phone_call()
    call.start()
    heard = said(call.press("9"))
    assert "oprima 2" in heard and "For English, press 9" in heard
    assert call.waiting.get("language") == "es-US"
    info = said(call.press("1"))
    assert "hiperalgesia inducida por opioides" in info and "no es consejo médico" in info
    assert all(s.get("language") == "es-US" for s in call.waiting.iter("Say") if "oprima" in (s.text or ""))


def test_saying_espanol_switches_too(phone_call):
    call = phone_call()
    call.start()
    assert "oprima 1" in said(call.say("español"))


@pytest.mark.parametrize(
    ("words", "answer"),
    [
        ("quiero hablar con alguien", "Después del tono"),  # nobody on duty: the voicemail, in Spanish
        ("tratamiento", "código postal de 5 dígitos"),
        ("información", "hiperalgesia inducida por opioides"),
        ("no hablo inglés", "oprima 2"),
        ("I don't speak English", "oprima 2"),
        ("emergencia", "cuelgue y llame al 9 1 1"),  # a Spanish menu word alone is enough
        ("dos", "código postal de 5 dígitos"),
    ],
)
def test_spanish_said_at_the_english_menu_is_answered_in_spanish_from_then_on(phone_call, words, answer):
    call = phone_call()
    call.start()
    heard = said(call.say(words))
    assert answer in heard
    english = [
        say.text for say in check_voice(call.responses[-1]).iter("Say") if say.get("language") == "en-US"
    ]
    assert english in ([], ["For English, press 9."])  # only the offer to go back
    assert call.waiting.tag == "Record" or call.waiting.get("language") == "es-US"  # Spanish is listened for


def test_english_words_at_the_english_menu_stay_english_and_a_spanish_caller_is_remembered(phone_call, text):
    call = phone_call()
    call.start()
    assert "5 digit ZIP code" in said(call.say("I need to find treatment"))
    call = phone_call()
    call.start()
    assert "5 digit ZIP code" in said(call.say("two"))
    text("10001", sender=CALLER)  # a texter in English
    call = phone_call()
    call.start()
    call.say("necesito tratamiento por favor")
    assert "Gracias por llamar" in said(phone_call().start())  # the next call greets in Spanish


@pytest.mark.parametrize(
    ("lang_keys", "expected"), [((), "not medical advice"), (("9",), "no es consejo médico")]
)
def test_option_one_explains_oih_in_spoken_words_with_the_disclaimer(phone_call, lang_keys, expected):
    call = phone_call()
    call.start()
    for key in lang_keys:
        call.press(key)
    heard = said(call.press("1"))
    assert expected in heard
    assert "O I H" in heard and "OIH" not in heard  # spelled out for the voice, no SMS shorthand
    assert call.waiting.get("action").endswith("/twilio/voice/step/menu?n=2" if lang_keys else "menu?n=1")


@pytest.mark.parametrize(
    ("lang_keys", "words"), [((), "If someone may have overdosed"), (("9",), "sobredosis")]
)
def test_option_zero_gives_911_and_988_and_connects_to_988(phone_call, lang_keys, words):
    call = phone_call()
    call.start()
    for key in lang_keys:
        call.press(key)
    heard = said(call.press("0"))
    assert words in heard and "9 1 1" in heard and "9 8 8" in heard
    after = said(call.press("1"))
    assert call.dialed == [["988"]]
    assert "9 8 8" in after
    assert call.ended


def test_silence_repeats_the_menu_twice_then_a_polite_goodbye(phone_call):
    call = phone_call()
    call.start()
    answers = [said(call.wait()) for _ in range(3)]
    assert answers[0].count("press 2") == 1 and answers[1].count("press 2") == 1
    assert "Goodbye" in answers[2] and "press 2" not in answers[2]
    assert call.ended
    assert call.heard[-1] == "(the helpline hangs up)"


def test_wrong_keys_again_and_again_reach_a_person_not_a_hang_up(phone_call):
    call = phone_call()
    call.start()
    answers = [said(call.press("7")) for _ in range(3)]
    assert answers[0].count("press 2") == 1 and answers[1].count("press 2") == 1
    # Nobody on duty here: their message is taken for a callback, rather than the line going dead.
    assert "After the tone" in answers[2] and "Goodbye" not in answers[2]


def test_crisis_words_by_speech_go_to_the_crisis_path_and_queue_a_priority_callback(phone_call, store):
    call = phone_call()
    call.start()
    call.press("2")
    heard = said(call.say("I think my husband took an overdose"))
    assert "9 1 1" in heard and "9 8 8" in heard and "naloxone" in heard  # as the text says
    (request,) = callbacks.waiting(store)
    assert request.priority == "crisis" and request.channel == "voice"
    assert callbacks.phone_of(store, request) == CALLER


def test_spanish_crisis_words_are_heard_too(phone_call, store):
    call = phone_call()
    call.start()
    call.press("9")
    heard = said(call.say("me quiero morir"))
    assert "9 8 8" in heard and "No está solo" in heard
    assert callbacks.waiting(store)[0].lang == "es"


def test_the_same_step_twice_gives_the_same_answer_and_changes_nothing(signed_post, store):
    params = call_params(CALLER, HELPLINE_NUMBER, "CA" + "a" * 32)
    signed_post("/twilio/voice", params)
    signed_post("/twilio/voice/step/menu?n=0", dict(params, Digits="3"))
    first = signed_post("/twilio/voice/step/callback-confirm?n=1", dict(params, Digits="1"))
    again = signed_post("/twilio/voice/step/callback-confirm?n=1", dict(params, Digits="1"))
    assert first.data == again.data
    check_voice(again.data)
    assert "callback list" in " ".join(spoken(check_voice(again.data)))
    assert len(callbacks.waiting(store)) == 1
    assert int(store._r.get(_stat(store, "callback.requested")) or 0) == 1


def test_a_retried_greeting_counts_one_call(signed_post, store):
    params = call_params(CALLER, HELPLINE_NUMBER, "CA" + "b" * 32)
    assert signed_post("/twilio/voice", params).data == signed_post("/twilio/voice", params).data
    assert int(store._r.get(_stat(store, "call.in"))) == 1


def _stat(store, name):
    return Keys.stat(name, "total")


@pytest.mark.parametrize(
    "params",
    [{}, {"From": CALLER}, {"CallSid": ""}, {"CallSid": "x"}, {"CallSid": "CA<script>"}],
)
def test_missing_or_bad_callsid_is_a_400(signed_post, params):
    assert signed_post("/twilio/voice", params).status_code == 400
    assert signed_post("/twilio/voice/step/menu?n=1", dict(params, Digits="1")).status_code == 400


@pytest.mark.parametrize(
    "extra",
    [
        {"Digits": "1" * 5000},
        {"Digits": "\x00\xff"},
        {"Digits": "😀"},
        {"SpeechResult": "😀" * 3000},
        {"SpeechResult": "\x00"},
        {"Digits": "", "SpeechResult": ""},
    ],
)
@pytest.mark.parametrize("step", ["menu", "zip", "zip-confirm", "providers", "callback-number", "emergency"])
def test_bad_input_at_any_step_gets_valid_twiml_never_a_5xx(signed_post, extra, step):
    params = call_params(CALLER, HELPLINE_NUMBER, "CA" + "c" * 32)
    response = signed_post(f"/twilio/voice/step/{step}?n=zz", dict(params, **extra))
    assert response.status_code == 200
    root = check_voice(response.data)
    assert spoken(root)  # never silence


def test_a_step_that_does_not_exist_is_a_404(signed_post):
    params = call_params(CALLER, HELPLINE_NUMBER, "CA" + "d" * 32)
    assert signed_post("/twilio/voice/step/nowhere", params).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/twilio/voice", "/twilio/voice/step/menu?n=0", "/twilio/voice/voicemail", "/twilio/voice/whisper"],
)
def test_unsigned_or_badly_signed_requests_get_403_and_change_nothing(signed_post, store, path):
    params = call_params(CALLER, HELPLINE_NUMBER, "CA" + "e" * 32, Digits="3")
    assert signed_post(path, params, signature="").status_code == 403
    assert signed_post(path, params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert store._r.keys("hl:call*") == [] and store._r.keys("hl:stat:*") == []


def test_call_state_and_answers_are_encrypted_at_rest(phone_call, redis):
    call = phone_call()
    call.start()
    call.press("3")
    call.press("2")
    call.press("2125550123")
    raw = every_stored_byte(redis)
    assert b"2125550123" not in raw and b"5550123" not in raw
    assert CALLER.encode() not in raw


def test_operators_see_calls_and_menu_choices_counted(phone_call, store):
    call = phone_call()
    call.start()
    call.press("1")
    call.press("0")
    names = {k.decode().split(":")[2] for k in store._r.keys("hl:stat:*")}
    assert {"call.in", "call.menu.info", "call.menu.emergency"} <= names


def test_a_number_that_chose_spanish_by_text_is_greeted_in_spanish(phone_call, text):
    text("hola", sender=CALLER)
    call = phone_call()
    heard = said(call.start())
    assert "Gracias por llamar" in heard and "For English, press 9" in heard
    assert "press 2" in said(call.press("9"))
    assert call.waiting.get("language") == "en-US"


def test_english_chosen_on_the_phone_is_kept_for_texts(phone_call, text):
    text("hola", sender=CALLER)
    call = phone_call()
    call.start()
    call.press("9")
    assert "Reply" in " ".join(text("menu", sender=CALLER))


def test_words_the_recogniser_doubts_are_asked_again_not_acted_on(phone_call, store):
    call = phone_call()
    call.start()
    call.press("3")  # a callback to the caller ID: "say yes or press 1"
    heard = said(call.say("yes", confidence=0.12))
    assert "not sure I heard that right" in heard and "ending in 0 0 0 2" in heard  # the question again
    assert callbacks.waiting(store) == []  # nothing queued on a guess
    assert "on our callback list" in said(call.say("yes", confidence=0.81))
    assert len(callbacks.waiting(store)) == 1


def test_doubted_words_never_switch_the_language_but_crisis_words_always_count(phone_call, store):
    call = phone_call()
    call.start()
    heard = said(call.say("español", confidence=0.2))
    assert "not sure I heard that right" in heard and call.waiting.get("language") == "en-US"
    heard = said(call.say("i want to kill myself", confidence=0.15))  # unsure, yet acted on at once
    assert "9 8 8" in heard
    assert callbacks.waiting(store)[0].priority == "crisis"


def test_a_caller_the_recogniser_keeps_doubting_reaches_a_person(phone_call):
    call = phone_call()
    call.start()
    for _ in range(ivr.MAX_REPEATS):
        assert "not sure I heard that right" in said(call.say("treatment", confidence=0.1))
    last = said(call.say("treatment", confidence=0.1))
    # Nobody is on duty in this test: the voicemail, never a goodbye.
    assert "After the tone" in last and "Goodbye" not in last and not call.ended


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (
            "I'm calling about my son, his pain keeps getting worse on his pills",
            "Opioid-induced hyperalgesia",
        ),
        ("my pain medicine isn't working anymore and it hurts more every day", "Opioid-induced hyperalgesia"),
        ("me duele más cada día aunque tomo mis pastillas", "La hiperalgesia inducida por opioides"),
    ],
)
def test_a_caller_telling_of_pain_that_keeps_getting_worse_hears_what_oih_is(phone_call, words, expected):
    call = phone_call()
    call.start()
    heard = said(call.say(words))
    assert expected in heard and "didn't understand" not in heard


def test_worsening_pain_with_an_option_named_goes_to_that_option(phone_call):
    call = phone_call()
    call.start()
    assert "ZIP code" in said(call.say("my pain keeps getting worse, I need treatment"))
