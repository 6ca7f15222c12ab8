"""Staff work the queue in a real browser (Debian chromium via Playwright) against the app on a free
port, live Twilio mode with the real SDK talking to the local fake Twilio server."""

import re

import pytest
import requests
from playwright.sync_api import expect

from helpline.infra.burst import drain
from helpline.services import callbacks
from helpline.web.twilio_signature import twilio_auth_token
from tests.browser_fixtures import save_artifact, sign_in
from tests.conftest import HELPLINE_NUMBER, TEXTER

pytestmark = pytest.mark.browser

STAFF_PHONE = "+12125550142"
AFTER_OUTCOME = re.compile(r".*/staff\?done=cb\d+$")  # back on the queue, "take the next request" at hand


@pytest.fixture
def app(live_twilio_app):
    return live_twilio_app  # texts and calls go through the SDK to the fake Twilio


def open_request(page, base_url):
    page.goto(f"{base_url}/staff")
    page.locator("tr[data-callback] a").first.click()
    page.wait_for_url(re.compile(r".*/staff/callbacks/cb\d+$"))


def record(page, label: str, note: str | None = None):
    page.get_by_label(label, exact=True).check()
    if note:
        page.get_by_label("Note (kept encrypted)", exact=True).fill(note)
    page.get_by_role("button", name="Record outcome").click()
    expect(page).to_have_url(AFTER_OUTCOME)  # where the page ends up (a poll may cut a navigation short)


def signed_twilio_post(app, url: str, params: dict) -> requests.Response:
    """POST to a TwiML route as Twilio does after it fetched our call URL."""
    from helpline.devtools import simulator

    token = twilio_auth_token(app.config["SETTINGS"])
    headers = {"X-Twilio-Signature": simulator.sign(token, url, params)}
    return requests.post(url, data=params, headers=headers, timeout=10)


def test_claim_call_and_retry_until_the_final_text(
    app, live_server, browser_context, staff_user, operator_user, text, store, twilio_fake
):
    sam = browser_context().new_page()
    olu = browser_context().new_page()
    sign_in(sam, live_server, staff_user.email)
    sign_in(olu, live_server, operator_user.email)
    expect(sam.get_by_text("No one is waiting")).to_be_visible()

    text("my pain keeps getting worse")  # a signed conversation ends in a request ...
    text("call")
    row = sam.locator("tr[data-callback]")
    row.first.wait_for(timeout=12_000)  # ... and the open queue page shows it without a reload
    expect(row.first).to_contain_text("Asked for a callback")
    save_artifact(sam, "staff-queue")

    open_request(sam, live_server)
    open_request(olu, live_server)
    expect(sam.locator(".timeline")).to_contain_text("my pain keeps getting worse")  # decrypted for staff
    sam.get_by_role("button", name="Claim").click()
    expect(sam.get_by_role("button", name="Call them from the helpline")).to_be_visible()
    save_artifact(sam, "staff-request")
    olu.get_by_role("button", name="Claim").click()  # a second later, on a page that still offered it
    expect(olu.get_by_text(f"{staff_user.email} has already claimed this request.")).to_be_visible()
    assert olu.get_by_role("button", name="Call them from the helpline").count() == 0

    sam.get_by_role("button", name="Call them from the helpline").click()
    expect(sam.get_by_text("Calling your phone now")).to_be_visible()
    drain(app.extensions["helpline"].store.rq_connection)
    (call,) = twilio_fake.calls
    assert call["To"] == STAFF_PHONE and call["From"] == HELPLINE_NUMBER
    request_id = sam.url.rsplit("/", 1)[1]
    assert call["Url"].endswith(f"/twilio/voice/staff-bridge/{request_id}")

    bridge = f"{live_server}/twilio/voice/staff-bridge/{request_id}"
    answered = signed_twilio_post(app, bridge, {"CallSid": call["Sid"], "To": STAFF_PHONE})
    assert "Helpline callback. Press 1 to connect." in answered.text and "<Gather" in answered.text
    pressed = signed_twilio_post(app, bridge + "/connect", {"CallSid": call["Sid"], "Digits": "1"})
    assert f'callerId="{HELPLINE_NUMBER}"' in pressed.text
    assert f"<Number>{TEXTER}</Number>" in pressed.text and STAFF_PHONE not in pressed.text

    record(sam, "No answer", note="rang out")
    expect(sam.get_by_text("Back on the queue for another try")).to_be_visible()
    expect(sam.get_by_role("heading", name="Scheduled retries")).to_be_visible()
    for attempt in (2, 3):
        sam.goto(f"{live_server}/staff/callbacks/{request_id}")
        expect(sam.get_by_text(f"{attempt - 1} of 3")).to_be_visible()
        sam.get_by_role("button", name="Claim").click()
        record(sam, "Left voicemail" if attempt == 2 else "No answer")
    expect(sam.get_by_text("Closed after 3 attempts")).to_be_visible()
    expect(sam.get_by_text("No one is waiting")).to_be_visible()

    drain(app.extensions["helpline"].store.rq_connection)
    finals = [m["Body"] for m in twilio_fake.to(TEXTER) if "call you back 3 times" in m["Body"]]
    assert len(finals) == 1
    sam.goto(f"{live_server}/staff/callbacks/{request_id}")
    sam.get_by_text("Everything done to this request").click()
    trail = sam.get_by_role("heading", name="Audit trail").locator("..").inner_text()
    for action in (
        "claimed it",
        "rang their own phone to call",
        "recorded the call: No answer; next try ",
        "recorded the call: Left voicemail; next try ",
        "opened the request",
    ):
        assert action in trail
    assert "no_answer" not in trail and "next=" not in trail  # words, never the stored codes


