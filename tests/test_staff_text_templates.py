"""Text templates on a request's page never throw away what staff typed: an untouched template is swapped
for another, typed words stay and the template goes in where the cursor was, with one "Helpline:"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpline.services.staff_texts import TEMPLATES
from tests.browser_fixtures import sign_in

pytestmark = pytest.mark.browser


def test_a_template_click_keeps_what_was_typed(live_server, page, staff_user, text, store):
    text("quiero hablar con alguien")
    sign_in(page, live_server, staff_user.email, next_path="/staff/callbacks/cb000001")
    page.get_by_role("button", name="Claim", exact=True).click()
    (tried_label, tried), (good_label, good) = TEMPLATES["es"]
    box = page.get_by_label("Message")

    page.get_by_role("button", name=good_label).click()
    page.get_by_role("button", name=tried_label).click()  # not edited yet: one template swaps for the other
    expect(box).to_have_value(tried)

    box.press("End")
    box.press_sequentially(" Mi nombre es Ana.")
    page.get_by_role("button", name=good_label).click()
    expect(box).to_have_value(
        f"{tried} Mi nombre es Ana. Cuando es buena hora para llamarle? Responda con un dia y una hora."
    )
    expect(page.locator("#announce")).to_contain_text("your words are kept")
    expect(box).to_be_focused()
