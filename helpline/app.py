"""The app factory: settings -> the process's parts (container) -> blueprints. Nothing is built at import."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from config.settings import Settings, load_settings
from helpline import container
from helpline.store import client as redis_client


def create_app(settings: Settings | None = None, *, waits_for_redis: bool = False, **overrides) -> Flask:
    """Build the web app on a fresh container: its own Redis client, wording, hours and clients.
    `waits_for_redis`: the caller (a worker) waits for a silent Redis itself (container.connect_redis)."""
    settings = settings.with_overrides(**overrides) if settings else load_settings(**overrides)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    parts = container.build(settings, waits_for_redis=waits_for_redis)
    settings = parts.settings
    from helpline.web.routing import LazyBuilderRule

    app = Flask("helpline")
    app.url_rule_class = LazyBuilderRule  # each route's URL builder made when first used
    app.config["SETTINGS"] = settings
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config.update(settings.extra.get("flask", {}))
    app.extensions["helpline"] = parts

    from helpline.devtools import cli
    from helpline.web import (
        access_log,
        auth,
        health,
        metrics,
        ops,
        sms,
        staff,
        staff_bridge,
        status,
        twilio_signature,
        twiml,
        voice,
    )

    twilio_signature.init_app(app)
    access_log.init_app(app)  # request logs name the route, never a path with a link token in it
    twiml.init_app(app)  # a delivery to try again answers 503, never 200 (lost) or 500
    cli.init_app(app)
    for blueprint in (sms.bp, voice.bp, status.bp, staff_bridge.bp, health.bp):
        app.register_blueprint(blueprint)
    metrics.init_app(app)
    ops.init_app(app)
    auth.init_app(app)  # /login, /logout, sessions, CSRF on every non-/twilio/ POST
    app.register_blueprint(staff.bp)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if _browser_page():
            title, explanation = BROWSER_ERRORS.get(exc.code, (exc.name, exc.description))
            return render_template("error.html", title=title, explanation=explanation), exc.code
        return jsonify(error=exc.name, detail=exc.description), exc.code

    harden_responses(app, settings)
    give_up_once_per_request(app)
    # Texts take a path around Flask's request machinery; anything unusual still reaches Flask.
    app.wsgi_app = sms.TextingWebhook(app, app.wsgi_app, protections(settings))
    if settings.proxy_hops:
        # Only the client address: the signed URL comes from PUBLIC_BASE_URL, never from headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=0, x_host=0)
    return app


def give_up_once_per_request(app: Flask) -> None:
    """A request that meets a hung Redis waits for one give-up (seconds), not one per command it sends:
    Twilio hangs up at 15 s, and the texting path has words to say without Redis."""

    @app.before_request
    def _scope() -> None:
        g.redis_scope = redis_client.begin_scope()

    @app.teardown_request
    def _end_scope(exc) -> None:
        token = g.pop("redis_scope", None)
        if token is not None:
            redis_client.end_scope(token)


# Scripts and styles only from our own files (templates carry no inline script or style), never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
PRIVATE_PAGES = ("/staff", "/ops", "/login", "/logout", "/set-password")  # personal data: never cached


# What a person in a browser is told, in words, instead of a machine's JSON.
BROWSER_ERRORS = {
    404: (
        "Page not found",
        "There is no page at this address. It may have been a link to a request that is closed.",
    ),
    405: ("Not possible here", "This address does not take that kind of request. Nothing was changed."),
    413: ("Too much to send", "What you sent is larger than the service accepts. Nothing was changed."),
}


def _browser_page() -> bool:
    """A person's browser asking for a page (not Twilio, not a monitor, not a script)."""
    path = request.path
    if path.startswith(("/twilio/", "/healthz", "/metrics")):
        return False
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def protections(settings: Settings) -> list[tuple[str, str]]:
    """The browser protections every response carries; HSTS once the public origin is https."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ]
    if (settings.public_base_url or "").lower().startswith("https://"):
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


def harden_responses(app: Flask, settings: Settings) -> None:
    """Browser protections on every response Flask makes (and the texting fast path's, in sms.py)."""
    protections_ = protections(settings)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        for name, value in protections_:
            headers.setdefault(name, value)
        path = request.path
        if any(path == page or path.startswith(page + "/") for page in PRIVATE_PAGES):
            headers["Cache-Control"] = "no-store"
        return response
