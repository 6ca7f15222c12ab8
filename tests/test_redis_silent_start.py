"""Starting while the embedded Redis under var/ is there but silent (paused, as a server swapping or stuck
on a disk would be: alive, its socket open, answering nothing).

It is never replaced by a second server on its data. A worker (one process, or the worker host) waits for
it as for any Redis it cannot reach, and starts as soon as it answers; a stop meanwhile ends it cleanly. The
web (gunicorn) and a `flask` command say in one line which server is silent, that it was not replaced and
what to do, and exit non-zero, without a traceback. Real processes against a real paused server; every wait
polls with a deadline, and the server is resumed and stopped at the end whatever happened.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from rq import Queue, Worker
from rq.job import Job

from config.settings import PROJECT_ROOT
from helpline.infra import queues
from helpline.infra.embedded_redis import embedded_restarts
from tests import worker_process
from tests.servers import free_port
from tests.silent_redis import paused

STARTED_WITHIN = 90.0  # a worker starting on a loaded 2-core machine can take a while
ENDED_WITHIN = 60.0  # a silent server is given up on after 1 s here; the rest is a loaded machine's slack
WAITING = "event=worker.waiting_for_redis"


@pytest.fixture
def silent(settings):
    with paused(settings.var_dir) as server:
        yield server


@pytest.fixture
def env(settings):
    """A process of this test's checkout on the embedded server (no REDIS_URL), quick to give up on it."""
    every = worker_process.worker_env(settings, "", HELPLINE_REDIS_START_SECONDS="1")
    del every["REDIS_URL"]
    return {**every, "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root")}


def test_a_flask_command_says_which_redis_is_silent_and_what_to_do(silent, env):
    ended = subprocess.run(
        [sys.executable, "-m", "flask", "staff", "disable", "someone@example.org"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=ENDED_WITHIN,
    )
    assert ended.returncode != 0
    silent.said_what_to_do(ended.stdout + ended.stderr)
    assert [p.pid for p in silent.servers()] == [silent.pid]  # not joined by a second server


def test_the_web_says_which_redis_is_silent_and_exits(silent, env):
    ended = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "helpline:create_app()"],
        cwd=PROJECT_ROOT,
        env={**env, "PORT": str(free_port()), "WEB_CONCURRENCY": "1"},
        capture_output=True,
        text=True,
        timeout=ENDED_WITHIN,
    )
    assert ended.returncode != 0
    silent.said_what_to_do(ended.stdout + ended.stderr)
    assert [p.pid for p in silent.servers()] == [silent.pid]


def until_it_waits(process: subprocess.Popen, log) -> None:
    worker_process.wait_for(
        lambda: WAITING in log.read_text(errors="replace") or process.poll() is not None,
        "the worker to wait for Redis",
        STARTED_WITHIN,
        lambda: "\n--- worker log\n" + log.read_text(errors="replace")[-4000:],
    )
    assert process.poll() is None, log.read_text(errors="replace")


# A worker host here; one worker process's wait is the same wait (tests/test_worker_start.py runs it).
@pytest.mark.parametrize("processes", ["2"])
def test_a_worker_waits_for_a_silent_redis_and_works_once_it_answers(silent, env, tmp_path, processes):
    silent.resume()
    job = Queue(queues.HOUSEKEEPING, connection=silent.client()).enqueue("os.getpid")
    os.kill(silent.pid, signal.SIGSTOP)
    log = tmp_path / "worker.log"
    with worker_process.running_worker({**env, "HELPLINE_WORKER_PROCESSES": processes}, log) as process:
        until_it_waits(process, log)
        assert [p.pid for p in silent.servers()] == [silent.pid]

        silent.resume()  # `kill -CONT`: it answers again
        worker_process.wait_for(
            lambda: Job.fetch(job.id, connection=silent.client()).is_finished,
            "the job queued before Redis went silent",
            STARTED_WITHIN,
            lambda: "\n--- worker log\n" + log.read_text(errors="replace")[-4000:],
        )
        said = log.read_text(errors="replace")
        assert said.count(WAITING) == 1 and "error=TimeoutError" in said, said
        assert "event=worker.redis_answers" in said and "Traceback" not in said, said
        assert process.poll() is None


@pytest.mark.parametrize("processes", ["1", "2"], ids=["worker", "host"])
def test_a_stop_while_a_worker_waits_for_a_silent_redis_ends_it_cleanly(silent, env, tmp_path, processes):
    log = tmp_path / "worker.log"
    with worker_process.running_worker({**env, "HELPLINE_WORKER_PROCESSES": processes}, log) as process:
        until_it_waits(process, log)
        process.send_signal(signal.SIGTERM)
        worker_process.wait_for(
            lambda: process.poll() is not None, "the waiting worker to exit", ENDED_WITHIN
        )
        assert process.returncode == 0
        said = log.read_text(errors="replace")
        assert "event=worker.stopped_waiting_for_redis" in said and "Traceback" not in said, said
    silent.resume()
    assert Worker.all(connection=silent.client()) == []  # it wrote nothing there


def test_a_worker_waiting_on_a_silent_redis_restarts_it_once_it_is_killed(silent, env, tmp_path):
    """The operator kills the hung server: the waiting worker starts a new one, as a running worker would."""
    log = tmp_path / "worker.log"
    with worker_process.running_worker({**env, "HELPLINE_WORKER_PROCESSES": "1"}, log) as process:
        until_it_waits(process, log)
        os.kill(silent.pid, signal.SIGKILL)
        worker_process.wait_for(
            lambda: embedded_restarts(silent.var).count == 1 and Worker.all(connection=silent.client()),
            "the worker to restart Redis and start",
            STARTED_WITHIN,
            lambda: "\n--- worker log\n" + log.read_text(errors="replace")[-4000:],
        )
        assert len(silent.servers()) == 1
        assert "Traceback" not in log.read_text(errors="replace")
