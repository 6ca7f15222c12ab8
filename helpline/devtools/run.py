"""`make run` and `make stop`: the embedded Redis, then web and worker (the Procfile, through honcho).

They stop in the reverse order: the web first (no new texts come in), then the worker (it finishes
the job in hand), then the embedded Redis, whether by Ctrl-C in the `make run` terminal or by
`make stop` from another. A web or worker that exits by itself (killed, crashed) is said so, and
both are started again (Redis kept), unless it keeps happening or the embedded Redis is there but
silent (paused, hung): web and worker would only wait on it, so `make run` says so and stops, leaving
that server as it is (never a second one on its data). Where the service listens and who
runs it is kept in var/run/service.json, so `make stop` and `flask simulate` find it.

    python -m helpline.devtools.run          # make run
    python -m helpline.devtools.run --stop   # make stop
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from config.settings import PROJECT_ROOT, Settings, load_settings
from helpline.devtools.simulator import process_alive, recorded_service, run_record

WEB_STOP_SECONDS = 15  # gunicorn's graceful_timeout (10 s) and its own exit
WORKER_STOP_SECONDS = 20  # honcho gives the worker 5 s after the web, then kills it
POLL_SECONDS = 0.1
# Web or worker exiting by itself (killed, crashed) takes the other down too (honcho): both are started
# again, Redis kept, this many times in RESTART_WINDOW_SECONDS; more is a crash loop, and it stops.
RESTARTS = 3
RESTART_WINDOW_SECONDS = 300


def say(line: str) -> None:
    print(f"run    | {line}", flush=True)


def web_pidfile(settings: Settings) -> Path:
    return settings.var_dir / "run" / "web.pid"


def address() -> tuple[str, int, str]:
    """Where the web listens (HOST, PORT as gunicorn reads them) and the URL a browser uses."""
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a wildcard is reached on loopback
    return host, port, f"http://{shown}:{port}"


def port_taken(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, int(port))) == 0


def banner(url: str) -> None:
    flask = os.path.relpath(Path(sys.executable).parent / "flask", Path.cwd())
    for line in (
        "",
        f"  Helpline is starting on {url}",
        "  In a second terminal, text it:",
        f'    {flask} simulate sms +15551230001 "oih"',
        f"  Call it:  {flask} simulate call +15551230001 --digits 1",
        f"  Staff and operator pages: {url}/staff and /ops",
        f"    (first: {flask} staff add you@example.org --role operator --password)",
        "  Stop with Ctrl-C here, or `make stop` from another terminal.",
        "",
    ):
        print(line, flush=True)


class Run:
    """One `make run`: Redis started first, honcho (web + worker) in its own session, stopped in order."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.stopping = False
        self.honcho: subprocess.Popen | None = None

    def start(self) -> int:
        signal.signal(signal.SIGINT, self._stop_requested)
        signal.signal(signal.SIGTERM, self._stop_requested)
        host, port, url = address()
        running = recorded_service(self.settings.var_dir)
        if running:
            say(f"already running at {running}; `make stop` first")
            return 1
        if port_taken(url):
            say(f"port {port} is taken (someone else's service?): try PORT={port + 101} make run")
            return 1
        if silent := self._start_redis():
            say(silent)
            return 1
        record = run_record(self.settings.var_dir)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({"pid": os.getpid(), "url": url, "started": time.time()}))
        banner(url)
        self.url, self.record = url, record
        bin_dir = str(Path(sys.executable).parent)
        self.env = dict(
            os.environ,
            PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
            HOST=host,
            PORT=str(port),
            HELPLINE_WEB_PIDFILE=str(web_pidfile(self.settings)),
            PYTHONUNBUFFERED="1",
        )
        exits: list[float] = []
        while True:
            self._start_honcho()
            while self.honcho.poll() is None and not self.stopping:
                time.sleep(POLL_SECONDS)
            if self.stopping:
                return self.stop()
            if silent := self._redis_silent():
                code = self.honcho.returncode
                say(f"web or worker exited by itself (code {code}); not started again: {silent}")
                forget(self.settings)  # Redis left as it is: stopping it is the operator's call
                return 1
            now = time.monotonic()
            exits = [t for t in exits if now - t < RESTART_WINDOW_SECONDS] + [now]
            if len(exits) > RESTARTS:
                say(
                    f"web or worker exited {len(exits)} times in {RESTART_WINDOW_SECONDS // 60} minutes: "
                    "stopping (the lines above say why); `make run` starts it again"
                )
                return self._after_crash()
            say(
                f"web or worker exited by itself (code {self.honcho.returncode}), and honcho stopped the "
                f"other: starting both again ({len(exits)} of {RESTARTS} in {RESTART_WINDOW_SECONDS // 60} "
                "minutes); Redis kept"
            )
            wait_until(lambda: self.stopping or not port_taken(self.url), WEB_STOP_SECONDS)
            if self.stopping:
                return self._after_crash()

    def _start_honcho(self) -> None:
        # Its own session: Ctrl-C reaches this process only, which then stops web, worker, Redis in order.
        self.honcho = subprocess.Popen(
            [os.path.join(str(Path(sys.executable).parent), "honcho"), "start", "-f", "Procfile"],
            cwd=PROJECT_ROOT,
            env=self.env,
            start_new_session=True,
        )
        # honcho too: should this process be killed, `make stop` still stops what it started.
        self.record.write_text(
            json.dumps(
                {"pid": os.getpid(), "honcho": self.honcho.pid, "url": self.url, "started": time.time()}
            )
        )

    def _start_redis(self) -> str | None:
        """The embedded server started (or found answering); else what to tell the operator."""
        if silent := self._redis_silent():
            return silent
        if not (self.settings.redis_url or self.settings.redis_sentinels):
            say(f"redis: embedded, under {os.path.relpath(self.settings.var_dir / 'redis', Path.cwd())}")
        return None

    def _redis_silent(self) -> str | None:
        """Start the embedded server unless it runs; None once it answers, else the line saying it is there
        but silent (paused, hung) and what to do."""
        if self.settings.redis_url or self.settings.redis_sentinels:
            return None
        from helpline.infra.embedded_redis import NotAnswering, ensure_embedded_server

        try:
            ensure_embedded_server(
                self.settings.var_dir,
                timeout=self.settings.redis_start_seconds,
                appendfsync=self.settings.redis_appendfsync,
            )
        except NotAnswering as silent:
            return str(silent)
        return None

    def _stop_requested(self, signum, frame) -> None:
        if self.stopping:
            return  # a second Ctrl-C: the stop in progress goes on, each step bounded by its timeout
        self.stopping = True

    def stop(self) -> int:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        honcho = self.honcho
        done = lambda: honcho is None or honcho.poll() is not None  # noqa: E731 - polled until true
        stop_in_order(self.settings, honcho.pid if honcho else None, done)
        return 0

    def _after_crash(self) -> int:
        """honcho keeps ending by itself (web or worker exiting): Redis goes too, and the record."""
        stop_redis(self.settings)
        forget(self.settings)
        return self.honcho.returncode if self.honcho else 1


