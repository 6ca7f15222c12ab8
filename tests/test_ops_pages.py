"""The /ops pages through the real sign-in and CSRF: who may see them, and what each one does."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import time

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
    for page in ("/ops", "/ops/callbacks-now"):  # the queue now: first on the page, reloaded on its own
        queue_now = operator_client.get(page).get_data(as_text=True)
        assert 'data-testid="cb-waiting"><span class="value">1<' in queue_now
    assert '<th scope="row">SIGNS</th><td class="num">1</td>' in html


def test_figures_for_chosen_days_and_a_bad_range_says_why(operator_client, text):
    text("oih")
    week = operator_client.get("/ops").get_data(as_text=True)
    assert 'data-testid="texts-in"><span class="value">1<' in week
    assert "on the helpline's clock (America/New_York)" in week
    old = operator_client.get("/ops?from=2026-01-01&to=2026-01-02").get_data(as_text=True)
    assert 'data-testid="texts-in"><span class="value">0<' in old and 'value="2026-01-01"' in old
    assert 'hx-get="/ops/figures' not in old and "As of " in old  # past days are not refreshed
    assert 'hx-get="/ops/figures?from=' in week and 'hx-trigger="every 5s"' in week  # days with today are
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
    asked = ops_post("/ops/blocklist", {"action": "remove", "number": TEXTER})
    assert asked.status_code == 200 and "Unblock this number?" in asked.get_data(as_text=True)
    assert text("oih") == []  # still blocked until the operator confirms
    ops_post("/ops/blocklist", {"action": "remove", "number": TEXTER, "confirm": "yes"})
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


def test_template_previews_say_their_hours_are_examples_not_the_lines_own(ops_post, operator_client):
    """A preview fills the callback hours with the longest ones (to count segments): it says so, so that
    "Mon-Fri 9:30am-7:30pm" is not read as the line's hours."""
    listing = operator_client.get("/ops/templates").get_data(as_text=True)
    check = ops_post("/ops/templates/en/call_confirm_closed/check", {"text": "Hours: {hours}"}).get_data(
        as_text=True
    )
    for page in (listing, check):
        assert "not the line’s own" in page


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


def test_hours_typed_without_a_leading_zero_are_saved(ops_post, app):
    typed = {"timezone": "America/New_York", "mon": "9:00-17:00", "sat": "9:30-13:00", "holidays": ""}
    assert ops_post("/ops/hours", typed).status_code == 302
    assert app.extensions["helpline"].hours.describe("en").startswith("Mon 9am-5pm, Sat 9:30am-1pm")


def test_staff_management_add_role_disable_reset(ops_post, operator_client, store):
    response = ops_post("/ops/staff", {"email": "New.Person@example.org", "role": "staff", "phone": ""})
    assert response.status_code == 302
    page = operator_client.get("/ops/staff").get_data(as_text=True)
    assert "/set-password/" in page and "new.person@example.org" in page
    ops_post("/ops/staff/new.person@example.org/role", {"role": "operator"})
    assert accounts.get(store, "new.person@example.org").role == "operator"
    asked = ops_post("/ops/staff/new.person@example.org/disable").get_data(as_text=True)
    assert (
        "Disable new.person@example.org?" in asked
        and not accounts.get(store, "new.person@example.org").disabled
    )
    ops_post("/ops/staff/new.person@example.org/disable", {"confirm": "yes"})
    assert accounts.get(store, "new.person@example.org").disabled
    ops_post(f"/ops/staff/{OPERATOR}/disable", {"confirm": "yes"})
    assert not accounts.get(store, OPERATOR).disabled  # never lock yourself out


