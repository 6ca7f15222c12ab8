"""Flask CLI: `flask simulate sms NUMBER TEXT` (and the other command groups register here)."""

from __future__ import annotations

import os
import time

import click
import requests
from flask import current_app
from flask.cli import AppGroup

from helpline.devtools import simulator
from helpline.devtools.providers_cli import providers
from helpline.devtools.staff_cli import staff
from helpline.infra import queues
from helpline.web.twilio_signature import twilio_auth_token

simulate = AppGroup("simulate", help="A local phone that texts and calls the line as Twilio would.")


def default_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"


def _server_running(url: str) -> bool:
    try:
        requests.get(url.rstrip("/") + "/healthz", timeout=1.5)
        return True
    except requests.RequestException:
        return False


def post_signed(base_url: str | None, path: str, params: dict) -> tuple[int, str]:
    """POST a Twilio-signed form to a running server, or to this process's app."""
    token = twilio_auth_token(current_app.config["SETTINGS"])
    if base_url:
        url = base_url.rstrip("/") + path
        headers = {"X-Twilio-Signature": simulator.sign(token, url, params)}
        try:
            reply = requests.post(url, data=params, headers=headers, timeout=15)
        except requests.RequestException as exc:
            raise click.ClickException(f"could not reach the service at {base_url}: {exc}") from exc
        return reply.status_code, reply.text
    url = "http://localhost" + path
    headers = {"X-Twilio-Signature": simulator.sign(token, url, params)}
    reply = current_app.test_client().post(path, data=params, headers=headers)
    return reply.status_code, reply.get_data(as_text=True)


def drain_in_process() -> None:
    """With no server running, nobody works the queues: run the jobs here, in burst mode."""
    from helpline.infra.burst import drain

    drain(current_app.extensions["helpline"].store.rq_connection)


def wait_for_workers(timeout: float) -> None:
    """Until the running workers have emptied the queues (or the deadline passes)."""
    from rq.registry import StartedJobRegistry

    r = current_app.extensions["helpline"].store.r
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = sum(
            queues.queue(n, r).count + len(StartedJobRegistry(n, connection=r)) for n in queues.ALL_QUEUES
        )
        if not busy:
            return
        time.sleep(0.1)


def outbound_since(start: int, phone: str) -> list[dict]:
    outbox = current_app.extensions["helpline"].store.delivery.outbox(start)
    return [m for m in outbox if m.get("to") == phone]


@simulate.command("sms")
@click.argument("number")
@click.argument("text")
@click.option(
    "--url", default=None, help="Base URL of the running service (default: local, else in-process)."
)
@click.option("--wait", default=20.0, show_default=True, help="Seconds to wait for texts the workers send.")
def simulate_sms(number: str, text: str, url: str | None, wait: float) -> None:
    """Text the helpline from NUMBER and print what comes back."""
    quiet_logs()
    settings = current_app.config["SETTINGS"]
    base = url or default_url()
    if not url and not _server_running(base):
        base = None
    store = current_app.extensions["helpline"].store
    outbox_start = store.delivery.outbox_length()
    params = simulator.sms_params(number, text, settings.twilio_phone_number)
    status, body = post_signed(base, "/twilio/sms", params)
    click.echo(f"you ({number}) -> helpline: {text}")
    if status != 200:
        raise click.ClickException(f"the service answered {status}: {body[:300]}")
    replies = simulator.twiml_messages(body)
    for reply in replies:
        click.echo(f"helpline -> you: {reply}")
    if not replies:
        click.echo("helpline -> you: (no reply)")
    if base is None:
        drain_in_process()
    else:
        wait_for_workers(wait)
    for message in outbound_since(outbox_start, number):
        click.echo(f"helpline -> you (later): {message['body']}")


def quiet_logs() -> None:
    """The simulator prints a conversation; the service's own log lines would drown it."""
    import logging

    if "LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.WARNING)


def init_app(app) -> None:
    from helpline.devtools import simulate_call  # noqa: F401 - registers `flask simulate call`

    app.cli.add_command(simulate)
    app.cli.add_command(staff)
    app.cli.add_command(providers)
