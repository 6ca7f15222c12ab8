"""The locator on /ops/health says what is true: never reached, down, recovering after being up, degraded."""

from __future__ import annotations

import time

import pytest

from helpline.services.line_health import locator_condition
from helpline.store import Keys

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("breaker", "last_ok", "error_ago", "state"),
    [
        ("half-open", None, 120, "never reached"),  # its cooldown ran out, but it never answered
        ("open", None, 30, "never reached"),
        ("closed", None, 30, "never reached"),  # one failure, never an answer
        ("closed", None, None, "not asked yet"),
        ("half-open", NOW - 3600, 120, "recovering"),  # it answered before: trying again
        ("open", NOW - 3600, 30, "down"),
        ("closed", NOW - 60, 120, "degraded"),
        ("closed", NOW - 60, 7200, "up"),
        ("closed", NOW - 60, None, "up"),
        ("disabled", None, None, "off"),
    ],
)
def test_the_locator_in_a_word(breaker, last_ok, error_ago, state):
    locator = {"breaker": breaker, "last_ok": last_ok}
    if error_ago is not None:
        locator.update(last_error="ConnectTimeout", last_error_at=NOW - error_ago)
    assert locator_condition(locator, NOW).state == state


def test_a_locator_that_never_answered_is_never_reached_not_recovering(operator_client, app):
    r = app.extensions["helpline"].store._r
    r.hset(Keys.locator_breaker, mapping={"failures": 3, "open_until": time.time() - 5})  # half-open
    r.hset(Keys.locator_health, mapping={"last_error": "ConnectTimeout", "last_error_at": time.time() - 120})
    html = operator_client.get("/ops/health").get_data(as_text=True)
    assert 'data-testid="locator-state">never reached<' in html and "recovering" not in html
    assert "every try since it was set up failed, the last 2 min ago" in html
    assert 'data-testid="locator-last-ok">never yet<' in html
    r.hset(Keys.locator_health, "last_ok", time.time() - 3600)
    html = operator_client.get("/ops/health").get_data(as_text=True)
    assert 'data-testid="locator-state">recovering<' in html


def test_nothing_imported_and_a_locator_that_never_answers_needs_a_person(operator_client, app):
    r = app.extensions["helpline"].store._r
    r.hset(Keys.locator_breaker, mapping={"failures": 3, "open_until": time.time() + 60})  # open
    r.hset(Keys.locator_health, mapping={"last_error": "ConnectTimeout", "last_error_at": time.time() - 30})
    html = operator_client.get("/ops/health").get_data(as_text=True)
    assert "No provider directory is imported and the locator does not answer" in html
    assert "Nothing needs a person right now" not in html
