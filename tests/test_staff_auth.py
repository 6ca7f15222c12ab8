"""Sign-in security: CSRF on every POST, roles, lock-out after wrong passwords, logout, cookies."""

import re
from dataclasses import replace

import pytest
from flask import Blueprint
from playwright.sync_api import expect

from helpline.services import accounts, callbacks
from helpline.web.auth import operator_required, staff_required
from tests.browser_fixtures import PASSWORD, save_artifact, sign_in


def csrf_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def login(client, email, password=PASSWORD, token=None, **kwargs):
    token = token or csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}, **kwargs)


@pytest.fixture
def ops_probe(settings):
    """An app with one operator-only and one staff-only page, as the /ops pages use them."""
    from helpline import create_app

    probe = Blueprint("probe", __name__)

    @probe.route("/ops/probe")
    @operator_required
    def operator_page():
        return "operator page"

    @probe.route("/staff-probe", methods=["GET", "POST"])
    @staff_required
    def staff_page():
        return "staff page"

    app = create_app(settings, flask={"TESTING": True})
    app.register_blueprint(probe)
    with app.app_context():
        yield app


def test_sign_in_opens_the_queue_and_renews_the_session(client, staff_user):
    client.get("/login")
    before = client.get_cookie("helpline_session")
    response = login(client, staff_user.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff")
    after = client.get_cookie("helpline_session")
    assert after is not None and (before is None or after.value != before.value)
    page = client.get("/staff")
    assert page.status_code == 200 and "Callback queue" in page.get_data(as_text=True)


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/staff")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_address_make_run_prints_leads_a_browser_to_the_staff_pages(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff")
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200 and page.request.path == "/login"


def test_session_cookie_is_httponly_and_samesite(client, staff_user):
    response = login(client, staff_user.email)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("helpline_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_behind_https(settings, store):
    from helpline import create_app

    app = create_app(settings.with_overrides(public_base_url="https://helpline.example.org"))
    parts = app.extensions["helpline"]
    accounts.add(parts.store, "ana@example.org", password=PASSWORD, passwords=parts.passwords)
    client = app.test_client()
    response = login(client, "ana@example.org")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("helpline_session="))
    assert "Secure" in cookie


