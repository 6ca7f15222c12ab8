"""Twilio webhook signatures: every /twilio/ request must be signed with the account's token."""

from __future__ import annotations

import functools
import hmac
import logging

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator
from werkzeug.wsgi import get_current_url

from config.settings import Settings, local_secret

log = logging.getLogger(__name__)


WEBHOOK_PREFIX = "/twilio/"  # Twilio's webhooks: signed, never a cookie, a session or a CSRF token


def is_webhook(path: str) -> bool:
    return path.startswith(WEBHOOK_PREFIX)


def twilio_auth_token(settings: Settings) -> str:
    """The real token, or in development a generated one the simulator signs with."""
    return settings.twilio_auth_token or local_secret(settings, "twilio_auth_token")


def signed_url(settings: Settings, environ: dict | None = None) -> str:
    """The URL Twilio signed: the public origin behind a proxy, else what the server saw (of `environ`,
    by default the request's)."""
    environ = request.environ if environ is None else environ
    return _url(settings.public_base_url, tuple(environ.get(name) for name in _URL_PARTS))


_URL_PARTS = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
)


@functools.lru_cache(maxsize=64)  # Twilio posts to the same few URLs: each is made once, not per request
def _url(public_base_url: str | None, parts: tuple) -> str:
    environ = {name: value for name, value in zip(_URL_PARTS, parts, strict=True) if value is not None}
    if public_base_url:
        path = "/" + environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace").lstrip("/")
        query = environ.get("QUERY_STRING", "").encode("latin-1").decode("utf-8", "replace")
        return public_base_url.rstrip("/") + (f"{path}?{query}" if query else path)
    return get_current_url(environ)


def twilio_signed(view):
    """Reject (403, no side effects) a request whose X-Twilio-Signature does not verify."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        validator: RequestValidator = current_app.extensions["twilio_validator"]
        signature = request.headers.get("X-Twilio-Signature", "")
        url = signed_url(current_app.config["SETTINGS"])
        if not signature or not verifies(validator, url, request.form, signature):
            log.warning("event=twilio.bad_signature path=%s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def verifies(validator: RequestValidator, url: str, form, signature: str) -> bool:
    """Twilio's check. It accepts a signature over the URL with or without its port, so it signs
    twice; a signature over the URL as received (nearly every one) is accepted after one."""
    ours = validator.compute_signature(url, form).encode()
    return hmac.compare_digest(ours, signature.encode()) or validator.validate(url, form, signature)


def init_app(app) -> None:
    app.extensions["twilio_validator"] = RequestValidator(twilio_auth_token(app.config["SETTINGS"]))
