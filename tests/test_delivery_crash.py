"""Real `python -m workers` processes killed with SIGKILL mid-send, and a Redis crash: the texter
still gets exactly one text. Workers run as subprocesses; every wait polls with a deadline."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import redis as redis_lib
from rq import Worker

from config.settings import PROJECT_ROOT
from helpline import create_app
from helpline.infra import queues, sender
from helpline.infra.burst import drain
from helpline.infra.embedded_redis import _embedded_paths, ensure_embedded_server, stop_embedded_server
from helpline.store import Keys
from tests import worker_process
from tests.conftest import HELPLINE_NUMBER, TEXTER
from workers.claiming import recover_abandoned

DEADLINE = 90.0  # generous: a worker starting on a loaded 2-core machine can take a while


_log_dirs: list[Path] = []


def worker_logs() -> str:
    """The last lines of every worker's log, for a failure message."""
    return "".join(
        f"\n--- {log.name}\n" + "".join(log.read_text(errors="replace").splitlines(True)[-15:])
        for folder in _log_dirs
        for log in sorted(folder.glob("worker-*.log"))
    )


def wait_for(condition, what: str, timeout: float = DEADLINE):
    return worker_process.wait_for(condition, what, timeout, details=worker_logs)


class Workers:
    """Starts `python -m workers` processes for a settings object; kills what is left at the end."""

    def __init__(self, settings, redis_url: str, log_dir: Path):
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "REDIS_URL": redis_url,
            "HELPLINE_VAR_DIR": str(settings.var_dir),
            "HELPLINE_DATA_KEY": settings.data_key,
            "SECRET_KEY": settings.secret_key,
            "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
            "TWILIO_API_URL": settings.twilio_api_url,
            "TWILIO_PHONE_NUMBER": HELPLINE_NUMBER,
            "LOG_LEVEL": "INFO",
        }
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        _log_dirs[:] = [log_dir]

    def start(self) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "workers"], cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=log
        )
        self.processes.append(process)
        return process

    kill_tree = staticmethod(worker_process.kill_tree)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # a warm shutdown, as honcho does
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=10)
            self.kill_tree(process)


@pytest.fixture
def workers(live_twilio_settings, redis_url, tmp_path):
    pool = Workers(live_twilio_settings, redis_url, tmp_path)
    yield pool
    pool.close()


@pytest.fixture
def app(live_twilio_app):
    return live_twilio_app


def sent_marker(store, key: str) -> str:
    return (store._r.get(Keys.sent(key)) or b"").decode()


@pytest.mark.parametrize("after_accept", [True, False], ids=["after-twilio-took-it", "before-twilio-took-it"])
def test_a_worker_killed_mid_send_is_recovered_and_texts_exactly_once(
    store, helpline, redis, client, twilio_fake, workers, after_accept
):
    twilio_fake.hold_next(after_accept=after_accept)
    first = workers.start()
    sender.queue_text(helpline, TEXTER, "Your nearest providers", "crash-1")
    wait_for(twilio_fake.holding.is_set, "the worker to be inside the Twilio request")
    assert sent_marker(store, "crash-1").startswith("sending:")

    workers.kill_tree(first)
    twilio_fake.release()
    assert len(twilio_fake.to(TEXTER)) == (1 if after_accept else 0)

    workers.start()  # a new worker finds the dead one's job and RQ retries it
    wait_for(lambda: sent_marker(store, "crash-1").startswith("sent:"), "the text to be recorded as sent")

    [message] = twilio_fake.to(TEXTER)
    assert message["Body"] == "Your nearest providers"
    assert sent_marker(store, "crash-1") == f"sent:{message['Sid']}"
    turns = [t["text"] for t in store.conversation(store.vault.phone_id(TEXTER))]
    assert turns == ["Your nearest providers"]
    # The dead host's workers no longer count as alive; the new host's do, and /healthz says so.
    processes = helpline.settings.worker_processes
    assert wait_for(
        lambda: len(Worker.all(connection=redis)) == processes, "only the live workers registered"
    )
    assert client.get("/healthz").get_json()["workers"] == processes


def test_many_texts_survive_a_worker_killed_in_the_middle_of_a_batch(store, helpline, twilio_fake, workers):
    phones = [f"+1555123{n:04d}" for n in range(40)]
    first = workers.start()
    for n, phone in enumerate(phones):
        sender.queue_text(helpline, phone, f"Answer {n}", f"batch-{n}")
    wait_for(lambda: len(twilio_fake.messages) >= 5, "some texts to go out")
    workers.kill_tree(first)
    workers.start()
    wait_for(lambda: len(twilio_fake.messages) >= len(phones), "every text to go out")
    wait_for(
        lambda: all(sent_marker(store, f"batch-{n}").startswith("sent:") for n in range(40)), "all recorded"
    )
    assert sorted(m["To"] for m in twilio_fake.messages) == sorted(phones)  # each once, none lost


def _worker_pids(host: subprocess.Popen) -> set[int]:
    """The worker processes a `python -m workers` host runs (its children)."""
    return {child.pid for child in psutil.Process(host.pid).children()}


