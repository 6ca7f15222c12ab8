"""The jobs each worker has taken off a queue but not yet started, so none is lost if it dies.

A worker moves a job id from a queue into its own claim list in one command (LMOVE), and drops it
once RQ has registered the job as started. Names of workers that may hold a claim list are kept in
a set, so the claims of a worker that died without a trace are still found.
"""

from __future__ import annotations

import redis

from helpline.store import Keys, Vault


def _text(raw: bytes | str | None) -> str | None:
    return raw.decode() if isinstance(raw, bytes) else raw


class WorkerClaims:
    """Claim lists, their owners, and the lock one worker holds while it recovers dead peers' jobs."""

    def __init__(self, r: redis.Redis, vault: Vault, retention: int):
        self._r = r

    # -- one worker's claims ----------------------------------------------------------------
    def take(self, queue_key: str, worker: str) -> str | None:
        """Move the next job id of a queue into the worker's claim list; None when the queue is empty."""
        return _text(self._r.lmove(queue_key, Keys.worker_claims(worker), "LEFT", "RIGHT"))

    def wait_and_take(self, queue_key: str, worker: str, seconds: float) -> str | None:
        """As `take`, waiting up to `seconds` for a job to arrive."""
        return _text(self._r.blmove(queue_key, Keys.worker_claims(worker), seconds, "LEFT", "RIGHT"))

    def drop(self, worker: str, job_id: str) -> None:
        """The job started (RQ's registry has it) or no longer exists: no longer the claim's to keep."""
        self._r.lrem(Keys.worker_claims(worker), 1, job_id)

    def claimed(self, worker: str) -> list[str]:
        return [raw.decode() for raw in self._r.lrange(Keys.worker_claims(worker), 0, -1)]

    def holds_any(self, worker: str) -> bool:
        return bool(self._r.llen(Keys.worker_claims(worker)))

    def forget(self, worker: str) -> None:
        self._r.delete(Keys.worker_claims(worker))

    # -- who may hold claims ----------------------------------------------------------------
    def add_owner(self, worker: str) -> None:
        self._r.sadd(Keys.worker_claim_owners, worker)

    def remove_owners(self, workers: set[str] | list[str]) -> None:
        if workers:
            self._r.srem(Keys.worker_claim_owners, *workers)

    def owners(self) -> set[str]:
        return {raw.decode() for raw in self._r.smembers(Keys.worker_claim_owners)}

    # -- recovering a dead worker's jobs ----------------------------------------------------
    def lock_recovery(self, holder: int, seconds: int) -> bool:
        """One worker at a time recovers; False when another is at it."""
        return bool(self._r.set(Keys.worker_recovery_lock, holder, nx=True, ex=seconds))

    def unlock_recovery(self) -> None:
        self._r.delete(Keys.worker_recovery_lock)

    def value_of(self, key: str) -> str | None:
        """One of RQ's own string keys (a scheduler lock's owner), read for recovery."""
        return _text(self._r.get(key))

    def expire_started(self, registry_key: str, entries: list[str]) -> None:
        """Mark entries of RQ's started-job registry as long past, so RQ's clean-up retries them now."""
        if entries:
            self._r.zadd(registry_key, dict.fromkeys(entries, 0), xx=True)

    # -- what is still to be done -----------------------------------------------------------
    def in_flight(
        self, *, queued: list[str], started: list[str], scheduled: list[str], until: float
    ) -> dict[str, str | float]:
        """Every job id queued, claimed, started, or scheduled to run by `until` -> "queued", "being
        sent" or its scheduled time. One transaction: a job moving from one to the next is seen."""
        owners = self.owners()
        while True:
            with self._r.pipeline(transaction=True) as pipe:
                pipe.smembers(Keys.worker_claim_owners)
                for key in queued:
                    pipe.lrange(key, 0, -1)
                for owner in owners:
                    pipe.lrange(Keys.worker_claims(owner), 0, -1)
                for key in started:
                    pipe.zrange(key, 0, -1)  # entries are "<job id>:<execution id>"
                for key in scheduled:
                    pipe.zrangebyscore(key, 0, until, withscores=True)
                now_owners, *replies = pipe.execute()
            if {_text(raw) for raw in now_owners} <= owners:
                break
            owners = {_text(raw) for raw in now_owners}  # a worker started meanwhile: read its claims too
        found: dict[str, str | float] = {}
        lists = len(queued) + len(owners)
        for reply in replies[:lists]:
            found.update(dict.fromkeys((_text(raw) for raw in reply), "queued"))
        for reply in replies[lists : lists + len(started)]:
            found.update(dict.fromkeys((_text(raw).rsplit(":", 1)[0] for raw in reply), "being sent"))
        for reply in replies[lists + len(started) :]:
            found.update({_text(raw): float(at) for raw, at in reply})
        return found
