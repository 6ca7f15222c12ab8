"""The one way a webhook answers Twilio: TwiML (a voice or messaging response, or text already made)."""

from __future__ import annotations

from flask import Response


def twiml(response) -> Response:
    """`response` is a VoiceResponse, a MessagingResponse, or remembered TwiML as a string."""
    return Response(str(response), mimetype="text/xml")
