"""CALL puts a request on the staff queue and says when staff call back."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from helpline.services import callbacks
from tests.conftest import NEVER_OPEN_TODAY, TEXTER


def test_call_creates_a_callback_request_with_what_we_know(text, store):
    text("hi")
    text("10001")
    (reply,) = text("call")
    assert "call you back" in reply and "Callback hours" in reply
    (request,) = callbacks.waiting(store)
    assert request.zip == "10001"
    assert request.lang == "en"
    assert request.priority == "normal"
    assert request.status == "waiting"
    assert request.attempts == 0
    assert request.channel == "sms"
    assert callbacks.phone_of(store, request) == TEXTER


def test_call_twice_does_not_queue_twice(text, store):
    text("hi")
    text("call")
    (reply,) = text("call")
    assert "already on our callback list" in reply
    assert len(callbacks.waiting(store)) == 1


def test_call_after_the_self_check_records_its_outcome(text, store):
    text("hi")
    for answer in ("check", "yes", "no", "no"):
        text(answer)
    text("call")
    (request,) = callbacks.waiting(store)
    assert request.check_outcome == "oih"
    assert request.reason == "check:oih"


def test_call_by_menu_number_in_spanish(text, store):
    text("hola")
    (reply,) = text("6")
    assert "Gracias" in reply and "Horario" in reply
    assert callbacks.waiting(store)[0].lang == "es"


def test_short_code_sender_cannot_be_called_back_and_is_told_where_to_call(text, store):
    text("hi", sender="72345")
    (reply,) = text("call", sender="72345")
    assert "1-800-662-4357" in reply
    assert callbacks.waiting(store) == []


@pytest.mark.parametrize("sender", ["72345", "+447700900123"])
def test_a_crisis_from_a_sender_staff_cannot_call_gets_the_guidance_and_no_promise(text, store, sender):
    (reply,) = text("someone took too many pills", sender=sender)
    assert "911" in reply and "988" in reply
    assert "call you back" not in reply and "will call" not in reply
    assert callbacks.waiting(store) == []


@pytest.fixture
def closed_hours(hours_file):
    """Open only on Mondays, and today is a holiday: closed now, whatever day the tests run."""
    today = dt.datetime.now(ZoneInfo("America/New_York")).date()
    hours_file.write_text(NEVER_OPEN_TODAY.replace("holidays: []", f"holidays: [{today.isoformat()}]"))
    return hours_file


def test_after_hours_call_says_when_staff_will_call(closed_hours, text):
    text("hi")
    (reply,) = text("call")
    assert "closed now" in reply
    sunday = dt.datetime.now(ZoneInfo("America/New_York")).weekday() == 6
    assert ("from tomorrow 9am" if sunday else "from Mon 9am") in reply
    assert "Mon 9am-5pm" in reply


@pytest.mark.parametrize(
    "body",
    [
        "stop texting me, call me instead",
        "Please don't text me back, call me",
        "can u stop texting and just call me",
        "dont message me, my husband reads my phone. call me",
    ],
)
def test_no_more_texts_but_call_me_queues_the_call_with_texts_off(text, store, body):
    text("hi")
    (reply,) = text(body)
    assert "won't get more texts" in reply and "call you back" in reply
    (request,) = callbacks.waiting(store)
    assert request.priority == "normal" and request.texts_off
    assert text("oih") == []  # and nothing is texted after it


def test_dont_call_me_is_not_a_callback_request(text, store):
    text("hi")
    text("stop texting me and dont call me either")
    assert callbacks.waiting(store) == []


@pytest.mark.parametrize(
    "answer",
    ["no, i need to talk to a real person", "yes please call me", "can someone ring me", "n, just phone me"],
)
def test_asking_for_a_person_in_the_self_check_is_a_callback_not_an_answer(text, store, answer):
    text("hi")
    text("check")
    (reply,) = text(answer)
    assert "call you back" in reply
    (request,) = callbacks.waiting(store)
    assert request.priority == "normal"
    assert "Self-check" not in " ".join(text("oih"))  # the check was left, not answered


@pytest.mark.parametrize(
    "body",
    [
        "cancel my callback",
        "i dont need the call anymore, thanks",
        "never mind the call",
        "ya no necesito la llamada",
        "actually nevermind, cancel that",
        "nevermind",
        "oh never mind",
    ],
)
def test_a_texter_can_take_back_their_callback_request(text, store, body):
    text("hi")
    text("call")
    (request,) = callbacks.waiting(store)
    (reply,) = text(body)
    assert "off our callback list" in reply or "ya no esta en nuestra lista" in reply
    assert callbacks.waiting(store) == [] and callbacks.get(store, request.id).status == "closed"
    text("call")  # and can ask again
    assert len(callbacks.waiting(store)) == 1


def test_a_crisis_request_is_not_taken_back_by_a_text(text, store):
    text("my husband wont wake up")
    (reply,) = text("cancel the callback")
    assert "still call you once" in reply
    assert callbacks.waiting(store)[0].is_crisis


def test_switching_language_after_asking_for_a_call_has_staff_call_in_that_language(text, store):
    text("call")
    assert callbacks.waiting(store)[0].lang == "en"
    text("español")
    (request,) = callbacks.waiting(store)
    assert request.lang == "es"  # the queue's Spanish filter and staff's text templates follow
    text("english")
    assert callbacks.waiting(store)[0].lang == "en"


@pytest.mark.parametrize(
    "body",
    ["do not call me, my husband will see", "dont call, text only", "please dont call me", "no me llamen"],
)
def test_saying_not_to_call_never_books_a_call(text, store, body):
    text("hi")
    (reply,) = text(body)
    assert callbacks.waiting(store) == []
    assert "not call" in reply or "no le llamaremos" in reply


def test_dont_call_me_with_a_request_open_takes_it_back(text, store):
    text("call")
    (reply,) = text("never mind, dont call me")
    assert callbacks.waiting(store) == [] and "off our callback list" in reply


def test_asking_for_a_person_after_a_crisis_is_never_told_to_wait_for_morning(closed_hours, text, store):
    text("i want to kill myself")
    (reply,) = text("can someone call me")
    assert "as soon as they can" in reply and "911" in reply and "tomorrow" not in reply
    assert len(callbacks.waiting(store)) == 1 and callbacks.waiting(store)[0].is_crisis


@pytest.mark.parametrize("body", ["no narcan", "we dont have any narcan", "no one will answer anyway"])
def test_words_not_understood_while_a_crisis_is_open_get_staff_are_coming_not_the_menu(text, store, body):
    text("my husband wont wake up")
    (reply,) = text(body)
    assert "as soon as they can" in reply and "911" in reply and "OIH" not in reply


def test_the_carrier_word_cancel_says_the_callback_still_stands_and_how_to_cancel_it(text, store):
    text("call me")
    (request,) = callbacks.waiting(store)
    (reply,) = text("cancel")
    assert "won't get more texts" in reply and "still call you back" in reply and "CANCEL CALL" in reply
    assert callbacks.waiting(store)[0].texts_off  # staff call; nobody texts
    assert text("cancel call") == []  # opted out: silence, and nothing changes
    assert len(callbacks.waiting(store)) == 1
    text("START")
    (withdrawn,) = text("CANCEL CALL")
    assert "off our callback list" in withdrawn and callbacks.waiting(store) == []


def test_opting_out_during_a_crisis_says_staff_still_call_once(text, store):
    text("my husband wont wake up")
    (reply,) = text("cancelar")
    assert "Ya no recibira mensajes" in reply and "le llamara una vez" in reply
    assert callbacks.waiting(store)[0].is_crisis


def test_nevermind_without_a_callback_asked_for_is_no_cancellation(text, store):
    text("hi")
    (reply,) = text("nevermind")
    assert "callback list" not in reply


@pytest.mark.parametrize(
    ("body", "lang"), [("EMERGENCY", "en"), ("sos", "en"), ("\U0001f198", "en"), ("es una emergencia", "es")]
)
def test_a_first_text_saying_emergency_gets_911_at_once_and_a_priority_callback(text, store, body, lang):
    (reply,) = text(body)
    assert "911" in reply and "OIH" not in reply  # the guidance first, not the welcome
    (request,) = callbacks.waiting(store)
    assert request.is_crisis and request.lang == lang


def test_the_emergency_room_in_a_story_is_no_emergency(text, store):
    text("hi")
    text("i went to the emergency room last night because my pain keeps getting worse on oxy")
    assert callbacks.waiting(store) == []
