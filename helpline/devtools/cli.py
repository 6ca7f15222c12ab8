"""Flask CLI: `flask simulate sms NUMBER TEXT` and `flask simulate call`; the other groups register here."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from helpline.devtools import simulate_call, simulator
from helpline.devtools.providers_cli import providers
from helpline.devtools.staff_cli import staff

simulate = AppGroup("simulate", help="A local phone that texts and calls the line as Twilio would.")
simulate.add_command(simulate_call.simulate_call)


@simulate.command("sms")
@click.argument("number")
@click.argument("text")
@click.option("--url", default=None, help=simulator.URL_HELP)
@click.option("--wait", default=20.0, show_default=True, help=simulator.WAIT_HELP)
@click.option("-v", "--verbose", is_flag=True, help=simulator.VERBOSE_HELP)
def simulate_sms(number: str, text: str, url: str | None, wait: float, verbose: bool) -> None:
    """Text the helpline from NUMBER and print what comes back, now and later."""
    session = simulator.Session.open(current_app, url, verbose, wait)
    cursor = session.cursor()
    params = simulator.sms_params(number, text, session.helpline_number)
    status, body = session.post("/twilio/sms", params)
    click.echo(f"you ({number}) -> helpline: {text}")
    if status != 200:
        raise click.ClickException(f"the service answered {status}: {body[:300]}")
    replies = simulator.twiml_messages(body)
    for reply in replies:
        click.echo(f"helpline -> you: {reply}")
    later = session.show_texts_after(cursor, number, "helpline -> you (later): ")
    if not replies and not later:
        click.echo("helpline -> you: (no reply)")


def init_app(app) -> None:
    app.cli.add_command(simulate)
    app.cli.add_command(staff)
    app.cli.add_command(providers)
