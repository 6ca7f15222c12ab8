"""The one-click callback bridge: Twilio has rung the staff phone; press 1 and we dial the person.

The person sees the helpline's number as caller ID, never the staff member's. Twilio's retry of the
connect step (same CallSid) gets the same TwiML: the person is dialled once, the trail says so once.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from helpline.domain.phones import mask_phone
from helpline.services import callbacks, calling, retries
from helpline.web.twilio_signature import twilio_signed
from helpline.web.twiml import twiml

log = logging.getLogger(__name__)

bp = Blueprint("staff_calls", __name__, url_prefix="/twilio/voice/staff-bridge")

PROMPT = "Helpline callback. Press 1 to connect."
TRIES = 2  # the prompt is said this many times before hanging up
SID_RE = re.compile(r"^CA[A-Za-z0-9]{1,62}$")


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
    call_sid = request.form.get("CallSid", "")[:64]
    if not SID_RE.match(call_sid):
        return twiml(_connect(callback_id, request_, call_sid))
    line = current_app.extensions["helpline"].calls
    step = f"bridge:{callback_id}:connect"
    try:
        lease, given = calling.begin_step(line, call_sid, step)
    except retries.ComeBackLater:  # the first delivery is connecting right now: ask again in a second
        response.pause(length=1)
        response.redirect(url_for("staff_calls.prompt", callback_id=callback_id), method="POST")
        return twiml(response)
    if lease is None:
        return twiml(given or VoiceResponse())  # Twilio's retry: the same TwiML, nothing done again
    try:
        xml = str(_connect(callback_id, request_, call_sid))
        calling.finish_step(line, lease, call_sid, step, xml)
    except Exception:
        calling.abandon_step(line, lease, call_sid)
        raise
    return twiml(xml)


def _connect(callback_id: str, request_: callbacks.CallbackRequest | None, call_sid: str) -> VoiceResponse:
    """Dial the person (the trail notes it), or say the request is closed."""
    response = VoiceResponse()
    if request_ is None:
        response.say("This callback is no longer open. Goodbye.")
        response.hangup()
        return response
    phone = callbacks.phone_of(_store(), request_)
    helpline_number = current_app.extensions["helpline"].settings.twilio_phone_number
    response.say("Connecting.")
    dial = response.dial(caller_id=helpline_number, timeout=30, answer_on_bridge=True)
    dial.number(phone)
    staff_phone = request.form.get("To", "")[:32]
    callbacks.bridged(_store(), callback_id, staff_phone, call_sid)
    log.info("event=callback.bridged id=%s to=%s", callback_id, mask_phone(phone))
    return response
