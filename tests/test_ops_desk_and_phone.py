"""The operators' pages in a real browser at a desk (1366 px) and on a phone (390 px): figures over
chosen days that add up, health in words, one language per template preview, the last operator kept,
destructive actions confirmed, the CSV's new columns, and axe-core on every /ops page (no serious or
critical violation) with nothing wider than the screen.

The page clock is Playwright's: the figures panel's 5-second refresh never swaps content mid-check.
"""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from playwright.sync_api import expect

from helpline.infra.burst import drain
from helpline.services import accounts
from helpline.services import callbacks as cb
from helpline.store import Keys
from tests.accessibility import assert_accessible
from tests.browser_fixtures import page_width, save_artifact, sign_in
from tests.conftest import TEXTER
from tests.directory_fixtures import write_csv

pytestmark = pytest.mark.browser

SIZES = {
    "1366": {"viewport": {"width": 1366, "height": 900}},
    "390": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
PAGES = {
    "figures": "/ops",
    "health": "/ops/health",
    "hours": "/ops/hours",
    "templates": "/ops/templates?lang=es",
    "template": "/ops/templates/en/oih",
    "staff": "/ops/staff",
    "blocklist": "/ops/blocklist",
    "export": "/ops/export",
    "phone": "/ops/phone",
    "directory": "/ops/directory",
    "audit": "/ops/audit",
}


@pytest.fixture
def settings(settings, findtreatment_fake):
    """Searches that miss the directory go to the local fake locator, never the internet."""
    return settings.with_overrides(findtreatment_api_url=findtreatment_fake.url, locator_read_timeout=1.0)


def operator_page(browser_context, live_server, user, size: str, next_path: str = "/ops"):
    page = browser_context(**SIZES[size]).new_page()
    page.clock.install()
    sign_in(page, live_server, user.email, next_path=next_path)
    return page


def fits(page, size: str) -> None:
    """Nothing wider than the screen: tables stack or scroll inside their own box."""
    assert page_width(page) <= int(size), page.url


def value(page, testid: str) -> str:
    return page.get_by_test_id(testid).inner_text().split("\n")[0].strip()


@pytest.mark.parametrize("size", SIZES)
def test_figures_for_chosen_days_add_up(
    size, live_server, browser_context, operator_user, text, store, small_directory, findtreatment_fake
):
    text("call")
    text("call")  # the same person again: the same request
    text("call", sender="+15551230002")
    text("10001", sender="+15551230003")  # near the directory: found
    text("99950", sender="+15551230004")  # Ketchikan: nobody near, the locator knows nobody either
    drain(store.rq_connection)
    findtreatment_fake.fail_with = 503
    text("22902", sender="+15551230005")  # the locator down, nothing imported there: could not search
    drain(store.rq_connection, scheduled_now=True)

    page = operator_page(browser_context, live_server, operator_user, size)
    today = page.get_by_label("To", exact=True).input_value()
    page.get_by_label("From", exact=True).fill(today)
    page.get_by_role("button", name="Show these days").click()
    page.wait_for_url(f"**/ops/?from={today}&to={today}")
    expect(page.get_by_test_id("range-said")).to_contain_text("on the helpline's clock (America/New_York)")
    assert value(page, "callbacks") == "2"  # a repeated CALL is one request
    assert value(page, "texts-in") == "6"
    sent = len([m for m in store.delivery.outbox()])
    replies = int(page.get_by_test_id("texts-out").locator(".note").inner_text().split()[0])
    assert int(value(page, "texts-out")) == sent + replies and replies >= 6  # replies are texts out too
    found, empty, failed = (int(value(page, f"search-{k}")) for k in ("found", "empty", "failed"))
    assert (found, empty, failed) == (1, 1, 1) and value(page, "searches-total") == "3"
    expect(page.get_by_test_id("hit-rate")).to_have_text("33%")
    # One day is charted per hour of the helpline's clock; the missed calls chart has 24 hours.
    assert page.locator("svg.chart").first.locator("rect.bar").count() == 24
    assert page.get_by_test_id("missed-by-hour").locator("rect.bar").count() == 24
    fits(page, size)
    save_artifact(page, f"ops-figures-today-{size}")

    page.get_by_role("link", name="Yesterday").click()
    expect(page.get_by_test_id("callbacks").locator(".value")).to_have_text("0")
    page.goto(f"{live_server}/ops?from=2026-02-01&to=2026-01-01")
    expect(page.get_by_test_id("range-problem")).to_contain_text("The first day comes after the last.")
    assert_accessible(page, f"figures with a refused range at {size} px")


@pytest.mark.parametrize("size", SIZES)
def test_callbacks_waiting_now_come_first_then_the_figures(
    size, live_server, browser_context, operator_user, text, store, helpline
):
    text("overdose")  # a crisis to call now
    text("call", sender="+15551230002")
    (later,) = [r for r in cb.waiting(store) if not r.is_crisis]
    cb.claim(helpline, later.id, "sam@example.org")
    cb.record_outcome(helpline, later.id, "sam@example.org", cb.Outcome.NO_ANSWER)  # tried again later
    page = operator_page(browser_context, live_server, operator_user, size)
    now = page.get_by_role("heading", name="Callbacks now")
    expect(now).to_be_visible()
    assert value(page, "cb-crisis") == "1" and value(page, "cb-waiting") == "1"
    assert value(page, "cb-scheduled") == "1"
    top = now.bounding_box()["y"]
    assert top < SIZES[size]["viewport"]["height"]  # on the first screen, phone included
    assert top < page.get_by_label("From", exact=True).bounding_box()["y"]
    assert top < page.locator("svg.chart").first.bounding_box()["y"]
    fits(page, size)
    save_artifact(page, f"ops-callbacks-now-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_health_in_words_never_up_beside_a_recent_error(
    size, live_server, browser_context, operator_user, store
):
    store._r.hset(
        Keys.locator_health,
        mapping={
            "last_ok": time.time() - 600,
            "last_error": "ConnectionError",
            "last_error_at": time.time() - 120,
        },
    )
    page = operator_page(browser_context, live_server, operator_user, size, "/ops/health")
    expect(page.get_by_test_id("locator-state")).to_have_text("degraded")
    expect(page.get_by_test_id("locator-last-error")).to_contain_text("ConnectionError, 2 min ago (today ")
    expect(page.get_by_test_id("locator-last-ok")).to_contain_text("10 min ago")
    fits(page, size)
    save_artifact(page, f"ops-health-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_template_previews_one_language_at_a_time(size, live_server, browser_context, operator_user):
    page = operator_page(browser_context, live_server, operator_user, size, "/ops/templates")
    preview = page.get_by_test_id("preview-call_confirm_closed")
    expect(preview).to_contain_text("Mon-Fri 9:30am-7:30pm")
    page.get_by_role("link", name="Español").click()
    expect(preview).to_contain_text("lun-vie 9:30-19:30")
    expect(preview).not_to_contain_text("Mon-Fri")
    assert page.get_by_role("link", name="Edit en oih").count() == 0  # one language only
    page.get_by_role("link", name="Edit es call_confirm_closed").click()
    expect(page.get_by_test_id("preview")).to_contain_text("el miercoles a las 10:30")
    expect(page.get_by_test_id("preview")).not_to_contain_text("tomorrow")
    fits(page, size)
    save_artifact(page, f"ops-template-es-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_the_last_operator_stays_and_disabling_asks_first(
    size, live_server, browser_context, operator_user, store
):
    accounts.add(store, "sam.helper@example.org", "staff")
    page = operator_page(browser_context, live_server, operator_user, size, "/ops/staff")
    row = page.locator(f"tr[data-email='{operator_user.email}']")
    row.get_by_label(f"Role of {operator_user.email}").select_option("staff")
    row.get_by_role("button", name="Set role").click()
    expect(page.locator(".flash-error")).to_contain_text("is the last active operator")
    assert accounts.get(store, operator_user.email).is_operator

    page.locator("tr[data-email='sam.helper@example.org']").get_by_role("button", name="Disable").click()
    expect(page.get_by_test_id("confirm-question")).to_contain_text("Disable sam.helper@example.org?")
    assert not accounts.get(store, "sam.helper@example.org").disabled
    fits(page, size)
    assert_accessible(page, f"confirm page at {size} px")
    save_artifact(page, f"ops-confirm-{size}")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("tr[data-email='sam.helper@example.org']")).to_contain_text("active")
    page.locator("tr[data-email='sam.helper@example.org']").get_by_role("button", name="Disable").click()
    page.get_by_role("button", name="Yes, disable sam.helper@example.org").click()
    expect(page.locator("tr[data-email='sam.helper@example.org']")).to_contain_text("disabled")
    fits(page, size)


@pytest.mark.parametrize("size", SIZES)
def test_export_has_how_each_request_was_worked(
    size, live_server, browser_context, operator_user, text, helpline
):
    text("call")
    (request,) = cb.waiting(helpline.store)
    cb.claim(helpline, request.id, "sam@example.org")
    cb.record_outcome(
        helpline,
        request.id,
        "sam@example.org",
        cb.Outcome.REFERRED,
        provider={"id": "", "name": "Harbor Clinic"},
    )
    page = operator_page(browser_context, live_server, operator_user, size, "/ops/export")
    fits(page, size)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    (row,) = csv.DictReader(io.StringIO(download_info.value.path().read_text(encoding="utf-8")))
    assert (row["phone"], row["outcome"], row["provider"], row["attempts"]) == (
        TEXTER,
        "referred",
        "Harbor Clinic",
        "1",
    )
    assert row["first_attempt"] >= row["created"]


@pytest.mark.parametrize("size", SIZES)
def test_every_ops_page_passes_axe_and_fits_the_screen(
    size, live_server, browser_context, operator_user, text, store, helpline, small_directory
):
    text("call")
    text("10001", sender="+15551230003")
    drain(store.rq_connection)
    accounts.add(store, "sam.helper@example.org", "staff", phone="+12125550144")
    store.block("+15551230009", "abusive texts")
    edit = "OIH: your opioid may be making pain worse. Ask your prescriber. Reply SIGNS or TREAT."
    helpline.live.save_template("en", "oih", edit, by=operator_user.email)  # the history table shows
    page = operator_page(browser_context, live_server, operator_user, size)
    for name, path in PAGES.items():
        page.goto(f"{live_server}{path}")
        assert_accessible(page, f"{path} at {size} px")
        fits(page, size)
        save_artifact(page, f"ops-page-{name}-{size}")


def test_on_a_phone_the_failed_count_of_each_queue_shows_without_sideways_scrolling(
    live_server, browser_context, operator_user, store
):
    from rq import Queue

    Queue("housekeeping", connection=store.rq_connection).enqueue("helpline.no_such_module.job")
    drain(store.rq_connection)
    page = operator_page(browser_context, live_server, operator_user, "390", "/ops/health")
    row = page.get_by_test_id("queues").locator('tr[data-queue="housekeeping"]')
    failed = row.locator("td").nth(3)
    expect(failed).to_have_attribute("data-label", "Failed")
    expect(failed).to_contain_text("1")
    box = failed.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    fits(page, "390")
    save_artifact(page, "ops-health-failed-390")


def test_on_a_phone_the_provider_directory_stacks_like_the_other_tables(
    live_server, browser_context, operator_user, app, tmp_path
):
    # A directory as operators import it: the export's own long file name.
    path = write_csv(tmp_path / "FindTreatment_Facility_listing_2026_01_15_National.csv")
    imported = app.test_cli_runner().invoke(args=["providers", "import", str(path)])
    assert imported.exit_code == 0, imported.output
    page = operator_page(browser_context, live_server, operator_user, "390", "/ops/health")
    table = page.get_by_test_id("directory-health").locator("table")
    expect(table.locator("tbody tr")).to_have_count(1)
    cells = table.locator("tbody th, tbody td")
    for n in range(cells.count()):
        box = cells.nth(n).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, cells.nth(n).inner_text()
    for label in ("Listings", "File", "Imported"):  # each value says what it is, as in the other tables
        expect(table.locator(f'td[data-label="{label}"]')).to_be_visible()
    fits(page, "390")
    save_artifact(page, "ops-health-directory-390")


def test_on_a_phone_the_directory_page_fits_with_hidden_and_found_listings(
    live_server, browser_context, operator_user, app, small_directory
):
    runner = app.test_cli_runner()
    for provider in small_directory[:2]:
        hidden = runner.invoke(
            args=["providers", "hide", provider.id, "--reason", "rings a fax machine all day"]
        )
        assert hidden.exit_code == 0, hidden.output
    page = operator_page(browser_context, live_server, operator_user, "390", "/ops/directory?q=10001")
    for testid in ("found", "hidden", "sources"):
        cells = page.get_by_test_id(testid).locator("tbody th, tbody td")
        assert cells.count()
        for n in range(cells.count()):
            box = cells.nth(n).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (
                testid,
                cells.nth(n).inner_text(),
            )
    show_again = page.get_by_test_id("hidden").get_by_role("button", name="Show again").first
    box = show_again.bounding_box()
    assert box and box["x"] + box["width"] <= 390  # the button is on the screen, not past its edge
    expect(page.get_by_test_id("found").locator('td[data-label="Phone"]').first).to_have_text(
        re.compile(r"^\(\d{3}\) \d{3}-\d{4}")  # as staff read numbers, not +12125550104
    )
    fits(page, "390")
    save_artifact(page, "ops-directory-390")