def stop_in_order(settings: Settings, honcho: int | None, honcho_done) -> None:
    """The web first (no new texts come in), then the worker (it ends the job in hand), then Redis."""
    say("stopping: web, then worker, then redis")
    web = read_pid(web_pidfile(settings))
    if web and process_alive(web):
        os.kill(web, signal.SIGTERM)  # gunicorn: finish the requests in hand, then exit
        wait_until(lambda: not process_alive(web), WEB_STOP_SECONDS)
    # honcho saw the web stop and now stops the worker (a warm shutdown: the job in hand ends)
    if honcho and not wait_until(honcho_done, WORKER_STOP_SECONDS):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(honcho, signal.SIGTERM)
        wait_until(honcho_done, WORKER_STOP_SECONDS)
    stop_redis(settings)
    forget(settings)
    say("stopped")


def stop_redis(settings: Settings) -> None:
    if settings.redis_url or settings.redis_sentinels:
        return
    from helpline.infra.embedded_redis import stop_embedded_server

    if stop_embedded_server(settings.var_dir):
        say(still_there(settings) or "redis stopped")


def still_there(settings: Settings) -> str | None:
    """After a stop: the embedded server that did not exit in time (hung on its disk, say), in words."""
    from helpline.infra.embedded_redis import embedded_server_pid

    if (pid := embedded_server_pid(settings.var_dir)) is None:
        return None
    return (
        f"redis (pid {pid}) was asked to stop and has not exited yet; `kill -KILL {pid}` ends it at once "
        "(its last second of writes may be lost)"
    )


def forget(settings: Settings) -> None:
    for path in (run_record(settings.var_dir), web_pidfile(settings)):
        path.unlink(missing_ok=True)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def stop(settings: Settings) -> int:
    """`make stop`: ask the running `make run` to stop (it stops web, worker, Redis in order) and wait."""
    record = run_record(settings.var_dir)
    try:
        started = json.loads(record.read_text())
    except (OSError, ValueError):
        started = {}
    pid, honcho = started.get("pid"), started.get("honcho")
    if pid and process_alive(pid):
        os.kill(pid, signal.SIGTERM)
        if wait_until(lambda: not process_alive(pid), WEB_STOP_SECONDS + WORKER_STOP_SECONDS + 10):
            print("stopped: web, worker, redis")
            return 0
        print(f"`make run` (pid {pid}) did not stop in time")
        return 1
    if honcho and process_alive(honcho):  # `make run` itself was killed: what it started is stopped here
        stop_in_order(settings, honcho, lambda: not process_alive(honcho))
        print("stopped: web, worker, redis")
        return 0
    # Nothing of `make run` alive: an embedded Redis left by a simulator run or a crash still goes.
    from helpline.infra.embedded_redis import stop_embedded_server

    redis_stopped = not (settings.redis_url or settings.redis_sentinels) and stop_embedded_server(
        settings.var_dir
    )
    record.unlink(missing_ok=True)
    if redis_stopped and (lingering := still_there(settings)):
        print(lingering)
        return 1
    print("stopped: redis" if redis_stopped else "not running")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    os.umask(0o077)  # what web, worker and Redis write under var/ (pids, the run record) is this user's only
    settings = load_settings()
    if "--stop" in args:
        return stop(settings)
    return Run(settings).start()


if __name__ == "__main__":
    sys.exit(main())
