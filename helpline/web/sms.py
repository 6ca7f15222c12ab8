"""POST /twilio/sms: parse Twilio's form, ask the texting line, answer in TwiML."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from helpline.services.texting import IncomingText, handle_text
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
    )
    answer = handle_text(current_app.extensions["helpline"].texting, text)
    request.environ[EVENT] = answer.event  # said on the request's one log line, the access log's
    response = MessagingResponse()
    for reply in answer.replies:
        response.message(reply)
    return twiml(response)


def _int(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 10))  # Twilio sends at most 10 media with a text
    except ValueError:
        return 0
