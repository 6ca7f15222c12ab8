"""A real `python -m workers` starting in what an on-call operator meets: Redis unreachable, or a stop.

Started while Redis cannot be reached, the worker (one process, or the worker host of two) says so once and
keeps trying; once Redis answers it works, and the job queued meanwhile runs. Asked to stop while it waits,
or while it is still starting (held mid-way by a Redis command kept back), it exits 0 at once, without a
traceback, leaving nothing registered in Redis. Redis is made unreachable by a real network hop that turns
every connection away (tests/redis_faults.py). Every wait polls with a deadline.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time

import psutil
import pytest
from rq import Queue, Worker
from rq.job import Job
from rq.scheduler import RQScheduler

from helpline.infra import queues
from tests import worker_process
from tests.redis_faults import FaultyLink
from workers import early_stop
from workers.__main__ import make_worker

STARTED_WITHIN = 90.0  # a worker starting on a loaded 2-core machine can take a while
STOPPED_WITHIN = 30.0  # a stop is heard within a second; the rest is a loaded machine's slack
WAITING = "event=worker.waiting_for_redis"


@pytest.fixture
def worker_env(settings, redis_url):
    return worker_process.worker_env(settings, redis_url)


def log_reader(log):
    def worker_log() -> str:
        return "\n--- worker log\n" + log.read_text(errors="replace")[-4000:] if log.exists() else ""

    return worker_log


def exit_code(process: subprocess.Popen, what: str, worker_log) -> int:
    worker_process.wait_for(lambda: process.poll() is not None, what, STOPPED_WITHIN, worker_log)
    return process.returncode


def nothing_registered(redis, store) -> None:
    """No worker in RQ's registry (nor in any queue's), no scheduler lock held nor scheduler listed, and no
    claim list owner: nothing a later recovery would take for a worker that died."""
    assert Worker.all(connection=redis) == []
    for name in queues.ALL_QUEUES:
        assert Worker.all(queue=Queue(name, connection=redis)) == []
        assert redis.get(RQScheduler.get_locking_key(name)) is None
    assert redis.keys("rq:scheduler:*") == []
    assert store.worker_claims.owners() == set()


def until_it_waits_for_redis(process: subprocess.Popen, log) -> None:
    """Until the worker says it waits for Redis (or has exited: it did not wait)."""
    worker_process.wait_for(
        lambda: WAITING in log.read_text(errors="replace") or process.poll() is not None,
        "the worker to wait for Redis",
        STARTED_WITHIN,
        log_reader(log),
    )
    assert process.poll() is None, log_reader(log)()


def stop_family(process: subprocess.Popen, signum: int) -> None:
    """`signum` to the process and everything it started, as honcho (its process group) and a terminal's
    Ctrl-C do."""
    family = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.send_signal(signum)


# One worker process here; a worker host's wait is the same wait (tests/test_redis_silent_start.py runs it).
@pytest.mark.parametrize("processes", ["1"])
def test_started_while_redis_is_unreachable_it_waits_and_then_works(
    worker_env, redis, store, tmp_path, processes
):
    log = tmp_path / "worker.log"
    worker_log = log_reader(log)
    job = Queue(queues.HOUSEKEEPING, connection=redis).enqueue("os.getpid")

    with FaultyLink(worker_env["REDIS_URL"]) as link:
        link.cut_when(lambda data: True, down=True)  # every connection turned away: Redis unreachable
        env = {**worker_env, "REDIS_URL": link.url, "HELPLINE_WORKER_PROCESSES": processes}
        with worker_process.running_worker(env, log) as process:
            until_it_waits_for_redis(process, log)
            # It keeps trying, and says so once.
            worker_process.wait_for(lambda: link.refused >= 1, "a try again", STARTED_WITHIN, worker_log)
            assert process.poll() is None
            assert Job.fetch(job.id, connection=redis).get_status() == "queued"

            link.restore()  # Redis answers again
            worker_process.wait_for(
                lambda: Job.fetch(job.id, connection=redis).is_finished,
                "the job queued while Redis was away",
                STARTED_WITHIN,
                worker_log,
            )
            said = log.read_text(errors="replace")
            assert said.count(WAITING) == 1
            assert "Redis cannot be reached" in said and "event=worker.redis_answers" in said
            assert "Traceback" not in said


@pytest.mark.parametrize(
    ("processes", "signum"),
    [("1", signal.SIGTERM), ("1", signal.SIGINT), ("2", signal.SIGTERM)],
    ids=["worker-sigterm", "worker-ctrl-c", "host-sigterm"],
)
def test_a_stop_while_it_waits_for_redis_ends_it_at_once(
    worker_env, redis, store, tmp_path, processes, signum
):
    log = tmp_path / "worker.log"
    worker_log = log_reader(log)

    with FaultyLink(worker_env["REDIS_URL"]) as link:
        link.cut_when(lambda data: True, down=True)
        env = {**worker_env, "REDIS_URL": link.url, "HELPLINE_WORKER_PROCESSES": processes}
        with worker_process.running_worker(env, log) as process:
            until_it_waits_for_redis(process, log)
            stop_family(process, signum)
            assert exit_code(process, "the waiting worker to exit", worker_log) == 0
            said = log.read_text(errors="replace")
            assert "Traceback" not in said and "event=worker.stopped_waiting_for_redis" in said
    nothing_registered(redis, store)


def acquires_a_scheduler_lock(data: bytes) -> bool:
    """The worker taking the scheduler locks as it starts: it is registered, its scheduler not yet started."""
    return b"rq:scheduler-lock:" in data and b"EVAL" in data


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_worker_stopped_while_it_starts_exits_cleanly_with_nothing_registered(
    worker_env, redis, store, tmp_path, processes
):
    log = tmp_path / "worker.log"
    worker_log = log_reader(log)

    with FaultyLink(worker_env["REDIS_URL"]) as link:
        link.hold_when(acquires_a_scheduler_lock)  # the start-up is held half-way
        env = {**worker_env, "REDIS_URL": link.url, "HELPLINE_WORKER_PROCESSES": processes}
        with worker_process.running_worker(env, log) as process:
            link.wait_held(STARTED_WITHIN)
            assert Worker.all(connection=redis)  # half-way: registered, not yet listening for a stop
            stop_family(process, signal.SIGTERM)
            link.let_go()
            assert exit_code(process, "the starting worker to exit", worker_log) == 0
            said = log.read_text(errors="replace")
            assert "Traceback" not in said and "event=worker.stop_requested_while_starting" in said
    nothing_registered(redis, store)


class SlowToListen(logging.Handler):
    """In a forked scheduler only: its first log line, before it listens for a stop, waits until a stop has
    reached it, as a scheduler slow to start on a loaded machine would be when the stop comes."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.parent = os.getpid()

    def emit(self, record: logging.LogRecord) -> None:
        if os.getpid() == self.parent:
            return
        end = time.monotonic() + STOPPED_WITHIN
        while not early_stop.requested() and time.monotonic() < end:
            time.sleep(0.01)  # polling interval, in the scheduler process


