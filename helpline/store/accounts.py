"""Staff accounts in Redis: the records and the on-duty set; sign-in sessions, one-time links, lock-outs.

An account is a hash of JSON fields named by its account id (the keyed hash of the lower-cased email,
`Vault.account_id`); the email and the duty phone are kept in it only encrypted. No key name or set
holds an email, not even one typed at sign-in. Accounts written when keys were named by the email in
clear move to their id the first time they are read (`_ADOPT`), so nobody is locked out of one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import redis

from helpline.domain.accounts import StaffAccount
from helpline.store import Keys, Vault

# One failed sign-in (KEYS[1]: the account's failures by address; KEYS[2]: the account ids failed from
# the address; ARGV: address, account id, window). Each count lifts `window` seconds after its first
# failure, however many follow.
_RECORD_FAILURE = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HINCRBY', KEYS[1], 'all', 1)
redis.call('SADD', KEYS[2], ARGV[2])
for _, key in ipairs(KEYS) do
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[3]) end
end
"""
# Every live link of an account ends (KEYS[1]: its set of link tokens; ARGV[1]: the link key prefix);
# with ARGV[2..4] (token, account id, seconds) a new link is then the only one.
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
# prefix of the accounts' link sets). ARGV[2] == '1' burns it. Gives the account id it was made for (an
# email for a link made before accounts were named by id).
_OPEN_LINK = """
local account = redis.call('GET', KEYS[1])
if not account then return false end
if redis.call('SISMEMBER', ARGV[1] .. account, ARGV[3]) == 0 then return false end
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', ARGV[1] .. account, ARGV[3])
end
return account
"""
# An account kept under its email in clear moves to its account id, with everything named by the email:
# its links (each live link then names the id), alert choices and failed sign-ins; in the sets of all
# and on-duty accounts the email becomes the id. Idempotent: nothing left under the email, nothing done.
# KEYS: account, links, alerts, failures, each under the email then under the id; all; on duty.
# ARGV: email, account id, the record's sealed email field, the link key prefix.
_ADOPT = """
local moved = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('RENAME', KEYS[1], KEYS[2])
    redis.call('HSET', KEYS[2], 'email', ARGV[3])
  else
    redis.call('DEL', KEYS[1])
  end
  moved = 1
end
for _, token in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if redis.call('EXISTS', ARGV[4] .. token) == 1 then
    redis.call('SET', ARGV[4] .. token, ARGV[2], 'KEEPTTL')
  end
end
for i = 3, 7, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    if redis.call('EXISTS', KEYS[i + 1]) == 0 then
      redis.call('RENAME', KEYS[i], KEYS[i + 1])
    else
      redis.call('DEL', KEYS[i])
    end
  end
end
if redis.call('SREM', KEYS[9], ARGV[1]) == 1 or moved == 1 then redis.call('SADD', KEYS[9], ARGV[2]) end
if redis.call('SREM', KEYS[10], ARGV[1]) == 1 then redis.call('SADD', KEYS[10], ARGV[2]) end
return moved
"""


def _in_clear(name: str) -> bool:
    """Whether a set member or stored name is an email (as written before accounts were named by id)."""
    return "@" in name


class _Ids:
    """Account ids of emails, and the move of accounts kept under an email to their id."""

    def __init__(self, r: redis.Redis, vault: Vault):
        self._r = r
        self._vault = vault
        self._adopt = r.register_script(_ADOPT)

    def of(self, email: str) -> str:
        return self._vault.account_id(email)

    def adopt(self, email: str) -> bool:
        """Move what is kept under `email` in clear to its account id; True when an account moved."""
        email = email.strip().lower()
        account_id = self.of(email)
        keys = [
            Keys.staff_account(email),
            Keys.staff_account(account_id),
            Keys.staff_links(email),
            Keys.staff_links(account_id),
            Keys.staff_alerts(email),
            Keys.staff_alerts(account_id),
            Keys.staff_login_failures("per-account", email),
            Keys.staff_login_failures("per-account", account_id),
            Keys.staff_all,
            Keys.staff_on_duty,
        ]
        args = [email, account_id, json.dumps(self.seal(email)), Keys.staff_set_password("")]
        return bool(self._adopt(keys=keys, args=args, client=self._r))

    def seal(self, email: str) -> str:
        return self._vault.encrypt(email).decode()

    def adopt_listed(self) -> None:
        """Every account still listed under its email moves to its id (an upgrade's first listing)."""
        for member in self._r.smembers(Keys.staff_all):
            if _in_clear(member.decode()):
                self.adopt(member.decode())


