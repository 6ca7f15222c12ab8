"""Staff accounts in Redis: the records and the on-duty set; sign-in sessions, one-time links, lock-outs.

An account is a hash of JSON fields found by its lower-cased email; its duty phone is encrypted
like every other number.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import redis

from helpline.domain.accounts import StaffAccount
from helpline.store import Keys, Vault

# One failed sign-in, counted for the account and for the address at once. The lock lifts
# `window` seconds after the first failure, however many follow.
_RECORD_FAILURE = """
for _, key in ipairs(KEYS) do
  redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[1]) end
end
"""


class StaffAccounts:
    """Account records, and the set of accounts whose phone rings for "talk to someone now"."""

    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r
        self._vault = vault

    def get(self, email: str) -> StaffAccount | None:
        raw = self._r.hgetall(Keys.staff_account(email))
        return _account(raw) if raw else None

    def create(self, account: StaffAccount) -> bool:
        """Save a new account; False (nothing written) when the email already has one."""
        if not self._r.hsetnx(Keys.staff_account(account.email), "email", json.dumps(account.email)):
            return False
        self.save(account)
        return True

    def save(self, account: StaffAccount) -> None:
        pipe = self._r.pipeline()
        pipe.hset(
            Keys.staff_account(account.email), mapping={k: json.dumps(v) for k, v in asdict(account).items()}
        )
        pipe.sadd(Keys.staff_all, account.email)
        if account.rings:
            pipe.sadd(Keys.staff_on_duty, account.email)
        else:
            pipe.srem(Keys.staff_on_duty, account.email)
        pipe.execute()

    def emails(self) -> list[str]:
        return sorted(e.decode() for e in self._r.smembers(Keys.staff_all))

    def on_duty_emails(self) -> list[str]:
        return sorted(e.decode() for e in self._r.smembers(Keys.staff_on_duty))

    def seal_phone(self, phone: str) -> str:
        """The duty phone as stored in the record: encrypted."""
        return self._vault.encrypt(phone).decode()

    def phone_of(self, account: StaffAccount) -> str | None:
        return self._vault.decrypt(account.phone_enc) if account.phone_enc else None


class SignIns:
    """Server-side sessions, one-time set-password links and failed sign-in counts."""

    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r
        self._record_failure = r.register_script(_RECORD_FAILURE)

    # -- sessions: a random token in the signed cookie names the record -----------------------
    def open_session(self, token: str, email: str, session_version: int, seconds: int) -> None:
        self._r.set(Keys.staff_session(token), f"{email} {session_version}", ex=seconds)

    def session(self, token: str) -> tuple[str, str] | None:
        """(email, session version) of an open session, or None once it expired or ended."""
        raw = self._r.get(Keys.staff_session(token))
        if not raw:
            return None
        email, _, version = raw.decode().partition(" ")
        return email, version

    def end_session(self, token: str) -> None:
        self._r.delete(Keys.staff_session(token))

    # -- one-time set-password links ---------------------------------------------------------
    def put_link(self, token: str, email: str, seconds: int) -> None:
        self._r.set(Keys.staff_set_password(token), email, ex=seconds)

    def link_email(self, token: str) -> str | None:
        email = self._r.get(Keys.staff_set_password(token))
        return email.decode() if email else None

    def take_link(self, token: str) -> str | None:
        """The link's email, burning the link (GETDEL: a link works exactly once)."""
        email = self._r.getdel(Keys.staff_set_password(token))
        return email.decode() if email else None

    # -- failed sign-ins ---------------------------------------------------------------------
    def failures(self, email: str, address: str) -> tuple[int, int]:
        """Failed sign-ins counted now for (this account, this address)."""
        values = self._r.mget(
            [Keys.staff_login_failures("account", email), Keys.staff_login_failures("address", address)]
        )
        by_account, by_address = (int(v or 0) for v in values)
        return by_account, by_address

    def record_failure(self, email: str, address: str, window: int) -> None:
        keys = [Keys.staff_login_failures("account", email), Keys.staff_login_failures("address", address)]
        self._record_failure(keys=keys, args=[window], client=self._r)

    def clear_failures(self, email: str) -> None:
        self._r.delete(Keys.staff_login_failures("account", email))


def _account(raw: dict) -> StaffAccount:
    data = {k.decode(): json.loads(v) for k, v in raw.items()}
    return StaffAccount(**{k: v for k, v in data.items() if k in StaffAccount.__dataclass_fields__})
