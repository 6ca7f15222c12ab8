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


def _collect(ctx: click.Context, param: click.Parameter, value) -> None:
    """Keep --digits and --say in the order they were given (click runs callbacks in that order)."""
    inputs = ctx.meta.setdefault("simulate_call_inputs", [])
    if param.name == "digits":
        inputs.extend(parse_inputs(value or ""))
    else:
        inputs.extend(Speak(words) for words in value or ())


@click.command("call")
@click.argument("number")
@click.option(
    "--digits",
    callback=_collect,
    expose_value=False,
    help="Keys to press at each question: 2,10001,1 (treatment, a ZIP, text them).",
)
@click.option(
    "--say",
    multiple=True,
    callback=_collect,
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
    status = call_params(number, session.helpline_number, call.sid, CallStatus="completed")
    status["CallDuration"] = str(int(time.monotonic() - started) + 1)
    session.post("/twilio/status", status)  # as Twilio reports the end of the call
    session.show_texts_after(cursor, number, "helpline -> you (text): ")


def _echo(call: PhoneCall) -> None:
    for line in call.heard:
        click.echo(line)