class StaffAccounts:
    """Account records, and the set of accounts whose phone rings for "talk to someone now"."""

    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r
        self._vault = vault
        self._ids = _Ids(r, vault)

    def get(self, email: str) -> StaffAccount | None:
        key = Keys.staff_account(self._ids.of(email))
        raw = self._r.hgetall(key)
        if not raw and self._ids.adopt(email):
            raw = self._r.hgetall(key)
        return self._account(raw) if raw else None

    def by_id(self, account_id: str) -> StaffAccount | None:
        raw = self._r.hgetall(Keys.staff_account(account_id))
        return self._account(raw) if raw else None

    def create(self, account: StaffAccount) -> bool:
        """Save a new account; False (nothing written) when the email already has one."""
        self._ids.adopt(account.email)  # one kept under the email in clear counts
        key = Keys.staff_account(self._ids.of(account.email))
        if not self._r.hsetnx(key, "email", json.dumps(self._ids.seal(account.email))):
            return False
        self.save(account)
        return True

    def save(self, account: StaffAccount) -> None:
        pipe = self._r.pipeline()
        self._write(pipe, account)
        pipe.execute()

    def save_keeping_an_operator(self, account: StaffAccount) -> bool:
        """Save `account` unless it is the last active operator and would stop being one; then False
        and nothing is written. Every account is watched, so two operators demoting each other at the
        same moment cannot both succeed."""
        self._ids.adopt_listed()
        own_id = self._ids.of(account.email)
        key = Keys.staff_account(own_id)
        with self._r.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(Keys.staff_all)
                    ids = sorted(e.decode() for e in pipe.smembers(Keys.staff_all))
                    pipe.watch(key, *(Keys.staff_account(i) for i in ids))
                    was_operator = _active_operator(*pipe.hmget(key, "role", "disabled"))
                    others = sum(
                        _active_operator(*pipe.hmget(Keys.staff_account(i), "role", "disabled"))
                        for i in ids
                        if i != own_id
                    )
                    if was_operator and not others and not (account.is_operator and not account.disabled):
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    self._write(pipe, account)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue  # an account changed meanwhile: count again

    def all(self) -> list[StaffAccount]:
        """Every account, by email."""
        return self._listed(Keys.staff_all)

    def on_duty(self) -> list[StaffAccount]:
        """The accounts marked as ringing for "talk to someone now", by email."""
        return self._listed(Keys.staff_on_duty)

    def _listed(self, key: str) -> list[StaffAccount]:
        ids = sorted(i.decode() for i in self._r.smembers(key))
        if any(_in_clear(i) for i in ids):  # listed under the email: moved to its id first
            self._ids.adopt_listed()
            ids = sorted(i.decode() for i in self._r.smembers(key))
        pipe = self._r.pipeline(transaction=False)
        for account_id in ids:
            pipe.hgetall(Keys.staff_account(account_id))
        found = [self._account(raw) for raw in pipe.execute() if raw]
        return sorted(found, key=lambda account: account.email)

    def seal_phone(self, phone: str) -> str:
        """The duty phone as stored in the record: encrypted."""
        return self._vault.encrypt(phone).decode()

    def phone_of(self, account: StaffAccount) -> str | None:
        return self._vault.decrypt(account.phone_enc) if account.phone_enc else None

    def _write(self, pipe, account: StaffAccount) -> None:
        account_id = self._ids.of(account.email)
        fields = {k: json.dumps(v) for k, v in asdict(account).items()}
        fields["email"] = json.dumps(self._ids.seal(account.email))
        pipe.hset(Keys.staff_account(account_id), mapping=fields)
        pipe.sadd(Keys.staff_all, account_id)
        if account.rings:
            pipe.sadd(Keys.staff_on_duty, account_id)
        else:
            pipe.srem(Keys.staff_on_duty, account_id)

    def _account(self, raw: dict) -> StaffAccount:
        data = {k.decode(): json.loads(v) for k, v in raw.items()}
        email = data.get("email", "")
        data["email"] = email if _in_clear(email) else self._vault.decrypt(email)
        return StaffAccount(**{k: v for k, v in data.items() if k in StaffAccount.__dataclass_fields__})