def _ended(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE  # ended, not yet reaped by whoever adopted it
    except psutil.NoSuchProcess:
        return True


def _texts_each_once(helpline, twilio_fake, prefix: str, count: int) -> None:
    phones = [f"+1555{prefix}{n:04d}" for n in range(count)]
    for n, phone in enumerate(phones):
        sender.queue_text(helpline, phone, f"Answer {n}", f"{prefix}-{n}")
    wait_for(lambda: all(twilio_fake.to(phone) for phone in phones), "every text to go out")
    assert [len(twilio_fake.to(phone)) for phone in phones] == [1] * count


def test_a_worker_host_runs_its_workers_and_replaces_one_that_dies(
    helpline, redis, client, twilio_fake, workers
):
    host = workers.start()
    health = lambda: client.get("/healthz").get_json()["workers"]  # noqa: E731
    wait_for(lambda: health() == 2, "the host's two workers to start")
    first = _worker_pids(host)
    assert len(first) == 2
    _texts_each_once(helpline, twilio_fake, "201", 20)

    os.kill(min(first), signal.SIGKILL)  # one worker dies (the OOM killer, a crash)
    wait_for(lambda: len(_worker_pids(host) - first) == 1 and health() == 2, "a new worker in its place")
    assert host.poll() is None
    _texts_each_once(helpline, twilio_fake, "202", 20)


def test_a_worker_host_stops_warmly_on_sigterm(redis, workers):
    host = workers.start()
    wait_for(lambda: len(Worker.all(connection=redis)) == 2, "the host's two workers to start")
    host.send_signal(signal.SIGTERM)  # honcho, `make stop`
    assert host.wait(timeout=DEADLINE) == 0
    assert Worker.all(connection=redis) == []  # each said goodbye: none is counted as alive


def test_workers_whose_host_was_killed_stop_on_their_own(redis, workers):
    host = workers.start()
    wait_for(lambda: len(Worker.all(connection=redis)) == 2, "the host's two workers to start")
    orphans = [psutil.Process(pid) for pid in _worker_pids(host)]
    host.send_signal(signal.SIGKILL)  # only the host: nothing would restart or stop its workers
    host.wait(timeout=DEADLINE)
    wait_for(lambda: all(_ended(process) for process in orphans), "the orphaned workers to stop")
    wait_for(lambda: Worker.all(connection=redis) == [], "the workers to unregister")


def _crash_redis(var: Path) -> None:
    data_dir, _ = _embedded_paths(var)
    redis_server = psutil.Process(int((data_dir / "redis.pid").read_text()))
    redis_server.send_signal(signal.SIGKILL)
    wait_for(lambda: _ended(redis_server), "redis to die")


def test_queued_texts_survive_a_redis_crash_and_restart(live_twilio_settings, twilio_fake, tmp_path):
    """Its own embedded Redis (append-only, fsync always), killed with SIGKILL while texts wait,
    and again under a running worker: the worker reconnects and sends each text once."""
    var = tmp_path / "own-redis"
    # "always": with everysec Redis may hold acknowledged writes back while the disk is slow, and a kill
    # loses them (Redis documents it); this test is about what the workers do with what Redis kept.
    url = ensure_embedded_server(var, appendfsync="always")
    settings = live_twilio_settings.with_overrides(redis_url=url)
    app = create_app(settings)
    pool = Workers(settings, url, tmp_path)
    client = redis_lib.Redis.from_url(url)
    try:
        with app.app_context():
            helpline = app.extensions["helpline"]
            for n in range(5):
                sender.queue_text(helpline, TEXTER, f"Kept {n}", f"redis-{n}")
            _crash_redis(var)
            # The restart: everything accepted before the crash is there.
            ensure_embedded_server(var, appendfsync="always")
            worker = pool.start()
            wait_for(lambda: len(twilio_fake.messages) >= 5, "the queued texts to go out")
            wait_for(lambda: all(client.get(Keys.sent(f"redis-{n}")) for n in range(5)), "all recorded")

            _crash_redis(var)  # now with the worker connected and waiting for work
            ensure_embedded_server(var, appendfsync="always")
            for n in range(5, 8):
                sender.queue_text(helpline, TEXTER, f"Kept {n}", f"redis-{n}")
            wait_for(lambda: len(twilio_fake.messages) >= 8, "the texts queued after the restart")
            assert worker.poll() is None  # the same worker, reconnected
            assert sorted(m["Body"] for m in twilio_fake.to(TEXTER)) == [f"Kept {n}" for n in range(8)]
    finally:
        pool.close()
        stop_embedded_server(var)


def test_a_popped_job_of_a_worker_long_gone_is_put_back(store, helpline, redis, twilio_fake):
    """A worker died right after taking a job off the queue, and its RQ key has since expired."""
    sender.queue_text(helpline, TEXTER, "Still coming", "gone-1")
    urgent = queues.queue(queues.URGENT, redis)
    store.worker_claims.add_owner("ghost")
    store.worker_claims.take(urgent.key, "ghost")  # what its dequeue did
    assert urgent.count == 0

    assert recover_abandoned(store) == 1
    assert urgent.job_ids == ["text-gone-1"]
    assert not redis.exists(Keys.worker_claims("ghost"))
    drain(redis, scheduled_now=True)
    assert [m["Body"] for m in twilio_fake.to(TEXTER)] == ["Still coming"]


def test_a_scheduler_caught_starting_up_does_not_stop_a_worker_starting(store, redis):
    """Two workers of a host start at once: one's scheduler has taken its lock but not yet written
    all of its record when the other looks for dead schedulers. The one starting must go on."""
    from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

    redis.set(RQScheduler.get_locking_key(queues.URGENT), "starting")
    redis.hset(SCHEDULER_KEY_TEMPLATE % "starting", mapping={"hostname": "this-host"})
    assert recover_abandoned(store) == 0
    assert redis.get(RQScheduler.get_locking_key(queues.URGENT)) == b"starting"  # not taken from it
