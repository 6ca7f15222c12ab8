"""Yes or no by phone, as callers say it: any "no" is a no ("no, that's not right", "okay no"), a clear
yes books the callback or searches, and an answer that says both or neither is asked again. Through
the signed webhooks, at the number and ZIP read-backs and at the 988 offer."""

import pytest

from helpline.services import callbacks
from tests.voice_fixtures import CALLER

YES = {
    "en": [
        "yes",
        "Yes.",
        "yeah",
        "yep, that's right",
        "that's correct",
        "correct",
        "right",
        "okay",
        "sure",
        "uh-huh",
        "yes please",
        "yes, that's my number",
        "yes, no problem",
        "that's it",
    ],
    "es": [
        "sí",
        "si",
        "sí, es correcto",
        "correcto",
        "claro que sí",
        "está bien",
        "eso es",
        "así es",
        "exacto",
    ],
}
NO = {
    "en": [
        "no",
        "no, that's not right",
        "no, that is wrong, it's not right",
        "okay no",
        "no that's not correct",
        "not right",
        "that's not correct",
        "that is not right",
        "incorrect",
        "wrong",
        "that's wrong",
        "that isn't my number",
        "that's not my number",
        "nope",
        "nah",
        "that's not it",
        "uh uh",
        "right, no",
        "no, it's three one two five five five zero one four three",
    ],
    "es": [
        "no",
        "no, no es correcto",
        "no está bien",
        "no es correcto",
        "incorrecto",
        "está mal",
        "equivocado",
        "ese no es mi número",
        "no, gracias",
    ],
}
UNCLEAR = {
    "en": [
        "yes no",
        "yeah, no",
        "yes, wait",
        "I'm not sure",
        "I don't know",
        "maybe",
        "I think so",
        "hmm",
        "what",
    ],
    "es": ["sí, no", "no sé", "no estoy seguro", "tal vez", "mmm"],
}
# What each language says at these steps.
BOOKED = {"en": "on our callback list", "es": "nuestra lista de llamadas"}
NUMBER_ASKED = {"en": "10 digit phone number", "es": "número de teléfono de 10 dígitos"}
NUMBER_READ_BACK = {
    "en": "call you back at 2 1 2, 5 5 5, 0 1 2 3",
    "es": "Le llamaremos al 2 1 2, 5 5 5, 0 1 2 3",
}
CALLER_ID_READ_BACK = {"en": "ending in 0 0 0 2", "es": "termina en 0 0 0 2"}
ZIP_SAID = {"en": "six zero six two nine", "es": "seis cero seis dos nueve"}
ZIP_READ_BACK = {"en": "You said 6 0 6 2 9", "es": "Usted dijo 6 0 6 2 9"}
ZIP_ASKED = {"en": "5 digit ZIP code", "es": "código postal de 5 dígitos"}
SEARCHING = {"en": "One moment", "es": "Un momento"}
MENU_AGAIN = {"en": "Here is the main menu again", "es": "Este es de nuevo el menú principal"}
EMERGENCY_OPTIONS = {"en": "To be connected to 9 8 8 now", "es": "Para comunicarle con el 9 8 8 ahora"}


def labelled(answers: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(lang, words) for lang, said in answers.items() for words in said]


def said(lines) -> str:
    return " ".join(lines)


def at_number_read_back(phone_call, lang):
    call = phone_call()
    call.start()
    if lang == "es":
        call.press("9")
    call.press("3")
    call.press("2")
    assert NUMBER_READ_BACK[lang] in said(call.press("2125550123#"))
    return call


@pytest.mark.parametrize(("lang", "words"), labelled(YES))
def test_a_yes_at_the_number_read_back_books_the_call_at_that_number(phone_call, store, lang, words):
    call = at_number_read_back(phone_call, lang)
    assert BOOKED[lang] in said(call.say(words))
    assert callbacks.phone_of(store, callbacks.waiting(store)[0]) == "+12125550123"


@pytest.mark.parametrize(("lang", "words"), labelled(NO))
def test_a_no_at_the_number_read_back_asks_for_the_number_again_and_books_nothing(
    phone_call, store, lang, words
):
    call = at_number_read_back(phone_call, lang)
    heard = said(call.say(words))
    assert NUMBER_ASKED[lang] in heard and BOOKED[lang] not in heard
    assert callbacks.waiting(store) == []


