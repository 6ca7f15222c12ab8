"""The test phone: text and call the line from the browser as a given number, the `flask simulate` way.

Requests are built and signed exactly as Twilio's (helpline.devtools.simulator), posted to this app, and the
page shows the replies, the conversation and the development outbox for that number.
"""

from __future__ import annotations

import phonenumbers
from flask import current_app, flash, render_template, request

from helpline.devtools import cli, simulator
from helpline.domain.phones import callable_number, is_fictional
from helpline.web.ops.blueprint import audit, bp, store

DEFAULT_NUMBER = "+15551230001"
MAX_TEXT = 1600


def allowed_number(raw: str) -> str | None:
    """Fictional 555 numbers always; a real number only in development mode (nothing real is sent)."""
    phone = callable_number(raw) if raw.strip() else None
    if phone is None:
        return None
    if current_app.config["SETTINGS"].development or is_fictional(phonenumbers.parse(phone)):
        return phone
    return None


def _page(number: str, **extra):
    s = store()
    phone_id = s.vault.phone_id(number)
    outbox = [m for m in s.delivery.outbox() if m.get("to") == number][-20:] if number else []
    return render_template(
        "ops/phone.html",
        number=number,
        conversation=s.conversation(phone_id)[-40:] if number else [],
        outbox=outbox,
        development=current_app.config["SETTINGS"].development,
        **extra,
    )


@bp.get("/phone")
def phone_page():
    number = allowed_number(request.args.get("number", DEFAULT_NUMBER)[:40]) or DEFAULT_NUMBER
    return _page(number)


@bp.post("/phone")
def phone_send():
    raw = request.form.get("number", "")[:40]
    number = allowed_number(raw)
    if number is None:
        flash(
            "Use a fictional 555 number (e.g. +15551230001): the test phone never acts as a real person.",
            "error",
        )
        return _page(DEFAULT_NUMBER), 400
    settings = current_app.config["SETTINGS"]
    if request.form.get("action") == "call":
        return _call(number, request.form.get("digits", "")[:200])
    body = request.form.get("text", "")[:MAX_TEXT]
    params = simulator.sms_params(number, body, settings.twilio_phone_number)
    status, answer = cli.post_signed(None, "/twilio/sms", params)
    if status != 200:
        flash(f"The line answered {status}.", "error")
        return _page(number), 502
    audit("phone.text")
    return _page(number, sent=body, replies=simulator.twiml_messages(answer))


def _call(number: str, digits: str):
    try:
        from helpline.devtools.simulate_call import CallFailed, PhoneCall, Press, Speak, walk
    except ImportError:
        flash("The voice line is not installed in this build.", "error")
        return _page(number), 501
    settings = current_app.config["SETTINGS"]
    inputs = []
    for item in (part.strip() for part in digits.split(",")):
        if item:
            inputs.append(Press(item) if set(item) <= set("0123456789*#") else Speak(item))
    call = PhoneCall(
        lambda path, params: cli.post_signed(None, path, params), number, settings.twilio_phone_number
    )
    try:
        walk(call, inputs)
    except CallFailed as exc:
        flash(f"The call failed: {exc}", "error")
        return _page(number, heard=call.heard), 502
    audit("phone.call")
    return _page(number, heard=call.heard)
