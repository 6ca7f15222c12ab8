"""The /ops pages in a real browser (Debian chromium via Playwright), as an operator uses them."""

from __future__ import annotations

import csv
import io
import time

import pytest
from playwright.sync_api import expect

from helpline.infra.burst import drain
from tests.browser_fixtures import save_artifact, sign_in

pytestmark = pytest.mark.browser


def tile(page, testid: str) -> str:
    return page.get_by_test_id(testid).locator(".value").inner_text()


def test_figures_change_after_simulated_texts(page, live_server, operator_user, text):
    sign_in(page, live_server, operator_user.email, next_path="/ops")
    assert tile(page, "texts-in") == "0"
    text("oih")
    text("signs", sender="+15551230002")
    text("overdose", sender="+15551230003")
    # The figures panel refreshes itself (htmx, every 5 s); no reload needed. (Locator assertions, not
    # wait_for_function: the pages' content policy forbids the script evaluation that would need.)
    expect(page.get_by_test_id("texts-in").locator(".value")).to_have_text("3", timeout=15_000)
    assert tile(page, "crisis") == "1"
    expect(page.get_by_test_id("cb-crisis").locator(".value")).to_have_text("1")  # reloaded on its own
    bars = page.locator("svg.chart").first.locator("rect.bar[data-value='3']")
    assert bars.count() == 1  # today's bar in the texts-per-day chart
    expect(page.get_by_test_id("text-choices")).to_contain_text("SIGNS")
    save_artifact(page, "ops-figures")


def test_a_template_typed_before_the_page_scripts_load_is_still_counted(page, live_server, operator_user):
    sign_in(page, live_server, operator_user.email, next_path="/ops/templates")
    held = []  # the page's script, kept back as a slow connection would
    page.route("**/htmx-*.js", lambda route: held.append(route))
    page.goto(f"{live_server}/ops/templates/en/oih", wait_until="commit")
    page.get_by_label("Text").fill("OIH: your opioid may be making pain worse. Reply SIGNS or TREAT.")
    expect(page.get_by_test_id("segment-count")).to_have_text("2 segments")  # the shipped text's count
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(20)  # lets Playwright deliver the request it is holding
    held[0].continue_()
    expect(page.get_by_test_id("segment-count")).to_have_text("1 segment")  # what was typed, counted


def test_edit_a_template_and_see_the_segment_count(page, live_server, operator_user, text):
    sign_in(page, live_server, operator_user.email, next_path="/ops/templates")
    page.get_by_role("link", name="Edit en oih").click()
    box = page.get_by_label("Text")
    box.fill("OIH: your opioid may be making pain worse. Ask your prescriber. Reply SIGNS or TREAT.")
    expect(page.get_by_test_id("segment-count")).to_have_text("1 segment")
    box.fill("Too long. " * 40)
    expect(page.get_by_test_id("segment-count")).to_contain_text("3 segments")
    expect(page.get_by_test_id("template-errors")).to_contain_text("the limit is 2")
    box.fill("Dolor ñ € {braces}")
    page.wait_for_selector("[data-testid=template-errors]")
    box.fill("OIH: your opioid may be making pain worse. Ask your prescriber. Reply SIGNS or TREAT.")
    expect(page.get_by_test_id("segment-count")).to_have_text("1 segment")
    page.get_by_role("button", name="Save template").click()
    page.wait_for_selector("text=saved: the next message uses it")
    text("hi")
    assert text("oih")[0].startswith("OIH: your opioid may be making pain worse.")
    page.get_by_role("button", name="Roll back this change").click()
    expect(page.get_by_test_id("confirm-question")).to_contain_text("Roll back this change to template")
    page.get_by_role("button", name="Yes, roll it back").click()
    page.wait_for_selector("text=rolled back")
    assert "oversensitive" in text("oih")[0]
    save_artifact(page, "ops-template")


def test_export_a_csv_and_parse_it(page, live_server, operator_user, text):
    text("call")
    text("I want to kill myself", sender="+15551230004")
    sign_in(page, live_server, operator_user.email, next_path="/ops/export")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("callbacks-") and download.suggested_filename.endswith(
        ".csv"
    )
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert sorted(r["phone"] for r in rows) == ["+15551230001", "+15551230004"]
    assert [r["priority"] for r in rows if r["phone"] == "+15551230004"] == ["crisis"]


def test_change_hours_and_see_the_effect(page, live_server, operator_user, text, app):
    sign_in(page, live_server, operator_user.email, next_path="/ops/hours")
    page.get_by_label("Monday").fill("09:00-13:00, 12:00-17:00")
    page.get_by_role("button", name="Save hours").click()
    expect(page.locator("#hours-errors")).to_contain_text("Monday: 09:00-13:00 and 12:00-17:00 overlap")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(day).fill("")
    page.get_by_label("Monday").fill("10:00-11:00")
    page.get_by_role("button", name="Save hours").click()
    page.wait_for_selector("text=Business hours saved")
    expect(page.locator("main")).to_contain_text("Mon 10am-11am")
    reply = text("call")[-1]
    assert "Mon 10am-11am" in reply


def test_test_phone_texts_and_shows_the_outbox(page, live_server, operator_user, app):
    sign_in(page, live_server, operator_user.email, next_path="/ops/phone")
    page.get_by_label("From number").fill("+15551230005")
    page.get_by_label("Text", exact=True).fill("10001")
    page.get_by_role("button", name="Send text").click()
    page.wait_for_selector("[data-testid=replies]")
    expect(page.get_by_test_id("replies")).to_contain_text("10001")
    drain(app.extensions["helpline"].store.rq_connection)
    page.get_by_role("link", name="Refresh").click()
    page.wait_for_selector("[data-testid=outbox] li.later")
    save_artifact(page, "ops-phone")


def test_staff_are_refused_and_anonymous_redirected(page, live_server, staff_user):
    page.goto(f"{live_server}/ops")
    assert "/login" in page.url
    sign_in(page, live_server, staff_user.email)
    response = page.goto(f"{live_server}/ops/health")
    assert response.status == 403


def test_blocklist_staff_health_directory_and_audit_pages(
    page, live_server, operator_user, text, small_directory
):
    sign_in(page, live_server, operator_user.email, next_path="/ops/blocklist")
    page.get_by_label("Phone number").fill("+15551230009")
    page.get_by_label("Reason (needed to block)").fill("abusive texts")
    page.get_by_role("button", name="Block", exact=True).click()
    page.wait_for_selector("text=Number blocked")
    expect(page.get_by_test_id("blocklist")).to_contain_text("abusive texts")
    assert text("oih", sender="+15551230009") == []

    page.get_by_role("link", name="Staff").first.click()
    page.get_by_label("Email").fill("new.colleague@example.org")
    page.get_by_role("button", name="Add and make a set-password link").click()
    page.wait_for_selector("text=/set-password/")
    expect(page.get_by_test_id("staff")).to_contain_text("new.colleague@example.org")

    page.get_by_role("link", name="Health").click()
    expect(page.get_by_test_id("queues")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("No worker is running")

    page.get_by_role("link", name="Directory").click()
    expect(page.locator("main")).to_contain_text("8 listings")

    page.get_by_role("link", name="Audit").click()
    audit = page.get_by_test_id("audit").inner_text()
    assert "ops.blocklist.added" in audit and "ops.staff.added" in audit
    assert "+15551230009" not in audit
    save_artifact(page, "ops-audit")
