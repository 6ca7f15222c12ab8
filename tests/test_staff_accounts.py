"""Staff accounts and `flask staff`: argon2 passwords, encrypted duty phones, one-time links."""

import pytest

from config.settings import Settings
from helpline.services import accounts
from helpline.store import Keys

STAFF_PHONE = "+12125550142"


def test_add_hashes_the_password_with_argon2(store, helpline):
    account = accounts.add(
        store, "Ana@Example.org", "staff", password="correct horse battery", passwords=helpline.passwords
    )
    assert account.email == "ana@example.org"
    assert account.password_hash.startswith("$argon2id$")
    assert accounts.verify_password(accounts.get(store, "ANA@example.org"), "correct horse battery")
    assert not accounts.verify_password(accounts.get(store, "ana@example.org"), "wrong horse battery")


def test_duty_phone_is_encrypted_and_listed_only_while_on_duty(store):
    accounts.add(store, "ana@example.org", phone="(212) 555-0142")
    accounts.add(store, "bo@example.org")
    assert accounts.on_duty_phones(store) == []
    accounts.set_duty(store, "ana@example.org", True)
    assert accounts.on_duty_phones(store) == [STAFF_PHONE]
    raw = b"".join(
        v for v in store._r.hgetall(Keys.staff_account(store.vault.account_id("ana@example.org"))).values()
    )
    assert b"0142" not in raw
    accounts.set_duty(store, "ana@example.org", False)
    assert accounts.on_duty_phones(store) == []


def test_going_on_duty_needs_a_valid_phone(store):
    accounts.add(store, "bo@example.org")
    with pytest.raises(accounts.AccountError):
        accounts.set_duty(store, "bo@example.org", True)
    with pytest.raises(accounts.AccountError):
        accounts.set_duty(store, "bo@example.org", True, phone="+1555")
    assert accounts.on_duty_phones(store) == []


def test_disabled_account_stops_ringing(store):
    accounts.add(store, "ana@example.org", phone=STAFF_PHONE)
    accounts.set_duty(store, "ana@example.org", True)
    accounts.set_disabled(store, "ana@example.org")
    assert accounts.on_duty_phones(store) == []
    with pytest.raises(accounts.AccountError):
        accounts.set_duty(store, "ana@example.org", True)


def test_duplicate_email_and_unknown_role_are_refused(store):
    accounts.add(store, "ana@example.org")
    with pytest.raises(accounts.AccountError):
        accounts.add(store, "ANA@example.org")
    with pytest.raises(accounts.AccountError):
        accounts.add(store, "cy@example.org", "admin")


def test_set_password_link_works_once(store, helpline):
    accounts.add(store, "ana@example.org")
    token = accounts.issue_set_password_token(store, "ana@example.org", 3600)
    assert accounts.email_for_token(store, token) == "ana@example.org"
    with pytest.raises(accounts.AccountError):
        accounts.use_set_password_token(store, helpline.passwords, token, "short")
    accounts.use_set_password_token(store, helpline.passwords, token, "a long enough password")
    assert accounts.verify_password(accounts.get(store, "ana@example.org"), "a long enough password")
    with pytest.raises(accounts.AccountError):
        accounts.use_set_password_token(store, helpline.passwords, token, "another long password")


def test_set_password_link_lives_as_long_as_the_setting_says(store, redis):
    accounts.add(store, "ana@example.org")
    token = accounts.issue_set_password_token(store, "ana@example.org", Settings.set_password_link_seconds)
    assert 47 * 3600 < redis.ttl(Keys.staff_set_password(token)) <= 48 * 3600


def test_production_passwords_cost_what_they_did_and_tests_hash_cheaply(helpline):
    assert Settings.password_hash_profile == "RFC_9106_LOW_MEMORY"
    production = accounts.Passwords(Settings.password_hash_profile).hash("correct horse battery")
    assert production.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # argon2-cffi's defaults before
    cheap = helpline.passwords.hash("correct horse battery")
    assert "m=8,t=1,p=1" in cheap
    for password_hash in (production, cheap):  # one check reads the cost from the hash itself
        account = accounts.StaffAccount(email="ana@example.org", password_hash=password_hash)
        assert accounts.verify_password(account, "correct horse battery")
        assert not accounts.verify_password(account, "wrong horse battery")
    with pytest.raises(ValueError):
        accounts.Passwords("no such profile")


def test_a_password_is_never_hashed_at_an_unknown_cost(store):
    with pytest.raises(TypeError):
        accounts.add(store, "ana@example.org", password="correct horse battery")
    assert accounts.get(store, "ana@example.org") is None


def test_cli_add_with_prompted_password_then_duty_and_disable(app, store):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["staff", "add", "ana@example.org", "--role", "operator", "--phone", STAFF_PHONE, "--password"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output
    account = accounts.get(store, "ana@example.org")
    assert account.is_operator and accounts.verify_password(account, "a long enough password")

    result = runner.invoke(args=["staff", "duty", "ana@example.org", "on"])
    assert result.exit_code == 0, result.output
    assert accounts.on_duty_phones(store) == [STAFF_PHONE]

    accounts.add(store, "lee@example.org", "operator")  # one active operator always remains
    result = runner.invoke(args=["staff", "disable", "ana@example.org"])
    assert result.exit_code == 0, result.output
    assert accounts.get(store, "ana@example.org").disabled
    assert accounts.on_duty_phones(store) == []


def test_cli_add_prints_a_one_time_link_without_a_terminal(app, store):
    result = app.test_cli_runner().invoke(args=["staff", "add", "bo@example.org"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1].split()[-1]
    assert "/set-password/" in link
    token = link.rsplit("/", 1)[1]
    assert accounts.email_for_token(store, token) == "bo@example.org"


def test_cli_reports_errors_without_a_traceback(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "duty", "nobody@example.org", "on"])
    assert result.exit_code != 0 and "no account" in result.output
    result = runner.invoke(args=["staff", "add", "cy@example.org", "--phone", "12"])
    assert result.exit_code != 0 and "phone" in result.output
    assert "Traceback" not in result.output