def test_failed_jobs_can_be_retried_and_deleted(ops_post, operator_client, app):
    r = app.extensions["helpline"].store._r
    queue = Queue("housekeeping", connection=r)
    failing = queue.enqueue("helpline.no_such_module.job", job_id="broken-1")
    queue.enqueue("helpline.no_such_module.job", job_id="broken-2")
    drain(r)
    health = operator_client.get("/ops/health").get_data(as_text=True)
    assert "broken-1" in health and "2 failed jobs: retry or delete them" in health
    assert ops_post("/ops/health/jobs/housekeeping/broken-1/retry").status_code == 302
    assert queue.count == 1 and failing.id in queue.job_ids
    asked = ops_post("/ops/health/jobs/housekeeping/broken-2/delete")
    assert asked.status_code == 200 and "Delete failed job broken-2" in asked.get_data(as_text=True)
    assert 'data-job="broken-2"' in operator_client.get("/ops/health").get_data(as_text=True)
    assert ops_post("/ops/health/jobs/housekeeping/broken-2/delete", {"confirm": "yes"}).status_code == 302
    assert 'data-job="broken-2"' not in operator_client.get("/ops/health").get_data(as_text=True)
    assert ops_post("/ops/health/jobs/nope/broken-2/delete", {"confirm": "yes"}).status_code == 404


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
    assert "1 crisis request waiting to be called, for 60 min." in html


def test_health_shows_directory_sources_and_locator(operator_client, small_directory, app):
    from helpline.store import Keys

    html = operator_client.get("/ops/health").get_data(as_text=True)
    assert '<th scope="row">test</th><td data-label="Listings">8</td>' in html
    r = app.extensions["helpline"].store._r
    r.hset(
        Keys.locator_breaker, mapping={"failures": 5, "open_until": dt.datetime.now(dt.UTC).timestamp() + 300}
    )
    r.hset(Keys.locator_health, "last_ok", time.time() - 3600)  # it answered before it went down
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


# -- one active operator always remains; destructive actions ask first ------------------------------


