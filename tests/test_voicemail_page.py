"""The request page of a voicemail: the caller's own words, said to be theirs, in readable type."""

import re

from helpline.services import callbacks

WORDS = "Hi it's Ann, I need help with my pain meds"


def voicemail_item(html: str) -> str:
    return re.search(r'<li id="t-[^"]*" class="item item-voicemail.*?</li>', html, re.S).group(0)


def test_the_voicemail_shows_only_the_callers_words_and_says_who_spoke(
    app, store, staff_client, nothing_listening
):
    call = ["simulate", "call", "+15551230001", "--digits", "4", "--say", WORDS]
    result = app.test_cli_runner().invoke(args=call)
    assert result.exit_code == 0, result.output
    assert "After the tone" in result.output  # the helpline's own instructions were said on the call
    (request,) = callbacks.waiting(store)
    item = voicemail_item(staff_client.get(f"/staff/callbacks/{request.id}").get_data(as_text=True))
    assert "They said" in item
    transcript = re.search(r'<blockquote class="transcript"[^>]*>(.*?)</blockquote>', item, re.S).group(1)
    assert transcript == "“Hi it&#39;s Ann, I need help with my pain meds”"  # theirs, and only theirs
    assert "After the tone" not in item and "Thank you for calling" not in item
    assert 'class="muted"' not in item  # the transcript is not greyed out


def test_without_twilio_the_recording_is_said_to_be_unavailable_and_the_words_stay(
    app, store, staff_client, nothing_listening
):
    call = ["simulate", "call", "+15551230001", "--digits", "4", "--say", WORDS]
    assert app.test_cli_runner().invoke(args=call).exit_code == 0
    (request,) = callbacks.waiting(store)
    item = voicemail_item(staff_client.get(f"/staff/callbacks/{request.id}").get_data(as_text=True))
    assert "<audio" not in item  # no silent 0:00 player that can never play
    assert "Recording unavailable: this service runs without a Twilio account (development mode)" in item
    assert "What they said is above." in item and "I need help with my pain meds" in item