def test_post_without_csrf_token_is_refused(client, staff_user):
    response = client.post("/login", data={"email": staff_user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff").status_code == 302  # not signed in


def test_signed_in_post_without_csrf_token_is_refused(ops_probe, staff_user):
    client = ops_probe.test_client()
    login(client, staff_user.email)
    assert client.post("/staff-probe").status_code == 400
    token = csrf_token(client, "/staff")
    assert client.post("/staff-probe", headers={"X-CSRFToken": token}).status_code == 200


def test_twilio_webhooks_need_no_csrf_token(text):
    assert text("oih")  # a signed POST to /twilio/sms without any CSRF token still answers


def test_staff_on_an_operator_page_get_403(ops_probe, staff_user, operator_user):
    client = ops_probe.test_client()
    login(client, staff_user.email)
    assert client.get("/ops/probe").status_code == 403
    other = ops_probe.test_client()
    login(other, operator_user.email)
    assert other.get("/ops/probe").get_data(as_text=True) == "operator page"


def test_wrong_password_many_times_locks_the_account_for_a_while(client, staff_user, store):
    limits = client.application.extensions["helpline"].login_limits
    for _ in range(limits.per_account):
        assert login(client, staff_user.email, "not the password").status_code == 401
    locked = login(client, staff_user.email)  # even the right password is refused now
    assert locked.status_code == 429 and "Try again in 15 minutes" in locked.get_data(as_text=True)
    assert client.get("/staff").status_code == 302
    for key in store._r.scan_iter("hl:staff:login-failures:per-account:*"):
        assert 0 < store._r.ttl(key) <= limits.window
        store._r.delete(key)  # the lock lifting, as it does after the window
    assert login(client, staff_user.email).status_code == 302


def test_many_failures_from_one_address_lock_it(client, store, helpline):
    limits = replace(helpline.login_limits, per_address=4)  # fewer than the default 20, to stay fast
    helpline.login_limits = limits
    for n in range(limits.per_address):
        login(client, f"guess{n}@example.org", "whatever")
    accounts.add(store, "ana@example.org", password=PASSWORD, passwords=helpline.passwords)
    assert login(client, "ana@example.org").status_code == 429


def test_behind_a_proxy_each_client_address_is_limited_on_its_own(settings, store):
    from helpline import create_app

    settings = settings.with_overrides(proxy_hops=1, login_failures_per_address=3)
    app = create_app(settings, flask={"TESTING": True})
    parts = app.extensions["helpline"]
    attacker, neighbour = app.test_client(), app.test_client()
    for n in range(parts.login_limits.per_address):
        login(attacker, f"guess{n}@example.org", "whatever", headers={"X-Forwarded-For": "203.0.113.9"})
    accounts.add(store, "ana@example.org", password=PASSWORD, passwords=parts.passwords)
    locked = login(attacker, "ana@example.org", headers={"X-Forwarded-For": "203.0.113.9"})
    assert locked.status_code == 429
    allowed = login(neighbour, "ana@example.org", headers={"X-Forwarded-For": "198.51.100.4"})
    assert allowed.status_code == 302


def test_disabled_accounts_cannot_sign_in_and_lose_their_session(client, staff_user, store):
    login(client, staff_user.email)
    assert client.get("/staff").status_code == 200
    accounts.set_disabled(store, staff_user.email)
    assert client.get("/staff").status_code == 302
    assert login(client, staff_user.email).status_code == 401


def test_logout_ends_the_session_even_for_a_copied_cookie(client, staff_user):
    login(client, staff_user.email)
    stolen = client.get_cookie("helpline_session").value
    token = csrf_token(client, "/staff")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff").status_code == 302
    client.set_cookie("helpline_session", stolen)
    assert client.get("/staff").status_code == 302


def test_logout_by_get_does_not_sign_out(client, staff_user):
    login(client, staff_user.email)
    assert client.get("/logout").status_code == 200
    assert client.get("/staff").status_code == 200


def test_set_password_link_lets_a_new_account_sign_in(client, store):
    accounts.add(store, "new@example.org")
    token = accounts.issue_set_password_token(store, "new@example.org", 3600)
    form_token = csrf_token(client, f"/set-password/{token}")
    response = client.post(
        f"/set-password/{token}",
        data={"password": "my new password", "confirm": "my new password", "csrf_token": form_token},
    )
    assert response.status_code == 302
    assert login(client, "new@example.org", "my new password").status_code == 302
    assert client.get(f"/set-password/{token}").status_code == 404


def test_login_never_redirects_off_site(client, staff_user):
    response = login(client, staff_user.email, query_string={"next": "//evil.example/x"})
    assert response.headers["Location"].endswith("/staff")


@pytest.mark.browser
def test_sign_in_and_out_in_a_real_browser(live_server, page, staff_user):
    sign_in(page, live_server, staff_user.email)
    expect(page.get_by_role("heading", name="Callback queue")).to_be_visible()
    expect(page.get_by_text("No one is waiting")).to_be_visible()
    save_artifact(page, "staff-queue-empty")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/login*")
    page.goto(f"{live_server}/staff")
    assert "/login" in page.url


@pytest.mark.browser
def test_after_setting_a_password_the_sign_in_form_knows_the_email(live_server, page, store):
    accounts.add(store, "new@example.org")
    token = accounts.issue_set_password_token(store, "new@example.org", 3600)
    page.goto(f"{live_server}/set-password/{token}")
    page.get_by_label("New password").fill("my new password")
    page.get_by_label("Repeat it").fill("my new password")
    page.get_by_role("button", name="Set password").click()
    page.wait_for_url(f"{live_server}/login*")
    expect(page.get_by_text("Password set. Sign in with it now.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("new@example.org")
    expect(page.get_by_label("Password")).to_be_focused()  # just type it
    page.keyboard.type("my new password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Callback queue")).to_be_visible()


def test_a_session_lasts_one_shift(client, staff_user, redis):
    login(client, staff_user.email)
    (key,) = redis.keys("hl:staff:session:*")
    assert 11 * 3600 < redis.ttl(key) <= 12 * 3600  # settings.staff_session_seconds


def test_a_form_sent_after_the_session_ended_returns_to_its_page_saying_nothing_was_saved(
    client, staff_user, store
):
    login(client, staff_user.email)
    token = csrf_token(client, "/staff")
    with client.session_transaction() as session:
        accounts.end_session(store, session["_user_id"])  # the session ran out while the page was open
    response = client.post(
        "/staff/callbacks/cb000001/outcome",
        data={"csrf_token": token, "outcome": "reached"},
        headers={"Referer": "http://localhost/staff/callbacks/cb000001"},
    )
    assert response.status_code == 302
    assert response.location == "/login?next=/staff/callbacks/cb000001"
    page = client.get(response.location).get_data(as_text=True)
    assert "was not saved" in page
    # A page of another site is never where it goes back to.
    response = client.post(
        "/staff/next", data={"csrf_token": token}, headers={"Referer": "https://evil.example/x"}
    )
    assert "evil" not in response.location


def test_signing_out_on_duty_asks_whether_the_phone_should_keep_ringing(client, staff_user, store):
    accounts.set_duty(store, staff_user.email, True, phone="+15551239876")
    login(client, staff_user.email)
    asked = client.get("/logout").get_data(as_text=True)
    assert "Go off duty and sign out" in asked and "Sign out, stay on duty" in asked
    token = csrf_token(client, "/logout")
    client.post("/logout", data={"csrf_token": token, "off_duty": "yes"})
    assert not accounts.get(store, staff_user.email).on_duty

    accounts.set_duty(store, staff_user.email, True)
    login(client, staff_user.email)
    token = csrf_token(client, "/logout")
    page = client.post("/logout", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert accounts.get(store, staff_user.email).on_duty
    assert "still on duty" in page


def test_signing_out_puts_the_requests_you_hold_back_on_the_queue(client, staff_user, store, text, app):
    text("my brother is turning blue")
    (request,) = callbacks.waiting(store)
    login(client, staff_user.email)
    callbacks.claim(app.extensions["helpline"], request.id, staff_user.email)
    token = csrf_token(client, "/staff")
    signed_out = client.post("/logout", data={"csrf_token": token}, follow_redirects=True)
    assert "1 request you held went back on the queue" in signed_out.get_data(as_text=True)
    back = callbacks.get(store, request.id)
    assert back.status == "waiting" and back.claimed_by is None  # the crisis does not wait 15 minutes


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_method_no_page_takes_is_not_allowed_rather_than_a_missing_form_token(client, method):
    response = getattr(client, method)("/login", headers={"Accept": "text/html"})
    assert response.status_code == 405
    assert (
        client.post("/login", data={"email": "a@example.org", "password": "x"}).status_code == 400
    )  # CSRF still
