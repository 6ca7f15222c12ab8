"""Twilio's retries in Redis: the lease a webhook delivery holds while it works, and its "done" mark.

A delivery (a MessageSid, a CallSid and step, a status) is marked done only in the transaction that
writes its effects, so a delivery that failed halfway is never taken for done: Twilio's retry does
the work again. While the work runs, a short lease (its own key, with its own expiry) tells a retry
arriving meanwhile to come back later; a lease whose holder died runs out by itself.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import redis

from helpline.store import ComeBackLater, Keys, StoreUnavailable

FINISH_TRIES = 3  # a dropped connection during the final write: look whether it landed, write again

# KEYS: done mark, lease, [remembered answer]; ARGV: token, lease milliseconds.
# {'done', answer} when already done; {'busy'} while another delivery holds the lease; {'ours'}.
_BEGIN = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  if KEYS[3] then return {'done', redis.call('GET', KEYS[3]) or ''} end
  return {'done', ''}
end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {'busy'} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {'ours'}
"""
# Give the lease back (only our own) so Twilio's retry need not wait for it to run out.
_ABANDON = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Lease:
    """The right to do one delivery's work, until its effects are written or the lease runs out."""

    kind: str  # sms | voice | bridge | status
    sid: str
    token: str

    @property
    def done_key(self) -> str:
        return Keys.webhook_seen(self.kind, self.sid)

    @property
    def lease_key(self) -> str:
        return Keys.webhook_lease(self.kind, self.sid)


class _Tokens:
    """Lease tokens: unique to one delivery, so a lease is only ever given back by its holder. They need
    not be secret, only never repeated: a random prefix per process (new in a forked one) and a count,
    instead of asking the kernel for random bytes on every text."""

    def __init__(self):
        self.renew()

    def renew(self) -> None:
        self.prefix, self.count = secrets.token_hex(6), itertools.count()

    def next(self) -> str:
        return f"{self.prefix}{next(self.count):x}"


_tokens = _Tokens()
os.register_at_fork(after_in_child=_tokens.renew)


def new_lease(kind: str, sid: str) -> Lease:
    return Lease(kind, sid, _tokens.next())


class LeaseLost(ComeBackLater):
    """The lease ran out and another delivery of the same request took the work over, or finished it."""


@dataclass(frozen=True)
class Begun:
    """`lease` to do the work now, or `done` (with the answer remembered for a replay, when asked for)."""

    lease: Lease | None
    done: bool = False
    answer: bytes | None = None


class WebhookRetries:
    """Begin, finish and abandon a delivery's work; `Store.screen_text` begins a text's in its own script."""

    def __init__(self, r: redis.Redis, vault, retention_seconds: int):
        self._r = r
        self._begin = r.register_script(_BEGIN)
        self._abandon = r.register_script(_ABANDON)

    def begin(self, kind: str, sid: str, lease_seconds: float, answer_key: str | None = None) -> Begun:
        """Raises ComeBackLater while another delivery of the same request is at work."""
        lease = new_lease(kind, sid)
        keys = [lease.done_key, lease.lease_key] + ([answer_key] if answer_key else [])
        reply = self._begin(keys=keys, args=[lease.token, int(lease_seconds * 1000)], client=self._r)
        outcome = reply[0].decode()
        if outcome == "busy":
            raise ComeBackLater(f"{kind} {sid} is being answered")
        if outcome == "done":
            return Begun(None, done=True, answer=reply[1] or None)
        return Begun(lease)

    def finish(self, lease: Lease, write: Callable[[redis.client.Pipeline], None], done_seconds: int) -> None:
        """`write` (commands on a transaction pipeline) and the done mark, in one transaction.

        Raises LeaseLost when another delivery took over meanwhile, StoreUnavailable when Redis
        cannot take the write; either way nothing of `write` was applied.
        """
        for _ in range(FINISH_TRIES):
            with self._r.pipeline() as pipe:
                try:
                    pipe.watch(lease.done_key, lease.lease_key)
                    done, holder = pipe.mget(lease.done_key, lease.lease_key)
                    if done is not None:
                        if done.decode() == lease.token:
                            return  # our own write landed; only its acknowledgement was lost
                        raise LeaseLost(f"{lease.kind} {lease.sid} was answered by another delivery")
                    if holder is not None and holder.decode() != lease.token:
                        raise LeaseLost(f"{lease.kind} {lease.sid} was taken over by another delivery")
                    pipe.multi()
                    write(pipe)
                    pipe.set(lease.done_key, lease.token, ex=done_seconds)
                    pipe.delete(lease.lease_key)
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue  # the connection dropped (or the lease moved): look again
        raise StoreUnavailable(f"the effects of {lease.kind} {lease.sid} could not be written")

    def abandon(self, lease: Lease) -> bool:
        """Hand the lease back after a failure; False when Redis could not be told (it runs out then)."""
        try:
            self._abandon(keys=[lease.lease_key], args=[lease.token], client=self._r)
        except StoreUnavailable:
            return False
        return True
