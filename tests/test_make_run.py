"""`make run` as a newcomer runs it: the service on its port, `flask simulate` finding it there, and
`make stop` (or Ctrl-C) stopping web, worker and the embedded Redis in that order, with no traceback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.servers import free_port
from tests.silent_redis import paused

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 90


class MakeRun:
    """`make run` in its own session (as in a terminal of its own), its output kept in a file."""

    def __init__(self, tmp_path: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.var = tmp_path / "var"
        self.log = tmp_path / "make-run.log"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/root"),
            "HELPLINE_VAR_DIR": str(self.var),
            "FINDTREATMENT_API_URL": "http://127.0.0.1:9",
            "WEB_CONCURRENCY": "1",
            **env,
        }
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                ["make", "--no-print-directory", "run"],
                cwd=PROJECT_ROOT,
                env={**self.env, "PORT": str(self.port)},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_serving(self) -> None:
        """Until /healthz says healthy: Redis answers and the worker is alive."""
        deadline = time.monotonic() + DEADLINE
        while True:
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)  # polling interval while web and worker start

    def ended(self) -> str:
        self.process.wait(timeout=DEADLINE)
        return self.output()

    def stop(self) -> subprocess.CompletedProcess:
        """`make stop` from another terminal of this checkout, its output kept."""
        return subprocess.run(
            ["make", "--no-print-directory", "stop"],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.stop()


@pytest.fixture
def make_run(tmp_path):
    run = MakeRun(tmp_path)
    yield run
    run.kill()


QUICK_TO_GIVE_UP = {"HELPLINE_REDIS_START_SECONDS": "1"}  # on a silent embedded Redis (15 s as shipped)


def stopped_in_order(output: str) -> None:
    assert "Traceback" not in output, output
    web, worker = output.index("web.1 stopped"), output.index("worker.1 stopped")
    assert web < worker < output.index("redis stopped"), output


def test_make_stop_stops_web_worker_and_redis_in_that_order_with_no_traceback(make_run):
    make_run.wait_until_serving()
    socket = make_run.var / "redis" / "redis.sock"
    assert socket.exists()

    # A second terminal, without PORT: the simulator finds the service `make run` started.
    texted = subprocess.run(
        [sys.executable, "-m", "flask", "simulate", "sms", "+15551230001", "oih", "-v"],
        cwd=PROJECT_ROOT,
        env=make_run.env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert texted.returncode == 0, texted.stderr
    assert f"(talking to {make_run.url})" in texted.stderr
    assert "hyperalgesia" in texted.stdout

    # Another `make run` on the same port (someone else's checkout, say) stops at once and says why.
    second = subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=PROJECT_ROOT,
        env={**make_run.env, "PORT": str(make_run.port), "HELPLINE_VAR_DIR": str(make_run.var) + "-other"},
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert second.returncode != 0
    assert f"port {make_run.port} is taken" in second.stdout

    # What it keeps under var/ is this user's only, as the README says (gunicorn's pid file is 0644
    # whatever the umask, inside the 0700 folders).
    for path in [make_run.var, make_run.var / "run", make_run.var / "run" / "service.json"]:
        assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))

    stop = make_run.stop()
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert "stopped: web, worker, redis" in stop.stdout
    assert "Traceback" not in stop.stdout + stop.stderr
    output = make_run.ended()
    stopped_in_order(output)
    assert make_run.process.returncode == 0, output
    assert not socket.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(make_run.url + "/healthz", timeout=2)


def test_ctrl_c_in_make_run_stops_everything_the_same_way(make_run):
    make_run.wait_until_serving()
    os.killpg(make_run.process.pid, signal.SIGINT)  # the terminal's Ctrl-C: make and what it runs
    output = make_run.ended()
    stopped_in_order(output)
    assert not (make_run.var / "redis" / "redis.sock").exists()


def test_make_stop_still_stops_web_worker_and_redis_when_make_run_itself_was_killed(make_run):
    make_run.wait_until_serving()
    os.killpg(make_run.process.pid, signal.SIGKILL)  # make and its `run` gone, web and worker still up
    make_run.process.wait(timeout=DEADLINE)
    assert requests.get(make_run.url + "/healthz", timeout=5).status_code == 200
    stop = make_run.stop()
    assert "stopped: web, worker, redis" in stop.stdout, stop.stdout + stop.stderr
    stopped_in_order(make_run.output() + stop.stdout)
    assert not (make_run.var / "redis" / "redis.sock").exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(make_run.url + "/healthz", timeout=2)


def test_make_test_on_a_machine_without_chromium_names_the_one_command_to_run(tmp_path):
    bare = tmp_path / "bin"  # a machine with a shell but no chromium and no apt-get
    bare.mkdir()
    for tool in ("sh", "id", "env"):
        (bare / tool).symlink_to(shutil.which(tool))
    result = subprocess.run(
        [shutil.which("make"), "--no-print-directory", "browser-deps"],
        cwd=PROJECT_ROOT,
        env={"PATH": str(bare)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "run:  sudo apt-get install -y chromium" in result.stdout


def test_a_worker_host_killed_under_make_run_is_said_and_started_again_with_the_web(make_run):
    make_run.wait_until_serving()
    run = psutil.Process(make_run.process.pid)
    workers = [p for p in run.children(recursive=True) if p.cmdline()[-2:] == ["-m", "workers"]]
    [host] = [p for p in workers if p.ppid() not in {w.pid for w in workers}]  # not one of its workers
    host.kill()  # the OOM killer, say: honcho stops the web too
    deadline = time.monotonic() + DEADLINE
    while "starting both again" not in make_run.output():
        assert time.monotonic() < deadline and make_run.process.poll() is None, make_run.output()
        time.sleep(0.1)  # polling interval while honcho stops the web
    make_run.wait_until_serving()  # web and a new worker host answer again, on the same Redis
    assert "exited by itself" in make_run.output() and "Traceback" not in make_run.output()
    stop = make_run.stop()
    assert "stopped: web, worker, redis" in stop.stdout, stop.stdout + stop.stderr


def quick_env(var: Path) -> dict[str, str]:
    """A second terminal of this checkout on the embedded Redis under `var`, quick to give up on it."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "HELPLINE_VAR_DIR": str(var),
        **QUICK_TO_GIVE_UP,
    }


