"""Helpline: the SMS and voice service of a free, confidential treatment helpline."""

from __future__ import annotations

import logging
import os

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from config.settings import Settings, load_settings, local_secret


def create_app(settings: Settings | None = None, **overrides) -> Flask:
    """Build the app: settings, Redis, the texting line, blueprints. Nothing is built at import."""
    settings = settings.with_overrides(**overrides) if settings else load_settings(**overrides)
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    app.config["SECRET_KEY"] = settings.secret_key or local_secret(settings, "secret_key")
    app.config.update(settings.extra.get("flask", {}))
    if settings.proxy_hops:
        # Only the client address: the signed URL comes from PUBLIC_BASE_URL, never from headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=0, x_host=0)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    from helpline import cli, queues, redis_client, security, store, texting_setup

    if not settings.data_key:
        settings = settings.with_overrides(data_key=local_secret(settings, "data_key", store.new_data_key))
        app.config["SETTINGS"] = settings
    redis_client.init_app(app)
    security.init_app(app)
    queues.init_app(app)
    texting_setup.init_app(app)
    cli.init_app(app)

    from helpline import health, sms

    app.register_blueprint(sms.bp)
    app.register_blueprint(health.bp)

    from helpline import voice

    voice.init_app(app)  # POST /twilio/voice and the IVR steps (helper C)

    from helpline import status, twilio_client

    twilio_client.init_app(app)  # the SDK client for outbound texts and calls (helper B)
    app.register_blueprint(status.bp)  # POST /twilio/status (helper B)

    from helpline import metrics

    metrics.init_app(app)  # GET /metrics (helper E)

    from helpline import ops

    ops.init_app(app)  # /ops pages (helper E)

    from helpline import auth, staff, staff_calls

    auth.init_app(app)  # /login, /logout, sessions, CSRF on every non-/twilio/ POST (helper D)
    app.register_blueprint(staff.bp)  # /staff: the callback queue (helper D)
    app.register_blueprint(staff_calls.bp)  # /twilio/voice/staff-bridge: one-click callbacks (helper D)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return jsonify(error=exc.name, detail=exc.description), exc.code

    return app
