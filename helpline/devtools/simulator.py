"""The local phone of `flask simulate`: which service it talks to, and every text that follows.

Requests are built and signed by `helpline.services.test_phone` (shared with the ops test phone;
its names are re-exported here for the tests and benchmarks). This module finds the service that
`make run` started (HOST / PORT, its record under var/run, or `--url`; else the app of this process),
and after a message waits for the workers' jobs about that number, then shows every text sent
after the message, read from the development outbox by a cursor rather than by its length.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from helpline.services import test_phone
from helpline.services.test_phone import (  # noqa: F401 - the simulator's names, used by tests and benchmarks
    ACCOUNT_SID,
    Line,
    LineRefused,
    LineUnreachable,
    new_sid,
    sign,
    sms_params,
    twiml_messages,
)

URL_HELP = "Base URL of the running service (default: where `make run` serves, HOST / PORT; else in-process)."
WAIT_HELP = "Seconds to wait for the texts the workers send."
VERBOSE_HELP = "Also say where the message goes, and show the service's log lines."
POLL_SECONDS = 0.05  # how often the queues are looked at while the workers work
FAR_FUTURE = 10 * 365 * 86400


def run_record(var_dir: Path) -> Path:
    """Where `make run` writes the address it serves on and its process id (see devtools.run)."""
    return var_dir / "run" / "service.json"


def process_alive(pid: int) -> bool:
    """Running (a zombie, killed but not yet reaped, is not)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # someone else's, alive
        return True


def recorded_service(var_dir: Path) -> str | None:
    """The URL of the service `make run` started for this checkout, while that run is alive."""
    try:
        record = json.loads(run_record(var_dir).read_text())
        running = process_alive(int(record["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(record["url"]) if running else None


def address_from_env() -> str | None:
    """HOST and PORT as `make run` reads them; None when neither is set."""
    host, port = os.environ.get("HOST"), os.environ.get("PORT")
    if not host and not port:
        return None
    if not host or host in ("0.0.0.0", "::"):  # noqa: S104 - a wildcard bind is reached on loopback
        host = "127.0.0.1"
    return f"http://{host}:{port or 5000}"


def answers(url: str) -> bool:
    """Something serves /healthz there (healthy or not)."""
    import requests

    try:
        requests.get(url.rstrip("/") + "/healthz", timeout=1.5)
    except requests.RequestException:
        return False
    return True


@dataclass
class Session:
    """One simulated phone against one line: posts, then the texts that followed."""

    app: object  # the Flask app of this process
    url: str | None = None  # a running service; None: the app of this process
    verbose: bool = False
    wait: float = 20.0
    _line: Line | None = field(default=None, repr=False)

    @classmethod
    def open(cls, app, url: str | None, verbose: bool, wait: float) -> Session:
        quiet_logs(verbose)
        if url is None:
            candidate = address_from_env() or recorded_service(app.config["SETTINGS"].var_dir)
            url = candidate if candidate and answers(candidate) else None
        session = cls(app, url, verbose, wait)
        session.say_where()
        return session

    @property
    def helpline(self):
        return self.app.extensions["helpline"]

    @property
    def helpline_number(self) -> str:
        return self.helpline.settings.twilio_phone_number

    @property
    def line(self) -> Line:
        if self._line is None:
            from helpline.web.twilio_signature import twilio_auth_token

            settings = self.helpline.settings
            token = twilio_auth_token(settings)
            if self.url:
                self._line = test_phone.over_http(self.url, token, settings.public_base_url)
            else:
                self._line = test_phone.into_app(self.app.wsgi_app, token, settings.public_base_url)
        return self._line

    def say_where(self) -> None:
        if self.verbose:
            where = self.url or "this process (no running service found; its jobs run here too)"
            click.echo(f"(talking to {where})", err=True)

    def post(self, path: str, params: dict[str, str]) -> tuple[int, str]:
        """A signed form to the line; errors a person can act on."""
        try:
            status, body = self.line.post(path, params)
        except LineUnreachable as exc:
            raise click.ClickException(str(exc)) from exc
        if status == 403:
            raise click.ClickException(
                f"the service at {self.line.where} refused this checkout's signature (403): it is "
                "someone else's, or runs with other Twilio credentials. Start yours with `make run` "
                "(PORT=… for another port), or pass --url."
            )
        return status, body

    def cursor(self) -> bytes | None:
        return self.helpline.store.delivery.outbox_cursor()

    def show_texts_after(self, cursor: bytes | None, number: str, label: str) -> int:
        """Print every text sent to `number` after `cursor` once the workers are done with it, then
        what is still on its way; returns how many things came or are coming."""
        store = self.helpline.store
        self._waited_out = False
        if self.url is None:
            from helpline.infra.burst import drain

            drain(store.rq_connection)  # nobody else works the queues: run the jobs here
        else:
            self._wait_for_workers(number)
        late = test_phone.on_the_way(store, number, until=time.time() + FAR_FUTURE)
        sent = [m for m in store.delivery.outbox_after(cursor) if m.get("to") == number]
        for message in sent:
            click.echo(f"{label}{message['body']}")
        if late:
            self._report_late(late)
        return len(sent) + len(late)

    def _wait_for_workers(self, number: str) -> None:
        store = self.helpline.store
        deadline = time.monotonic() + self.wait
        until = time.time() + self.wait  # a retry due later than the deadline is not waited for
        while test_phone.on_the_way(store, number, until=until) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        self._waited_out = time.monotonic() >= deadline

    def _report_late(self, late: list[test_phone.OnTheWay]) -> None:
        # "after N s" only when the wait ran out; a job due later than the wait is shown with its time.
        click.echo(f"still on the way after {self.wait:g} s:" if self._waited_out else "still on the way:")
        for item in late:
            click.echo(f"  {item.describe()}")
        if self.url and not workers_alive(self.helpline.store):
            python = os.path.relpath(Path(sys.executable), Path.cwd())
            click.echo(
                f"  (no worker is running: start one with `{python} -m workers`, or `make stop`, `make run`)"
            )


def workers_alive(store) -> int:
    """Workers whose heartbeat is alive (one stopped but still listed does not count)."""
    from helpline.services.line_health import live_workers

    return len(live_workers(store.rq_connection))


def quiet_command_logs() -> None:
    """A command prints what it did in words; the service's INFO lines on stderr would only repeat it
    (LOG_LEVEL in the environment still rules)."""
    if "LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.WARNING)


def quiet_logs(verbose: bool) -> None:
    """The simulator prints a conversation; the service's own log lines would drown it (`-v` shows them)."""
    if verbose:
        logging.getLogger().setLevel(logging.INFO)
    elif "LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.ERROR)
        logging.getLogger("rq").setLevel(logging.ERROR)
