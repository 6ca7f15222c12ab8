"""An open request page follows what colleagues do to it: a claim, a released claim or a recorded call
changes its status, its buttons and its facts in place; a click made on an older view is refused with
what changed, never acted on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpline.domain.callback_rules import Outcome
from helpline.services import callbacks
from tests.browser_fixtures import sign_in
from tests.test_staff_auth import csrf_token, login

COLLEAGUE = "ana@example.org"


@pytest.fixture
def hl(app):
    return app.extensions["helpline"]


def poll(page) -> None:
    """Move the page clock past one poll of the request (every 5 s) and wait for its answer."""
    with page.expect_response(lambda r: "/timeline" in r.url and r.request.method == "GET"):
        page.clock.run_for(5_000)


@pytest.mark.browser
def test_a_colleagues_claim_and_call_show_on_an_open_page(
    live_server, browser_context, staff_user, text, store, hl
):
    text("call")
    page = browser_context().new_page()
    page.clock.install()
    sign_in(page, live_server, staff_user.email, next_path="/staff/callbacks/cb000001")
    act = page.locator("#act")
    expect(act.get_by_role("button", name="Claim", exact=True)).to_be_visible()

    callbacks.claim(hl, "cb000001", COLLEAGUE)
    poll(page)
    expect(page.locator("#status-line")).to_contain_text(f"Held by {COLLEAGUE}")
    expect(act).to_contain_text(f"{COLLEAGUE} is working on this request")
    expect(act.get_by_role("button", name="Claim", exact=True)).to_have_count(0)
    expect(page.locator("#announce")).to_contain_text(f"held by {COLLEAGUE}")

    callbacks.record_outcome(hl, "cb000001", COLLEAGUE, Outcome.NO_ANSWER)
    poll(page)
    expect(page.locator("#status-line")).to_contain_text("Scheduled retry")
    expect(page.locator("#facts")).to_contain_text("1 of 3")
    expect(act).to_contain_text("Next try planned")
    expect(page.locator("#timeline")).to_contain_text("Call: No answer")


def test_a_claim_from_a_page_showing_an_older_state_is_refused_with_what_changed(
    client, staff_user, text, store, hl
):
    text("call")
    login(client, staff_user.email)
    page = client.get("/staff/callbacks/cb000001").get_data(as_text=True)
    seen = re.search(r'name="seen" value="([^"]*)"', page).group(1)
    callbacks.claim(hl, "cb000001", COLLEAGUE)
    callbacks.record_outcome(hl, "cb000001", COLLEAGUE, Outcome.NO_ANSWER)  # a retry: claimable again

    token = csrf_token(client, "/staff")
    answer = client.post(
        "/staff/callbacks/cb000001/claim", data={"csrf_token": token, "seen": seen}, follow_redirects=True
    )
    shown = answer.get_data(as_text=True)
    assert "Not claimed: this request changed since your page showed it" in shown
    assert COLLEAGUE in shown
    assert callbacks.get(store, "cb000001").claimed_by is None


def test_a_claim_from_a_queue_row_showing_an_older_state_is_refused_with_what_changed(
    client, staff_user, text, store, hl
):
    text("call")
    login(client, staff_user.email)
    queue = client.get("/staff").get_data(as_text=True)
    row = re.search(r'<tr id="row-cb000001".*?</tr>', queue, re.S).group(0)
    seen = re.search(r'name="seen" value="([^"]*)"', row).group(1)
    callbacks.claim(hl, "cb000001", COLLEAGUE)
    callbacks.record_outcome(hl, "cb000001", COLLEAGUE, Outcome.NO_ANSWER)  # a retry: claimable again

    token = csrf_token(client, "/staff")
    answer = client.post(
        "/staff/callbacks/cb000001/claim", data={"csrf_token": token, "seen": seen}, follow_redirects=True
    )
    shown = answer.get_data(as_text=True)
    assert "Not claimed: this request changed since your page showed it" in shown
    assert f"{COLLEAGUE} recorded" in shown
    assert callbacks.get(store, "cb000001").claimed_by is None


@pytest.mark.browser
def test_c_on_a_queue_row_a_colleague_just_called_claims_nothing(
    live_server, browser_context, staff_user, text, store, hl
):
    text("call")
    page = browser_context().new_page()
    page.clock.install()  # no poll comes between the colleague's call and the key
    sign_in(page, live_server, staff_user.email)
    expect(page.locator("tr[data-row]")).to_have_count(1)
    callbacks.claim(hl, "cb000001", COLLEAGUE)
    callbacks.record_outcome(hl, "cb000001", COLLEAGUE, Outcome.NO_ANSWER)  # called a minute ago
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("j")
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r"/staff/callbacks/cb000001$"))
    expect(page.get_by_text("Not claimed: this request changed since your page showed it")).to_be_visible()
    expect(page.locator(".flash")).to_contain_text(f"{COLLEAGUE} recorded")
    assert callbacks.get(store, "cb000001").claimed_by is None