def make(target: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


def test_make_run_on_a_silent_redis_starts_nothing_beside_it_and_says_what_to_do(tmp_path):
    """The embedded Redis left running but paused (or hung): no second server on its data, no web or
    worker that would only wait on it, and one line saying which server and what to do."""
    var = tmp_path / "var"
    with paused(var) as silent:
        run = make("run", {**quick_env(var), "PORT": str(free_port())})
        assert run.returncode != 0
        silent.said_what_to_do(run.stdout + run.stderr)
        assert "web.1" not in run.stdout and not (var / "run" / "service.json").exists()
        assert [p.pid for p in silent.servers()] == [silent.pid]


def test_make_stop_stops_a_silent_redis(tmp_path):
    """As `make run` says: `make stop` stops the paused (or hung) embedded Redis, saving its data."""
    var = tmp_path / "var"
    with paused(var) as silent:
        stop = make("stop", quick_env(var))
        assert stop.returncode == 0 and "stopped: redis" in stop.stdout, stop.stdout + stop.stderr
        assert silent.servers() == [] and not Path(silent.socket).exists()
        assert "Redis is now ready to exit" in (var / "redis" / "redis.log").read_text()  # its own shutdown


def test_web_and_worker_are_not_started_again_on_a_silent_redis(tmp_path):
    """The web dying while the embedded Redis is silent: starting web and worker again would only wait on
    it, so `make run` says what to do and stops, leaving the server as it is (never a second one)."""
    run = MakeRun(tmp_path, **QUICK_TO_GIVE_UP)
    try:
        run.wait_until_serving()
        with paused(run.var) as silent:
            web = int((run.var / "run" / "web.pid").read_text())
            os.kill(web, signal.SIGKILL)  # the OOM killer, say: honcho stops the worker too
            output = run.ended()
            assert run.process.returncode != 0, output
            [line] = [line for line in output.splitlines() if "not started again" in line]
            silent.said_what_to_do(line)
            assert "starting both again" not in output and "Traceback" not in output, output
            assert [p.pid for p in silent.servers()] == [silent.pid]  # left as it was: not replaced
            assert psutil.Process(silent.pid).status() == psutil.STATUS_STOPPED
    finally:
        run.kill()
