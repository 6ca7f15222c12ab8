"""Staff accounts in Redis: who may sign in, with which role, and which phone rings when on duty.

Passwords are argon2 hashes; the duty phone is encrypted like every other number. Accounts are
found by their lower-cased email.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
import time
from dataclasses import asdict, dataclass

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from helpline.domain.phones import mask_phone
from helpline.store import Keys, Store

log = logging.getLogger(__name__)

ROLES = ("staff", "operator")
SET_PASSWORD_TTL = 48 * 3600  # a one-time link stays usable over a weekend, not longer
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


class AccountError(ValueError):
    """An account cannot be created or changed as asked (unknown, exists, bad role/phone/password)."""


@dataclass
class StaffAccount:
    email: str
    role: str = "staff"  # staff | operator (operators can do everything staff can)
    password_hash: str = ""
    disabled: bool = False
    phone_enc: str = ""  # encrypted E.164 number rung when on duty
    on_duty: bool = False
    created: float = 0.0
    session_version: int = 0  # bumped to end every open session (disable, password change)

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def to_redis(self) -> dict:
        return {k: json.dumps(v) for k, v in asdict(self).items()}

    @classmethod
    def from_redis(cls, raw: dict) -> StaffAccount:
        data = {k.decode() if isinstance(k, bytes) else k: json.loads(v) for k, v in raw.items()}
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise AccountError(f"not an email address: {email!r}")
    return email


def normalize_phone(phone: str, region: str = "US") -> str:
    """A phone as staff type it -> E.164, or AccountError when it cannot be a real number."""
    try:
        parsed = phonenumbers.parse((phone or "").strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise AccountError("not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise AccountError("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


def get(store: Store, email: str) -> StaffAccount | None:
    try:
        key = Keys.staff_account(normalize_email(email))
    except AccountError:
        return None
    raw = store.r.hgetall(key)
    return StaffAccount.from_redis(raw) if raw else None


def save(store: Store, account: StaffAccount) -> None:
    pipe = store.r.pipeline()
    pipe.hset(Keys.staff_account(account.email), mapping=account.to_redis())
    pipe.sadd(Keys.staff_all, account.email)
    if account.on_duty and account.phone_enc and not account.disabled:
        pipe.sadd(Keys.staff_on_duty, account.email)
    else:
        pipe.srem(Keys.staff_on_duty, account.email)
    pipe.execute()


def all_accounts(store: Store) -> list[StaffAccount]:
    emails = sorted(e.decode() for e in store.r.smembers(Keys.staff_all))
    return [a for a in (get(store, e) for e in emails) if a]


def add(
    store: Store, email: str, role: str = "staff", *, password: str | None = None, phone: str | None = None
) -> StaffAccount:
    """Create an account; without a password it can only be used through a set-password link."""
    email = normalize_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    account = StaffAccount(email=email, role=role, created=time.time())
    if password is not None:
        check_password_strength(password)
        account.password_hash = _hasher.hash(password)
    if phone:
        account.phone_enc = store.vault.encrypt(normalize_phone(phone)).decode()
    if not store.r.hsetnx(Keys.staff_account(email), "email", json.dumps(email)):
        raise AccountError(f"{email} already has an account")
    save(store, account)
    log.info("event=staff.added role=%s", role)
    return account


def _require(store: Store, email: str) -> StaffAccount:
    account = get(store, email)
    if not account:
        raise AccountError(f"no account for {email}")
    return account


def set_password(store: Store, email: str, password: str) -> StaffAccount:
    check_password_strength(password)
    account = _require(store, email)
    account.password_hash = _hasher.hash(password)
    account.session_version += 1  # a new password ends sessions opened with the old one
    save(store, account)
    return account


def verify_password(account: StaffAccount, password: str) -> bool:
    if not account.password_hash:
        return False
    try:
        return _hasher.verify(account.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify(password: str) -> None:
    """Spend the time a real check takes, so unknown emails cannot be told apart by timing."""
    verify_password(StaffAccount(email="-", password_hash=_dummy_hash()), password)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def set_disabled(store: Store, email: str, disabled: bool = True) -> StaffAccount:
    account = _require(store, email)
    account.disabled = disabled
    account.session_version += 1  # ends every open session at once
    if disabled:
        account.on_duty = False
    save(store, account)
    log.info("event=staff.disabled disabled=%s", disabled)
    return account


def set_role(store: Store, email: str, role: str) -> StaffAccount:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    account = _require(store, email)
    account.role = role
    save(store, account)
    return account


def set_duty(store: Store, email: str, on_duty: bool, phone: str | None = None) -> StaffAccount:
    """Go on or off duty; going on duty needs a phone (given now or kept from before)."""
    account = _require(store, email)
    if account.disabled:
        raise AccountError("this account is disabled")
    if phone:
        account.phone_enc = store.vault.encrypt(normalize_phone(phone)).decode()
    if on_duty and not account.phone_enc:
        raise AccountError("a phone number is needed to go on duty")
    account.on_duty = on_duty
    save(store, account)
    log.info("event=staff.duty on=%s phone=%s", on_duty, mask_phone(phone_of(store, account)))
    return account


def phone_of(store: Store, account: StaffAccount) -> str | None:
    return store.vault.decrypt(account.phone_enc) if account.phone_enc else None


def on_duty_phones(store: Store) -> list[str]:
    """The E.164 numbers to ring for "talk to someone now", in a stable order."""
    phones = []
    for email in sorted(e.decode() for e in store.r.smembers(Keys.staff_on_duty)):
        account = get(store, email)
        if account and account.on_duty and not account.disabled and account.phone_enc:
            phones.append(phone_of(store, account))
    return phones


# -- one-time set-password links ----------------------------------------------------------------


def issue_set_password_token(store: Store, email: str) -> str:
    account = _require(store, email)
    token = secrets.token_urlsafe(32)
    store.r.set(Keys.staff_set_password(token), account.email, ex=SET_PASSWORD_TTL)
    return token


def email_for_token(store: Store, token: str) -> str | None:
    if not token or len(token) > 100:
        return None
    email = store.r.get(Keys.staff_set_password(token))
    return email.decode() if email else None


def use_set_password_token(store: Store, token: str, password: str) -> StaffAccount:
    """Set the password and burn the link (GETDEL: a link works exactly once)."""
    check_password_strength(password)
    email = store.r.getdel(Keys.staff_set_password(token)) if token and len(token) <= 100 else None
    if not email:
        raise AccountError("this link has expired or was already used")
    return set_password(store, email.decode(), password)


# -- sign-in throttling -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginLimits:
    per_account: int = 5  # wrong passwords for one account before it is locked for `window`
    per_address: int = 20  # failed sign-ins from one address (any account) before it is locked
    window: int = 15 * 60


def login_blocked(store: Store, email: str, address: str, limits: LoginLimits) -> bool:
    pipe = store.r.pipeline()
    pipe.get(Keys.staff_login_failures("account", email.lower()))
    pipe.get(Keys.staff_login_failures("address", address))
    by_account, by_address = (int(v or 0) for v in pipe.execute())
    return by_account >= limits.per_account or by_address >= limits.per_address


def record_login_failure(store: Store, email: str, address: str, limits: LoginLimits) -> None:
    for kind, who in (("account", email.lower()[:254]), ("address", address)):
        key = Keys.staff_login_failures(kind, who)
        pipe = store.r.pipeline()
        pipe.incr(key)
        pipe.ttl(key)
        _, ttl = pipe.execute()
        if ttl < 0:  # the lock lifts `window` after the first failure, however many follow
            store.r.expire(key, limits.window)


def clear_login_failures(store: Store, email: str) -> None:
    store.r.delete(Keys.staff_login_failures("account", email.lower()))
