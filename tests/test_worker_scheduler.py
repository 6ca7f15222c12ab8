"""A worker's RQ scheduler lives and dies with its worker, and outlasts a Redis that drops its connection.

A real `python -m workers` host with two workers; one worker is killed with SIGKILL. Its scheduler must
stop too (an orphan would keep the scheduler locks, so no living worker would schedule), and a living
worker's scheduler takes the locks: a job due in a second still runs. A Redis outage does not end the
scheduler. Every wait polls with a deadline.
"""

from __future__ import annotations

import datetime as dt

import psutil
import pytest
from rq import Queue, Worker
from rq.job import Job
from rq.scheduler import RQScheduler

from helpline.infra import queues
from tests import worker_process
from tests.redis_faults import FaultyLink

STARTED_WITHIN = 90.0  # a worker host starting on a loaded 2-core machine can take a while
MAINTENANCE = 2  # seconds between a worker's maintenance passes (where it takes free scheduler locks)


@pytest.fixture
def worker_env(settings, redis_url):
    return worker_process.worker_env(
        settings,
        redis_url,
        HELPLINE_WORKER_PROCESSES="2",
        HELPLINE_WORKER_MAINTENANCE_SECONDS=str(MAINTENANCE),
        # idle, a worker waits TTL - 15 = 5 s for a job, then does maintenance
        HELPLINE_WORKER_TTL="20",
    )


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def schedulers(redis) -> list[psutil.Process] | None:
    """The running scheduler processes holding the queues' scheduler locks (RQ may share them out), when
    every lock is held by one."""
    found = []
    for name in queues.ALL_QUEUES:
        owner = redis.get(RQScheduler.get_locking_key(name))
        try:
            scheduler = RQScheduler.fetch(owner.decode(), redis) if owner else None
        except Exception:
            return None
        if scheduler is None or not scheduler.pid or not running(scheduler.pid):
            return None
        found.append(psutil.Process(scheduler.pid))
    return found


def test_a_killed_workers_scheduler_stops_and_a_living_worker_schedules(worker_env, client, redis, tmp_path):
    log = tmp_path / "worker.log"

    def worker_log() -> str:
        return "\n--- worker log\n" + log.read_text(errors="replace")[-4000:] if log.exists() else ""

    def healthy_with_two() -> bool:
        answer = client.get("/healthz")
        return answer.status_code == 200 and answer.get_json()["workers"] == 2

    with worker_process.running_worker(worker_env, log) as host:
        worker_process.wait_for(healthy_with_two, "the two workers to start", STARTED_WITHIN, worker_log)
        scheduler = worker_process.wait_for(lambda: schedulers(redis), "a scheduler", 30, worker_log)[0]
        its_worker = psutil.Process(scheduler.ppid())
        assert its_worker.ppid() == host.pid  # the scheduler is a worker's child, the worker the host's

        its_worker.kill()  # SIGKILL, as the kernel's OOM killer would
        worker_process.wait_for(
            lambda: not running(scheduler.pid), "the killed worker's scheduler to stop", 30, worker_log
        )
        # The host starts a worker in its place; a living worker's scheduler holds the locks.
        worker_process.wait_for(healthy_with_two, "a new worker in its place", STARTED_WITHIN, worker_log)

        def living_workers() -> set[int]:
            return {w.pid for w in Worker.all(connection=redis) if running(w.pid)}

        replacement = worker_process.wait_for(
            lambda: (
                (found := schedulers(redis)) and all(p.ppid() in living_workers() for p in found) and found
            ),
            "a living worker's scheduler to take the locks",
            30,
            worker_log,
        )
        assert scheduler.pid not in {p.pid for p in replacement}

        job = Queue(queues.HOUSEKEEPING, connection=redis).enqueue_in(dt.timedelta(seconds=1), "os.getpid")
        worker_process.wait_for(
            lambda: Job.fetch(job.id, connection=redis).is_finished, "the job due in a second", 30, worker_log
        )
        assert "Traceback" not in log.read_text(errors="replace")


def test_the_scheduler_outlasts_redis_dropping_every_connection(worker_env, client, redis, tmp_path):
    log = tmp_path / "worker.log"

    def worker_log() -> str:
        return "\n--- worker log\n" + log.read_text(errors="replace")[-4000:] if log.exists() else ""

    with FaultyLink(worker_env["REDIS_URL"]) as link:
        env = {**worker_env, "REDIS_URL": link.url, "HELPLINE_WORKER_PROCESSES": "1"}
        with worker_process.running_worker(env, log):
            scheduler = worker_process.wait_for(
                lambda: schedulers(redis), "a scheduler", STARTED_WITHIN, worker_log
            )[0]
            link.cut_when(lambda data: True, down=True)  # every connection dropped, none taken: Redis gone
            met = ("event=scheduler.redis_unavailable", "raised an exception")  # going on, or dead
            worker_process.wait_for(
                lambda: any(words in log.read_text(errors="replace") for words in met),
                "the scheduler to meet the outage",
                60,
                worker_log,
            )
            link.restore()
            job = Queue(queues.HOUSEKEEPING, connection=redis).enqueue_in(
                dt.timedelta(seconds=1), "os.getpid"
            )
            worker_process.wait_for(
                lambda: Job.fetch(job.id, connection=redis).is_finished,
                "the job due in a second",
                60,
                worker_log,
            )
            assert running(scheduler.pid) and {p.pid for p in schedulers(redis)} == {
                scheduler.pid
            }  # the same one goes on
            said = log.read_text(errors="replace")
            assert "raised an exception" not in said and "event=scheduler.redis_back" in said
