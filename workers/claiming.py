"""A worker that never loses a job it took off a queue, and gives back the jobs of dead workers.

Stock RQ, listening on several queues, pops a job id with BLPOP/LPOP and only then registers it
as started: a worker killed in between loses that job (https://github.com/rq/rq/issues/1716).
Here each job id is moved atomically (LMOVE) into the worker's own claim list and dropped from it
once RQ has registered the job as started. The Redis side is `store.worker_claims`; this module
holds what touches RQ's internals (its dequeue, worker hooks, registries and executions).

- A job a dead worker had started is in RQ's StartedJobRegistry; RQ re-queues it (every send has
  `Retry`) when the entry expires, ~2 minutes after the death. `recover_abandoned` does it at once
  for a worker of this host whose process is gone.
- A job it had claimed but not started is put back at the front of its queue.
`recover_abandoned` runs when a worker starts and at each maintenance pass; it also frees a dead
scheduler's locks and unregisters dead workers, so `/healthz` counts only live ones.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import TYPE_CHECKING

from rq import Queue, SimpleWorker, Worker
from rq.exceptions import DequeueTimeout, NoSuchJobError, SchedulerNotFound
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler
from rq.scripts import release_lock

from helpline.infra import queues

if TYPE_CHECKING:
    from helpline.store import Store
    from helpline.store.worker_claims import WorkerClaims

log = logging.getLogger("workers")

BLOCK_SLICE = 0.25  # idle: block this long on the urgent queue, then look at the others again


def _process_gone(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


class ClaimingQueue(Queue):
    """Dequeues with LMOVE into the worker's claim list, so a popped job is never only in memory."""

    claims: WorkerClaims | None = None  # set on the per-worker subclass
    worker: str = ""

    @classmethod
    def dequeue_any(
        cls, queues, timeout, connection=None, job_class=None, serializer=None, death_penalty_class=None
    ):
        if cls.claims is None:
            return super().dequeue_any(
                queues, timeout, connection, job_class, serializer, death_penalty_class
            )
        queues = list(queues)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for queue in queues:  # most urgent first
                job_id = cls.claims.take(queue.key, cls.worker)
                if job_id is not None:
                    found = cls._claimed(
                        job_id, queue, connection, job_class, serializer, death_penalty_class
                    )
                    if found:
                        return found
                    break
            else:
                if deadline is None:
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DequeueTimeout(timeout, queues[0].key)
                first = queues[0]
                job_id = cls.claims.wait_and_take(first.key, cls.worker, min(BLOCK_SLICE, remaining))
                if job_id is not None:
                    found = cls._claimed(
                        job_id, first, connection, job_class, serializer, death_penalty_class
                    )
                    if found:
                        return found

    @classmethod
    def _claimed(cls, job_id, queue, connection, job_class, serializer, death_penalty_class):
        try:
            job = (job_class or Job).fetch(job_id, connection=connection, serializer=serializer)
        except NoSuchJobError:  # deleted while queued, as RQ's own dequeue skips it
            cls.claims.drop(cls.worker, job_id)
            return None
        return job, cls(
            queue.name, connection=connection, serializer=serializer, death_penalty_class=death_penalty_class
        )


def release_dead_scheduler_locks(store: Store, queue_names=queues.ALL_QUEUES) -> int:
    """Free scheduler locks held by a dead scheduler process of this host (else held ~60 s)."""
    connection, host, released = store.rq_connection, socket.gethostname(), 0
    for name in queue_names:
        lock_key = RQScheduler.get_locking_key(name)
        owner = store.worker_claims.value_of(lock_key)
        if not owner:
            continue
        try:
            scheduler = RQScheduler.fetch(owner, connection)
        except SchedulerNotFound:
            continue
        if scheduler.hostname == host and _process_gone(scheduler.pid):
            released += release_lock(connection, lock_key, owner)
    return released


def dead_local_workers(connection) -> list[Worker]:
    """Registered workers of this host whose process no longer exists."""
    host = socket.gethostname()
    return [w for w in Worker.all(connection=connection) if w.hostname == host and _process_gone(w.pid)]


