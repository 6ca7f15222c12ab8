"""Option 4 by phone: ring every on-duty staff phone with a whisper; otherwise voicemail -> callback."""

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from helpline.devtools.simulate_call import call_params
from helpline.services import accounts, callbacks
from helpline.store import Keys
from tests.conftest import HELPLINE_NUMBER, every_stored_byte
from tests.twiml_check import check_voice, spoken
from tests.voice_fixtures import CALLER, STAFF_PHONES


def said(lines) -> str:
    return " ".join(lines)


def total(store, name: str) -> int:
    return int(store._r.get(Keys.stat(name, "total")) or 0)


def test_in_hours_every_on_duty_phone_rings_at_once_with_a_whisper(phone_call, staff_on_duty, store):
    call = phone_call(dial_outcome="completed")
    call.start()
    heard = said(call.press("4"))
    assert "Please hold" in heard
    assert call.dialed == [list(STAFF_PHONES)]
    dial = check_voice(call.responses[-2]).find("Dial")
    assert dial.get("callerId") == HELPLINE_NUMBER  # staff phones show the line, never the caller
    assert {n.get("url").split("?")[0] for n in dial.iter("Number")} == {
        "http://localhost/twilio/voice/whisper"
    }
    assert "(staff press 1: connected)" in heard
    assert "Thank you for calling" in heard and call.ended
    assert total(store, "call.talk.accepted") == 1


def test_a_staff_phone_voicemail_picking_up_does_not_take_the_call(phone_call, staff_on_duty, store):
    call = phone_call(dial_outcome="completed", staff_presses="")
    call.start()
    heard = said(call.press("4"))
    assert "nobody presses 1" in heard
    assert "nobody from our team can take your call" in heard and call.waiting.tag == "Record"


def test_off_duty_and_disabled_staff_are_not_rung(phone_call, staff_on_duty, store):
    accounts.set_duty(store, "staff0@helpline.example", False)
    call = phone_call()
    call.start()
    call.press("4")
    assert call.dialed == [[STAFF_PHONES[1]]]


def test_whisper_asks_staff_to_press_1_and_anything_else_hangs_up_that_leg(signed_post):
    leg = call_params(HELPLINE_NUMBER, STAFF_PHONES[0], "CA" + "f" * 32)
    whisper = check_voice(signed_post("/twilio/voice/whisper?lang=es", leg).data)
    gather = whisper.find("Gather")
    assert gather.get("numDigits") == "1"
    assert "press 1 to accept" in spoken(whisper)[0].lower() and "Spanish" in spoken(whisper)[0]
    assert whisper[-1].tag == "Hangup"  # nobody pressed: a voicemail box, not a person
    accepted = check_voice(signed_post("/twilio/voice/whisper/answer", dict(leg, Digits="1")).data)
    assert list(accepted) == []  # empty: the caller is bridged to this phone
    for digits in ("", "2", "*"):
        refused = check_voice(signed_post("/twilio/voice/whisper/answer", dict(leg, Digits=digits)).data)
        assert [v.tag for v in refused] == ["Hangup"]


def test_nobody_answers_so_voicemail_becomes_a_callback_with_the_recording_encrypted(
    phone_call, staff_on_duty, store, redis
):
    call = phone_call(dial_outcome="no-answer")
    call.start()
    heard = said(call.press("4"))
    assert "nobody from our team can take your call" in heard and "After the tone" in heard
    record = call.waiting
    assert record.tag == "Record" and record.get("maxLength") == "120" and record.get("transcribe") == "true"
    saved = said(call.say("Hi it's Ann, I need help with my pain meds"))
    # Words left on a recording are read by staff later: what to do in danger meanwhile is said now.
    assert "we have your message" in saved and "9 1 1" in saved and "9 8 8" in saved
    (request,) = callbacks.waiting(store)
    assert (request.reason, request.channel, request.priority) == ("voicemail", "voice", "normal")
    extra = callbacks.extra_of(store, request)
    assert extra["voicemail_url"].startswith("https://api.twilio.com/")
    assert extra["voicemail_transcript"] == "Hi it's Ann, I need help with my pain meds"
    raw = every_stored_byte(redis)
    assert b"api.twilio.com" not in raw and b"pain meds" not in raw
    assert total(store, "call.voicemail") == 1 and total(store, "call.talk.no-answer") == 1


def test_spanish_voicemail_is_recorded_without_english_only_transcription(phone_call, store):
    call = phone_call()
    call.start()
    call.press("9")
    assert "Después del tono" in said(call.press("4"))
    assert call.waiting.tag == "Record" and call.waiting.get("transcribe") is None
    assert "recibimos su mensaje" in said(call.say("Hola, necesito ayuda"))
    assert "voicemail_url" in callbacks.extra_of(store, callbacks.waiting(store)[0])


def test_nobody_on_duty_goes_straight_to_voicemail(phone_call, store):
    call = phone_call()
    call.start()
    call.press("4")
    assert call.dialed == [] and call.waiting.tag == "Record"


OFFICE_HOURS = """
timezone: America/New_York
weekly: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"],
         fri: ["09:00-17:00"]}
holidays: []
"""
TUESDAY_1_30_AM = dt.datetime(2026, 11, 24, 1, 30, tzinfo=ZoneInfo("America/New_York")).timestamp()


@pytest.fixture
def office_hours(hours_file):
    hours_file.write_text(OFFICE_HOURS)


@pytest.fixture
def half_past_one_at_night(office_hours, app):
    """Office hours 9-5 on weekdays, and the line answers as if it were 01:30 on a Tuesday."""
    helpline = app.extensions["helpline"]
    helpline.calls = replace(helpline.calls, clock=lambda: TUESDAY_1_30_AM)


