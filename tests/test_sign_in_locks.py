"""Sign-in locks slow down guessing without letting anyone lock a colleague (or the whole team) out."""

import pytest

from helpline import create_app
from helpline.services import accounts
from tests.browser_fixtures import PASSWORD
from tests.test_staff_auth import login

WRONG = "not the password"


@pytest.fixture
def behind_a_proxy(settings, store):
    """An app behind one proxy that names each client's address, with small limits to stay fast."""
    settings = settings.with_overrides(
        proxy_hops=1,
        login_failures_per_account=3,
        login_failures_per_account_everywhere=6,
        login_failures_per_address=4,
    )
    app = create_app(settings, flask={"TESTING": True})
    parts = app.extensions["helpline"]
    accounts.add(parts.store, "ana@example.org", password=PASSWORD, passwords=parts.passwords)
    accounts.add(parts.store, "ben@example.org", password=PASSWORD, passwords=parts.passwords)
    with app.app_context():
        yield app


def from_address(app, address: str):
    """A browser at `address`: each of its sign-ins comes through the proxy from there."""
    client = app.test_client()

    def sign_in(email, password=PASSWORD):
        return login(client, email, password, headers={"X-Forwarded-For": address})

    return sign_in


def test_wrong_passwords_from_elsewhere_never_lock_out_the_right_password(behind_a_proxy):
    stranger, ana = from_address(behind_a_proxy, "203.0.113.9"), from_address(behind_a_proxy, "198.51.100.4")
    for _ in range(3):
        assert stranger("ana@example.org", WRONG).status_code == 401
    assert stranger("ana@example.org").status_code == 429  # the guesser is stopped, even when right
    assert ana("ana@example.org").status_code == 302


def test_past_the_accounts_limit_only_addresses_that_never_failed_may_try(behind_a_proxy):
    for n in range(3):  # three guessing addresses, two wrong passwords each: 6, the account's limit
        guesser = from_address(behind_a_proxy, f"203.0.113.{n}")
        assert [guesser("ana@example.org", WRONG).status_code for _ in range(2)] == [401, 401]
    assert from_address(behind_a_proxy, "203.0.113.0")("ana@example.org").status_code == 429
    once = from_address(behind_a_proxy, "203.0.113.77")
    assert once("ana@example.org", WRONG).status_code == 401
    assert once("ana@example.org", WRONG).status_code == 429  # one try per new address from now on
    assert from_address(behind_a_proxy, "198.51.100.4")("ana@example.org").status_code == 302


def test_a_colleague_mistyping_a_password_does_not_lock_out_the_team(behind_a_proxy):
    office = from_address(behind_a_proxy, "192.0.2.10")  # the whole team shows one address
    for _ in range(10):
        office("ben@example.org", WRONG)
    office("ana@example.org", WRONG)  # and someone else mistypes too
    assert office("ana@example.org").status_code == 302


def test_many_different_emails_failing_from_one_address_lock_it_saying_for_how_long(behind_a_proxy):
    guesser = from_address(behind_a_proxy, "203.0.113.9")
    for n in range(4):
        assert guesser(f"guess{n}@example.org", WRONG).status_code == 401
    locked = guesser("ana@example.org")
    assert locked.status_code == 429
    assert "Too many failed sign-ins from this network. Try again in 15 minutes." in locked.get_data(
        as_text=True
    )
    assert from_address(behind_a_proxy, "198.51.100.4")("ana@example.org").status_code == 302


def test_the_lock_message_says_how_long_is_left(client, staff_user, store, helpline):
    for _ in range(helpline.login_limits.per_account):
        login(client, staff_user.email, WRONG)
    for key in store._r.scan_iter("hl:staff:login-failures:per-account:*"):
        store._r.expire(key, 125)  # the lock began almost 13 minutes ago
    page = login(client, staff_user.email).get_data(as_text=True)
    assert "Try again in 3 minutes, or ask an operator for a link to set a new password." in page