def test_the_last_operator_cannot_make_themselves_staff(ops_post, operator_client, store):
    response = ops_post(f"/ops/staff/{OPERATOR}/role", {"role": "staff"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "is the last active operator" in html and "Are you sure?" not in html  # refused before asking
    assert accounts.get(store, OPERATOR).is_operator
    assert operator_client.get("/ops").status_code == 200


def test_an_operator_made_staff_after_confirming_when_another_remains(ops_post, operator_client, store):
    accounts.add(store, "second@example.org", "operator")
    asked = ops_post(f"/ops/staff/{OPERATOR}/role", {"role": "staff"})
    assert asked.status_code == 200
    assert "You will no longer open the Operations pages." in asked.get_data(as_text=True)
    assert accounts.get(store, OPERATOR).is_operator  # nothing changed yet
    ops_post(f"/ops/staff/{OPERATOR}/role", {"role": "staff", "confirm": "yes"})
    assert accounts.get(store, OPERATOR).role == "staff"
    assert operator_client.get("/ops").status_code == 403
    # The remaining operator is now the last one: they cannot be disabled, from the page or the CLI.
    with pytest.raises(accounts.LastOperator):
        accounts.set_disabled(store, "second@example.org", True)


def test_disabling_a_staff_member_is_never_blocked_by_the_guard(store):
    accounts.add(store, "only.staff@example.org", "staff")  # no operator at all yet
    assert accounts.set_disabled(store, "only.staff@example.org", True).disabled


def test_two_operators_demoting_each_other_leave_one(store, helpline):
    accounts.add(store, "a@example.org", "operator")
    accounts.add(store, "b@example.org", "operator")
    accounts.set_role(store, "a@example.org", "staff")
    with pytest.raises(accounts.LastOperator):
        accounts.set_role(store, "b@example.org", "staff")
    assert [a.email for a in accounts.all_accounts(store) if a.is_operator] == ["b@example.org"]


def test_template_reset_and_rollback_ask_first(ops_post, operator_client, text):
    edited = "OIH: your opioid may be making pain worse. Ask your prescriber. Reply SIGNS or TREAT."
    ops_post("/ops/templates/en/oih", {"text": edited}, page="/ops/templates/en/oih")
    asked = ops_post("/ops/templates/en/oih/reset", page="/ops/templates/en/oih").get_data(as_text=True)
    assert "Put template en/oih back to the shipped text?" in asked
    text("hi")
    assert text("oih")[0].startswith(edited)  # not reset until confirmed
    ops_post("/ops/templates/en/oih/reset", {"confirm": "yes"}, page="/ops/templates/en/oih")
    assert "oversensitive" in text("oih")[0]
    page = operator_client.get("/ops/templates/en/oih").get_data(as_text=True)
    edit_ids = [int(i) for i in re.findall(r"/ops/templates/rollback/(\d+)", page)]
    reset_id = max(edit_ids)
    asked = ops_post(f"/ops/templates/rollback/{reset_id}", page="/ops/templates/en/oih").get_data(
        as_text=True
    )
    assert "Roll back this change to template en/oih (reset by" in asked
    ops_post(f"/ops/templates/rollback/{reset_id}", {"confirm": "yes"}, page="/ops/templates/en/oih")
    assert text("oih")[0].startswith(edited)
    assert ops_post("/ops/templates/rollback/99999", {"confirm": "yes"}).status_code == 404


def test_hours_reset_asks_first(ops_post, app):
    ops_post("/ops/hours", {"timezone": "America/Chicago", "mon": "09:00-17:00"}, page="/ops/hours")
    asked = ops_post("/ops/hours/reset", page="/ops/hours").get_data(as_text=True)
    assert "Go back to the hours in config/hours.yaml?" in asked
    assert app.extensions["helpline"].live.hours().timezone.key == "America/Chicago"
    ops_post("/ops/hours/reset", {"confirm": "yes"}, page="/ops/hours")
    assert app.extensions["helpline"].live.hours().timezone.key == "America/New_York"


def test_the_confirm_page_carries_the_form_and_its_own_csrf_token(ops_post, store):
    accounts.add(store, "x@example.org", "staff")
    html = ops_post("/ops/staff/x@example.org/disable").get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'name="confirm" value="yes"' in html
    assert 'action="/ops/staff/x@example.org/disable"' in html and ">Cancel</a>" in html
    refused = ops_post.client.post("/ops/staff/x@example.org/disable", data={"confirm": "yes"})
    assert refused.status_code == 400 and not accounts.get(store, "x@example.org").disabled  # no token


# -- template previews: one language at a time -------------------------------------------------------


def test_template_previews_show_one_language_at_a_time(operator_client):
    english = operator_client.get("/ops/templates").get_data(as_text=True)
    spanish = operator_client.get("/ops/templates?lang=es").get_data(as_text=True)
    assert 'aria-label="Edit en oih"' in english and 'aria-label="Edit es oih"' not in english
    assert 'aria-label="Edit es oih"' in spanish and 'aria-label="Edit en oih"' not in spanish
    assert "Mon-Fri 9:30am-7:30pm" in english and "lun-vie" not in english and "desde el" not in english
    assert "lun-vie 9:30-19:30" in spanish and "Mon-Fri" not in spanish and "tomorrow" not in spanish
    edit = operator_client.get("/ops/templates/es/call_confirm_closed").get_data(as_text=True)
    assert 'lang="es"' in edit and "el miercoles a las 10:30" in edit and "tomorrow" not in edit


# -- health in words: never "up" beside a recent error ------------------------------------------------


def test_a_recent_locator_error_says_degraded_with_its_age(operator_client, app):
    from helpline.store import Keys

    r = app.extensions["helpline"].store._r
    r.hset(Keys.locator_health, mapping={"last_ok": time.time() - 30, "last_error": "ConnectionError"})
    r.hset(Keys.locator_health, "last_error_at", time.time() - 180)
    html = operator_client.get("/ops/health").get_data(as_text=True)
    assert 'data-testid="locator-state">degraded<' in html and ">up<" not in html
    assert "it failed 3 min ago" in html
    assert "ConnectionError, 3 min ago (today " in html
    r.hset(Keys.locator_health, "last_error_at", time.time() - 7200)
    html = operator_client.get("/ops/health").get_data(as_text=True)
    assert 'data-testid="locator-state">up<' in html and "ConnectionError, 2 h ago" in html
    assert not re.search(r"\b1[0-9]{9}\b", html)  # no raw epoch anywhere


def test_audit_details_show_moments_on_the_helpline_clock(operator_client, store):
    from helpline.services import audit

    audit.record(store, "cb-1", "sam@example.org", "outcome", "no_answer next=1773151200")
    html = operator_client.get("/ops/audit").get_data(as_text=True)
    assert "no_answer next Tue 10 Mar 10:00am EDT" in html and "1773151200" not in html


# -- the CSV export: how each request was worked and how it ended -----------------------------------


def test_export_has_first_attempt_outcome_and_provider(ops_post, text, helpline):
    from helpline.services import callbacks as cb

    text("call")
    text("call", sender="+15551230002")
    first, second = cb.waiting(helpline.store)
    for request, outcome, provider in (
        (first, cb.Outcome.REFERRED, {"id": "p1", "name": "=Harbor Clinic"}),
        (second, cb.Outcome.NO_ANSWER, None),
    ):
        cb.claim(helpline, request.id, "sam@example.org")
        cb.record_outcome(helpline, request.id, "sam@example.org", outcome, provider=provider)
    today = dt.date.today()
    response = ops_post(
        "/ops/export", {"start": (today - dt.timedelta(days=1)).isoformat(), "end": today.isoformat()}
    )
    rows = {r["phone"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    referred, tried = rows[TEXTER], rows["+15551230002"]
    # The provider's name as staff picked it, quoted so a spreadsheet never runs it as a formula.
    assert (referred["outcome"], referred["provider"], referred["attempts"]) == (
        "referred",
        "'=Harbor Clinic",
        "1",
    )
    assert (tried["outcome"], tried["provider"], tried["attempts"]) == ("no_answer", "", "1")
    assert dt.datetime.fromisoformat(referred["first_attempt"]) >= dt.datetime.fromisoformat(
        referred["created"]
    )


def test_a_refused_new_account_keeps_what_the_operator_typed(ops_post, store):
    response = ops_post("/ops/staff", {"email": "ben@example.org", "role": "operator", "phone": "555"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not added" in html
    assert 'value="ben@example.org"' in html and 'value="555"' in html
    assert re.search(r"<option selected>operator</option>", html)
    assert accounts.get(store, "ben@example.org") is None


def test_a_set_password_link_says_how_long_it_works(ops_post, operator_client):
    ops_post("/ops/staff", {"email": "cy@example.org", "role": "staff", "phone": ""})
    assert "it works once, for 48 hours" in operator_client.get("/ops/staff").get_data(as_text=True)
    ops_post("/ops/staff/cy@example.org/reset", page="/ops/staff")
    assert "it works once, for 48 hours" in operator_client.get("/ops/staff").get_data(as_text=True)


def test_the_audit_says_whose_account_an_operator_changed(ops_post, operator_client):
    ops_post("/ops/staff", {"email": "dee@example.org", "role": "staff", "phone": ""})
    ops_post("/ops/staff/dee@example.org/role", {"role": "operator"})
    ops_post("/ops/staff/dee@example.org/disable", {"confirm": "yes"})
    audit = operator_client.get("/ops/audit").get_data(as_text=True)
    assert "account=dee@example.org role=staff" in audit
    assert "account=dee@example.org role=operator" in audit
    assert re.search(r"ops\.staff\.disable</td><td></td><td>account=dee@example\.org", audit)


def test_a_refused_block_keeps_the_number_and_the_reason(ops_post):
    no_reason = ops_post("/ops/blocklist", {"action": "add", "number": "(555) 123-0001", "reason": ""})
    assert no_reason.status_code == 400 and 'value="(555) 123-0001"' in no_reason.get_data(as_text=True)
    bad_number = ops_post("/ops/blocklist", {"action": "add", "number": "555", "reason": "abusive texts"})
    html = bad_number.get_data(as_text=True)
    assert bad_number.status_code == 400 and 'value="abusive texts"' in html and 'value="555"' in html


def test_unblocking_a_number_that_is_not_blocked_says_so(ops_post, text):
    response = ops_post("/ops/blocklist", {"action": "remove", "number": TEXTER})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "not on the blocklist" in html
    assert "Unblock this number?" not in html and "removed from the blocklist" not in html
    bad = ops_post("/ops/blocklist", {"action": "remove", "number": "12"}).get_data(as_text=True)
    assert "Unblock this number?" not in bad and "not a phone number" in bad


def test_menu_choices_are_in_words_not_counter_keys(operator_client, text, store):
    text("zzqx blorp")
    store.count("call.menu.callback_done")
    store.count("call.menu.text_providers")
    store.count("call.menu.some_new_step")
    store.count("call.menu.ask_state")
    store.count("call.menu.no_call")
    html = operator_client.get("/ops").get_data(as_text=True)
    assert "a city said without its state" in html and "said not to call them back" in html
    assert "not understood (menu sent)" in html
    assert "callback request made" in html and "providers texted as well" in html
    assert "some new step" in html
    assert ">unknown<" not in html and "callback_done" not in html and "text_providers" not in html


def test_jobs_left_waiting_with_a_worker_registered_need_a_person(operator_client, app):
    from rq import Worker

    r = app.extensions["helpline"].store._r
    Worker(["urgent", "search", "housekeeping"], connection=r, name="stuck-worker").register_birth()
    assert "Nothing needs a person right now" in operator_client.get("/ops/health").get_data(as_text=True)
    job = Queue("search", connection=r).enqueue("helpline.no_such_module.job")
    job.enqueued_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=7)
    job.save()
    html = operator_client.get("/ops/health").get_data(as_text=True)
    assert "Nothing needs a person right now" not in html
    assert "Queue search: 1 job waiting, the oldest for 7 min" in html
    assert '<td data-label="Oldest waiting">7 min</td>' in html


def test_disabling_someone_puts_the_requests_they_hold_back_on_the_queue(ops_post, app, store, text):
    hl = app.extensions["helpline"]
    accounts.add(store, "ben@example.org", "staff")
    text("my dad took too many pills")
    (request,) = callbacks.waiting(store)
    callbacks.claim(hl, request.id, "ben@example.org")
    asked = ops_post("/ops/staff/ben@example.org/disable").get_data(as_text=True)
    assert "The 1 request they hold goes back on the queue" in asked
    done = ops_post("/ops/staff/ben@example.org/disable", {"confirm": "yes"}, follow_redirects=True)
    assert "1 request they held went back on the queue" in done.get_data(as_text=True)
    back = callbacks.get(store, request.id)
    assert back.status == "waiting" and back.claimed_by is None


def test_the_hours_form_names_every_mistake_at_once_and_the_day_it_is_on(ops_post, app):
    before = app.extensions["helpline"].hours.to_dict()
    form = {
        "timezone": "America/Chicgo",
        "mon": "09:00-17:00",
        "tue": "9 to 5",
        "thu": "09:00-13:00, 12:00-17:00",
        "sat": "14:00-10:00",
        "holidays": "2026-12-25\n2026-13-01",
    }
    response = ops_post("/ops/hours", form, page="/ops/hours")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = re.search(
        r'<div class="flash flash-error" role="alert" id="hours-errors">(.*?)</div>', page, re.S
    )
    listed = [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", errors.group(1))]
    assert listed == [
        "unknown timezone 'America/Chicgo' (an IANA name such as America/New_York)",
        "Tuesday: '9 to 5' is not a HH:MM-HH:MM range",
        "Thursday: 09:00-13:00 and 12:00-17:00 overlap",
        "Saturday: '14:00-10:00' ends before it starts",
        "holiday '2026-13-01' is not a YYYY-MM-DD date",
    ]
    assert "Not saved: 5 things to fix." in page
    for field, day in (
        ("timezone", "timezone"),
        ("day-tue", "tue"),
        ("day-thu", "thu"),
        ("day-sat", "sat"),
        ("holidays", "holidays"),
    ):
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true" aria-describedby="err-{day}"', page), field
    assert 'id="day-mon" name="mon" value="09:00-17:00">' in page  # what was typed stays, right or wrong
    assert 'value="9 to 5"' in page
    assert app.extensions["helpline"].hours.to_dict() == before  # nothing saved


def test_every_kind_of_text_is_named_in_words_on_the_dashboard(operator_client, text):
    text("i dont know my zip", sender="+15551230101")  # asked for a ZIP or city
    text("im in texas", sender="+15551230102")  # a state without its city
    text("call me", sender="+15551230103")
    text("nevermind", sender="+15551230103")  # took it back
    text("dont call me, text only", sender="+15551230104")
    text("STOP", sender="+15551230105")
    text("hello?", sender="+15551230105")  # while opted out
    html = operator_client.get("/ops").get_data(as_text=True)
    for words in (
        "no ZIP known, or a street address",
        "a state without its city",
        "took back a callback request",
        "asked not to be called",
        "texted while opted out",
    ):
        assert words in html
    for key in (">ask place<", ">ask city<", ">call withdraw<", ">no call<", ">opted out<"):
        assert key not in html
