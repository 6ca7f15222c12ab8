"""The test phone: text and call the line from the browser as a given number, the `flask simulate` way.

Requests are built and signed exactly as Twilio's (helpline.services.test_phone), posted into this app's
own webhooks, and the page shows the replies, the conversation and the development outbox for that number.
"""

from __future__ import annotations

import phonenumbers
from flask import current_app, flash, render_template, request

from helpline.domain.phones import callable_number, is_fictional
from helpline.services import test_call, test_phone
from helpline.web.ops.blueprint import audit, bp, store
from helpline.web.twilio_signature import twilio_auth_token

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


def _line() -> test_phone.Line:
    """This app's own webhooks, called in this process with the line's signature."""
    settings = current_app.config["SETTINGS"]
    return test_phone.into_app(current_app.wsgi_app, twilio_auth_token(settings), settings.public_base_url)


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
    sid = test_phone.new_sid("SM")
    try:
        replies = test_phone.send_text(_line(), number, body, settings.twilio_phone_number, sid)
    except test_phone.LineRefused as exc:
        _take_back(number, f"sms:{sid}")
        flash(f"The line answered {exc.status}.", "error")
        return _page(number), 502
    audit("phone.text")
    _take_back(number, f"sms:{sid}")
    return _page(number, sent=body, replies=replies)


def _call(number: str, digits: str):
    settings = current_app.config["SETTINGS"]
    call = test_call.PhoneCall(_line().post, number, settings.twilio_phone_number)
    try:
        test_call.walk(call, test_call.parse_inputs(digits))
    except test_call.CallFailed as exc:
        _take_back(number, f"voice:{call.sid}")
        flash(f"The call failed: {exc}", "error")
        return _page(number, heard=call.heard), 502
    audit("phone.call")
    _take_back(number, f"voice:{call.sid}")
    return _page(number, heard=call.heard)


def _take_back(number: str, made_by: str) -> None:
    """A callback request the test made leaves the staff queue and the figures at once, and says so."""
    callback_id = test_phone.take_back_request(store(), number, made_by)
    if callback_id:
        audit("phone.test_request", callback=callback_id)
        flash(
            f"This test asked for a callback ({callback_id}): it was taken off the staff queue and out of "
            "the figures, so nobody calls a test number.",
            "info",
        )
