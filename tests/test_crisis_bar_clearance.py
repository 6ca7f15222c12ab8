"""The crisis bar sticks to the top of every staff page: a field the browser scrolls to (a required
outcome left out) lands below it, never under it, at a desk and on a phone, and also before (or
without) the page's script, which measures the bar exactly."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_fixtures import sign_in

pytestmark = pytest.mark.browser

DEVICES = {
    "desk-1280": {"viewport": {"width": 1280, "height": 800}},
    "phone-390": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
SCRIPT = {"script": True, "no-script": False}
FIRST_CHOICE = "#outcome-form input[name=outcome]"
WHERE = """(selector) => {
  const bar = document.getElementById('pulse-poll').getBoundingClientRect();
  const field = document.querySelector(selector);
  return {barBottom: bar.bottom, fieldTop: field.getBoundingClientRect().top,
          focused: document.activeElement === field};
}"""


@pytest.mark.parametrize("script", SCRIPT, ids=list(SCRIPT))
@pytest.mark.parametrize("device", DEVICES, ids=list(DEVICES))
def test_a_missing_outcome_is_shown_below_the_crisis_bar(
    live_server, browser_context, staff_user, text, device, script
):
    text("call")
    for n in range(4):  # the tallest bar: three crisis links and "all 4", each texted again
        text("I think I overdosed", sender=f"+1555123001{n}")
        text("please call, I overdosed", sender=f"+1555123001{n}")
    page = browser_context(**DEVICES[device]).new_page()
    if not SCRIPT[script]:  # a slow phone connection: the page's script has not arrived (yet)
        page.route("**/static/js/staff.js*", lambda route: route.abort())
    sign_in(page, live_server, staff_user.email)
    page.goto(f"{live_server}/staff/callbacks/cb000001")
    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.get_by_text("Yours until")).to_be_visible()
    expect(page.locator("#pulse")).to_contain_text("4 crisis waiting")
    # The claimed page's text can be laid out before its style sheets have arrived (nothing is painted
    # then, but a measurement would see an unstyled page): measure what a person sees, once it is loaded.
    page.wait_for_load_state("load")

    # Scrolled down a little: the outcome's choices have gone up under the bar, the button is in view.
    page.locator(FIRST_CHOICE).first.evaluate("f => window.scrollBy(0, f.getBoundingClientRect().top - 10)")
    assert page.evaluate(WHERE, FIRST_CHOICE)["fieldTop"] < page.evaluate(WHERE, FIRST_CHOICE)["barBottom"]
    page.get_by_role("button", name="Record outcome").click()  # no outcome chosen: the browser objects

    where = page.evaluate(WHERE, FIRST_CHOICE)
    assert where["focused"]
    assert where["fieldTop"] >= where["barBottom"], f"the missing outcome is under the crisis bar: {where}"
