"""POST /twilio/status: Twilio's message and call status callbacks, recorded for operators."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from helpline.services import delivery_status
from helpline.web.twilio_signature import twilio_signed

bp = Blueprint("status", __name__)


@bp.post("/twilio/status")
@twilio_signed
def twilio_status():
    if not delivery_status.record_callback(current_app.extensions["helpline"].store, request.form):
        return "", 400
    return "", 204
