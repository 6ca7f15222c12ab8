"""A worker that never loses a job it took off a queue, and gives back the jobs of dead workers.

Stock RQ, listening on several queues, pops a job id with BLPOP/LPOP and only then registers it
as started: a worker killed in between loses that job (https://github.com/rq/rq/issues/1716).
Here each job id is moved atomically (LMOVE) into the worker's own claim list and dropped from it
once RQ has registered the job as started. The Redis side is `store.worker_claims`; this module
holds what touches RQ's internals (its dequeue, worker hooks, registries and executions).

- A job a dead worker had started is in RQ's StartedJobRegistry; RQ re-queues it (every send has
  `Retry`) when the entry expires, minutes after the death. `recover_abandoned` does it at once for
  a worker of this host whose process is gone, and for a worker of any host that RQ has forgotten
  (no heartbeat for its TTL: a host killed whole, whose own recovery will never run).
- A job it had claimed but not started is put back at the front of its queue.
`recover_abandoned` runs when a worker starts and at each maintenance pass; it also frees a dead
scheduler's locks and unregisters dead workers, so `/healthz` counts only live ones.

A worker stopped for longer than its TTL (SIGSTOP, a frozen VM, a laptop asleep) comes back to a Redis
that forgot it: RQ's heartbeat only renews a key that still exists, and nothing lists the worker again,
so it would work on unseen while /healthz and /ops say no worker runs. Every few seconds a heartbeat
makes sure RQ still lists it, and registers it again as RQ registers a birth when it does not.

A worker runs up to `job_slots` jobs at once, each in a thread of its own: a send mostly waits on
Twilio (~150 ms), so one worker keeps several in flight. Each running job has its own RQ execution
record (the StartedJobRegistry names every one), so a worker that dies mid-way leaves them all to
`recover_abandoned`, exactly as it would leave its only one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from rq import Queue, SimpleWorker, Worker, worker_registration
from rq.exceptions import DequeueTimeout, NoSuchJobError, SchedulerNotFound, StopRequested
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler
from rq.scripts import release_lock
from rq.timeouts import TimerDeathPenalty
from rq.utils import now

from helpline.infra import queues
from helpline.infra.retry_later import OneLineRetries
from helpline.store import StoreUnavailable
from workers.scheduler import WorkerScheduler

if TYPE_CHECKING:
    from helpline.store import Store
    from helpline.store.worker_claims import WorkerClaims

log = logging.getLogger("workers")

BLOCK_SLICE = 0.25  # idle: block this long on the urgent queue, then look at the others again
REGISTRATION_CHECK_SECONDS = 5.0  # a heartbeat makes sure RQ still lists the worker at most this often
# With Redis away RQ tries again after 1, 2, 4 … seconds, up to this (RQ's own 60 s would leave a worker
# idle up to a minute after Redis is back, and deaf as long to a request to stop).
REDIS_WAIT_MAX_SECONDS = 4.0


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
    stopping: Callable[[], bool] = staticmethod(lambda: False)  # the worker was asked to stop: wait no more

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
                if deadline is None or cls.stopping():
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
        except (SchedulerNotFound, KeyError):  # gone, or a scheduler starting now has not written all of it
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


def _executions(connection, started: dict[str, list[tuple[str, str]]]) -> list[tuple[str, Execution]]:
    """(job id, its execution) for every started job whose execution record is still there."""
    out = []
    for entries in started.values():
        for job_id, execution_id in entries:
            try:
                out.append((job_id, Execution.fetch(execution_id, job_id, connection)))
            except ValueError:  # its record expired: RQ's own clean-up has it
                continue
    return out


def _forgotten(connection, names: set[str]) -> set[str]:
    """Those of these workers that RQ no longer lists (their key expired)."""
    names = sorted(n for n in names if n)
    if not names:
        return set()
    pipe = connection.pipeline(transaction=False)
    for name in names:
        pipe.exists(Worker.redis_worker_namespace_prefix + name)
    return {name for name, there in zip(names, pipe.execute(), strict=True) if not there}


def recover_abandoned(store: Store, queue_names=queues.ALL_QUEUES, lock_seconds: int = 30) -> int:
    """Give back the jobs of dead workers now; returns how many jobs."""
    claims, connection = store.worker_claims, store.rq_connection
    if not claims.lock_recovery(os.getpid(), lock_seconds):
        return 0  # another worker is at it
    try:
        release_dead_scheduler_locks(store, queue_names)
        dead = {w.name: w for w in dead_local_workers(connection)}
        gone = _gone_claim_owners(store) - set(dead)
        started = _started(connection, queue_names)
        if not dead and not gone and not any(started.values()):
            return 0
        started_ids = {job_id for entries in started.values() for job_id, _ in entries}
        recovered = sum(_requeue_claimed(store, name, started_ids) for name in [*dead, *gone])
        claims.remove_owners(gone)
        executions = _executions(connection, started)
        # A worker RQ forgot (no heartbeat for its TTL: a host killed whole, whose own recovery never
        # runs) died or froze a while ago: its jobs go back now, not when their entries expire.
        lost = set(dead) | gone | _forgotten(connection, {e.worker_name for _, e in executions})
        for name, entries in started.items():
            expired = []
            for job_id, execution in executions:
                if execution.worker_name in lost and (job_id, execution.id) in entries:
                    expired.append(f"{job_id}:{execution.id}")
            if expired:
                # Mark their heartbeat as long past; RQ then retries (or fails) them as it would later.
                registry = StartedJobRegistry(queue=queues.queue(name, connection))
                claims.expire_started(registry.key, expired)
                registry.cleanup()
                recovered += len(expired)
        for worker in dead.values():
            worker.register_death()  # unregistered: no longer counted as alive
        claims.remove_owners(set(dead))
        if lost or recovered:
            log.warning("event=worker.recovered dead_workers=%d jobs=%d", len(lost), recovered)
        return recovered
    finally:
        claims.unlock_recovery()


class ClaimingWorker(OneLineRetries, SimpleWorker):
    """RQ's SimpleWorker that claims what it dequeues, recovers the jobs of dead local workers, and runs up
    to `job_slots` jobs at once (`job_context`: what each job thread runs inside, e.g. the app context)."""

    def __init__(
        self,
        *args,
        store: Store,
        job_slots: int = 1,
        job_context: Callable[[], contextlib.AbstractContextManager] | None = None,
        supervisor: int | None = None,
        early_signals: list[int] | None = None,
        **kwargs,
    ):
        self.__dict__["_executions"] = threading.local()  # before RQ's __init__ sets `execution`
        super().__init__(*args, **kwargs)
        self.max_connection_wait_time = REDIS_WAIT_MAX_SECONDS
        self.store = store
        self.job_slots = max(1, job_slots)
        self._job_context = job_context or contextlib.nullcontext
        self._free_slots = threading.Semaphore(self.job_slots)
        self._running = 0
        self._changed = threading.Condition()
        self._threads: ThreadPoolExecutor | None = None
        self._supervisor = supervisor
        self._early_signals = early_signals if early_signals is not None else []
        self._registered = False  # between its birth and its death: to be listed by RQ
        self._registration_checked = 0.0  # monotonic
        self._checking_registration = threading.Lock()
        if self.job_slots > 1:
            self.death_penalty_class = TimerDeathPenalty  # a job timeout in a thread, not by SIGALRM
        self.queue_class = type(
            "WorkerClaimingQueue",
            (ClaimingQueue,),
            {
                "claims": store.worker_claims,
                "worker": self.name,
                "stopping": staticmethod(self._stopping),
            },
        )

    def _stopping(self) -> bool:
        """Asked to stop, or the worker host that started it is gone: wait for no more jobs."""
        if self._supervisor and os.getppid() != self._supervisor and not self._stop_requested:
            log.warning("event=worker.orphaned supervisor=%d", self._supervisor)
            self._stop_warmly()
        return self._stop_requested

    # Each job thread has its own execution record; RQ keeps "the" execution on the worker.
    @property
    def execution(self):
        return getattr(self._executions, "current", None)

    @execution.setter
    def execution(self, value) -> None:
        self._executions.current = value

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()
        if self._early_signals:  # SIGTERM while it was starting: registered now, it stops and says goodbye
            log.info("event=worker.stop_requested_while_starting")
            self._stop_warmly()

    def _stop_warmly(self) -> None:
        """Take no new job; the loop and the waits notice within a slice, running jobs finish."""
        self._stop_requested = True
        self._shutdown_requested_date = self._shutdown_requested_date or now()  # RQ's handler sets it first
        self.set_shutdown_requested_date()
        if self.scheduler:
            self.stop_scheduler()

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None):
        """RQ's start of the worker's scheduler, with the scheduler that stops when this worker is gone."""
        formats = {"date_format": date_format, "log_format": log_format}
        self.scheduler = WorkerScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            serializer=self.serializer,
            **{name: value for name, value in formats.items() if value is not None},
        )
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return  # another worker's scheduler has them: this one takes them at maintenance once free
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()
        finally:
            self.scheduler.release_locks()
            self.scheduler.register_death()

    def stop_scheduler(self):
        """RQ's SIGTERM to the scheduler, sent again each second until it has stopped: one sent as it was
        forked, before it listens, is lost, and the worker would wait for it for ever."""
        process = self.scheduler._process if self.scheduler else None
        while process is not None and process.pid and process.is_alive():
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGTERM)
            process.join(1.0)

    def register_birth(self) -> None:
        super().register_birth()
        self.store.worker_claims.add_owner(self.name)  # so its claims are found if it dies
        self._registered = True

    def register_death(self) -> None:
        self._registered = False  # a heartbeat after this never registers it again
        super().register_death()
        if not self.store.worker_claims.holds_any(self.name):
            self.store.worker_claims.remove_owners([self.name])

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        try:
            if pipeline is None:  # a heartbeat inside RQ's own pipeline comes with a job: the next one checks
                self._register_again_if_forgotten()
            super().heartbeat(timeout, pipeline)
        except StoreUnavailable:
            if pipeline is not None:
                raise
            if self._stop_requested:
                # Asked to stop while Redis is away: RQ's wait for Redis would go on for ever; stop now.
                raise StopRequested() from None
            # Redis is away: the dequeue that follows waits for it (RQ's own wait), the next beat renews.

    def set_state(self, state: str, pipeline=None) -> None:
        if pipeline is not None:  # written with the rest of the pipeline, which reports its own failure
            return super().set_state(state, pipeline)
        try:
            super().set_state(state)
        except StoreUnavailable as exc:
            # RQ writes "idle" before it waits for the next job, outside the wait's own handling of a Redis
            # that is away: the worker would quit. The wait that follows waits for Redis (RQ's own wait);
            # the state is written again with the next job.
            said = getattr(state, "value", state)
            log.warning("event=worker.state_unsaved state=%s error=%s", said, type(exc).__name__)

    def _register_again_if_forgotten(self) -> None:
        """Registered again when RQ no longer lists it (its key expired while the process was stopped)."""
        if not self._registered or self._stop_requested:
            return
        if time.monotonic() - self._registration_checked < REGISTRATION_CHECK_SECONDS:
            return
        if not self._checking_registration.acquire(blocking=False):
            return  # another thread is at it
        try:
            self._registration_checked = time.monotonic()
            if self._listed():
                return
            # What RQ's `register_birth` writes (the record, the workers' sets, the TTL), kept as it was
            # born: a key that expired may be back already with only the fields a state change wrote.
            with self.connection.pipeline() as pipeline:
                pipeline.hset(self.key, mapping=self.serialize())
                self.set_state(self.get_state(), pipeline)
                worker_registration.register(self, pipeline)
                pipeline.expire(self.key, self.worker_ttl + 60)
                pipeline.execute()
            self.store.worker_claims.add_owner(self.name)
            log.warning("event=worker.registered_again worker=%s", self.name)
        finally:
            self._checking_registration.release()

    def _listed(self) -> bool:
        """RQ lists it (its key is in the workers' set) and its record is whole (a birth date, not only
        what a heartbeat or a state change writes into a key that had expired)."""
        if self.key not in Worker.all_keys(connection=self.connection):
            return False
        found = Worker.find_by_key(self.key, connection=self.connection)
        return found is not None and found.birth_date is not None

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        super().prepare_job_execution(job, remove_from_intermediate_queue)
        self.store.worker_claims.drop(self.name, job.id)  # started: RQ's registry has it now

    def run_maintenance_tasks(self):
        try:
            recover_abandoned(self.store, [q.name for q in self.queues], self.maintenance_interval)
        except StoreUnavailable as exc:  # Redis away: the next pass recovers
            log.warning("event=worker.recovery_skipped error=%s", type(exc).__name__)
        except Exception:  # recovery must never stop the worker; RQ's expiry still covers it
            log.exception("event=worker.recovery_failed")
        try:
            super().run_maintenance_tasks()  # RQ's: its registries cleaned, its scheduler started again
        except StoreUnavailable as exc:  # RQ would quit the worker on it; the next pass tries again
            log.warning("event=worker.maintenance_skipped error=%s", type(exc).__name__)

    def check_for_suspension(self, burst: bool) -> None:
        with contextlib.suppress(StoreUnavailable):  # RQ would quit on it; the dequeue waits for Redis
            super().check_for_suspension(burst)

    # -- several jobs at once ------------------------------------------------------------------
    def _shutdown(self):
        if self.job_slots == 1:
            return super()._shutdown()
        self._stop_warmly()

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        if self.job_slots == 1:
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        if not self._take_slot():
            return None
        while True:
            result = (
                None if self._stopping() else super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            )
            # In burst mode empty queues end the run, unless a running job may still queue more (a search
            # queues its texts when Twilio cannot take them now).
            if (
                result is None
                and timeout is None
                and not self._stop_requested
                and self._wait_for_a_job_to_end()
            ):
                continue
            if result is None:
                self._free_slots.release()
            return result

    def _take_slot(self) -> bool:
        """Wait, heartbeating, until fewer than `job_slots` jobs run; False when asked to stop meanwhile."""
        while not self._free_slots.acquire(timeout=BLOCK_SLICE):
            if self._stopping():
                return False
            self.heartbeat()
        if self._stopping():
            self._free_slots.release()
            return False
        return True

    def _wait_for_a_job_to_end(self) -> bool:
        """False when no job is running; else True once one has ended."""
        with self._changed:
            if not self._running:
                return False
            running = self._running
            while self._running >= running:
                self._changed.wait(BLOCK_SLICE)
                self.heartbeat()
            return True

    def execute_job(self, job: Job, queue: Queue):
        if self.job_slots == 1:
            return super().execute_job(job, queue)
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self.job_slots, thread_name_prefix="job")
        with self._changed:
            self._running += 1
        self._threads.submit(self._run_job, job, queue)

    def _run_job(self, job: Job, queue: Queue) -> None:
        try:
            with self._job_context():
                self.prepare_execution(job)
                self.perform_job(job, queue)
        except Exception:  # perform_job records a job's own failure; this is the worker's (Redis gone ...)
            log.exception("event=worker.job_thread_failed job=%s", job.id)
        finally:
            self.execution = None
            with self._changed:
                self._running -= 1
                self._changed.notify_all()
            self._free_slots.release()

    def teardown(self):
        threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=True)  # every job in hand ends before the worker says goodbye
        try:
            super().teardown()  # the scheduler stopped, the goodbye said in Redis
        except StoreUnavailable as exc:  # its registration expires by itself; its claims are recovered
            log.warning(
                "event=worker.stopped_without_redis worker=%s error=%s", self.name, type(exc).__name__
            )
