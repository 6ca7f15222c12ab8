"""POST /twilio/sms: parse Twilio's form, ask the texting line, answer in TwiML."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from helpline.services.retries import StoreUnavailable
from helpline.services.texting import (
    HINT_COOKIE,
    HINT_SECONDS,
    IncomingText,
    answer_without_store,
    handle_text,
)
from helpline.web.access_log import EVENT
from helpline.web.twilio_signature import twilio_signed
from helpline.web.twiml import twiml

bp = Blueprint("sms", __name__, url_prefix="/twilio")


@bp.post("/sms")
@twilio_signed
def incoming_sms():
    form = request.form
    if not all(form.get(name) for name in ("From", "MessageSid")) or "Body" not in form:
        abort(400, "From, Body and MessageSid are required")
    text = IncomingText(
        sid=form["MessageSid"][:64],
        sender=form["From"][:64],
        body=form["Body"],
        opt_out_type=form.get("OptOutType"),
        num_media=_int(form.get("NumMedia")),
        hint=request.cookies.get(HINT_COOKIE),  # Twilio sends back what the last answer set (4 hours)
    )
    line = current_app.extensions["helpline"].texting
    try:
        answer = handle_text(line, text)
    except StoreUnavailable:  # Twilio does not send a text again after an error: answer it now
        answer = answer_without_store(line, text)
    request.environ[EVENT] = answer.event  # said on the request's one log line, the access log's
    response = twiml(_messages(tuple(answer.replies)))
    if answer.hint is not None:
        response.set_cookie(HINT_COOKIE, answer.hint, max_age=HINT_SECONDS, path=bp.url_prefix, httponly=True)
    return response


@functools.lru_cache(maxsize=256)
def _messages(replies: tuple[str, ...]) -> str:
    """The TwiML for these replies. Most replies are the same few texts (the menu, a topic, "looking
    up..."), so each is built once per process instead of once per text."""
    response = MessagingResponse()
    for reply in replies:
        response.message(reply)
    return str(response)


def _int(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 10))  # Twilio sends at most 10 media with a text
    except ValueError:
        return 0
