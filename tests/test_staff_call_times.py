"""Staff see what a texter said about when to call, in their words, on the request and its queue row, and
on a request page already open when it is texted; calling from the page is never held by it."""

import re

import pytest
from playwright.sync_api import expect

from helpline.services import callbacks
from tests.accessibility import assert_accessible
from tests.browser_fixtures import sign_in
from tests.conftest import TEXTER
from tests.test_staff_auth import csrf_token, login
from tests.test_staff_pages import bridge_post

SAID = "call me after 5, my husband is home before that"


def call_time_line(page: str) -> str:
    return re.search(r'<p class="note call-time" id="call-time"[^>]*>(.*?)</p>', page, re.S).group(1)


def test_the_request_and_its_row_show_when_to_call_and_calling_still_works(
    app, client, staff_user, text, store
):
    text("hi")
    text(SAID)
    (request,) = callbacks.waiting(store)
    login(client, staff_user.email)

    row = client.get("/staff/queue").get_data(as_text=True)
    assert f"When to call: “{SAID}”" in row

    page = client.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    assert f"<strong>When to call:</strong> “{SAID}”" in call_time_line(page)
    assert "their words, texted" in call_time_line(page)

    token = csrf_token(client, f"/staff/callbacks/{request.id}")
    client.post(f"/staff/callbacks/{request.id}/claim", data={"csrf_token": token})
    called = client.post(
        f"/staff/callbacks/{request.id}/call", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Calling your phone now" in called.get_data(as_text=True)  # before 5 or not: staff decide
    base = f"/twilio/voice/staff-bridge/{request.id}"
    dial = bridge_post(app, client, base + "/connect", {"CallSid": "CA1", "Digits": "1"}).get_data(
        as_text=True
    )
    assert f"<Number>{TEXTER}</Number>" in dial


def test_a_request_without_a_time_shows_no_line(client, staff_user, text, store):
    text("hi")
    text("call")
    (request,) = callbacks.waiting(store)
    login(client, staff_user.email)
    page = client.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    assert call_time_line(page) == "" and "When to call" not in page
    assert "When to call" not in client.get("/staff/queue").get_data(as_text=True)


def test_an_open_page_gets_the_time_texted_after_it_opened(client, staff_user, text, store):
    text("hi")
    text("call")
    (request,) = callbacks.waiting(store)
    login(client, staff_user.email)
    page = client.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    seen = re.search(r'id="timeline-state" name="seen" value="([^"]+)"', page).group(1)
    state = re.search(r'id="request-state" name="state" value="([^"]+)"', page).group(1)

    text("mornings only, not before 10")
    poll = client.get(f"/staff/callbacks/{request.id}/timeline", query_string={"seen": seen, "state": state})
    fragment = poll.get_data(as_text=True)
    assert poll.status_code == 200
    assert 'id="call-time" hx-swap-oob="true"' in fragment
    assert "When to call:</strong> “mornings only, not before 10”" in call_time_line(fragment)


@pytest.mark.browser
def test_an_open_page_shows_the_time_once_texted_without_a_reload(
    live_server, browser_context, staff_user, text
):
    text("call")
    page = browser_context().new_page()
    page.clock.install()
    sign_in(page, live_server, staff_user.email, next_path="/staff/callbacks/cb000001")
    when = page.locator("#call-time")
    expect(when).to_be_hidden()

    text("no calls after 5pm, my husband gets home")
    with page.expect_response(lambda r: "/timeline" in r.url and r.request.method == "GET"):
        page.clock.run_for(5_000)
    expect(when).to_be_visible()
    expect(when).to_contain_text("When to call: “no calls after 5pm, my husband gets home”")
    expect(page.locator("#act").get_by_role("button", name="Claim", exact=True)).to_be_visible()
    assert_accessible(page, "request page with when to call")