@pytest.mark.parametrize(("lang", "words"), labelled(UNCLEAR))
def test_an_unclear_answer_at_the_number_read_back_reads_it_back_again_and_books_nothing(
    phone_call, store, lang, words
):
    call = at_number_read_back(phone_call, lang)
    heard = said(call.say(words))
    assert NUMBER_READ_BACK[lang] in heard and BOOKED[lang] not in heard
    assert callbacks.waiting(store) == []


@pytest.mark.parametrize(("lang", "words"), labelled(NO))
def test_a_no_at_the_caller_id_read_back_asks_for_another_number(phone_call, store, lang, words):
    call = phone_call()
    call.start()
    if lang == "es":
        call.press("9")
    assert CALLER_ID_READ_BACK[lang] in said(call.press("3"))
    heard = said(call.say(words))
    assert NUMBER_ASKED[lang] in heard and BOOKED[lang] not in heard
    assert callbacks.waiting(store) == []


def at_zip_read_back(phone_call, lang):
    call = phone_call()
    call.start()
    if lang == "es":
        call.press("9")
    call.press("2")
    assert ZIP_READ_BACK[lang] in said(call.say(ZIP_SAID[lang]))
    return call


@pytest.mark.parametrize(("lang", "words"), labelled(NO))
def test_a_no_at_the_zip_read_back_asks_for_the_zip_again_without_searching(phone_call, lang, words):
    call = at_zip_read_back(phone_call, lang)
    heard = said(call.say(words))
    assert ZIP_ASKED[lang] in heard and SEARCHING[lang] not in heard


@pytest.mark.parametrize(("lang", "words"), labelled(UNCLEAR))
def test_an_unclear_answer_at_the_zip_read_back_reads_it_back_again(phone_call, lang, words):
    call = at_zip_read_back(phone_call, lang)
    heard = said(call.say(words))
    assert ZIP_READ_BACK[lang] in heard and SEARCHING[lang] not in heard


def at_emergency_options(phone_call, lang):
    call = phone_call()
    call.start()
    if lang == "es":
        call.press("9")
    assert EMERGENCY_OPTIONS[lang] in said(call.press("0"))
    return call


DECLINES_988 = {
    "en": [
        "no, I'm okay now",
        "no don't connect me",
        "don't connect me",
        "no",
        "no thanks",
        "nope, I'm fine",
    ],
    "es": ["no, gracias", "no, estoy bien", "no me conecte", "no"],
}


@pytest.mark.parametrize(("lang", "words"), labelled(DECLINES_988))
def test_a_no_at_the_988_offer_is_not_put_through_and_hears_the_menu(phone_call, lang, words):
    call = at_emergency_options(phone_call, lang)
    heard = said(call.say(words))
    assert call.dialed == [] and not call.ended
    assert MENU_AGAIN[lang] in heard


@pytest.mark.parametrize(("lang", "words"), [("en", "yes"), ("en", "yes, connect me"), ("es", "sí")])
def test_a_yes_at_the_988_offer_is_put_through(phone_call, lang, words):
    call = at_emergency_options(phone_call, lang)
    call.say(words)
    assert call.dialed == [["988"]]


def test_an_answer_that_both_asks_for_988_and_says_no_is_asked_again(phone_call):
    call = at_emergency_options(phone_call, "en")
    heard = said(call.say("no, just connect me"))
    assert call.dialed == [] and EMERGENCY_OPTIONS["en"] in heard


def test_crisis_words_after_a_no_at_the_988_offer_still_put_through(phone_call):
    call = at_emergency_options(phone_call, "en")
    call.say("no, I want to die")
    assert call.dialed == [["988"]]


def test_the_caller_id_read_back_books_the_caller_id_on_yes(phone_call, store):
    call = phone_call()
    call.start()
    call.press("3")
    assert BOOKED["en"] in said(call.say("yes, that's right"))
    assert callbacks.phone_of(store, callbacks.waiting(store)[0]) == CALLER


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "can you say that again"), ("en", "repeat that please"), ("es", "otra vez, por favor")],
)
def test_asking_to_hear_a_read_back_again_reads_it_again_not_the_main_menu(phone_call, store, lang, words):
    call = at_number_read_back(phone_call, lang)
    heard = said(call.say(words))
    assert NUMBER_READ_BACK[lang] in heard and MENU_AGAIN[lang] not in heard
    assert callbacks.waiting(store) == []
    call = at_zip_read_back(phone_call, lang)
    assert ZIP_READ_BACK[lang] in said(call.say(words))


def test_asking_for_the_main_menu_at_a_read_back_still_goes_there(phone_call):
    call = at_number_read_back(phone_call, "en")
    assert "To find treatment near you, press 2" in said(call.say("main menu"))