def _started(connection, queue_names) -> dict[str, list[tuple[str, str]]]:
    """queue name -> (job id, execution id) of every started job."""
    return {
        name: StartedJobRegistry(queue=queues.queue(name, connection)).get_job_and_execution_ids(
            cleanup=False
        )
        for name in queue_names
    }


def _requeue_claimed(store: Store, worker: str, started: set[str]) -> int:
    """Put the jobs a dead worker popped but never started back at the front of their queue."""
    connection, requeued = store.rq_connection, 0
    for job_id in store.worker_claims.claimed(worker):
        if job_id in started:
            continue  # RQ's abandoned-job handling owns it
        job = Job.fetch(job_id, connection=connection) if Job.exists(job_id, connection) else None
        if job is None or job.get_status(refresh=False) not in (JobStatus.QUEUED, None):
            continue
        queues.queue(job.origin, connection).push_job_id(job_id, at_front=True)
        requeued += 1
    store.worker_claims.forget(worker)
    return requeued


def _gone_claim_owners(store: Store) -> set[str]:
    """Workers (of any host) that had a claim list and whose RQ key has expired: dead for a while."""
    connection = store.rq_connection
    return {
        name
        for name in store.worker_claims.owners()
        if Worker.find_by_key(Worker.redis_worker_namespace_prefix + name, connection=connection) is None
    }


def recover_abandoned(store: Store, queue_names=queues.ALL_QUEUES, lock_seconds: int = 30) -> int:
    """Give back the jobs of dead workers now; returns how many jobs."""
    claims, connection = store.worker_claims, store.rq_connection
    if not claims.lock_recovery(os.getpid(), lock_seconds):
        return 0  # another worker is at it
    try:
        release_dead_scheduler_locks(store, queue_names)
        dead = {w.name: w for w in dead_local_workers(connection)}
        gone = _gone_claim_owners(store) - set(dead)
        if not dead and not gone:
            return 0
        started = _started(connection, queue_names)
        started_ids = {job_id for entries in started.values() for job_id, _ in entries}
        recovered = sum(_requeue_claimed(store, name, started_ids) for name in [*dead, *gone])
        claims.remove_owners(gone)
        if not dead:
            log.warning("event=worker.recovered dead_workers=%d jobs=%d", len(gone), recovered)
            return recovered
        for name, entries in started.items():
            expired = []
            for job_id, execution_id in entries:
                try:
                    execution = Execution.fetch(execution_id, job_id, connection)
                except ValueError:  # its record expired: RQ's own clean-up has it
                    continue
                if execution.worker_name in dead:
                    expired.append(f"{job_id}:{execution_id}")
            if expired:
                # Mark their heartbeat as long past; RQ then retries (or fails) them as it would later.
                registry = StartedJobRegistry(queue=queues.queue(name, connection))
                claims.expire_started(registry.key, expired)
                registry.cleanup()
                recovered += len(expired)
        for worker in dead.values():
            worker.register_death()  # unregistered: no longer counted as alive
        claims.remove_owners(set(dead))
        log.warning("event=worker.recovered dead_workers=%d jobs=%d", len(dead), recovered)
        return recovered
    finally:
        claims.unlock_recovery()


class ClaimingWorker(SimpleWorker):
    """RQ's SimpleWorker that claims what it dequeues and recovers the jobs of dead local workers."""

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store
        self.queue_class = type(
            "WorkerClaimingQueue", (ClaimingQueue,), {"claims": store.worker_claims, "worker": self.name}
        )

    def register_birth(self) -> None:
        super().register_birth()
        self.store.worker_claims.add_owner(self.name)  # so its claims are found if it dies

    def register_death(self) -> None:
        super().register_death()
        if not self.store.worker_claims.holds_any(self.name):
            self.store.worker_claims.remove_owners([self.name])

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        super().prepare_job_execution(job, remove_from_intermediate_queue)
        self.store.worker_claims.drop(self.name, job.id)  # started: RQ's registry has it now

    def run_maintenance_tasks(self):
        try:
            recover_abandoned(self.store, [q.name for q in self.queues], self.maintenance_interval)
        except Exception:  # recovery must never stop the worker; RQ's expiry still covers it
            log.exception("event=worker.recovery_failed")
        super().run_maintenance_tasks()
