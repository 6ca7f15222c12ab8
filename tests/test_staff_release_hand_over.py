"""Release keeps a hand-over: the note typed in the outcome form goes with the request back to the queue,
and the next person to open it reads it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpline.services import callbacks
from tests.browser_fixtures import PASSWORD, sign_in
from tests.test_staff_auth import csrf_token, login

HAND_OVER = "Handover: she prefers a call after 6pm; speaks only Spanish"


@pytest.mark.browser
def test_a_note_typed_before_release_reaches_the_next_person(
    live_server, browser_context, staff_user, operator_user, text, store
):
    text("call")
    sam = browser_context().new_page()
    sign_in(sam, live_server, staff_user.email, next_path="/staff/callbacks/cb000001")
    sam.get_by_role("button", name="Claim", exact=True).click()
    sam.get_by_label("Note (kept encrypted)", exact=True).fill(HAND_OVER)
    sam.get_by_label("New note (kept encrypted)").fill("Her son answers the phone")  # not added yet
    sam.get_by_role("button", name="Release").click()
    sam.wait_for_url(re.compile(r"/staff$"))
    expect(sam.get_by_text("Released with your note")).to_be_visible()
    assert callbacks.get(store, "cb000001").status == "waiting"

    olu = browser_context().new_page()
    sign_in(olu, live_server, operator_user.email, PASSWORD, next_path="/staff/callbacks/cb000001")
    expect(olu.locator("#timeline")).to_contain_text(HAND_OVER)
    expect(olu.locator("#timeline")).to_contain_text("Her son answers the phone")
    expect(olu.locator("#timeline")).to_contain_text(f"Note by {staff_user.email}")


def test_a_note_sent_with_a_release_is_kept_even_when_the_claim_had_lapsed(client, staff_user, text, store):
    text("call")
    login(client, staff_user.email)
    token = csrf_token(client, "/staff")
    answer = client.post(
        "/staff/callbacks/cb000001/release",
        data={"csrf_token": token, "note": "tried twice, line busy"},
        follow_redirects=True,
    )
    assert "Your note was saved on it" in answer.get_data(as_text=True)
    assert [n["text"] for n in callbacks.notes(store, "cb000001")] == ["tried twice, line busy"]