def _active_operator(role: bytes | None, disabled: bytes | None) -> bool:
    return role is not None and json.loads(role) == "operator" and not (disabled and json.loads(disabled))


class SignIns:
    """Server-side sessions, one-time set-password links and failed sign-in counts."""

    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r
        self._vault = vault
        self._ids = _Ids(r, vault)
        self._record_failure = r.register_script(_RECORD_FAILURE)
        self._replace_links = r.register_script(_REPLACE_LINKS)
        self._open_link = r.register_script(_OPEN_LINK)

    def _email_of(self, name: str) -> str | None:
        """The email of the account a session or link names (by id; by email when made before ids)."""
        if _in_clear(name):
            return name
        sealed = self._r.hget(Keys.staff_account(name), "email")
        return self._vault.decrypt(json.loads(sealed)) if sealed else None

    # -- sessions: a random token in the signed cookie names the record -----------------------
    def open_session(self, token: str, email: str, session_version: int, seconds: int) -> None:
        self._r.set(Keys.staff_session(token), f"{self._ids.of(email)} {session_version}", ex=seconds)

    def session(self, token: str) -> tuple[str, str] | None:
        """(email, session version) of an open session, or None once it expired or ended."""
        raw = self._r.get(Keys.staff_session(token))
        if not raw:
            return None
        name, _, version = raw.decode().partition(" ")
        email = self._email_of(name)
        return (email, version) if email else None

    def end_session(self, token: str) -> None:
        self._r.delete(Keys.staff_session(token))

    # -- one-time set-password links: an account has at most one live link -------------------
    def put_link(self, token: str, email: str, seconds: int) -> None:
        """The account's new link; every earlier one stops working."""
        account_id = self._ids.of(email)
        args = [Keys.staff_set_password(""), token, account_id, seconds]
        self._replace_links(keys=[Keys.staff_links(account_id)], args=args, client=self._r)

    def revoke_links(self, email: str) -> None:
        """Every link of the account stops working (its password was set, or it was disabled)."""
        args = [Keys.staff_set_password("")]
        self._replace_links(keys=[Keys.staff_links(self._ids.of(email))], args=args, client=self._r)

    def link_email(self, token: str) -> str | None:
        return self._link(token, burn=False)

    def take_link(self, token: str) -> str | None:
        """The link's email, burning the link in the same step: a link works exactly once."""
        return self._link(token, burn=True)

    def _link(self, token: str, *, burn: bool) -> str | None:
        args = [Keys.staff_links(""), "1" if burn else "0", token]
        name = self._open_link(keys=[Keys.staff_set_password(token)], args=args, client=self._r)
        return self._email_of(name.decode()) if name else None

    # -- failed sign-ins: counted under the account id of whatever email was typed ----------
    def failures(self, email: str, address: str) -> SignInFailures:
        """The failed sign-ins that count now for `email` tried from `address`."""
        by_account = Keys.staff_login_failures("per-account", self._ids.of(email))
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
        account_id = self._ids.of(email)
        keys = [
            Keys.staff_login_failures("per-account", account_id),
            Keys.staff_login_failures("per-address", address),
        ]
        self._record_failure(keys=keys, args=[address, account_id, window], client=self._r)

    def clear_failures(self, email: str, address: str | None = None) -> None:
        """Forget the account's failures from `address`, or from everywhere when no address is given."""
        key = Keys.staff_login_failures("per-account", self._ids.of(email))
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
