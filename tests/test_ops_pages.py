"""The /ops pages through the real sign-in and CSRF: who may see them, and what each one does."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from rq import Queue

from helpline.infra.burst import drain
from helpline.services import accounts, callbacks
from tests.conftest import TEXTER
from tests.ops_fixtures import OPERATOR, csrf_of

PAGES = [
    "/ops",
    "/ops/figures",
    "/ops/health",
    "/ops/hours",
    "/ops/templates",
    "/ops/templates/en/oih",
    "/ops/staff",
    "/ops/blocklist",
    "/ops/export",
    "/ops/phone",
    "/ops/directory",
    "/ops/audit",
]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_people_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_staff_accounts_are_refused(staff_client, path):
    assert staff_client.get(path).status_code == 403


def test_staff_cannot_post_to_ops_either(staff_client):
    token = csrf_of(staff_client, "/staff")
    response = staff_client.post(
        "/ops/blocklist", data={"csrf_token": token, "action": "add", "number": TEXTER}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_every_page_opens_for_operators(operator_client, text, path):
    text("oih")
    text("call")
    response = operator_client.get(path)
    assert response.status_code == 200
    if path != "/ops/phone":  # the test phone shows the fictional number it texts from
        assert TEXTER not in response.get_data(as_text=True)  # no clear number on a page


def test_ops_post_without_csrf_token_is_refused(operator_client):
    assert operator_client.post("/ops/blocklist", data={"action": "add", "number": TEXTER}).status_code == 400


def test_figures_count_texts_and_callbacks(operator_client, text):
    text("oih")
    text("signs")
    text("call")
    text("call")  # the same request again
    html = operator_client.get("/ops/figures").get_data(as_text=True)
    assert 'data-testid="texts-in"><span class="value">4<' in html
    assert 'data-testid="callbacks"><span class="value">1<' in html
    assert 'data-testid="cb-waiting"><span class="value">1<' in html
    assert '<th scope="row">signs</th><td class="num">1</td>' in html


def test_figures_for_chosen_days_and_a_bad_range_says_why(operator_client, text):
    text("oih")
    week = operator_client.get("/ops").get_data(as_text=True)
    assert 'data-testid="texts-in"><span class="value">1<' in week
    assert "on the helpline's clock (America/New_York)" in week
    old = operator_client.get("/ops?from=2026-01-01&to=2026-01-02").get_data(as_text=True)
    assert 'data-testid="texts-in"><span class="value">0<' in old and 'value="2026-01-01"' in old
    assert 'hx-get="/ops/figures?from=2026-01-01&amp;to=2026-01-02"' in old  # the refresh keeps the days
    bad = operator_client.get("/ops?from=2026-02-01&to=2026-01-01")
    assert bad.status_code == 400
    assert "The first day comes after the last. Showing the last 7 days" in bad.get_data(as_text=True)


def test_blocklist_add_and_remove_silences_a_number(ops_post, operator_client, text):
    assert ops_post("/ops/blocklist", {"action": "add", "number": TEXTER, "reason": ""}).status_code == 400
    assert (
        ops_post("/ops/blocklist", {"action": "add", "number": "not a number", "reason": "x"}).status_code
        == 400
    )
    assert (
        ops_post(
            "/ops/blocklist", {"action": "add", "number": "(555) 123-0001", "reason": "abuse"}
        ).status_code
        == 302
    )
    assert text("oih") == []
    page = operator_client.get("/ops/blocklist").get_data(as_text=True)
    assert "abuse" in page and TEXTER not in page
    ops_post("/ops/blocklist", {"action": "remove", "number": TEXTER})
    assert text("oih")


def test_export_csv_has_numbers_for_operators_and_is_audited(ops_post, text, store, caplog):
    text("call")
    text("overdose", sender="+15551230002")
    today = dt.date.today()
    with caplog.at_level("INFO"):
        response = ops_post(
            "/ops/export",
            {
                "start": (today - dt.timedelta(days=1)).isoformat(),
                "end": (today + dt.timedelta(days=1)).isoformat(),
            },
        )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(r["phone"] for r in rows) == [TEXTER, "+15551230002"]
    assert {r["priority"] for r in rows} == {"normal", "crisis"}
    assert any("event=ops.export.callbacks" in m and OPERATOR in m and "rows=2" in m for m in caplog.messages)
    assert not any(TEXTER in m for m in caplog.messages)
    audit_page = ops_post.client.get("/ops/audit").get_data(as_text=True)
    assert "ops.export.callbacks" in audit_page and OPERATOR in audit_page and TEXTER not in audit_page


def test_export_refuses_bad_ranges(ops_post):
    assert ops_post("/ops/export", {"start": "yesterday", "end": "2026-01-01"}).status_code == 302
    assert ops_post("/ops/export", {"start": "2026-02-01", "end": "2026-01-01"}).status_code == 302


def test_test_phone_texts_the_line_like_simulate(ops_post, store):
    response = ops_post("/ops/phone", {"number": "+15551230003", "text": "oih", "action": "text"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "opioid-induced hyperalgesia" in html
    phone_id = store.vault.phone_id("+15551230003")
    assert [t["dir"] for t in store.conversation(phone_id)][:1] == ["in"]


def test_template_check_fragment_counts_segments(ops_post):
    short = ops_post("/ops/templates/en/oih/check", {"text": "Short text."}).get_data(as_text=True)
    assert 'data-testid="segment-count">1 segment<' in short
    long = ops_post("/ops/templates/en/oih/check", {"text": "word " * 80}).get_data(as_text=True)
    assert 'data-testid="segment-count">3 segments<' in long and "the limit is 2" in long
    assert ops_post("/ops/templates/xx/oih/check", {"text": "x"}).status_code == 404


def test_saving_a_template_over_two_segments_is_refused(ops_post, text):
    response = ops_post("/ops/templates/en/oih", {"text": "word " * 80})
    assert response.status_code == 400
    text("hi")
    assert "oversensitive" in text("oih")[0]


def test_hours_form_refuses_overlaps_and_saves_good_hours(ops_post, app):
    bad = {"timezone": "America/Chicago", "mon": "09:00-12:00, 11:00-17:00", "holidays": ""}
    assert ops_post("/ops/hours", bad).status_code == 400
    assert (
        ops_post("/ops/hours", {**bad, "timezone": "Nowhere/Else", "mon": "09:00-17:00"}).status_code == 400
    )
    good = {
        "timezone": "America/Chicago",
        "mon": "09:00-12:00, 13:00-17:00",
        "tue": "10:00-14:00",
        "holidays": "2026-12-25",
    }
    assert ops_post("/ops/hours", good).status_code == 302
    hours = app.extensions["helpline"].hours
    assert hours.timezone.key == "America/Chicago"
    assert dt.date(2026, 12, 25) in hours.holidays
    assert hours.describe("en").startswith("Mon 9am-12pm, 1pm-5pm, Tue 10am-2pm")


def test_staff_management_add_role_disable_reset(ops_post, operator_client, store):
    response = ops_post("/ops/staff", {"email": "New.Person@example.org", "role": "staff", "phone": ""})
    assert response.status_code == 302
    page = operator_client.get("/ops/staff").get_data(as_text=True)
    assert "/set-password/" in page and "new.person@example.org" in page
    ops_post("/ops/staff/new.person@example.org/role", {"role": "operator"})
    assert accounts.get(store, "new.person@example.org").role == "operator"
    ops_post("/ops/staff/new.person@example.org/disable")
    assert accounts.get(store, "new.person@example.org").disabled
    ops_post(f"/ops/staff/{OPERATOR}/disable")
    assert not accounts.get(store, OPERATOR).disabled  # never lock yourself out


def test_failed_jobs_can_be_retried_and_deleted(ops_post, operator_client, app):
    r = app.extensions["helpline"].store.r
    queue = Queue("housekeeping", connection=r)
    failing = queue.enqueue("helpline.no_such_module.job", job_id="broken-1")
    queue.enqueue("helpline.no_such_module.job", job_id="broken-2")
    drain(r)
    health = operator_client.get("/ops/health").get_data(as_text=True)
    assert "broken-1" in health and "failed job(s)" in health
    assert ops_post("/ops/health/jobs/housekeeping/broken-1/retry").status_code == 302
    assert queue.count == 1 and failing.id in queue.job_ids
    assert ops_post("/ops/health/jobs/housekeeping/broken-2/delete").status_code == 302
    assert 'data-job="broken-2"' not in operator_client.get("/ops/health").get_data(as_text=True)
    assert ops_post("/ops/health/jobs/nope/broken-2/delete").status_code == 404


def test_dashboard_banner_when_no_worker_runs(operator_client):
    html = operator_client.get("/ops").get_data(as_text=True)
    assert 'role="alert"' in html and "No worker is running" in html


def test_crisis_waiting_long_shows_in_the_banner(operator_client, store):
    request, _ = callbacks.request_callback(
        store, "+15551230008", lang="en", reason="crisis", priority=True, channel="sms", now=1.0
    )
    request.created = dt.datetime.now(dt.UTC).timestamp() - 3600
    callbacks.save(store, request)
    html = operator_client.get("/ops").get_data(as_text=True)
    assert "crisis callback(s) waiting, the oldest for 60 min" in html


def test_health_shows_directory_sources_and_locator(operator_client, small_directory, app):
    from helpline.store import Keys

    html = operator_client.get("/ops/health").get_data(as_text=True)
    assert '<th scope="row">test</th><td>8</td>' in html
    r = app.extensions["helpline"].store.r
    r.hset(
        Keys.locator_breaker, mapping={"failures": 5, "open_until": dt.datetime.now(dt.UTC).timestamp() + 300}
    )
    html = operator_client.get("/ops/health").get_data(as_text=True)
    assert 'data-testid="locator-state">down<' in html
    assert "locator is down" in html


def test_delivery_failures_by_code_on_the_dashboard(operator_client, store):
    for _ in range(3):
        store.count("delivery.failed.30007")
    store.count("sms.out")
    html = operator_client.get("/ops/figures").get_data(as_text=True)
    assert '<th scope="row">30007</th><td class="num">3</td>' in html
    assert "of texts failed to deliver" in operator_client.get("/ops/health").get_data(as_text=True)


def test_test_phone_calls_the_line(ops_post):
    response = ops_post("/ops/phone", {"number": "+15551230011", "action": "call", "digits": "1"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    heard = response.get_data(as_text=True)
    assert 'data-testid="heard"' in heard and "(you press 1)" in heard


def test_test_phone_never_acts_as_a_real_number_outside_development(app, store):
    from helpline.web.ops.phone import allowed_number

    with app.test_request_context():
        assert allowed_number("+15551230001") == "+15551230001"
        app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(
            twilio_account_sid="AC1", twilio_auth_token="x"
        )
        assert allowed_number("+12127363100") is None
        assert allowed_number("+15551230001") == "+15551230001"
        assert allowed_number("not a number") is None


@pytest.mark.parametrize("path", ["/ops/hours", "/ops/templates", "/ops/export"])
def test_the_banner_is_on_every_ops_page(operator_client, path):
    html = operator_client.get(path).get_data(as_text=True)
    assert 'class="banner" role="alert"' in html and "No worker is running" in html
