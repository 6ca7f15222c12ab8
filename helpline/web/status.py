"""POST /twilio/status: Twilio's message and call status callbacks, recorded for operators."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from helpline.services import delivery_status
from helpline.web.twilio_signature import twilio_signed

bp = Blueprint("status", __name__)


# Numeric parameters and the largest value Twilio sends (a call lasts at most 24 h; error codes have
# at most 6 digits). Anything else is left out, so no bogus figure is ever added to a total.
NUMERIC_LIMITS = {"CallDuration": 24 * 3600, "ErrorCode": 999_999}


def in_range(form) -> dict[str, str]:
    """Twilio's form without any numeric parameter that is not a plain number within its limit."""
    checked = form.to_dict()
    for name, highest in NUMERIC_LIMITS.items():
        value = checked.get(name)
        plain = value is not None and value.isascii() and value.isdigit() and len(value) <= len(str(highest))
        if value is not None and not (plain and int(value) <= highest):
            del checked[name]
    return checked


@bp.post("/twilio/status")
@twilio_signed
def twilio_status():
    if not delivery_status.record_callback(current_app.extensions["helpline"].store, in_range(request.form)):
        return "", 400
    return "", 204