def test_at_half_past_one_at_night_staff_on_duty_are_rung(half_past_one_at_night, phone_call, staff_on_duty):
    call = phone_call(dial_outcome="completed")
    call.start()
    heard = said(call.press("4"))
    assert "Please hold" in heard and "not available" not in heard
    assert call.dialed == [list(STAFF_PHONES)]
    assert "(staff press 1: connected)" in heard and call.ended


def test_at_night_with_nobody_on_duty_the_caller_hears_so_and_is_called_back_in_the_morning(
    half_past_one_at_night, phone_call, store
):
    call = phone_call()
    call.start()
    heard = said(call.press("4"))
    assert "not available right now" in heard and "After the tone" in heard
    assert call.dialed == [] and call.waiting.tag == "Record"
    after = said(call.say("please call me"))
    assert "We are closed right now" in after and "9 AM" in after
    assert callbacks.waiting(store)[0].reason == "voicemail"


@pytest.mark.parametrize("words", ["I want to kill myself", "creo que tomé una sobredosis"])
def test_crisis_words_in_the_transcript_raise_the_voicemail_to_priority(phone_call, store, words):
    call = phone_call()
    call.start()
    call.press("4")
    call.say(words)
    (request,) = callbacks.waiting(store)
    assert request.priority == "crisis" and request.reason == "voicemail"
    assert total(store, "call.voicemail.crisis") == 1


@pytest.mark.parametrize(
    "words, when",
    [
        ("hi this is maria please call me back after 5 pm", True),
        ("i work nights so mornings are best, thank you", True),
        ("call me tomorrow morning about my husband's pain medicine", True),
        ("my pain has been getting worse for 3 years, please call me back", False),
        ("please call me back", False),
    ],
)
def test_a_voicemail_saying_when_to_call_shows_staff_when_to_call(
    phone_call, store, staff_client, words, when
):
    call = phone_call()
    call.start()
    call.press("4")
    call.say(words)
    (request,) = callbacks.waiting(store)
    said = callbacks.call_time_of(store, request)
    page = staff_client.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    if not when:
        assert said is None and "When to call:" not in page
        return
    assert said.words == words and said.voicemail
    assert "When to call:" in page and "in a voicemail left" in page and "texted" not in page


def test_a_silent_voicemail_is_not_a_dead_line(phone_call, store):
    call = phone_call()
    call.start()
    call.press("4")
    heard = said(call.wait())
    assert "didn't get a message" in heard and "press 3" in heard
    assert call.waiting.tag == "Gather" and callbacks.waiting(store) == []


def test_recording_and_transcription_callbacks_retried_change_nothing(phone_call, signed_post, store):
    call = phone_call()
    call.start()
    call.press("4")
    call.say("call me back please")
    params = call_params(CALLER, HELPLINE_NUMBER, call.sid)
    transcript = dict(
        params, TranscriptionSid="TR1", TranscriptionText="overdose", TranscriptionStatus="completed"
    )
    signed_post("/twilio/voice/transcription", transcript)
    signed_post("/twilio/voice/transcription", transcript)
    assert total(store, "crisis") == 1
    recording = dict(
        params, RecordingSid="RE1", RecordingUrl="https://api.twilio.com/x", RecordingStatus="completed"
    )
    for _ in range(2):
        assert (
            signed_post("/twilio/voice/recording", dict(recording, RecordingDuration="7")).status_code == 200
        )
    assert (
        total(store, "call.recording.seconds") == 7 + 2
    )  # the simulated phone's recording, then this one once


@pytest.mark.parametrize(
    "path", ["/twilio/voice/recording", "/twilio/voice/transcription", "/twilio/voice/voicemail"]
)
def test_callbacks_for_unknown_calls_or_without_fields_never_fail(signed_post, path):
    params = call_params(CALLER, HELPLINE_NUMBER, "CA" + "9" * 32)
    response = signed_post(path, params)
    assert response.status_code == 200
    check_voice(response.data)


def test_an_anonymous_caller_is_asked_for_a_number_instead_of_a_voicemail(phone_call, store):
    call = phone_call(caller="anonymous")
    call.start()
    assert "can't see the number" in said(call.press("4"))
    call.press("2125550123")
    call.press("1")
    assert callbacks.phone_of(store, callbacks.waiting(store)[0]) == "+12125550123"


def test_an_anonymous_caller_is_put_through_to_staff_on_duty(phone_call, staff_on_duty, store):
    call = phone_call(caller="anonymous", dial_outcome="completed")
    call.start()
    heard = said(call.press("4"))
    assert "can't see the number" not in heard and "Please hold" in heard
    assert call.dialed == [list(STAFF_PHONES)]


def test_an_anonymous_caller_nobody_on_duty_picks_up_for_is_asked_for_a_number_not_a_message(
    phone_call, staff_on_duty, store
):
    call = phone_call(caller="anonymous", dial_outcome="no-answer")
    call.start()
    heard = said(call.press("4"))
    assert call.dialed == [list(STAFF_PHONES)]
    # Not "we will call you back at this number" (there is none), and no message thrown away after.
    assert "can't see the number" in heard and "After the tone" not in heard
    call.press("2125550123")
    call.press("1")
    (request,) = callbacks.waiting(store)
    assert callbacks.phone_of(store, request) == "+12125550123"


def test_someone_in_crisis_can_reach_the_team_from_the_emergency_step(phone_call, staff_on_duty):
    call = phone_call(caller="anonymous", dial_outcome="completed")
    call.start()
    assert "press 4" in said(call.say("my brother is not breathing"))
    assert "Please hold" in said(call.press("4"))
    assert call.dialed == [list(STAFF_PHONES)]
