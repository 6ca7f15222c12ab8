"""Browser protections on every page: a strict content policy (no inline script or style, never
framed), no sniffing, same-origin referrers, HSTS behind https, and staff/ops/sign-in pages that no
browser or proxy keeps. /metrics refuses any wrong token, whatever bytes it holds."""

from __future__ import annotations

import pytest

from helpline import create_app
from tests.browser_fixtures import sign_in

POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"


def assert_hardened(response):
    assert response.headers["Content-Security-Policy"] == POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/staff", "/ops", "/ops/health", "/staff/queue"])
def test_staff_and_ops_pages_are_protected_and_never_cached(operator_client, path):
    response = operator_client.get(path)
    assert response.status_code == 200
    assert_hardened(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_sign_in_page_is_protected_and_never_cached(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_hardened(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # plain http in development


def test_webhooks_and_health_carry_the_same_protections(client, signed_post):
    assert_hardened(client.get("/healthz"))
    assert_hardened(signed_post("/twilio/sms", {"From": "+15551230001", "Body": "hi", "MessageSid": "SM1"}))


def test_https_public_origin_turns_on_hsts(settings):
    app = create_app(settings.with_overrides(public_base_url="https://help.example.org"))
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong", "Bearer s3cre", "Bearer s3cret2", "s3cret", "Bearer sécret", "Bearer \u2603", ""],
    ids=["wrong", "prefix", "longer", "no-scheme", "latin-1", "snowman", "empty"],
)
def test_metrics_refuse_a_wrong_or_non_ascii_token(settings, authorization):
    app = create_app(settings.with_overrides(metrics_token="s3cret"), flask={"TESTING": True})
    client = app.test_client()
    headers = {"Authorization": authorization.encode("utf-8").decode("latin-1")} if authorization else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


@pytest.mark.browser
def test_staff_and_ops_pages_run_under_the_policy_in_a_browser(page, live_server, operator_user):
    """Chromium enforces the policy: a page with inline script or style would log a violation."""
    violations = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text))
    sign_in(page, live_server, operator_user.email, operator_user.password, next_path="/staff")
    assert page.evaluate("typeof window.htmx") == "object"  # our own scripts still load and run
    for path in ("/staff", "/ops", "/ops/health", "/ops/templates"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
    assert violations == []
