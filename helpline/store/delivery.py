"""Outbound delivery in Redis: the marker that makes each send happen once, numbers Twilio refused,
Twilio's status reports per message or call, and the development outbox.

A send's marker (`Keys.sent`) reads `sending:<time>` while a worker asks Twilio, then `sent:<sid>`
(or `sent:outbox`) once it went out, or `failed:<code>` after a final refusal.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable

import redis

from helpline.store import Keys, StoreUnavailable, Vault
from helpline.store.client import HeldConnection
from helpline.store.counters import lua_count

OUTBOX_LIMIT = 1000  # development mode: the latest messages are enough to read
STATUS_TRIES = 3  # a status callback's transaction interrupted (a dropped connection): tried again

# Opt-out, blocklist and invalid checks, the number's sending pace and the idempotency claim in one
# round trip (ARGV[4] == '1': a text, which neither an opted-out nor a blocked number gets, and which
# waits, `wait:<score of the oldest send>`, while ARGV[7] texts went to the number since ARGV[6]).
_CLAIM = """
if ARGV[4] == '1' and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'opted_out' end
if ARGV[4] == '1' and redis.call('HEXISTS', KEYS[4], ARGV[1]) == 1 then return 'blocked' end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 'invalid' end
local marker = redis.call('GET', KEYS[3])
if marker then return marker end
if ARGV[4] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[6])
  if redis.call('ZCARD', KEYS[5]) >= tonumber(ARGV[7]) then
    return 'wait:' .. redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')[2]
  end
  redis.call('ZADD', KEYS[5], ARGV[5], ARGV[8])
  redis.call('EXPIRE', KEYS[5], ARGV[9])
end
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
return 'claimed'
"""
# A send recorded at once: its marker, the texter's conversation entry (ARGV[3], '' for a call) and the
# counter's hour, day and total buckets.
_RECORD_SENT = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('RPUSH', KEYS[2], ARGV[3])
  redis.call('LTRIM', KEYS[2], -200, -1)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
""" + lua_count("KEYS[3]", "KEYS[4]", "KEYS[5]", "KEYS[6]", "ARGV[5]", "ARGV[6]", "ARGV[7]")


