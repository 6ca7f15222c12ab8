"""A staff shift in a real browser (Debian chromium via Playwright), at a desk (1366 px) and on a phone
(390 px): the queue that updates in place, the crisis bar and its alerts, keyboard shortcuts, the whole
conversation on a request, texts from the page, the referral search, the outcome form, and axe-core on
every staff page (no serious or critical violation).

The page clock is Playwright's: a poll runs when the test moves the clock, not after real seconds.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpline.infra.burst import drain
from helpline.services import callbacks
from tests.accessibility import assert_accessible
from tests.browser_fixtures import page_width, save_artifact, sign_in

pytestmark = pytest.mark.browser

DESK = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
CRISIS_TEXTER = "+15551230002"
# What staff would notice, recorded as it happens: each desktop notification shown, each alert sound.
ALERT_SPY = """
window.__alerts = [];
(() => {
  const RealNotification = window.Notification;
  if (RealNotification) {
    const Spy = function (title, options) {
      window.__alerts.push({kind: 'notification', title, body: (options || {}).body});
      return new RealNotification(title, options);
    };
    Object.defineProperty(Spy, 'permission', {get: () => RealNotification.permission});
    Spy.requestPermission = (...args) => RealNotification.requestPermission(...args);
    window.Notification = Spy;
  }
  const RealAudio = window.AudioContext;
  if (RealAudio) {
    window.AudioContext = class extends RealAudio {
      constructor(...args) { super(...args); window.__alerts.push({kind: 'sound'}); }
    };
  }
})();
"""


def poll(page, path: str = "/staff/") -> None:
    """Move the page clock past one poll (every 5 s) and wait for its answer (200, or 204: nothing new)."""
    with page.expect_response(lambda r: path in r.url and r.request.method == "GET"):
        page.clock.run_for(5_000)


def shot(page, name: str) -> None:
    """A whole-page screenshot from the top (the crisis bar sticks to the top of what is in view)."""
    page.evaluate("window.scrollTo(0, 0)")
    save_artifact(page, name)


def alerts(page, kind: str) -> list[dict]:
    return [a for a in page.evaluate("window.__alerts") if a["kind"] == kind]


def open_shift(browser_context, live_server, user, device: dict):
    context = browser_context(**device)
    context.grant_permissions(["notifications"], origin=live_server)
    context.add_init_script(ALERT_SPY)
    page = context.new_page()
    page.clock.install()
    sign_in(page, live_server, user.email)
    return page


def test_a_shift_at_the_desk(live_server, browser_context, staff_user, text, store, small_directory):
    page = open_shift(browser_context, live_server, staff_user, DESK)
    expect(page.get_by_text("No one is waiting")).to_be_visible()

    # Crisis alerts: opt in once, remembered for the account.
    for label in ("Play a sound when a new crisis arrives", "Show a desktop notification"):
        with page.expect_response(lambda r: "/staff/alerts" in r.url and r.request.method == "POST"):
            page.get_by_label(label).check()  # each choice is saved as it is made: wait for it, then reload
    page.reload()
    expect(page.get_by_label("Play a sound when a new crisis arrives")).to_be_checked()
    expect(page.get_by_label("Show a desktop notification")).to_be_checked()

    # The queue fills by itself, and a screen reader hears "1 new request", not the whole table.
    text("call")
    poll(page)
    expect(page.locator("tr[data-row]")).to_have_count(1)
    expect(page.locator("#announce")).to_have_text("1 new request")
    assert page.locator("#queue-region").get_attribute("aria-live") is None

    # Keyboard: j selects the first row; a new request arriving keeps focus (the same element) and scroll.
    page.keyboard.press("j")
    first_link = page.locator("tr[data-row] a[data-open]").first
    expect(first_link).to_be_focused()
    page.evaluate("document.activeElement.keptByTest = true")  # a property: only this very element has it
    text("my pain keeps getting worse", sender="+15551230005")
    text("call", sender="+15551230005")
    poll(page)
    expect(page.locator("tr[data-row]")).to_have_count(2)
    assert page.evaluate("document.activeElement.keptByTest") is True  # not re-created, still focused

    # A crisis: the bar on every page, the tab title, a sound and a desktop notification.
    text("I took too many pills, I think it's an overdose", sender=CRISIS_TEXTER)
    poll(page)
    expect(page.locator("#pulse")).to_contain_text("1 crisis waiting")
    expect(page).to_have_title(re.compile(r"^\(1 crisis\) "))
    page.clock.run_for(100)
    assert len(alerts(page, "notification")) == 1 and alerts(page, "sound")
    expect(page.locator("#announce-urgent")).to_contain_text("crisis request needs a call now")
    text("still here, please call", sender=CRISIS_TEXTER)  # the open crisis writes again: alerted again
    poll(page, "/staff/pulse")
    expect(page.locator("#pulse")).to_contain_text("texted again")
    assert len(alerts(page, "notification")) == 2
    expect(page.locator("tr[data-row]").first).to_contain_text("Crisis")  # crisis first
    shot(page, "staff-workspace-queue-1366")
    assert_accessible(page, "queue at 1366 px")

    # Shortcuts are listed on "?"; filters and search narrow the list in place, with counts.
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("?")
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_be_visible()
    expect(shortcuts).to_contain_text("Claim the selected request")
    assert_accessible(page, "shortcuts dialog")
    page.keyboard.press("Escape")
    filters = page.locator("#queue-filters")
    filters.get_by_label("Crisis").check()
    expect(page.locator("tr[data-row]")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/staff\?crisis=on$"))
    filters.get_by_label("Crisis").uncheck()
    expect(page.locator("tr[data-row]")).to_have_count(3)
    page.get_by_label("Last 4 digits or request id").fill("0005")
    page.clock.run_for(500)
    expect(page.locator("tr[data-row]")).to_have_count(1)
    expect(page.locator("tr[data-row]")).to_contain_text("…0005")
    page.get_by_label("Last 4 digits or request id").fill("")
    page.clock.run_for(500)
    expect(page.locator("tr[data-row]")).to_have_count(3)

    # j, k and c: claim the request after the crisis from the keyboard.
    page.locator("body").click(position={"x": 5, "y": 400})
    for key in ("j", "j", "j", "k"):
        page.keyboard.press(key)
    expect(page.locator("tr[data-row].selected")).to_contain_text("…0001")
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r"/staff/callbacks/cb000001$"))
    expect(page.get_by_text("Yours until")).to_be_visible()

    # The whole conversation, then a text from the page through the sender; their reply lands live.
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Asked for a callback")
    page.get_by_role("button", name="When is a good time?").click()
    box = page.get_by_label("Message")
    expect(box).to_have_value(re.compile(r"when is a good time"))
    page.clock.run_for(300)
    expect(page.get_by_test_id("text-segments")).to_have_text("1 segment")
    box.fill("x" * 200)
    page.clock.run_for(300)
    expect(page.get_by_test_id("text-segments")).to_have_text("2 segments")
    box.fill("Hi, this is Sam from the helpline. When is a good time to call you back today?")
    page.get_by_role("button", name="Send text").click()
    expect(page.locator("#composer-result")).to_contain_text("Text on its way")
    expect(box).to_have_value("")
    expect(timeline).to_contain_text(f"{staff_user.email} (staff)")
    drain(store.rq_connection)
    text("after 5 works, thanks")
    poll(page, "/timeline")
    expect(timeline).to_contain_text("after 5 works, thanks")
    expect(timeline).to_contain_text("sent today")
    expect(page.locator("#announce")).to_have_text("New message from them")

    # The referral search runs in place; a provider is texted in one click; its number is a tel: link.
    assert page.get_by_label("Near (ZIP or city, ST)").input_value() == ""  # 555 numbers have no area
    page.get_by_label("Near (ZIP or city, ST)").fill("10001")
    page.get_by_role("button", name="Search").click()
    chelsea = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Chelsea Methadone Clinic")
    )
    expect(chelsea).to_be_visible()
    assert page.url.endswith("/staff/callbacks/cb000001")  # no reload, nothing lost
    expect(chelsea.get_by_role("link")).to_have_attribute("href", re.compile(r"^tel:\+1"))
    chelsea.get_by_role("button", name=re.compile("Text this to them")).click()
    expect(page.locator("#composer-result")).to_contain_text("Text on its way")
    expect(page.get_by_role("link", name="(555) 123-0001")).to_have_count(
        0
    )  # staff call through the helpline
    expect(page.locator("#act")).to_contain_text("Their number: (555) 123-0001")
    shot(page, "staff-workspace-request-1366")
    assert_accessible(page, "request page at 1366 px")

    # o goes to the outcome; a refused form keeps everything typed; then "take the next request".
    page.locator("h1").click()
    page.keyboard.press("o")
    expect(page.get_by_label("Reached", exact=True)).to_be_focused()
    page.get_by_label("Referred to a provider").check()
    page.get_by_label("They agree to a check-in text in 2 days").check()
    page.get_by_label("Note (kept encrypted)", exact=True).fill("Wants methadone near work; call after 5")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_text("Pick the provider you referred them to.").first).to_be_visible()
    expect(page.get_by_label("Note (kept encrypted)", exact=True)).to_have_value(
        "Wants methadone near work; call after 5"
    )
    expect(page.get_by_label("Referred to a provider")).to_be_checked()
    expect(page.get_by_label("They agree to a check-in text in 2 days")).to_be_checked()
    assert_accessible(page, "refused outcome form")
    page.get_by_label("Near (ZIP or city, ST)").fill("10001")
    page.get_by_role("button", name="Search").click()
    chelsea.get_by_label("Referred them here").check()
    page.get_by_role("button", name="Record outcome").click()
    page.wait_for_url(re.compile(r"/staff\?done=cb000001$"))
    next_button = page.get_by_role("button", name="Take the next request")
    expect(next_button).to_be_focused()
    (attempt,) = callbacks.attempts(store, "cb000001")
    assert attempt["provider"]["name"] == "Chelsea Methadone Clinic"
    assert callbacks.notes(store, "cb000001")[0]["text"] == "Wants methadone near work; call after 5"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/callbacks/cb000003$"))  # the crisis comes first
    expect(page.locator("#timeline")).to_contain_text("I took too many pills")


def test_a_shift_on_a_phone(
    live_server, browser_context, staff_user, operator_user, helpline, text, store, small_directory
):
    text("I think I overdosed", sender=CRISIS_TEXTER)
    voicemail, _ = callbacks.request_callback(
        store, "+15551230004", lang="en", reason="voicemail", priority=False, channel="voice"
    )
    link = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0"
    words = "Hi it's Ann, my pain meds stopped working, please call"
    callbacks.add_extra(
        store, voicemail.id, voicemail_url=link, voicemail_seconds=14, voicemail_transcript=words
    )
    callbacks.claim(helpline, voicemail.id, operator_user.email)

    page = open_shift(browser_context, live_server, staff_user, PHONE)
    expect(page.locator("#pulse")).to_contain_text("1 crisis waiting")
    expect(page).to_have_title(re.compile(r"^\(1 crisis\) "))
    rows = page.locator("tr[data-row]")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text(operator_user.email)  # who holds the voicemail, and since when
    expect(rows.nth(1)).to_contain_text("claimed just now")
    assert page_width(page) <= 390  # nothing wider than the phone
    shot(page, "staff-workspace-queue-390")
    assert_accessible(page, "queue at 390 px")

    # The voicemail being worked shows who holds it; its transcript comes first; with no Twilio account
    # (development mode) its recording is said to be unavailable, never a player that cannot play.
    rows.nth(1).get_by_role("link").first.click()
    expect(page.get_by_role("note")).to_contain_text(f"{operator_user.email} is working on this request")
    expect(page.get_by_role("button", name="Call them from the helpline")).to_have_count(0)
    expect(page.locator(".transcript")).to_contain_text("my pain meds stopped working")
    expect(page.locator("audio")).to_have_count(0)
    expect(page.locator(".item-voicemail")).to_contain_text(
        "Recording unavailable: this service runs without"
    )
    assert_accessible(page, "voicemail held by someone else at 390 px")

    # The crisis: take it, read what they wrote, text them, record the outcome.
    page.goto(f"{live_server}/staff")
    page.get_by_role("button", name="Take the next request").click()
    page.wait_for_url(re.compile(r"/staff/callbacks/cb000001$"))
    expect(page.locator("#timeline")).to_contain_text("I think I overdosed")
    expect(page.locator("#timeline")).to_contain_text("Crisis words: a priority callback")
    page.get_by_role("button", name="We tried to call").click()
    page.get_by_role("button", name="Send text").click()
    expect(page.locator("#composer-result")).to_contain_text("Text on its way")
    assert page_width(page) <= 390
    shot(page, "staff-workspace-request-390")
    assert_accessible(page, "request page at 390 px")
    # On the phone too: the referral search in place, a refused outcome that keeps the note.
    page.get_by_label("Near (ZIP or city, ST)").fill("10001")
    page.get_by_role("button", name="Search").click()
    listing = page.get_by_role("heading", name="Village Bupe Program")
    village = page.get_by_role("listitem").filter(has=listing)
    expect(village.get_by_role("link")).to_have_attribute("href", re.compile(r"^tel:\+1"))
    village.get_by_role("button", name=re.compile("Text this to them")).click()
    expect(page.locator("#composer-result")).to_contain_text("Text on its way")
    page.get_by_label("Note (kept encrypted)", exact=True).fill("No answer, voicemail full")
    page.get_by_label("Referred to a provider").check()
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_text("Pick the provider you referred them to.").first).to_be_visible()
    expect(page.get_by_label("Note (kept encrypted)", exact=True)).to_have_value("No answer, voicemail full")
    page.get_by_label("No answer", exact=True).check()
    page.get_by_role("button", name="Record outcome").click()
    page.wait_for_url(re.compile(r"/staff\?done=cb000001$"))
    expect(page.get_by_text("Back on the queue for another try")).to_be_visible()
    expect(page.get_by_role("heading", name="Scheduled retries")).to_be_visible()
    assert_accessible(page, "queue with scheduled retries at 390 px")
    page.goto(f"{live_server}/staff/callbacks/cb000001")
    expect(page.get_by_text("Scheduled retry").first).to_be_visible()  # not "Waiting"


def test_the_row_chosen_with_the_keyboard_stays_chosen_when_the_queue_refreshes(
    live_server, browser_context, staff_user, text, store
):
    for sender in ("+15551230001", "+15551230005", "+15551230006"):
        text("call", sender=sender)
    page = open_shift(browser_context, live_server, staff_user, DESK)
    expect(page.locator("tr[data-row]")).to_have_count(3)
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("tr[data-row].selected")).to_contain_text("…0005")

    text("call", sender="+15551230007")  # the queue changes while they decide
    poll(page)
    expect(page.locator("tr[data-row]")).to_have_count(4)
    expect(page.locator("tr[data-row].selected")).to_contain_text("…0005")  # still highlighted
    page.keyboard.press("c")  # and still the one "c" claims
    page.wait_for_url(re.compile(r"/staff/callbacks/cb000002$"))
    expect(page.get_by_text("Yours until")).to_be_visible()


def test_a_row_reached_with_tab_is_the_one_c_claims(live_server, browser_context, staff_user, text, store):
    text("call")
    text("call", sender="+15551230005")
    page = open_shift(browser_context, live_server, staff_user, DESK)
    page.locator("tr[data-row] a[data-open]").nth(1).focus()
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r"/staff/callbacks/cb000002$"))
    expect(page.get_by_text("Yours until")).to_be_visible()


def test_a_draft_left_on_a_shared_desk_is_not_shown_to_the_next_person(
    live_server, browser_context, staff_user, operator_user, text, store
):
    text("call")
    page = open_shift(browser_context, live_server, staff_user, DESK)
    page.goto(f"{live_server}/staff/callbacks/cb000001")
    page.get_by_label("New note (kept encrypted)").fill("Mum of the caller, said he uses at night")
    page.reload()  # their own draft survives a reload
    expect(page.get_by_label("New note (kept encrypted)")).to_have_value(
        "Mum of the caller, said he uses at night"
    )

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login"))
    sign_in(page, live_server, operator_user.email, next_path="/staff/callbacks/cb000001")
    expect(page.get_by_role("heading", name=re.compile("Callback cb000001"))).to_be_visible()
    expect(page.get_by_label("New note (kept encrypted)")).to_have_value("")
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('helpline.draft'))") == []


FOCUS_UNDER_BAR = """() => {
  const el = document.activeElement, bar = document.getElementById('pulse-poll').getBoundingClientRect();
  if (el.closest('header, #pulse-poll, .skip') || el === document.body) return null;
  const box = el.getBoundingClientRect();
  return box.height < window.innerHeight && box.top < bar.bottom ? el.textContent.trim().slice(0, 40) : null;
}"""


def test_keyboard_focus_never_hides_under_the_crisis_bar_on_a_phone(
    live_server, browser_context, staff_user, text, store, small_directory
):
    text("call")
    text("I think I overdosed", sender=CRISIS_TEXTER)  # the bar sticks to the top of every page
    page = open_shift(browser_context, live_server, staff_user, PHONE)
    page.goto(f"{live_server}/staff/callbacks/cb000001")
    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.get_by_text("Yours until")).to_be_visible()
    page.get_by_label("Near (ZIP or city, ST)").fill("10001")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".provider").first).to_be_visible()
    page.locator("#audit-title").click()  # the bottom of the page; then back up with Shift+Tab
    hidden = []
    for _ in range(30):
        page.keyboard.press("Shift+Tab")
        hidden.append(page.evaluate(FOCUS_UNDER_BAR))
    assert [h for h in hidden if h] == []


@pytest.mark.parametrize("device", [DESK, PHONE], ids=["desk", "phone"])
def test_a_parent_calling_back_is_found_by_their_number_after_the_request_is_done(
    live_server, browser_context, staff_user, text, store, device
):
    text("call")  # cb000001, done a minute ago; "someone just called me"
    text("call", sender="+15551230005")
    page = browser_context(**device).new_page()
    sign_in(page, live_server, staff_user.email)
    page.goto(f"{live_server}/staff/callbacks/cb000001")
    page.get_by_role("button", name="Claim", exact=True).click()
    page.get_by_label("Reached").check()
    page.get_by_role("button", name="Record outcome").click()
    page.wait_for_url(re.compile(r"/staff/?\?done=cb000001"))
    expect(page.locator("tr[data-row]")).to_have_count(1)  # the queue lists open requests only

    page.get_by_label("Last 4 digits or request id").fill("0001")
    page.get_by_label("Last 4 digits or request id").press("Enter")
    expect(page.get_by_text("No request due now matches these filters; 1 finished, below.")).to_be_visible()
    finished = page.get_by_role("table", name="Finished requests")
    expect(finished.locator("tr[data-row]")).to_have_count(1)
    expect(finished).to_contain_text("cb000001")
    expect(finished).to_contain_text("Done")
    assert page_width(page) <= device["viewport"]["width"]
    shot(page, f"staff-search-finished-{device['viewport']['width']}")
    assert_accessible(page, f"finished requests found at {device['viewport']['width']} px")
    finished.get_by_role("link", name=re.compile("cb000001")).click()
    expect(page.get_by_text("This request is done")).to_be_visible()


def test_a_referral_is_recorded_without_friction(
    live_server, browser_context, staff_user, text, store, small_directory
):
    text("call")
    page = browser_context(**DESK).new_page()
    sign_in(page, live_server, staff_user.email, next_path="/staff/callbacks/cb000001")
    page.get_by_role("button", name="Claim", exact=True).click()
    near = page.get_by_label("Near (ZIP or city, ST)")
    near.fill("10001")
    page.get_by_role("button", name="Search").click()
    chelsea = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Chelsea Methadone Clinic")
    )
    expect(chelsea).to_be_visible()

    # Refused by the server: the search stays as it was, with its results.
    page.get_by_label("Referred to a provider").check()
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_text("Pick the provider you referred them to.").first).to_be_visible()
    expect(near).to_have_value("10001")
    expect(chelsea).to_be_visible()

    # That answer's address, opened again, is the request's page, not "Not possible here".
    page.goto(page.url)
    expect(page.get_by_role("heading", name=re.compile("Callback cb000001"))).to_be_visible()
    expect(page.get_by_text("Not possible here")).to_have_count(0)

    # "Referred them here" is the outcome too.
    near.fill("10001")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_label("Referred to a provider")).not_to_be_checked()
    chelsea.get_by_label("Referred them here").check()
    expect(page.get_by_label("Referred to a provider")).to_be_checked()
    page.get_by_role("button", name="Record outcome").click()
    page.wait_for_url(re.compile(r"/staff\?done=cb000001$"))
    (attempt,) = callbacks.attempts(store, "cb000001")
    assert attempt["outcome"] == "referred" and attempt["provider"]["name"] == "Chelsea Methadone Clinic"
