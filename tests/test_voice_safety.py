"""Voice webhooks under any input: TwiML or a 4xx, never a 5xx; retries idempotent; logs masked."""

import logging

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from helpline.devtools.simulate_call import call_params
from helpline.domain import ivr
from helpline.services import callbacks
from tests.conftest import HELPLINE_NUMBER
from tests.twiml_check import check_voice, spoken
from tests.voice_fixtures import CALLER

anything = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789*#", max_size=30),
    st.sampled_from(["", "1", "10001#", "hangup", "timeout", "\x00", "😀", "0" * 3000]),
)
senders = st.one_of(
    st.sampled_from([CALLER, "anonymous", "+266696687", "client:bob", "", "sip:x@y"]), st.text(max_size=20)
)


@hypothesis_settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    step=st.sampled_from(ivr.STEPS),
    digits=anything,
    speech=anything,
    sender=senders,
    n=st.sampled_from(["0", "1", "x", "-1", "99999999"]),
    sid=st.uuids(),
)
def test_any_answer_at_any_step_gets_spoken_twiml(signed_post, step, digits, speech, sender, n, sid):
    params = call_params(sender, HELPLINE_NUMBER, f"CA{sid.hex}", Digits=digits, SpeechResult=speech)
    response = signed_post(f"/twilio/voice/step/{step}?n={n}", params)
    assert response.status_code == 200, response.data[:300]
    assert spoken(check_voice(response.data))  # never silence, never a dead line


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        ["/twilio/voice", "/twilio/voice/dial-done", "/twilio/voice/voicemail", "/twilio/voice/recording",
         "/twilio/voice/transcription", "/twilio/voice/whisper", "/twilio/voice/whisper/answer"]
    ),
    field=st.sampled_from(
        ["DialCallStatus", "RecordingUrl", "RecordingDuration", "TranscriptionText", "Digits"]
    ),
    value=anything,
    sender=senders,
    sid=st.uuids(),
)  # fmt: skip
def test_any_callback_gets_twiml_or_a_4xx(signed_post, path, field, value, sender, sid):
    response = signed_post(path, call_params(sender, HELPLINE_NUMBER, f"CA{sid.hex}", **{field: value}))
    assert response.status_code in (200, 400), response.data[:300]
    if response.status_code == 200:
        check_voice(response.data)


def test_a_retried_voicemail_makes_one_callback_and_the_same_answer(phone_call, signed_post, store):
    call = phone_call()
    call.start()
    call.press("4")
    action = call.waiting.get("action").split("localhost", 1)[1]
    recording = {"RecordingUrl": "https://api.twilio.com/r/RE1", "RecordingDuration": "9", "Digits": "#"}
    params = call_params(call.caller, HELPLINE_NUMBER, call.sid, **recording)
    first, again = signed_post(action, params), signed_post(action, params)
    assert first.data == again.data and "Goodbye" in " ".join(spoken(check_voice(first.data)))
    assert len(callbacks.waiting(store)) == 1


def test_logs_never_hold_a_clear_number_or_what_was_said(phone_call, caplog):
    caplog.set_level(logging.DEBUG)
    call = phone_call()
    call.start()
    call.press("3")
    call.press("2")
    call.press("2125550123")
    call.press("1")
    call = phone_call()
    call.start()
    call.press("4")
    call.say("my secret message about my pain")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "event=call.started" in logged and "event=call.voicemail" in logged
    for secret in ("5551230002", "2125550123", "5550123", "secret message", "api.twilio.com"):
        assert secret not in logged


def test_crisis_words_at_the_end_of_a_long_answer_are_heard(phone_call, store):
    call = phone_call()
    call.start()
    rambling = (
        "well I have been seeing my doctor for about six years now for my back and my knees and the "
        "medicine used to help but lately it does not help at all and the pain is everywhere and I "
        "cannot sleep and my family does not understand and honestly I just want to kill myself"
    )
    assert len(rambling) > 200
    heard = " ".join(call.say(rambling))
    assert "9 8 8" in heard and "ZIP" not in heard
    assert callbacks.waiting(store)[0].priority == "crisis"


def test_the_greeting_and_the_crisis_words_can_be_interrupted_by_a_key(phone_call):
    call = phone_call()
    call.start()
    first = check_voice(call.responses[-1])
    # The greeting is inside the menu's Gather: pressing 0 during it is heard at once.
    assert [child.tag for child in first] == ["Gather", "Redirect"]
    assert "Thank you for calling" in " ".join(s.text for s in first.find("Gather").iter("Say"))
    call.say("he overdosed")
    crisis = check_voice(call.responses[-1])
    assert "9 1 1" in " ".join(s.text for s in crisis.find("Gather").iter("Say"))