class Deliveries:
    """Sent markers, refused numbers, delivery statuses and the outbox.

    A send is recorded in one transaction with the conversation line and the counter it adds, so
    `append_turn` and `count` (the store's own writers, taking `pipe=`) are handed in.
    """

    def __init__(
        self,
        r: redis.Redis,
        vault: Vault,
        retention: int,
        *,
        append_turn: Callable[..., None],
        count: Callable[..., None],
        entry_of: Callable[[str], bytes],
        counter_keys: Callable[[str], tuple[str, str, str]],
        counter_lifetimes: tuple[int, int],
        held: HeldConnection,
    ):
        self._r = r
        self.vault = vault
        self.retention = retention
        self._append_turn = append_turn
        self._count = count
        self._entry_of = entry_of  # a text out as the sealed conversation entry the store keeps
        self._counter_keys, self._counter_lifetimes = counter_keys, counter_lifetimes
        self._claim = r.register_script(_CLAIM)
        self._record_sent = r.register_script(_RECORD_SENT)
        self._held = held  # both scripts run once per send, on the sending thread's kept connection

    # -- the marker of one send ------------------------------------------------------------
    def claim(
        self,
        key: str,
        phone_id: str,
        *,
        now: float,
        ttl: int,
        check_opt_out: bool,
        pace: tuple[int, int] = (0, 0),
    ) -> str:
        """`opted_out`, `blocked`, `invalid`, `claimed` (ours to send now), `wait:<when the oldest send in
        the window went>`, or the marker an earlier attempt left. `check_opt_out`: a text (an opted-out or
        blocked number gets none, and at most `pace` = (texts, seconds) go to one number)."""
        texts, seconds = pace if pace[0] else (1_000_000, 1)
        keys = (Keys.optouts, Keys.invalid_numbers, Keys.sent(key), Keys.blocklist, Keys.send_pace(phone_id))
        args = (phone_id, f"sending:{now}", ttl, "1" if check_opt_out else "0")
        args += (repr(now), repr(now - seconds), texts, key, seconds)
        result = self._held.run(self._claim, keys, args)
        return (result or b"").decode() if isinstance(result, bytes) else str(result or "")

    def reclaim(self, key: str, *, now: float, ttl: int) -> None:
        """Twilio has no trace of the attempt that died: this attempt sends, from `now`."""
        self._r.set(Keys.sent(key), f"sending:{now}", ex=ttl)

    def release(self, key: str, phone_id: str | None = None) -> None:
        """Twilio created nothing (429/5xx): the retry may send, and the send does not count in the pace."""
        with self._r.pipeline(transaction=False) as pipe:
            pipe.delete(Keys.sent(key))
            if phone_id:
                pipe.zrem(Keys.send_pace(phone_id), key)
            pipe.execute()

    def record_sent(
        self, key: str, sid: str, *, ttl: int, counter: str, text: tuple[str, str] | None = None
    ) -> None:
        """`sent:<sid>`, the counter and the texter's conversation line `(phone_id, body)`, in one step."""
        hour, day, total = self._counter_keys(counter)
        conversation = Keys.conversation(text[0]) if text else Keys.sent(key)  # a call has no line
        keys = (Keys.sent(key), conversation, hour, day, total, Keys.stat_names)
        entry = self._entry_of(text[1]) if text else b""
        args = (f"sent:{sid}", ttl, entry, self.retention, *self._counter_lifetimes, counter)
        self._held.run(self._record_sent, keys, args)

    def record_refused(self, key: str, code: object, *, ttl: int) -> None:
        """A final refusal: never asked again for this send, counted by Twilio's error code."""
        with self._r.pipeline(transaction=True) as pipe:
            pipe.set(Keys.sent(key), f"failed:{code}", ex=ttl)
            self._count(f"delivery.failed.{code}", pipe=pipe)
            pipe.execute()

    # -- numbers Twilio refused as invalid -------------------------------------------------
    def mark_invalid(self, phone_id: str) -> None:
        self._r.sadd(Keys.invalid_numbers, phone_id)

    def is_invalid(self, phone_id: str) -> bool:
        return bool(self._r.sismember(Keys.invalid_numbers, phone_id))

    # -- development outbox ----------------------------------------------------------------
    def skip_reason(self, phone_id: str, *, check_opt_out: bool) -> str | None:
        """`opted_out`, `blocked` or `invalid` when nothing may go to this number, else None."""
        with self._r.pipeline(transaction=False) as pipe:
            pipe.sismember(Keys.optouts, phone_id)
            pipe.sismember(Keys.invalid_numbers, phone_id)
            pipe.hexists(Keys.blocklist, phone_id)
            opted_out, invalid, blocked = pipe.execute()
        if check_opt_out and opted_out:
            return "opted_out"
        if check_opt_out and blocked:
            return "blocked"
        return "invalid" if invalid else None

    def to_outbox(
        self,
        key: str,
        entry: dict,
        *,
        ttl: int,
        counter: str | None = None,
        text: tuple[str, str] | None = None,
    ) -> bool:
        """The outbox entry, its sent marker, counter and conversation line in one transaction.

        False when this send is already in the outbox.
        """
        marker = Keys.sent(key)
        if self._r.exists(marker):
            return False
        with self._r.pipeline(transaction=True) as pipe:
            pipe.set(marker, b"sent:outbox", ex=ttl)
            pipe.rpush(Keys.outbox, self.vault.encrypt(json.dumps(entry)))
            pipe.ltrim(Keys.outbox, -OUTBOX_LIMIT, -1)
            pipe.expire(Keys.outbox, self.retention)
            if text is not None:
                self._append_turn(text[0], "out", text[1], pipe=pipe)
            if counter:
                self._count(counter, pipe=pipe)
            pipe.execute()
        return True

    def outbox(self, start: int = 0) -> list[dict]:
        """What development mode 'sent', oldest first (decrypted: the simulator and ops test phone)."""
        return [json.loads(self.vault.decrypt(m)) for m in self._r.lrange(Keys.outbox, start, -1)]

    def outbox_length(self) -> int:
        return int(self._r.llen(Keys.outbox))

    def outbox_cursor(self) -> bytes | None:
        """Where the outbox ends now; `outbox_after` gives what is added after it."""
        return self._r.lindex(Keys.outbox, -1)

    def outbox_after(self, cursor: bytes | None) -> list[dict]:
        """Entries added after `cursor`, oldest first. The cursor is the entry itself (each one is
        unique ciphertext), not a position: the list is trimmed to its newest entries as it grows."""
        entries = self._r.lrange(Keys.outbox, 0, -1)
        if cursor is not None and cursor in entries:
            entries = entries[len(entries) - entries[::-1].index(cursor) :]
        return [json.loads(self.vault.decrypt(m)) for m in entries]

    # -- Twilio's status callbacks ---------------------------------------------------------
    def record_status(
        self,
        sid: str,
        status: str,
        fields: dict,
        *,
        ttl: int,
        rank: int,
        counters: Iterable[tuple[str, int]] = (),
    ) -> bool:
        """Keep the status of a sid and count it, when it moves the sid forward: False (nothing written)
        when this (sid, status) was recorded, or one of the same or a later `rank` was (Twilio's callbacks
        can come in any order; a message has one final status, counted once).

        The (sid, status) is marked recorded in the transaction that records it: a callback that
        failed halfway is recorded by Twilio's retry, one recorded is never counted twice.
        """
        seen = Keys.webhook_seen("status", f"{sid}:{status}")
        key = Keys.delivery(sid)
        for _ in range(STATUS_TRIES):
            with self._r.pipeline() as pipe:
                try:
                    pipe.watch(seen, key)
                    if pipe.exists(seen):
                        return False
                    kept = pipe.hget(key, "rank")
                    if kept is not None and int(kept) >= rank:
                        return False
                    pipe.multi()
                    pipe.hset(key, mapping=fields | {"status": status, "rank": rank, "at": time.time()})
                    pipe.expire(key, ttl)
                    for name, amount in counters:
                        self._count(name, amount=amount, pipe=pipe)
                    pipe.set(seen, b"1", ex=ttl)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue  # the same callback at once, or a dropped connection: look again
        raise StoreUnavailable(f"status {status} of {sid} could not be recorded")

    def status(self, sid: str) -> dict:
        """What is known about a sent message or placed call (empty when nothing yet)."""
        raw = self._r.hgetall(Keys.delivery(sid))
        return {k.decode(): v.decode() for k, v in raw.items() if k != b"rank"}
