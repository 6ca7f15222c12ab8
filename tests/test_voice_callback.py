"""Option 3 by phone: a callback request like texting CALL, to the caller ID or a number keyed in."""

import datetime as dt
from dataclasses import replace

import pytest

from helpline.services import callbacks
from tests.conftest import NEVER_OPEN_TODAY
from tests.voice_fixtures import CALLER


@pytest.fixture
def settings(settings, findtreatment_fake):
    """Searches go to the local fake locator, never the internet."""
    return settings.with_overrides(findtreatment_api_url=findtreatment_fake.url, locator_read_timeout=1.0)


def said(lines) -> str:
    return " ".join(lines)


def test_callback_to_the_caller_id_is_queued_and_the_hours_are_said(phone_call, store):
    call = phone_call()
    call.start()
    assert "ending in 0 0 0 2" in said(call.press("3"))
    heard = said(call.press("1"))
    assert "on our callback list" in heard and "We make callbacks" in heard and "Goodbye" in heard
    assert call.ended
    (request,) = callbacks.waiting(store)
    assert callbacks.phone_of(store, request) == CALLER
    assert (request.channel, request.reason, request.priority, request.lang) == (
        "voice",
        "callback",
        "normal",
        "en",
    )


def test_callback_to_another_number_keyed_in(phone_call, store):
    call = phone_call()
    call.start()
    call.press("3")
    assert "10 digit phone number" in said(call.press("2"))
    assert "call you back at 2 1 2, 5 5 5, 0 1 2 3" in said(call.press("2125550123#"))
    call.press("1")
    (request,) = callbacks.waiting(store)
    assert callbacks.phone_of(store, request) == "+12125550123"


def test_a_number_said_is_read_back_without_saying_it_was_keyed(phone_call, store):
    call = phone_call()
    call.start()
    call.press("3")
    call.press("2")
    heard = said(call.say("two one two five five five zero one two three"))
    assert "call you back at 2 1 2, 5 5 5, 0 1 2 3" in heard and "entered" not in heard
    assert "on our callback list" in said(call.say("yes"))
    assert callbacks.phone_of(store, callbacks.waiting(store)[0]) == "+12125550123"


def test_a_hidden_caller_id_is_asked_for_a_number(phone_call, store):
    call = phone_call(caller="anonymous")
    call.start()
    heard = said(call.press("3"))
    assert "can't see the number" in heard
    call.press("2125550123")
    call.press("1")
    assert callbacks.phone_of(store, callbacks.waiting(store)[0]) == "+12125550123"


def test_spanish_callback_is_confirmed_in_spanish_with_spanish_hours(phone_call, store):
    call = phone_call()
    call.start()
    call.press("9")
    assert "termina en 0 0 0 2" in said(call.press("3"))
    heard = said(call.press("1"))
    assert "lista de llamadas" in heard and "Hacemos las llamadas" in heard and "hora del Este" in heard
    assert callbacks.waiting(store)[0].lang == "es"


def test_the_same_request_as_texting_call_one_open_request_per_number(phone_call, text, store):
    text("call", sender=CALLER)
    call = phone_call()
    call.start()
    call.press("3")
    assert "already on our callback list" in said(call.press("1"))
    assert len(callbacks.waiting(store)) == 1


def test_the_zip_searched_on_the_call_goes_on_the_request(phone_call, store):
    call = phone_call()
    call.start()
    call.press("2")
    call.press("99950")
    call.press("1")  # nothing near: offered a callback from the menu
    call.press("3")
    call.press("1")
    assert callbacks.waiting(store)[0].zip == "99950"


TUESDAY_NOON = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))).timestamp()


@pytest.fixture
def closed_hours(hours_file):
    hours_file.write_text(NEVER_OPEN_TODAY)  # open on Mondays only


@pytest.fixture
def tuesday_noon(app):
    """The line answers as if it were a Tuesday at noon, whatever day the tests run."""
    helpline = app.extensions["helpline"]
    helpline.calls = replace(helpline.calls, clock=lambda: TUESDAY_NOON)


def test_after_hours_says_when_staff_will_call(closed_hours, tuesday_noon, phone_call, store):
    call = phone_call()
    call.start()
    call.press("3")
    heard = said(call.press("1"))
    assert "We are closed right now" in heard and "on Monday at 9 AM" in heard


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "don't call me back"),
        ("en", "I don't want anyone to call me, my husband checks my phone"),
        ("en", "you don't need to call me"),
        ("en", "stop calling me"),
        ("en", "no callback please"),
        ("es", "no me llamen"),
        ("es", "no quiero que me llamen"),
    ],
)
def test_a_caller_who_says_not_to_call_is_told_so_and_nothing_is_booked(phone_call, store, lang, words):
    call = phone_call()
    call.start()
    if lang == "es":
        call.press("9")
    heard = said(call.say(words))
    assert {"en": "we will not call you back", "es": "no le llamaremos"}[lang] in heard
    assert "ending in" not in heard and "termina en" not in heard and not call.ended
    assert callbacks.waiting(store) == []


def test_dont_call_me_back_i_just_want_information_gets_the_information(phone_call, store):
    call = phone_call()
    call.start()
    heard = said(call.say("don't call me back, I just want information"))
    assert "we will not call you back" in heard and "Opioid-induced hyperalgesia" in heard
    assert callbacks.waiting(store) == []


@pytest.mark.parametrize("step_keys", [("3",), ("3", "2"), ("3", "2", "2125550123#")])
def test_dont_call_me_at_any_callback_question_books_nothing(phone_call, store, step_keys):
    call = phone_call()
    call.start()
    for keys in step_keys:
        call.press(keys)
    heard = said(call.say("no, don't call me"))
    assert "we will not call you back" in heard and "on our callback list" not in heard
    call.press("1")  # the main menu again: 1 is the information, not a yes
    assert callbacks.waiting(store) == []


@pytest.mark.parametrize(
    "words", ["call me back", "I don't know, just call me back", "why don't you call me"]
)
def test_asking_for_a_call_in_words_still_offers_one(phone_call, words):
    call = phone_call()
    call.start()
    assert "ending in 0 0 0 2" in said(call.say(words))


def test_words_with_no_number_at_the_number_question_are_not_called_a_wrong_number(phone_call, store):
    call = phone_call()
    call.start()
    call.press("3")
    call.press("2")
    heard = said(call.say("I don't know"))
    assert "didn't understand" in heard and "doesn't look like a US phone number" not in heard
    assert "doesn't look like a US phone number" in said(call.say("five five five one two"))
