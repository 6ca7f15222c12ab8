"""The embedded Redis killed with SIGKILL under a running service: the next web request or worker
command restarts it, every process reconnects by itself, and /healthz says it happened.

Each test runs its own embedded server (no REDIS_URL), the way `make run` does."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import psutil
import pytest
import redis as redis_lib
from redis.backoff import NoBackoff
from redis.retry import Retry

from helpline import create_app
from helpline.devtools.simulate_call import call_params
from helpline.infra.embedded_redis import (
    NotAnswering,
    _embedded_paths,
    embedded_restarts,
    ensure_embedded_server,
    heal_embedded_server,
    stop_embedded_server,
)
from helpline.store import client as redis_client
from tests import worker_process
from tests.conftest import HELPLINE_NUMBER, TEXTER
from tests.worker_process import running_worker, texts_to

DEADLINE = 60.0  # a worker starting on a loaded 2-core machine can take a while


def wait_for(condition, what: str, timeout: float = DEADLINE):
    return worker_process.wait_for(condition, what, timeout)


def probe(var) -> redis_lib.Redis:
    """A client of the embedded server that never retries: the service's client would restart it."""
    _, socket = _embedded_paths(var)
    return redis_lib.Redis(unix_socket_path=str(socket), socket_timeout=1, retry=Retry(NoBackoff(), 0))


def answers(var) -> bool:
    """Is the embedded server up?"""
    try:
        return bool(probe(var).ping())
    except redis_lib.RedisError:
        return False


def handed_to_the_os(var) -> bool:
    """Has the server written every change to its append-only file? With `appendfsync everysec` it holds
    them back for up to 2 s while an earlier fsync is slow (a busy disk); a SIGKILL then loses them, as
    Redis documents. Once written, a killed process loses nothing."""
    persistence = probe(var).info("persistence")
    return persistence["aof_enabled"] == 1 and persistence["aof_buffer_length"] == 0


