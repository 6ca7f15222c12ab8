"""Staff accounts in Redis: the records and the on-duty set; sign-in sessions, one-time links, lock-outs.

An account is a hash of JSON fields found by its lower-cased email; its duty phone is encrypted
like every other number.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import redis

from helpline.domain.accounts import StaffAccount
from helpline.store import Keys, Vault

# One failed sign-in (KEYS[1]: the account's failures by address; KEYS[2]: the emails failed from the
# address; ARGV: address, email, window). Each count lifts `window` seconds after its first failure,
# however many follow.
_RECORD_FAILURE = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HINCRBY', KEYS[1], 'all', 1)
redis.call('SADD', KEYS[2], ARGV[2])
for _, key in ipairs(KEYS) do
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[3]) end
end
"""
# Every live link of an account ends (KEYS[1]: its set of link tokens; ARGV[1]: the link key prefix);
# with ARGV[2..4] (token, email, seconds) a new link is then the only one.
_REPLACE_LINKS = """
for _, token in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', ARGV[1] .. token) end
redis.call('DEL', KEYS[1])
if ARGV[2] then
  redis.call('SET', ARGV[1] .. ARGV[2], ARGV[3], 'EX', ARGV[4])
  redis.call('SADD', KEYS[1], ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
end
"""
# A link works once, and only while it is its account's live link (KEYS[1]: the link, then ARGV[1]: the
# prefix of the accounts' link sets). ARGV[2] == '1' burns it.
_OPEN_LINK = """
local email = redis.call('GET', KEYS[1])
if not email then return false end
if redis.call('SISMEMBER', ARGV[1] .. email, ARGV[3]) == 0 then return false end
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', ARGV[1] .. email, ARGV[3])
end
return email
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
        _write(pipe, account)
        pipe.execute()

    def save_keeping_an_operator(self, account: StaffAccount) -> bool:
        """Save `account` unless it is the last active operator and would stop being one; then False
        and nothing is written. Every account is watched, so two operators demoting each other at the
        same moment cannot both succeed."""
        key = Keys.staff_account(account.email)
        with self._r.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(Keys.staff_all)
                    emails = sorted(e.decode() for e in pipe.smembers(Keys.staff_all))
                    pipe.watch(key, *(Keys.staff_account(e) for e in emails))
                    was_operator = _active_operator(*pipe.hmget(key, "role", "disabled"))
                    others = sum(
                        _active_operator(*pipe.hmget(Keys.staff_account(e), "role", "disabled"))
                        for e in emails
                        if e != account.email
                    )
                    if was_operator and not others and not (account.is_operator and not account.disabled):
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    _write(pipe, account)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue  # an account changed meanwhile: count again

    def emails(self) -> list[str]:
        return sorted(e.decode() for e in self._r.smembers(Keys.staff_all))

    def on_duty_emails(self) -> list[str]:
        return sorted(e.decode() for e in self._r.smembers(Keys.staff_on_duty))

    def seal_phone(self, phone: str) -> str:
        """The duty phone as stored in the record: encrypted."""
        return self._vault.encrypt(phone).decode()

    def phone_of(self, account: StaffAccount) -> str | None:
        return self._vault.decrypt(account.phone_enc) if account.phone_enc else None


def _write(pipe, account: StaffAccount) -> None:
    pipe.hset(
        Keys.staff_account(account.email), mapping={k: json.dumps(v) for k, v in asdict(account).items()}
    )
    pipe.sadd(Keys.staff_all, account.email)
    if account.rings:
        pipe.sadd(Keys.staff_on_duty, account.email)
    else:
        pipe.srem(Keys.staff_on_duty, account.email)


def _active_operator(role: bytes | None, disabled: bytes | None) -> bool:
    return role is not None and json.loads(role) == "operator" and not (disabled and json.loads(disabled))


class SignIns:
    """Server-side sessions, one-time set-password links and failed sign-in counts."""

    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r
        self._record_failure = r.register_script(_RECORD_FAILURE)
        self._replace_links = r.register_script(_REPLACE_LINKS)
        self._open_link = r.register_script(_OPEN_LINK)

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

    # -- one-time set-password links: an account has at most one live link -------------------
    def put_link(self, token: str, email: str, seconds: int) -> None:
        """The account's new link; every earlier one stops working."""
        args = [Keys.staff_set_password(""), token, email, seconds]
        self._replace_links(keys=[Keys.staff_links(email)], args=args, client=self._r)

    def revoke_links(self, email: str) -> None:
        """Every link of the account stops working (its password was set, or it was disabled)."""
        args = [Keys.staff_set_password("")]
        self._replace_links(keys=[Keys.staff_links(email)], args=args, client=self._r)

    def link_email(self, token: str) -> str | None:
        return self._link(token, burn=False)

    def take_link(self, token: str) -> str | None:
        """The link's email, burning the link in the same step: a link works exactly once."""
        return self._link(token, burn=True)

    def _link(self, token: str, *, burn: bool) -> str | None:
        args = [Keys.staff_links(""), "1" if burn else "0", token]
        email = self._open_link(keys=[Keys.staff_set_password(token)], args=args, client=self._r)
        return email.decode() if email else None

    # -- failed sign-ins ---------------------------------------------------------------------
    def failures(self, email: str, address: str) -> SignInFailures:
        """The failed sign-ins that count now for `email` tried from `address`."""
        by_account = Keys.staff_login_failures("per-account", email)
        by_address = Keys.staff_login_failures("per-address", address)
        pipe = self._r.pipeline(transaction=False)
        pipe.hmget(by_account, address, "all")
        pipe.ttl(by_account)
        pipe.scard(by_address)
        pipe.ttl(by_address)
        (from_here, everywhere), account_ttl, accounts_from_here, address_ttl = pipe.execute()
        return SignInFailures(
            from_here=int(from_here or 0),
            everywhere=int(everywhere or 0),
            accounts_from_here=accounts_from_here,
            account_seconds_left=max(account_ttl, 0),
            address_seconds_left=max(address_ttl, 0),
        )

    def record_failure(self, email: str, address: str, window: int) -> None:
        keys = [
            Keys.staff_login_failures("per-account", email),
            Keys.staff_login_failures("per-address", address),
        ]
        self._record_failure(keys=keys, args=[address, email, window], client=self._r)

    def clear_failures(self, email: str, address: str | None = None) -> None:
        """Forget the account's failures from `address`, or from everywhere when no address is given."""
        key = Keys.staff_login_failures("per-account", email)
        if address is None:
            self._r.delete(key)
        else:
            self._r.hdel(key, address)


@dataclass(frozen=True)
class SignInFailures:
    from_here: int  # wrong passwords for this account from this address
    everywhere: int  # wrong passwords for this account from any address
    accounts_from_here: int  # different emails (known or not) that failed from this address
    account_seconds_left: int  # until the account's counts lift
    address_seconds_left: int  # until the address's count lifts


def _account(raw: dict) -> StaffAccount:
    data = {k.decode(): json.loads(v) for k, v in raw.items()}
    return StaffAccount(**{k: v for k, v in data.items() if k in StaffAccount.__dataclass_fields__})
