"""`flask simulate call NUMBER --digits 2,10001 [--say "find treatment"]`: a local phone that calls the line.

The call is walked by `helpline.services.test_call.PhoneCall` (posted and signed as Twilio would);
this prints what the caller hears and every text sent to them afterwards.
"""

from __future__ import annotations

import time

import click
from flask import current_app

from helpline.devtools import simulator
from helpline.services.test_call import (  # noqa: F401 - the walker's names, used by tests and benchmarks
    CallFailed,
    PhoneCall,
    Press,
    Speak,
    call_params,
    parse_inputs,
    path_of,
    walk,
)


class _InOrder(click.Command):
    """Keeps every --digits and --say in the order given (click groups an option's values, so
    `--digits 2 --say "one zero zero zero one" --digits 1` would lose its order)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["simulate_call_inputs"] = _inputs_in_order(args)
        return super().parse_args(ctx, args)


def _inputs_in_order(args: list[str]) -> list:
    inputs, pending = [], None
    for arg in args:
        if pending:
            inputs.extend(parse_inputs(arg) if pending == "--digits" else [Speak(arg)])
            pending = None
        elif arg in ("--digits", "--say"):
            pending = arg
        elif arg.startswith(("--digits=", "--say=")):
            name, _, value = arg.partition("=")
            inputs.extend(parse_inputs(value) if name == "--digits" else [Speak(value)])
        elif arg == "--":
            break
    return inputs


@click.command("call", cls=_InOrder)
@click.argument("number")
@click.option(
    "--digits",
    multiple=True,
    expose_value=False,
    help="Keys to press at each question: 2,10001,1 (treatment, a ZIP, text them); repeatable.",
)
@click.option(
    "--say",
    multiple=True,
    expose_value=False,
    help="Words to say (repeatable); a voicemail.",
)
@click.option("--url", default=None, help=simulator.URL_HELP)
@click.option(
    "--answer", is_flag=True, help="Staff pick up when their phones ring (default: nobody answers)."
)
@click.option("--stay", is_flag=True, help="Stay on the line silently when the inputs run out.")
@click.option("--wait", default=20.0, show_default=True, help=simulator.WAIT_HELP)
@click.option("-v", "--verbose", is_flag=True, help=simulator.VERBOSE_HELP)
def simulate_call(number: str, url: str | None, answer: bool, stay: bool, wait: float, verbose: bool) -> None:
    """Call the helpline from NUMBER, press and say what is given, print what you hear."""
    inputs = list(click.get_current_context().meta.get("simulate_call_inputs", []))
    session = simulator.Session.open(current_app, url, verbose, wait)
    cursor = session.cursor()
    call = PhoneCall(
        session.post,
        number,
        session.helpline_number,
        dial_outcome="completed" if answer else "no-answer",
    )
    started = time.monotonic()
    try:
        walk(call, inputs, stay)
    except CallFailed as exc:
        _echo(call)
        raise click.ClickException(str(exc)) from exc
    _echo(call)
    if answer and not call.dialed:
        click.echo("(--answer: no staff phone rang, nobody is on duty; `flask staff duty EMAIL on` first)")
    status = call_params(number, session.helpline_number, call.sid, CallStatus="completed")
    status["CallDuration"] = str(int(time.monotonic() - started) + 1)
    session.post("/twilio/status", status)  # as Twilio reports the end of the call
    session.show_texts_after(cursor, number, "helpline -> you (text): ")


def _echo(call: PhoneCall) -> None:
    for line in call.heard:
        click.echo(line)