def kill_redis(var) -> None:
    """SIGKILL the embedded server, as the kernel's OOM killer or a crash would."""
    data_dir, _ = _embedded_paths(var)
    pid = int((data_dir / "redis.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    wait_for(
        lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE,
        "Redis to die",
    )
    # Down, unless a running worker has already started a new server (which is what it is for).
    assert not answers(var) or int((data_dir / "redis.pid").read_text()) != pid


@pytest.fixture
def own_settings(settings):
    """The test settings without REDIS_URL: the embedded server under this test's var/."""
    own = settings.with_overrides(redis_url=None)
    yield own
    stop_embedded_server(own.var_dir)


@pytest.fixture
def app(own_settings):
    app = create_app(own_settings, flask={"TESTING": True})
    with app.app_context():
        yield app


def test_texts_are_answered_again_right_after_redis_is_killed(own_settings, text, client):
    text("hi")
    (menu,) = text("ESPAÑOL")
    assert "Responda una palabra" in menu
    assert client.get("/healthz").get_json()["redis_restarts"] == 0

    wait_for(lambda: handed_to_the_os(own_settings.var_dir), "Redis to write its append-only file", 10)
    kill_redis(own_settings.var_dir)
    (answer,) = text("oih")  # answered, not a 500, and the texter's language survived the crash
    assert "hiperalgesia inducida por opioides" in answer

    health = client.get("/healthz")  # unhealthy only for want of a worker, which this test does not run
    body = health.get_json()
    assert health.status_code == 200 or body["workers"] == 0
    assert body["redis"] is True
    assert body["redis_restarts"] == 1
    assert body["redis_restarted_at"]


def test_a_running_worker_restarts_redis_and_keeps_sending(own_settings, app, text, tmp_path):
    env = {
        "HELPLINE_VAR_DIR": str(own_settings.var_dir),
        "HELPLINE_DATA_KEY": own_settings.data_key,
        "SECRET_KEY": own_settings.secret_key,
        "FINDTREATMENT_API_URL": own_settings.findtreatment_api_url,
        "TWILIO_PHONE_NUMBER": HELPLINE_NUMBER,
        "LOG_LEVEL": "WARNING",
    }
    with running_worker(env, tmp_path / "worker.log") as worker:
        processes = own_settings.worker_processes
        health = app.test_client().get
        wait_for(lambda: health("/healthz").get_json()["workers"] == processes, "the workers to start")
        kill_redis(own_settings.var_dir)
        # Nothing in this test touches Redis now: the worker notices, restarts it and reconnects.
        var = own_settings.var_dir
        wait_for(lambda: answers(var) and embedded_restarts(var).count == 1, "the worker to restart Redis")

        replies = text("10001")  # a search: the worker texts what it found (nothing, here)
        assert any(reply.startswith("Looking up") for reply in replies)
        results = wait_for(lambda: texts_to(app, TEXTER), "the worker to text the results")
        assert len(results) == 1
        assert worker.poll() is None  # the same worker host throughout


def test_a_redis_stopped_on_purpose_stays_stopped(own_settings, text):
    text("hi")
    assert stop_embedded_server(own_settings.var_dir)
    wait_for(lambda: not answers(own_settings.var_dir), "Redis to stop")
    assert heal_embedded_server(own_settings.var_dir) is False
    assert not answers(own_settings.var_dir)
    assert embedded_restarts(own_settings.var_dir).count == 0


@pytest.fixture
def quick_to_give_up(monkeypatch):
    """The client's rules for a hung server, in about a second instead of eight (set before the app)."""
    monkeypatch.setattr(redis_client, "SOCKET_TIMEOUT", 0.5)
    monkeypatch.setattr(redis_client, "RETRY_SECONDS", 1.0)
    return redis_client.RETRY_SECONDS + 2 * redis_client.SOCKET_TIMEOUT  # the longest a command waits


@contextlib.contextmanager
def hung(var):
    """The embedded server paused (SIGSTOP), as a server swapping or stuck on a disk would be: alive,
    its socket open, answering nothing."""
    data_dir, _ = _embedded_paths(var)
    pid = int((data_dir / "redis.pid").read_text())
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_a_hung_redis_still_gets_every_text_answered_in_time(quick_to_give_up, own_settings, text):
    text("hi")
    with hung(own_settings.var_dir):
        began = time.monotonic()
        (guidance,) = text("i took too many pills and cant breathe right")
        took = time.monotonic() - began
        assert "call 911 now" in guidance and "reach 911 or 988 yourself" in guidance  # no promise of a call
        (spanish,) = text("hola, necesito ayuda con mi dolor por favor")
        assert "Escribanos de nuevo en unos minutos" in spanish
        assert text("stop texting me") == []  # nothing to say that could be kept
    # Given up on within the client's limits (8 s as shipped: inside Twilio's 15 s), not minutes.
    assert took < quick_to_give_up + 2.0
    (answer,) = text("oih")  # the server back: answered as ever, the texter still known
    assert "opioid-induced hyperalgesia" in answer.lower()


def test_a_call_while_redis_hangs_hears_the_trouble_and_is_put_through_to_988(
    quick_to_give_up, own_settings, signed_post
):
    with hung(own_settings.var_dir):
        response = signed_post("/twilio/voice", call_params(TEXTER, HELPLINE_NUMBER, "CA" + "7" * 32))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "technical problem" in body and "problema técnico" in body
    assert "<Dial>988</Dial>" in body


def test_a_hung_server_is_never_joined_by_a_second_one_on_its_files(own_settings, text):
    text("hi")  # the server is up
    var = own_settings.var_dir
    socket = str(_embedded_paths(var)[1])

    def servers() -> list:
        return [p for p in psutil.process_iter(["cmdline"]) if socket in " ".join(p.info["cmdline"] or [])]

    assert len(servers()) == 1
    with hung(var):
        # Another process starting up (a `flask` command, a worker) finds it there but silent.
        with pytest.raises(NotAnswering, match="is not answering: it is paused") as silent:
            ensure_embedded_server(var, timeout=1.0)
        said = str(silent.value)
        assert "was not replaced" in said and f"kill -CONT {silent.value.pid}" in said
        assert heal_embedded_server(var) is False
        assert len(servers()) == 1  # two servers on one append-only file would corrupt it
    assert answers(var)
