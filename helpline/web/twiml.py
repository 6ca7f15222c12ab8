"""The one way a webhook answers Twilio: TwiML (a voice or messaging response, or text already made)."""

from __future__ import annotations

import logging

from flask import Response, request

from helpline.services import retries
from helpline.web.twilio_signature import is_webhook

log = logging.getLogger(__name__)


def twiml(response) -> Response:
    """`response` is a VoiceResponse, a MessagingResponse, or remembered TwiML as a string."""
    return Response(str(response), mimetype="text/xml")


def try_again_later(exc: Exception):
    """A webhook whose delivery must be tried again: 503, never a 200 that would lose it (nor a 500)."""
    response = Response("try again later\n", status=503, mimetype="text/plain")
    response.headers["Retry-After"] = str(retries.RETRY_AFTER_SECONDS)
    return response


def init_app(app) -> None:
    for error in retries.TRY_AGAIN:
        app.register_error_handler(error, _only_for_twilio(error))


def _only_for_twilio(error: type[Exception]):
    def handler(exc: Exception):
        if is_webhook(request.path):
            log.warning("event=twilio.try_again route=%s reason=%s", _rule(), type(exc).__name__)
            return try_again_later(exc)
        raise exc  # staff and ops pages: the usual error page

    return handler


def _rule() -> str:
    return request.url_rule.rule if request.url_rule else "-"
