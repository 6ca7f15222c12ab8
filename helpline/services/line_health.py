"""Is the line healthy? Workers, queues, failed jobs, Redis memory, delivery errors, directory, and the
callback requests waiting for staff.

`read_health` gathers the facts from Redis and RQ for the ops pages, `readiness` the few /healthz
answers (and whether they are healthy), `metric_readings` what /metrics reports; `needs_attention`
(pure) turns the facts into the banner lines an operator must act on. All three count workers alike:
only those whose heartbeat is alive (`live_workers`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from helpline.infra.queues import ALL_QUEUES, Queues
from helpline.services import figures
from helpline.services.directory_status import DirectoryStatus, directory_status
from helpline.store import StoreUnavailable

if TYPE_CHECKING:
    from helpline.container import Helpline

log = logging.getLogger(__name__)

QUEUE_BACKLOG = 50  # more waiting jobs than this means the workers are not keeping up
QUEUE_WAIT_SECONDS = 3 * 60  # a job waiting longer than this: people wait for a text that is not going
DELIVERY_ERROR_RATE = 0.10  # over 10% failed deliveries in 24 h: look at Twilio
REDIS_MEMORY_SHARE = 0.80  # of maxmemory
CRISIS_WAIT_SECONDS = 15 * 60  # a crisis request waiting longer than this needs a person
RECENT_ERROR_SECONDS = 30 * 60  # a locator error this recent means it is not plainly up
BREAKER_STATES = {"closed": "up", "half-open": "recovering", "open": "down", "disabled": "off"}
NEVER_REACHED = "never reached"  # it failed and has never answered: not "recovering", nor "down" from up
NOT_ASKED = "not asked yet"  # no search has needed it since it was set up


@dataclass
class QueueHealth:
    name: str
    waiting: int
    running: int
    failed: int
    scheduled: int
    oldest_waiting_seconds: float | None = None  # how long the next job in line has waited
    overdue: int = 0  # scheduled jobs whose time has come that no scheduler has moved to the queue yet
    overdue_seconds: float | None = None  # how long ago the first of them was due


@dataclass
class WorkerHealth:
    name: str
    state: str
    queues: list[str]
    last_heartbeat: float | None


@dataclass
class FailedJob:
    id: str
    queue: str
    function: str
    failed_at: float | None
    error: str  # the exception's type only: its text could quote a message


@dataclass(frozen=True)
class LocatorCondition:
    """The FindTreatment.gov locator in a word, and its last error."""

    state: str  # up | degraded | recovering | down | never reached | not asked yet | off | unknown
    last_ok: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None


@dataclass
class Health:
    redis_ok: bool = True
    workers: list[WorkerHealth] = field(default_factory=list)
    queues: list[QueueHealth] = field(default_factory=list)
    failed_jobs: list[FailedJob] = field(default_factory=list)
    redis_memory: int = 0
    redis_maxmemory: int = 0
    texts_sent_24h: int = 0
    delivery_failed_24h: int = 0
    callbacks: figures.QueueNow = field(default_factory=figures.QueueNow)  # as the staff queue counts them
    crisis_waiting: int = 0  # due now and nobody holds them (a retry scheduled for later is not waiting)
    oldest_crisis_seconds: float | None = None
    directory: DirectoryStatus | None = None
    locator: LocatorCondition | None = None
    read_at: float = 0.0

    @property
    def delivery_error_rate(self) -> float | None:
        attempts = self.texts_sent_24h + self.delivery_failed_24h
        return self.delivery_failed_24h / attempts if attempts else None


def locator_condition(locator: dict, now: float) -> LocatorCondition:
    """What is true of the locator, in a word. Pure. Never "up" beside a recent error (an error in the
    last 30 minutes makes it "degraded"); a locator that failed and never answered is "never reached",
    whatever its breaker (only one that answered before can be "recovering"); one never asked is not "up"."""
    state = BREAKER_STATES.get(locator.get("breaker") or "", "unknown")
    error_at = locator.get("last_error_at")
    if state in ("up", "recovering", "down") and not locator.get("last_ok"):
        state = NEVER_REACHED if error_at else NOT_ASKED
    elif state == "up" and error_at and now - float(error_at) < RECENT_ERROR_SECONDS:
        state = "degraded"
    return LocatorCondition(
        state,
        float(locator["last_ok"]) if locator.get("last_ok") else None,
        locator.get("last_error"),
        float(error_at) if error_at else None,
    )


def read_health(helpline: Helpline, now: float | None = None, failed_limit: int = 50) -> Health:
    """Everything the health page and the ops banner show; only `redis_ok=False` when Redis is down."""
    now = time.time() if now is None else now
    store, rq = helpline.store, helpline.queues.connection
    if not store.health.answers():
        return Health(redis_ok=False)
    health = Health()
    for worker in live_workers(rq):
        beat = worker.last_heartbeat.timestamp() if worker.last_heartbeat else None
        health.workers.append(WorkerHealth(worker.name, str(worker.get_state()), worker.queue_names(), beat))
    health.queues = queue_health(helpline.queues, now)
    for name in ALL_QUEUES:
        for job_id in FailedJobRegistry(name, connection=rq).get_job_ids(0, failed_limit - 1):
            health.failed_jobs.append(_failed_job(rq, name, job_id))
    health.redis_memory, health.redis_maxmemory = store.health.memory()
    failures = [n for n in figures.counter_names(store) if n.startswith(figures.DELIVERY_FAILED_PREFIX)]
    day = figures.hour_sums(store, ["sms.out", *failures], 24, now)
    health.texts_sent_24h = day.pop("sms.out")
    health.delivery_failed_24h = sum(day.values())
    health.callbacks = figures.queue_now(store, now)
    health.crisis_waiting = health.callbacks.crisis_waiting
    health.oldest_crisis_seconds = health.callbacks.oldest_crisis_seconds
    health.directory = directory_status(helpline, now)
    health.locator = locator_condition(health.directory.locator, now)
    health.read_at = now
    return health


def live_workers(connection) -> list[Worker]:
    """Workers whose heartbeat is alive: RQ forgets one whose key expired (its process is stopped,
    or died without saying goodbye)."""
    return Worker.all(connection=connection)


def queue_health(queues: Queues, now: float | None = None) -> list[QueueHealth]:
    """Waiting, running, failed and scheduled jobs of each queue, and how long the next one has waited."""
    rq = queues.connection
    now = time.time() if now is None else now
    return [
        QueueHealth(
            name,
            queues[name].count,
            len(StartedJobRegistry(name, connection=rq)),
            len(FailedJobRegistry(name, connection=rq)),
            len(ScheduledJobRegistry(name, connection=rq)),
            _oldest_waiting(queues, name, now),
            *_overdue(queues, name, now),
        )
        for name in ALL_QUEUES
    ]


def _overdue(queues: Queues, name: str, now: float) -> tuple[int, float | None]:
    """How many scheduled jobs of the queue are due, and for how long the first has been (a worker's
    scheduler moves each to its queue within a second or two of its time)."""
    registry = ScheduledJobRegistry(name, connection=queues.connection)
    due = registry.get_jobs_to_schedule(int(now))
    if not due:
        return 0, None
    first = registry.get_scheduled_time(due[0])
    return len(due), max(0.0, now - first.timestamp())


def _oldest_waiting(queues: Queues, name: str, now: float) -> float | None:
    """Seconds the job at the head of the queue has waited; None when none waits (or it cannot be read)."""
    for job_id in queues[name].get_job_ids(0, 0):
        try:
            job = Job.fetch(job_id, connection=queues.connection)
        except Exception:  # noqa: BLE001 - a job that vanished meanwhile waits no longer
            return None
        if job.enqueued_at:
            return max(0.0, now - job.enqueued_at.timestamp())
    return None


@dataclass(frozen=True)
class Readiness:
    """What GET /healthz answers: is the line working? Redis answers, a worker is alive, and the
    workers take the jobs queued (none has waited longer than `QUEUE_WAIT_SECONDS`)."""

    redis: bool
    workers: int = 0  # only workers whose heartbeat is alive
    queues: dict[str, int] = field(default_factory=dict)
    oldest_waiting: dict[str, float] = field(default_factory=dict)  # seconds, of each queue with jobs waiting
    overdue: dict[str, tuple[int, float]] = field(default_factory=dict)  # jobs due but not queued, and since

    @property
    def problems(self) -> list[str]:
        """Why the line is not healthy, in words (the ops banner's); empty when it is."""
        if not self.redis:
            return [REDIS_DOWN]
        if not self.workers:
            return [NO_WORKER]
        stalled = [
            stalled_queue(QueueHealth(name, waiting, 0, 0, 0, self.oldest_waiting.get(name)))
            for name, waiting in self.queues.items()
            if is_stalled(self.oldest_waiting.get(name))
        ]
        return stalled + [
            unscheduled_queue(QueueHealth(name, 0, 0, 0, 0, None, count, seconds))
            for name, (count, seconds) in self.overdue.items()
            if is_stalled(seconds)
        ]

    @property
    def healthy(self) -> bool:
        return not self.problems


def readiness(helpline: Helpline, now: float | None = None) -> Readiness:
    now = time.time() if now is None else now
    try:
        if not helpline.store.health.answers():
            return Readiness(redis=False)
        workers = len(live_workers(helpline.queues.connection))
        depths = helpline.queues.depths()
        oldest = {
            name: seconds
            for name, waiting in depths.items()
            if waiting and (seconds := _oldest_waiting(helpline.queues, name, now)) is not None
        }
        overdue = {name: due for name in depths if (due := _overdue(helpline.queues, name, now))[0]}
        return Readiness(redis=True, workers=workers, queues=depths, oldest_waiting=oldest, overdue=overdue)
    except StoreUnavailable:
        return Readiness(redis=False)


@dataclass(frozen=True)
class MetricReadings:
    """What /metrics reports, read at scrape time so every web process agrees."""

    totals: dict[str, int]
    callbacks: figures.CallbackFigures
    queues: list[QueueHealth]
    workers: int
    redis_used_memory: int


def metric_readings(helpline: Helpline) -> MetricReadings | None:
    """The counters and gauges now; None when Redis does not answer."""
    store = helpline.store
    try:
        return MetricReadings(
            totals=figures.totals(store),
            callbacks=figures.callback_figures(store),
            queues=queue_health(helpline.queues),
            workers=len(live_workers(helpline.queues.connection)),
            redis_used_memory=store.health.memory()[0],
        )
    except StoreUnavailable as exc:
        log.warning("event=metrics.redis_error error=%s", type(exc).__name__)
        return None


def _failed_job(rq, queue: str, job_id: str) -> FailedJob:
    try:
        job = Job.fetch(job_id, connection=rq)
    except Exception:  # noqa: BLE001 - a job that vanished or cannot be read is still listed
        return FailedJob(job_id, queue, "?", None, "unreadable")
    result = job.latest_result()
    error = ((result.exc_string if result else "") or "").strip().splitlines()[-1:] or ["?"]
    error_type = error[0].split(":", 1)[0][:80]
    ended = job.ended_at.timestamp() if job.ended_at else None
    return FailedJob(job_id, queue, job.func_name or "?", ended, error_type)


def is_queue(name: str) -> bool:
    return name in ALL_QUEUES


def retry_failed(queues: Queues, queue: str, job_id: str) -> bool:
    """Put a failed job back on its queue; False when it is no longer in the failed list."""
    registry = FailedJobRegistry(queue, connection=queues.connection)
    if job_id not in registry.get_job_ids():
        return False
    registry.requeue(job_id)
    return True


def delete_failed(queues: Queues, queue: str, job_id: str) -> bool:
    registry = FailedJobRegistry(queue, connection=queues.connection)
    if job_id not in registry.get_job_ids():
        return False
    registry.remove(job_id, delete_job=True)
    return True


REDIS_DOWN = "Redis is not answering: texts and calls cannot be handled."
NO_WORKER = "No worker is running: outbound texts and provider searches are not being sent."


def plural(count: int, word: str) -> str:
    """`1 job`, `3 jobs`. Pure."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def is_stalled(oldest_waiting_seconds: float | None) -> bool:
    """A job has waited so long that the workers are plainly not taking the queue's jobs. Pure."""
    return (oldest_waiting_seconds or 0) > QUEUE_WAIT_SECONDS


def stalled_queue(q: QueueHealth) -> str:
    minutes = int((q.oldest_waiting_seconds or 0) // 60)
    them = "it" if q.waiting == 1 else "them"
    return (
        f"Queue {q.name}: {plural(q.waiting, 'job')} waiting, the oldest for {minutes} min: "
        f"the workers are not taking {them} (stuck, or not listening to this queue)."
    )


def unscheduled_queue(q: QueueHealth) -> str:
    minutes = int((q.overdue_seconds or 0) // 60)
    jobs = "1 job" if q.overdue == 1 else f"{q.overdue:,} jobs"
    return (
        f"Queue {q.name}: {jobs} due {minutes} min ago {'is' if q.overdue == 1 else 'are'} still not queued: "
        "no worker's scheduler is running (texts held for the morning and retries wait). Restart the workers."
    )


def crisis_waiting_line(count: int, oldest_seconds: float | None) -> str:
    minutes = int((oldest_seconds or 0) // 60)
    if count == 1:
        return f"1 crisis request waiting to be called, for {minutes} min."
    return f"{count:,} crisis requests waiting to be called, the oldest for {minutes} min."


def needs_attention(health: Health) -> list[str]:
    """What a person should act on now, most urgent first. Pure."""
    if not health.redis_ok:
        return [REDIS_DOWN]
    issues = []
    if health.crisis_waiting and (health.oldest_crisis_seconds or 0) > CRISIS_WAIT_SECONDS:
        issues.append(crisis_waiting_line(health.crisis_waiting, health.oldest_crisis_seconds))
    if not health.workers:
        issues.append(NO_WORKER)
    for q in health.queues:
        if q.waiting > QUEUE_BACKLOG:
            issues.append(f"Queue {q.name} has {plural(q.waiting, 'job')} waiting.")
        elif health.workers and is_stalled(q.oldest_waiting_seconds):
            issues.append(stalled_queue(q))
        if health.workers and is_stalled(q.overdue_seconds):
            issues.append(unscheduled_queue(q))
    failed = sum(q.failed for q in health.queues)
    if failed:
        them = "it" if failed == 1 else "them"
        issues.append(f"{plural(failed, 'failed job')}: retry or delete {them} on the Health page.")
    rate = health.delivery_error_rate
    if rate is not None and rate > DELIVERY_ERROR_RATE:
        issues.append(f"{rate:.0%} of texts failed to deliver in the last 24 h.")
    if health.redis_maxmemory and health.redis_memory > REDIS_MEMORY_SHARE * health.redis_maxmemory:
        issues.append("Redis is close to its memory limit.")
    directory = health.directory
    if directory and directory.locator.get("breaker") == "open":
        issues.append("The FindTreatment.gov locator is down: searches use the imported directory only.")
    if directory and not directory.sources and directory.locator.get("breaker") == "disabled":
        issues.append("No provider directory is imported and the locator is off: searches find nobody.")
    elif (
        directory
        and not directory.sources
        and health.locator
        and health.locator.state in ("down", NEVER_REACHED)
    ):
        issues.append(
            "No provider directory is imported and the locator does not answer: texters who send a ZIP are "
            "told providers cannot be looked up. Import one (flask providers import FILE)."
        )
    for source in directory.sources if directory else []:
        if source.age_seconds and source.age_seconds > directory.stale_days * 86400:
            days = int(source.age_seconds // 86400)
            issues.append(f"Provider source {source.name} was imported {days} days ago: import a fresh file.")
    return issues
