"""Voicemail recordings for staff pages: fetched from Twilio by the server, so the page plays them
from this site (its Content-Security-Policy allows nothing else) and the link never reaches a browser."""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpline.domain.callback_rules import CallbackRequest
from helpline.infra import twilio_client
from helpline.services import callbacks

if TYPE_CHECKING:
    from helpline.container import Helpline


def voicemail_audio(hl: Helpline, request: CallbackRequest) -> tuple[bytes, str] | None:
    """(audio bytes, content type) of the request's voicemail; None when there is none to play."""
    url = callbacks.extra_of(hl.store, request).get("voicemail_url")
    if not url:
        return None
    return twilio_client.fetch_recording(hl.twilio, url)


def why_unplayable(hl: Helpline) -> str:
    """Why no voicemail can be played on this service, in words; "" when recordings can be fetched (one
    may still fail: the page then says so when it is played)."""
    if hl.twilio is None:
        return "this service runs without a Twilio account (development mode), so it cannot fetch it"
    return ""