def test_a_scheduler_stopped_before_it_listens_stops(helpline, redis):
    """A stop asked for while the worker started reaches its scheduler as soon as it is forked, before the
    scheduler listens for it (the worker's start-up handler, which only notes a stop, is still in place):
    sent again until the scheduler stops, it is not lost, and the worker does not wait for it for ever."""
    handlers = {signum: signal.getsignal(signum) for signum in early_stop.STOP_SIGNALS}
    early_stop.keep()  # as in a worker process while it starts
    slow, scheduler_log = SlowToListen(), logging.getLogger("rq.scheduler")
    level = scheduler_log.level
    scheduler_log.addHandler(slow)
    scheduler_log.setLevel(logging.INFO)
    worker = make_worker(helpline)
    try:
        worker._start_scheduler()
        stopping = threading.Thread(target=worker.stop_scheduler, daemon=True)
        stopping.start()  # at once, as a worker asked to stop while it started does
        worker_process.wait_for(lambda: not stopping.is_alive(), "the scheduler to stop", STOPPED_WITHIN)
    finally:
        scheduler_log.removeHandler(slow)
        scheduler_log.setLevel(level)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        process = worker.scheduler._process if worker.scheduler else None
        if process is not None and process.is_alive():
            process.kill()
            process.join(10)
    for name in queues.ALL_QUEUES:
        assert redis.get(RQScheduler.get_locking_key(name)) is None
    assert redis.keys("rq:scheduler:*") == []


def test_redis_lost_as_a_worker_goes_back_to_waiting_for_work_it_waits_and_works_on(
    worker_env, redis, tmp_path
):
    """Redis drops the connection just as the worker, its job done, says it is idle again (RQ writes that
    before it waits, outside its own handling of a Redis outage): the worker waits for Redis, not quits."""
    log = tmp_path / "worker.log"
    worker_log = log_reader(log)
    housekeeping = Queue(queues.HOUSEKEEPING, connection=redis)

    def finished(job) -> bool:
        return Job.fetch(job.id, connection=redis).is_finished

    def says_idle(data: bytes) -> bool:
        """The worker's "idle" on its own (not in the transaction that records a job's end)."""
        return (
            b"MULTI" not in data and b"HSET" in data and b"\r\nstate\r\n" in data and b"\r\nidle\r\n" in data
        )

    with FaultyLink(worker_env["REDIS_URL"]) as link:
        env = {**worker_env, "REDIS_URL": link.url, "HELPLINE_WORKER_PROCESSES": "1"}
        with worker_process.running_worker(env, log) as process:
            first = housekeeping.enqueue("os.getpid")
            worker_process.wait_for(lambda: finished(first), "the first job", STARTED_WITHIN, worker_log)
            link.cut_when(says_idle, down=True)
            # As it hands this job to a job slot it says it is idle again, waiting for the next: Redis is gone
            # (the job's own bookkeeping meets the outage too, and RQ deals with that as with any job's).
            housekeeping.enqueue("os.getpid")
            # Its tries run out while Redis is still away: it says so and waits (it used to quit).
            worker_process.wait_for(
                lambda: (
                    "event=worker.state_unsaved" in log.read_text(errors="replace")
                    or process.poll() is not None
                ),
                "the worker to give up on that write",
                STARTED_WITHIN,
                worker_log,
            )
            assert link.cuts == 1 and process.poll() is None, worker_log()

            link.restore()
            after = housekeeping.enqueue("os.getpid")
            worker_process.wait_for(
                lambda: finished(after),
                "a job after Redis is back",
                STARTED_WITHIN,
                worker_log,
            )
            assert process.poll() is None
            assert "unhandled exception" not in log.read_text(errors="replace")
