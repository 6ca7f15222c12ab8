"""A voicemail's recording plays on the request page from this site: the server fetches it from
Twilio (the real SDK's client against the local fake) with the account's credentials, audits who
listened, and never fetches an address that is not a Twilio recording."""

import pytest

from helpline.services import audit, callbacks
from tests.test_staff_auth import login
from tests.twilio_fixtures import RECORDING_AUDIO


@pytest.fixture
def app(live_twilio_app):
    return live_twilio_app


def voicemail_with(store, link: str) -> callbacks.CallbackRequest:
    request, _ = callbacks.request_callback(
        store, "+15551230004", lang="en", reason="voicemail", priority=False, channel="voice"
    )
    callbacks.add_extra(store, request.id, voicemail_url=link, voicemail_seconds=9, voicemail_transcript="hi")
    return request


def test_the_recording_plays_from_this_site_and_listening_is_audited(client, staff_user, store, twilio_fake):
    link = f"https://api.twilio.com/2010-04-01/Accounts/{twilio_fake.account_sid}/Recordings/RE{'a' * 32}"
    request = voicemail_with(store, link)
    login(client, staff_user.email)
    page = client.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    assert f'src="/staff/callbacks/{request.id}/voicemail"' in page and "api.twilio.com" not in page
    played = client.get(f"/staff/callbacks/{request.id}/voicemail")
    assert played.status_code == 200 and played.mimetype == "audio/mpeg" and played.data == RECORDING_AUDIO
    assert ("listened to voicemail", staff_user.email) in [
        (e.action, e.who) for e in audit.trail(store, request.id)
    ]


@pytest.mark.parametrize("link", ["https://example.org/steal.mp3", "http://127.0.0.1:9/2010-04-01/x"])
def test_only_twilio_recordings_are_fetched(client, staff_user, store, link):
    request = voicemail_with(store, link)
    login(client, staff_user.email)
    assert client.get(f"/staff/callbacks/{request.id}/voicemail").status_code == 404


def test_signed_out_nobody_hears_it(client, store, twilio_fake):
    request = voicemail_with(
        store, f"https://api.twilio.com/2010-04-01/Accounts/{twilio_fake.account_sid}/Recordings/RE1"
    )
    assert client.get(f"/staff/callbacks/{request.id}/voicemail").status_code in (302, 401)


def test_the_queue_row_of_a_voicemail_shows_what_the_caller_said(client, staff_user, store):
    request, _ = callbacks.request_callback(
        store, "+15551230005", lang="en", reason="voicemail", priority=False, channel="voice"
    )
    callbacks.add_extra(store, request.id, voicemail_transcript="my dad took too many of his pills")
    login(client, staff_user.email)
    page = client.get("/staff").get_data(as_text=True)
    assert "Voicemail:</span> my dad took too many of his pills" in page


@pytest.mark.browser
def test_a_recording_twilio_will_not_give_is_said_to_be_unavailable(
    live_server, browser_context, staff_user, store, twilio_fake
):
    from playwright.sync_api import expect

    from tests.browser_fixtures import sign_in

    elsewhere = "AC" + "0" * 32  # Twilio refuses it: the recording cannot be fetched
    request = voicemail_with(store, f"https://api.twilio.com/2010-04-01/Accounts/{elsewhere}/Recordings/RE1")
    page = browser_context().new_page()
    sign_in(page, live_server, staff_user.email, next_path=f"/staff/callbacks/{request.id}")
    player = page.get_by_label("Voicemail recording, 9 seconds")
    player.evaluate("audio => audio.play().catch(() => {})")
    expect(
        page.get_by_text("Recording unavailable: it could not be fetched from Twilio just now")
    ).to_be_visible()
    expect(player).to_be_hidden()
    expect(page.locator("blockquote.transcript")).to_have_text("“hi”")  # their words stay readable
