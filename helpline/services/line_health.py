"""Is the line healthy? Workers, queues, failed jobs, Redis memory, delivery errors, directory.

`read_health` gathers the facts from Redis and RQ for the ops pages, `readiness` the few /healthz
answers, `metric_readings` what /metrics reports; `needs_attention` (pure) turns the facts into
the banner lines an operator must act on.
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


@dataclass
class QueueHealth:
    name: str
    waiting: int
    running: int
    failed: int
    scheduled: int
    oldest_waiting_seconds: float | None = None  # how long the next job in line has waited


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

    state: str  # up | degraded | recovering | down | off | unknown
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
    crisis_waiting: int = 0
    oldest_crisis_seconds: float | None = None
    directory: DirectoryStatus | None = None
    locator: LocatorCondition | None = None
    read_at: float = 0.0

    @property
    def delivery_error_rate(self) -> float | None:
        attempts = self.texts_sent_24h + self.delivery_failed_24h
        return self.delivery_failed_24h / attempts if attempts else None


def locator_condition(locator: dict, now: float) -> LocatorCondition:
    """Never "up" beside a recent error: an error in the last 30 minutes makes it "degraded". Pure."""
    state = BREAKER_STATES.get(locator.get("breaker") or "", "unknown")
    error_at = locator.get("last_error_at")
    if state == "up" and error_at and now - float(error_at) < RECENT_ERROR_SECONDS:
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
    for worker in Worker.all(connection=rq):
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
    callbacks = figures.callback_figures(store, now=now)
    health.crisis_waiting = callbacks.crisis_waiting
    health.oldest_crisis_seconds = callbacks.oldest_crisis_seconds
    health.directory = directory_status(helpline, now)
    health.locator = locator_condition(health.directory.locator, now)
    health.read_at = now
    return health


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
        )
        for name in ALL_QUEUES
    ]


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
    """What GET /healthz answers: can this instance serve?"""

    redis: bool
    workers: int = 0  # only workers whose heartbeat is alive
    queues: dict[str, int] = field(default_factory=dict)


def readiness(helpline: Helpline) -> Readiness:
    try:
        if not helpline.store.health.answers():
            return Readiness(redis=False)
        workers = len(Worker.all(connection=helpline.queues.connection))
        return Readiness(redis=True, workers=workers, queues=helpline.queues.depths())
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
            workers=Worker.count(connection=helpline.queues.connection),
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


def needs_attention(health: Health) -> list[str]:
    """What a person should act on now, most urgent first. Pure."""
    if not health.redis_ok:
        return ["Redis is not answering: texts and calls cannot be handled."]
    issues = []
    if health.crisis_waiting and (health.oldest_crisis_seconds or 0) > CRISIS_WAIT_SECONDS:
        minutes = int((health.oldest_crisis_seconds or 0) // 60)
        issues.append(f"{health.crisis_waiting} crisis callback(s) waiting, the oldest for {minutes} min.")
    if not health.workers:
        issues.append("No worker is running: outbound texts and provider searches are not being sent.")
    for q in health.queues:
        if q.waiting > QUEUE_BACKLOG:
            issues.append(f"Queue {q.name} has {q.waiting} jobs waiting.")
        elif health.workers and (q.oldest_waiting_seconds or 0) > QUEUE_WAIT_SECONDS:
            minutes = int((q.oldest_waiting_seconds or 0) // 60)
            issues.append(
                f"Queue {q.name}: {q.waiting} job(s) waiting, the oldest for {minutes} min: "
                "the workers are not taking them (stuck, or not listening to this queue)."
            )
    failed = sum(q.failed for q in health.queues)
    if failed:
        issues.append(f"{failed} failed job(s): retry or delete them on the Health page.")
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
    for source in directory.sources if directory else []:
        if source.age_seconds and source.age_seconds > directory.stale_days * 86400:
            days = int(source.age_seconds // 86400)
            issues.append(f"Provider source {source.name} was imported {days} days ago: import a fresh file.")
    return issues
