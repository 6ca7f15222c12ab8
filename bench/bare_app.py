"""The baseline for bench/webhook.py: a Flask endpoint that only checks the signature and answers.

It does what any Twilio webhook must do at the least, so the ratio against it shows what the
helpline's own work (Redis state, encryption, decisions) costs.
"""

from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse


def create_app() -> Flask:
    app = Flask(__name__)
    validator = RequestValidator(os.environ["BENCH_AUTH_TOKEN"])

    @app.post("/twilio/sms")
    def sms():
        if not validator.validate(request.url, request.form, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        response = MessagingResponse()
        response.message("Thanks for your message.")
        return Response(str(response), mimetype="text/xml")

    return app
