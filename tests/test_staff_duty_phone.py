"""The duty panel: a new phone is saved without going off duty, and a number that cannot be rung is
refused with what was typed still in the field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from helpline.services import accounts
from tests.browser_fixtures import sign_in

pytestmark = pytest.mark.browser


def test_changing_the_phone_while_on_duty_keeps_you_on_duty(live_server, page, staff_user, store):
    sign_in(page, live_server, staff_user.email)
    page.get_by_role("button", name="Go on duty").click()
    expect(page.get_by_text("You are on duty: your phone rings for callers.").first).to_be_visible()

    page.get_by_label("Phone to ring").fill("(646) 555-0199")
    page.get_by_label("Phone to ring").press("Enter")  # Enter saves the phone, never changes the duty
    expect(
        page.get_by_text("Phone saved: we now ring (646) 555-0199. You are still on duty.")
    ).to_be_visible()
    assert accounts.on_duty_phones(store) == ["+16465550199"]
    expect(page.get_by_role("button", name="Go off duty")).to_be_visible()


def test_a_phone_that_cannot_be_rung_is_refused_and_stays_in_the_field(live_server, page, staff_user, store):
    sign_in(page, live_server, staff_user.email)
    page.get_by_role("button", name="Go on duty").click()
    page.get_by_label("Phone to ring").fill("617 555 01")
    page.get_by_role("button", name="Save phone").click()
    field = page.get_by_label("Phone to ring")
    expect(field).to_have_accessible_description(
        re.compile("Nothing changed: “617 555 01” is not a number we")
    )
    expect(field).to_have_value("617 555 01")
    assert accounts.on_duty_phones(store) == ["+12125550142"]  # still on duty, with the phone from before