@pytest.mark.parametrize(
    "label, status", [("Reached", "done"), ("Wrong number", "closed"), ("Declined", "done")]
)
def test_each_closing_outcome_takes_the_request_off_the_queue(
    app, live_server, page, staff_user, text, store, label, status
):
    text("call")
    sign_in(page, live_server, staff_user.email)
    open_request(page, live_server)
    page.get_by_role("button", name="Claim").click()
    record(page, label, note=f"{label} note")
    expect(page.get_by_text("No one is waiting")).to_be_visible()
    (request,) = [callbacks.get(store, i.decode()) for i in store._r.zrange("hl:callbacks:all", 0, -1)]
    assert request.status == status and request.attempts == 1
    assert callbacks.notes(store, request.id)[0]["text"] == f"{label} note"


def test_referral_picks_a_provider_and_schedules_the_check_in(
    app, live_server, page, staff_user, text, store, small_directory
):
    text("10001")
    text("call")
    sign_in(page, live_server, staff_user.email)
    open_request(page, live_server)
    page.get_by_role("button", name="Claim").click()
    page.get_by_label("Referred to a provider").check()
    expect(page.get_by_label("Near (ZIP or city, ST)")).to_have_value("10001")  # from the conversation
    chelsea = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Chelsea Methadone Clinic")
    )
    chelsea.get_by_label("Referred them here").check()
    page.get_by_label("They agree to a check-in text in 2 days").check()
    page.get_by_role("button", name="Record outcome").click()
    expect(page).to_have_url(AFTER_OUTCOME)  # where the page ends up (a poll may cut a navigation short)
    (request,) = [callbacks.get(store, i.decode()) for i in store._r.zrange("hl:callbacks:all", 0, -1)]
    assert request.status == "done"
    (attempt,) = callbacks.attempts(store, request.id)
    assert attempt["provider"]["name"] == "Chelsea Methadone Clinic"
    assert callbacks.follow_up_state(store, request.id)["state"] == "scheduled"


def test_going_on_duty_with_a_phone_rings_it(live_server, page, staff_user, store):
    from helpline.services import accounts

    sign_in(page, live_server, staff_user.email)
    page.get_by_label("Phone to ring").fill("(646) 555-0199")
    page.get_by_role("button", name="Go on duty").click()
    expect(page.get_by_text("You are on duty: your phone rings for callers.").first).to_be_visible()
    assert accounts.on_duty_phones(store) == ["+16465550199"]
    page.get_by_label("Phone to ring").fill("12")
    page.get_by_role("button", name="Go off duty").click()
    expect(page.get_by_text("Nothing changed")).to_be_visible()


def test_open_page_renews_the_claim_and_a_lost_session_goes_to_sign_in(
    live_server, browser_context, staff_user, text, store
):
    text("call")
    phone = browser_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.clock.install()  # the page's timers run when the test says, not in real time
    sign_in(phone, live_server, staff_user.email)
    save_artifact(phone, "staff-queue-phone")
    open_request(phone, live_server)
    phone.get_by_role("button", name="Claim").click()
    phone.get_by_text("Yours until").wait_for()
    phone.wait_for_load_state("load")  # htmx has set up the page's timers
    request_id = phone.url.rsplit("/", 1)[1]
    first_lease = callbacks.get(store, request_id).lease_until
    with phone.expect_response(re.compile(r".*/lease$")):
        phone.clock.run_for(61_000)  # the open page renews its lease every minute
    assert callbacks.get(store, request_id).lease_until > first_lease
    expect(phone.get_by_text("Yours until")).to_be_visible()

    phone.goto(f"{live_server}/staff")
    phone.wait_for_load_state("load")
    for key in store._r.scan_iter("hl:staff:session:*"):
        store._r.delete(key)  # the session ends (signed out elsewhere, or expired)
    phone.clock.run_for(6_000)  # the next queue poll finds it out
    # Each poll that finds it out sends the page to sign in; a later one may cut an earlier navigation
    # short, so the test waits for where the page ends up, not for one navigation.
    expect(phone).to_have_url(re.compile(r".*/login\?next=/staff$"))


def test_the_pages_ask_for_nothing_that_is_not_there(live_server, page, staff_user, text):
    """No 404 in the browser's console on a shift: the tab's icon included."""
    text("call")
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
    sign_in(page, live_server, staff_user.email)
    open_request(page, live_server)
    expect(page.locator("link[rel=icon]")).to_have_attribute("href", "/static/img/favicon.svg")
    page.goto(f"{live_server}/static/img/favicon.svg")
    assert missing == []
