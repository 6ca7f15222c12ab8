"""The one-click callback bridge: Twilio has rung the staff phone; press 1 and we dial the person.

The person sees the helpline's number as caller ID, never the staff member's.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from helpline.domain.phones import mask_phone
from helpline.services import callbacks
from helpline.web.twilio_signature import twilio_signed
from helpline.web.twiml import twiml

log = logging.getLogger(__name__)

bp = Blueprint("staff_calls", __name__, url_prefix="/twilio/voice/staff-bridge")

PROMPT = "Helpline callback. Press 1 to connect."
TRIES = 2  # the prompt is said this many times before hanging up


def _store():
    return current_app.extensions["helpline"].store


def _open_request(callback_id: str) -> callbacks.CallbackRequest | None:
    found = callbacks.get(_store(), callback_id) if len(callback_id) < 40 else None
    return found if found and found.is_open else None


@bp.post("/<callback_id>")
@twilio_signed
def prompt(callback_id: str):
    """Answered by staff: ask for 1 before connecting (so a voicemail box never gets bridged)."""
    response = VoiceResponse()
    if _open_request(callback_id) is None:
        response.say("This callback is no longer open. Goodbye.")
        response.hangup()
        return twiml(response)
    action = url_for("staff_calls.connect", callback_id=callback_id)
    for _ in range(TRIES):
        gather = response.gather(num_digits=1, action=action, method="POST", timeout=6)
        gather.say(PROMPT)
    response.say("No key pressed. Goodbye.")
    response.hangup()
    return twiml(response)


@bp.post("/<callback_id>/connect")
@twilio_signed
def connect(callback_id: str):
    response = VoiceResponse()
    request_ = _open_request(callback_id)
    if request.form.get("Digits", "")[:1] != "1":
        response.redirect(url_for("staff_calls.prompt", callback_id=callback_id), method="POST")
        return twiml(response)
    if request_ is None:
        response.say("This callback is no longer open. Goodbye.")
        response.hangup()
        return twiml(response)
    phone = callbacks.phone_of(_store(), request_)
    helpline_number = current_app.extensions["helpline"].settings.twilio_phone_number
    response.say("Connecting.")
    dial = response.dial(caller_id=helpline_number, timeout=30, answer_on_bridge=True)
    dial.number(phone)
    staff_phone, call_sid = request.form.get("To", "")[:32], request.form.get("CallSid", "")[:64]
    callbacks.bridged(_store(), callback_id, staff_phone, call_sid)
    log.info("event=callback.bridged id=%s to=%s", callback_id, mask_phone(phone))
    return twiml(response)
