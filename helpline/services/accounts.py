"""Staff accounts: who may sign in, with which role, and which phone rings when on duty.

Passwords are argon2 hashes at the cost the settings choose; the duty phone is encrypted like
every other number. Accounts are found by their lower-cased email.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
from dataclasses import dataclass

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from helpline.domain.accounts import (
    ROLES,
    AccountError,
    StaffAccount,
    check_password_strength,
    check_role,
    normalize_email,
    normalize_phone,
)
from helpline.domain.phones import mask_phone
from helpline.store import Store

__all__ = [
    "ROLES",
    "AccountError",
    "LastOperator",
    "LoginLimits",
    "Passwords",
    "SignInLocked",
    "StaffAccount",
]

log = logging.getLogger(__name__)
MAX_TOKEN_LENGTH = 100  # session and link tokens are 43 characters; longer is not one of ours

# A hash names its own parameters, so one verifier checks hashes made at any cost.
_verifier = PasswordHasher()


class Passwords:
    """argon2 hashing at one cost profile (settings.password_hash_profile)."""

    def __init__(self, profile: str):
        parameters = getattr(profiles, profile.upper(), None)
        if not isinstance(parameters, Parameters):
            raise ValueError(f"unknown argon2 profile {profile!r} (see argon2.profiles)")
        self._hasher = PasswordHasher.from_parameters(parameters)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def dummy_verify(self, password: str) -> None:
        """Spend the time a real check takes, so unknown emails cannot be told apart by timing."""
        _check(self._dummy_hash, password)

    @functools.cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash(secrets.token_urlsafe(16))


def verify_password(account: StaffAccount, password: str) -> bool:
    return _check(account.password_hash, password) if account.password_hash else False


def _check(password_hash: str, password: str) -> bool:
    try:
        return _verifier.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


# -- accounts ------------------------------------------------------------------------------------


class LastOperator(AccountError):
    """The change would leave no active operator: nobody could run the line, or undo the change."""

    def __init__(self, email: str):
        super().__init__(
            f"{email} is the last active operator: make another account an operator first, "
            "so someone can still run the line"
        )


class NoDutyPhone(AccountError):
    """Going on duty with no phone to ring, none given now and none kept from before."""

    def __init__(self):
        super().__init__("a phone number is needed to go on duty")


def check_keeps_an_operator(store: Store, email: str, action: str, role: str = "") -> None:
    """Raise LastOperator now when disabling `email`, or making it `role`, would leave no active
    operator (the save checks again, atomically; this spares asking to confirm a refused change)."""
    account = get(store, email)
    if account is None or not account.is_operator or account.disabled:
        return
    if action == "role" and role == "operator":
        return
    if action not in ("disable", "role"):
        return
    if not any(a.is_operator and not a.disabled and a.email != account.email for a in all_accounts(store)):
        raise LastOperator(account.email)


def _save_keeping_an_operator(store: Store, account: StaffAccount) -> None:
    if not store.accounts.save_keeping_an_operator(account):
        raise LastOperator(account.email)


def get(store: Store, email: str) -> StaffAccount | None:
    try:
        return store.accounts.get(normalize_email(email))
    except AccountError:
        return None


def all_accounts(store: Store) -> list[StaffAccount]:
    return store.accounts.all()


def add(
    store: Store,
    email: str,
    role: str = "staff",
    *,
    password: str | None = None,
    phone: str | None = None,
    passwords: Passwords | None = None,
) -> StaffAccount:
    """Create an account; without a password it can only be used through a set-password link."""
    email = normalize_email(email)
    check_role(role)
    account = StaffAccount(email=email, role=role, created=time.time())
    if password is not None:
        if passwords is None:
            raise TypeError("a password is hashed at the settings' cost: pass `passwords`")
        check_password_strength(password)
        account.password_hash = passwords.hash(password)
    if phone:
        account.phone_enc = store.accounts.seal_phone(normalize_phone(phone))
    if not store.accounts.create(account):
        raise AccountError(f"{email} already has an account")
    log.info("event=staff.added role=%s", role)
    return account


def _require(store: Store, email: str) -> StaffAccount:
    account = get(store, email)
    if not account:
        raise AccountError(f"no account for {email}")
    return account


def set_password(store: Store, passwords: Passwords, email: str, password: str) -> StaffAccount:
    """A new password ends the sessions opened with the old one and every set-password link."""
    check_password_strength(password)
    account = _require(store, email)
    account.password_hash = passwords.hash(password)
    account.session_version += 1
    store.accounts.save(account)
    store.sign_ins.revoke_links(account.email)
    clear_login_failures(store, account.email)  # a lock from wrong guesses at the old one lifts
    return account


def set_disabled(store: Store, email: str, disabled: bool = True) -> StaffAccount:
    account = _require(store, email)
    account.disabled = disabled
    account.session_version += 1  # ends every open session at once
    if disabled:
        account.on_duty = False
    _save_keeping_an_operator(store, account)  # raises LastOperator, and nothing changes
    if disabled:
        store.sign_ins.revoke_links(account.email)  # nor can a link it was sent let anyone in
    log.info("event=staff.disabled disabled=%s", disabled)
    return account


def set_role(store: Store, email: str, role: str) -> StaffAccount:
    """Make an account staff or operator; raises LastOperator rather than leave no active operator."""
    check_role(role)
    account = _require(store, email)
    account.role = role
    _save_keeping_an_operator(store, account)
    log.info("event=staff.role role=%s", role)
    return account


def set_duty(store: Store, email: str, on_duty: bool, phone: str | None = None) -> StaffAccount:
    """Go on or off duty; going on duty needs a phone (given now or kept from before)."""
    account = _require(store, email)
    if account.disabled:
        raise AccountError("this account is disabled")
    if phone:
        account.phone_enc = store.accounts.seal_phone(normalize_phone(phone))
    if on_duty and not account.phone_enc:
        raise NoDutyPhone()
    account.on_duty = on_duty
    store.accounts.save(account)
    log.info("event=staff.duty on=%s phone=%s", on_duty, mask_phone(phone_of(store, account)))
    return account


def phone_of(store: Store, account: StaffAccount) -> str | None:
    return store.accounts.phone_of(account)


def on_duty_phones(store: Store) -> list[str]:
    """The E.164 numbers to ring for "talk to someone now", in a stable order."""
    return [phone_of(store, account) for account in store.accounts.on_duty() if account.rings]


# -- sessions ------------------------------------------------------------------------------------


def open_session(store: Store, account: StaffAccount, seconds: int) -> str:
    """A new server-side session for `account`; its token goes in the signed cookie."""
    token = secrets.token_urlsafe(32)
    store.sign_ins.open_session(token, account.email, account.session_version, seconds)
    return token


def session_account(store: Store, token: str) -> StaffAccount | None:
    """The account a session belongs to, while the session is open and the account still allows it."""
    session = store.sign_ins.session(token) if token and len(token) < MAX_TOKEN_LENGTH else None
    if not session:
        return None
    email, version = session
    account = get(store, email)
    if not account or account.disabled or str(account.session_version) != version:
        return None
    return account


def end_session(store: Store, token: str) -> None:
    store.sign_ins.end_session(token)


# -- one-time set-password links ----------------------------------------------------------------


def issue_set_password_token(store: Store, email: str, seconds: int) -> str:
    """A one-time link token for `email`, usable for `seconds` (settings.set_password_link_seconds).

    Every link issued earlier for the account stops working: only the newest one is live.
    """
    account = _require(store, email)
    token = secrets.token_urlsafe(32)
    store.sign_ins.put_link(token, account.email, seconds)
    return token


def email_for_token(store: Store, token: str) -> str | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return store.sign_ins.link_email(token)


def use_set_password_token(store: Store, passwords: Passwords, token: str, password: str) -> StaffAccount:
    """Set the password and burn the link: a link works exactly once."""
    check_password_strength(password)
    email = store.sign_ins.take_link(token) if token and len(token) <= MAX_TOKEN_LENGTH else None
    if not email:
        raise AccountError("this link has expired or was already used")
    return set_password(store, passwords, email, password)


# -- sign-in throttling -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginLimits:
    """How many wrong passwords are allowed, and for how long a lock lasts.

    Locks are kept narrow so that nobody can lock someone else out by typing wrong passwords for them:
    - one account from one address: `per_account` wrong passwords lock that account from that address;
    - one account from everywhere: past `per_account_everywhere`, an address that has failed for the
      account gets no more tries, while an address that has not can still sign in with the password;
    - one address: wrong passwords for `per_address` different (or unknown) emails lock the address.
    """

    per_account: int
    per_account_everywhere: int
    per_address: int
    window: int

    @classmethod
    def from_settings(cls, settings) -> LoginLimits:
        return cls(
            per_account=settings.login_failures_per_account,
            per_account_everywhere=settings.login_failures_per_account_everywhere,
            per_address=settings.login_failures_per_address,
            window=settings.login_lock_seconds,
        )


class SignInLocked(Exception):
    """Too many failed sign-ins: no password is checked until `seconds` have passed."""

    def __init__(self, seconds: int, reason: str):
        self.seconds = seconds
        self.reason = reason  # "account" (this account from here) or "address" (anything from here)
        minutes = max(1, -(-seconds // 60))
        wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
        if reason == "address":
            super().__init__(f"Too many failed sign-ins from this network. Try again in {wait}.")
        else:
            super().__init__(
                f"Too many failed sign-ins for this account from here. Try again in {wait}, "
                "or ask an operator for a link to set a new password."
            )


def check_login_allowed(store: Store, email: str, address: str, limits: LoginLimits) -> None:
    """Raise SignInLocked when `email` may not be tried from `address` now (before any password check)."""
    failures = store.sign_ins.failures(_failure_email(email), address)
    if failures.accounts_from_here >= limits.per_address:
        raise SignInLocked(failures.address_seconds_left or limits.window, "address")
    # Past the account's limit, only addresses that have not failed for it may still try.
    allowed_here = limits.per_account if failures.everywhere < limits.per_account_everywhere else 1
    if failures.from_here >= allowed_here:
        raise SignInLocked(failures.account_seconds_left or limits.window, "account")


def record_login_failure(store: Store, email: str, address: str, limits: LoginLimits) -> None:
    store.sign_ins.record_failure(_failure_email(email), address, limits.window)


def clear_login_failures(store: Store, email: str, address: str | None = None) -> None:
    """After a sign-in: forget the account's failures from that address (from everywhere with none)."""
    store.sign_ins.clear_failures(_failure_email(email), address)


def _failure_email(email: str) -> str:
    return (email or "").strip().lower()[:254]
