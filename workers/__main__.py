"""`python -m workers`: an RQ worker on the helpline's queues, most urgent first, with the scheduler.

It is RQ's `SimpleWorker` (jobs run in the worker process, no fork per job): every job is a short
Twilio or Redis call, so forking would cost more than the job, and a worker killed with SIGKILL
takes its job with it instead of leaving an orphaned work horse still sending.

Nothing a dead worker held is lost:
- A job it had started is in RQ's StartedJobRegistry; RQ re-queues such an abandoned job (every
  send has `Retry`) when the entry expires, ~2 minutes after the death.
- A job it had popped but not yet started would be lost by stock RQ with several queues (it pops
  with LPOP, and only single-queue workers use its intermediate list). This worker moves each job
  id atomically (LMOVE) into its own claim list (`Keys.worker_claims`), and drops it from there
  once RQ has registered the job as started.
- `recover_abandoned` runs when a worker starts and at each maintenance pass (30 s). For a worker
  of this host whose process is gone it puts claimed jobs back at the front of their queue, hands
  started ones to RQ's own abandoned-job handling at once, frees its scheduler locks, and
  unregisters it so `/healthz` counts only live workers.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time

from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.exceptions import DequeueTimeout, NoSuchJobError, SchedulerNotFound
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler
from rq.scripts import release_lock

from helpline import create_app
from helpline.infra import queues
from helpline.store import Keys

log = logging.getLogger("workers")

WORKER_TTL = 60  # seconds without a heartbeat before RQ itself forgets a worker
MAINTENANCE_INTERVAL = 30  # how often a worker cleans registries and looks for dead peers
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

    claim_key: str | None = None  # set on the per-worker subclass

    @classmethod
    def dequeue_any(
        cls, queues, timeout, connection=None, job_class=None, serializer=None, death_penalty_class=None
    ):
        if not cls.claim_key:
            return super().dequeue_any(
                queues, timeout, connection, job_class, serializer, death_penalty_class
            )
        queues = list(queues)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for queue in queues:  # most urgent first
                job_id = connection.lmove(queue.key, cls.claim_key, "LEFT", "RIGHT")
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
                job_id = connection.blmove(
                    first.key, cls.claim_key, min(BLOCK_SLICE, remaining), "LEFT", "RIGHT"
                )
                if job_id is not None:
                    found = cls._claimed(
                        job_id, first, connection, job_class, serializer, death_penalty_class
                    )
                    if found:
                        return found

    @classmethod
    def _claimed(cls, job_id, queue, connection, job_class, serializer, death_penalty_class):
        job_id = job_id.decode() if isinstance(job_id, bytes) else job_id
        try:
            job = (job_class or Job).fetch(job_id, connection=connection, serializer=serializer)
        except NoSuchJobError:  # deleted while queued, as RQ's own dequeue skips it
            connection.lrem(cls.claim_key, 1, job_id)
            return None
        return job, cls(
            queue.name, connection=connection, serializer=serializer, death_penalty_class=death_penalty_class
        )


def release_dead_scheduler_locks(connection: Redis, queue_names=queues.ALL_QUEUES) -> int:
    """Free scheduler locks held by a dead scheduler process of this host (else held ~60 s)."""
    host, released = socket.gethostname(), 0
    for name in queue_names:
        lock_key = RQScheduler.get_locking_key(name)
        owner = connection.get(lock_key)
        if not owner:
            continue
        try:
            scheduler = RQScheduler.fetch(owner.decode(), connection)
        except SchedulerNotFound:
            continue
        if scheduler.hostname == host and _process_gone(scheduler.pid):
            released += release_lock(connection, lock_key, owner.decode())
    return released


def dead_local_workers(connection: Redis) -> list[Worker]:
    """Registered workers of this host whose process no longer exists."""
    host = socket.gethostname()
    return [w for w in Worker.all(connection=connection) if w.hostname == host and _process_gone(w.pid)]


def _started(connection: Redis, queue_names) -> dict[str, list[tuple[str, str]]]:
    """queue name -> (job id, execution id) of every started job."""
    return {
        name: StartedJobRegistry(queue=queues.queue(name, connection)).get_job_and_execution_ids(
            cleanup=False
        )
        for name in queue_names
    }


def _requeue_claimed(connection: Redis, worker_name: str, started: set[str]) -> int:
    """Put the jobs a dead worker popped but never started back at the front of their queue."""
    claim_key, requeued = Keys.worker_claims(worker_name), 0
    for raw in connection.lrange(claim_key, 0, -1):
        job_id = raw.decode()
        if job_id in started:
            continue  # RQ's abandoned-job handling owns it
        job = Job.fetch(job_id, connection=connection) if connection.exists(Job.key_for(job_id)) else None
        if job is None or job.get_status(refresh=False) not in (JobStatus.QUEUED, None):
            continue
        queues.queue(job.origin, connection).push_job_id(job_id, at_front=True)
        requeued += 1
    connection.delete(claim_key)
    return requeued


def _gone_claim_owners(connection: Redis) -> set[str]:
    """Workers (of any host) that had a claim list and whose RQ key has expired: dead for > 60 s."""
    names = {raw.decode() for raw in connection.smembers(Keys.worker_claim_owners)}
    return {name for name in names if not connection.exists(Worker.redis_worker_namespace_prefix + name)}


def recover_abandoned(connection: Redis, queue_names=queues.ALL_QUEUES) -> int:
    """Give back the jobs of dead workers now; returns how many jobs."""
    if not connection.set(Keys.worker_recovery_lock, os.getpid(), nx=True, ex=30):
        return 0  # another worker is at it
    try:
        release_dead_scheduler_locks(connection, queue_names)
        dead = {w.name: w for w in dead_local_workers(connection)}
        gone = _gone_claim_owners(connection) - set(dead)
        if not dead and not gone:
            return 0
        started = _started(connection, queue_names)
        started_ids = {job_id for entries in started.values() for job_id, _ in entries}
        recovered = sum(_requeue_claimed(connection, name, started_ids) for name in [*dead, *gone])
        if gone:
            connection.srem(Keys.worker_claim_owners, *gone)
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
                connection.zadd(registry.key, dict.fromkeys(expired, 0), xx=True)
                registry.cleanup()
                recovered += len(expired)
        for worker in dead.values():
            worker.register_death()  # unregistered: no longer counted as alive
        connection.srem(Keys.worker_claim_owners, *dead)
        log.warning("event=worker.recovered dead_workers=%d jobs=%d", len(dead), recovered)
        return recovered
    finally:
        connection.delete(Keys.worker_recovery_lock)


class HelplineWorker(SimpleWorker):
    """RQ's SimpleWorker that claims what it dequeues and recovers the jobs of dead local workers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue_class = type(
            "WorkerClaimingQueue", (ClaimingQueue,), {"claim_key": Keys.worker_claims(self.name)}
        )

    def register_birth(self) -> None:
        super().register_birth()
        self.connection.sadd(Keys.worker_claim_owners, self.name)  # so its claims are found if it dies

    def register_death(self) -> None:
        super().register_death()
        if not self.connection.llen(Keys.worker_claims(self.name)):
            self.connection.srem(Keys.worker_claim_owners, self.name)

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        super().prepare_job_execution(job, remove_from_intermediate_queue)
        self.connection.lrem(Keys.worker_claims(self.name), 1, job.id)  # started: RQ's registry has it now

    def run_maintenance_tasks(self):
        try:
            recover_abandoned(self.connection, [q.name for q in self.queues])
        except Exception:  # recovery must never stop the worker; RQ's expiry still covers it
            log.exception("event=worker.recovery_failed")
        super().run_maintenance_tasks()


def make_worker(connection: Redis, queue_names=queues.ALL_QUEUES) -> HelplineWorker:
    return HelplineWorker(
        [queues.queue(name, connection) for name in queue_names],
        connection=connection,
        worker_ttl=WORKER_TTL,
        maintenance_interval=MAINTENANCE_INTERVAL,
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m workers` runs until stopped; `--burst` drains the queues and exits (for batch runs)."""
    burst = "--burst" in (sys.argv[1:] if argv is None else argv)
    app = create_app()
    with app.app_context():
        connection = app.extensions["helpline"].store.r
        recover_abandoned(connection)  # before our scheduler tries to take the locks
        worker = make_worker(connection)
        worker.work(
            burst=burst,
            with_scheduler=not burst,
            logging_level=os.environ.get("LOG_LEVEL", logging.getLevelName(logging.INFO)),
        )


if __name__ == "__main__":
    main()
