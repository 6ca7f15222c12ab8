"""Is the line healthy? Workers, queues, failed jobs, Redis memory, delivery errors, directory.

`read_health` gathers the facts from Redis/RQ; `needs_attention` (pure) turns them into the
banner lines an operator must act on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import redis
from flask import current_app
from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from helpline.infra import queues
from helpline.services import figures

log = logging.getLogger(__name__)

QUEUE_BACKLOG = 50  # more waiting jobs than this means the workers are not keeping up
DELIVERY_ERROR_RATE = 0.10  # over 10% failed deliveries in 24 h: look at Twilio
REDIS_MEMORY_SHARE = 0.80  # of maxmemory
CRISIS_WAIT_SECONDS = 15 * 60  # a crisis request waiting longer than this needs a person


@dataclass
class QueueHealth:
    name: str
    waiting: int
    running: int
    failed: int
    scheduled: int


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
    directory: DirectoryHealth | None = None

    @property
    def delivery_error_rate(self) -> float | None:
        attempts = self.texts_sent_24h + self.delivery_failed_24h
        return self.delivery_failed_24h / attempts if attempts else None


def read_health(r: redis.Redis, now: float | None = None, failed_limit: int = 50) -> Health:
    now = time.time() if now is None else now
    health = Health()
    try:
        r.ping()
    except redis.RedisError:
        return Health(redis_ok=False)
    for worker in Worker.all(connection=r):
        beat = worker.last_heartbeat.timestamp() if worker.last_heartbeat else None
        health.workers.append(WorkerHealth(worker.name, str(worker.get_state()), worker.queue_names(), beat))
    for name in queues.ALL_QUEUES:
        failed = FailedJobRegistry(name, connection=r)
        health.queues.append(
            QueueHealth(
                name,
                queues.queue(name, r).count,
                len(StartedJobRegistry(name, connection=r)),
                len(failed),
                len(ScheduledJobRegistry(name, connection=r)),
            )
        )
        for job_id in failed.get_job_ids(0, failed_limit - 1):
            health.failed_jobs.append(_failed_job(r, name, job_id))
    memory = r.info("memory")
    health.redis_memory = int(memory.get("used_memory", 0))
    health.redis_maxmemory = int(memory.get("maxmemory", 0))
    names = [n for n in figures.counter_names(r) if n.startswith(figures.DELIVERY_FAILED_PREFIX)] + [
        "sms.out"
    ]
    day = {n: sum(p.value for p in figures.hourly(r, n, 24, now)) for n in names}
    health.texts_sent_24h = day.pop("sms.out")
    health.delivery_failed_24h = sum(day.values())
    callbacks = figures.callback_figures(r, now=now)
    health.crisis_waiting = callbacks.crisis_waiting
    health.oldest_crisis_seconds = callbacks.oldest_crisis_seconds
    health.directory = directory_status(r, now)
    return health


def _failed_job(r: redis.Redis, queue: str, job_id: str) -> FailedJob:
    try:
        job = Job.fetch(job_id, connection=r)
    except Exception:  # noqa: BLE001 - a job that vanished or cannot be read is still listed
        return FailedJob(job_id, queue, "?", None, "unreadable")
    result = job.latest_result()
    error = ((result.exc_string if result else "") or "").strip().splitlines()[-1:] or ["?"]
    error_type = error[0].split(":", 1)[0][:80]
    ended = job.ended_at.timestamp() if job.ended_at else None
    return FailedJob(job_id, queue, job.func_name or "?", ended, error_type)


def retry_failed(r: redis.Redis, queue: str, job_id: str) -> bool:
    registry = FailedJobRegistry(queue, connection=r)
    if job_id not in registry.get_job_ids():
        return False
    registry.requeue(job_id)
    return True


def delete_failed(r: redis.Redis, queue: str, job_id: str) -> bool:
    registry = FailedJobRegistry(queue, connection=r)
    if job_id not in registry.get_job_ids():
        return False
    registry.remove(job_id, delete_job=True)
    return True


@dataclass
class DirectorySource:
    name: str
    count: int
    file: str
    age_seconds: float | None


@dataclass
class DirectoryHealth:
    version: str | None = None
    sources: list[DirectorySource] = field(default_factory=list)
    locator: dict = field(default_factory=dict)  # url, breaker (closed|open|half-open|disabled), last_ok …
    stale_days: int = 365
    error: str | None = None


def directory_status(r: redis.Redis, now: float, app=None) -> DirectoryHealth:
    """Provider sources (last import, its age) and the locator API (up / down), for the ops pages."""
    from helpline.services import provider_search as search
    from helpline.store import directory as repository

    app = app or current_app._get_current_object()
    result = DirectoryHealth(stale_days=app.config["SETTINGS"].directory_stale_days)
    try:
        result.version = repository.current_version(r)
        meta = repository.meta(r, result.version) if result.version else {}
        for name, source in sorted((meta.get("sources") or {}).items()):
            imported = source.get("imported_at")
            age = now - float(imported) if imported else None
            result.sources.append(
                DirectorySource(name, int(source.get("count", 0)), source.get("file", ""), age)
            )
        result.locator = search.locator_of(app).health()
    except Exception as exc:  # noqa: BLE001 - a directory problem must not take the ops page down
        log.warning("event=ops.directory_status_failed error=%s", type(exc).__name__)
        result.error = type(exc).__name__
    return result


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
