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
        self.r = r

    # -- one worker's claims ----------------------------------------------------------------
    def take(self, queue_key: str, worker: str) -> str | None:
        """Move the next job id of a queue into the worker's claim list; None when the queue is empty."""
        return _text(self.r.lmove(queue_key, Keys.worker_claims(worker), "LEFT", "RIGHT"))

    def wait_and_take(self, queue_key: str, worker: str, seconds: float) -> str | None:
        """As `take`, waiting up to `seconds` for a job to arrive."""
        return _text(self.r.blmove(queue_key, Keys.worker_claims(worker), seconds, "LEFT", "RIGHT"))

    def drop(self, worker: str, job_id: str) -> None:
        """The job started (RQ's registry has it) or no longer exists: no longer the claim's to keep."""
        self.r.lrem(Keys.worker_claims(worker), 1, job_id)

    def claimed(self, worker: str) -> list[str]:
        return [raw.decode() for raw in self.r.lrange(Keys.worker_claims(worker), 0, -1)]

    def holds_any(self, worker: str) -> bool:
        return bool(self.r.llen(Keys.worker_claims(worker)))

    def forget(self, worker: str) -> None:
        self.r.delete(Keys.worker_claims(worker))

    # -- who may hold claims ----------------------------------------------------------------
    def add_owner(self, worker: str) -> None:
        self.r.sadd(Keys.worker_claim_owners, worker)

    def remove_owners(self, workers: set[str] | list[str]) -> None:
        if workers:
            self.r.srem(Keys.worker_claim_owners, *workers)

    def owners(self) -> set[str]:
        return {raw.decode() for raw in self.r.smembers(Keys.worker_claim_owners)}

    # -- recovering a dead worker's jobs ----------------------------------------------------
    def lock_recovery(self, holder: int, seconds: int) -> bool:
        """One worker at a time recovers; False when another is at it."""
        return bool(self.r.set(Keys.worker_recovery_lock, holder, nx=True, ex=seconds))

    def unlock_recovery(self) -> None:
        self.r.delete(Keys.worker_recovery_lock)

    def value_of(self, key: str) -> str | None:
        """One of RQ's own string keys (a scheduler lock's owner), read for recovery."""
        return _text(self.r.get(key))

    def expire_started(self, registry_key: str, entries: list[str]) -> None:
        """Mark entries of RQ's started-job registry as long past, so RQ's clean-up retries them now."""
        if entries:
            self.r.zadd(registry_key, dict.fromkeys(entries, 0), xx=True)
