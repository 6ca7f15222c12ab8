"""The one Twilio REST client: the official SDK, pointed at `TWILIO_API_URL`.

The SDK builds every URL on `https://<product>.twilio.com`; a small `HttpClient` rewrites that
origin to the configured base URL, so tests run the real SDK over HTTP against a local fake.
In development mode (no credentials) there is no client: outbound work goes to the outbox.
"""

from __future__ import annotations

import logging
import os
import re
import urllib.request

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from config.settings import Settings

DEFAULT_API_URL = "https://api.twilio.com"
_TWILIO_ORIGIN = re.compile(r"^https://api\.twilio\.com")
# A send that hangs must fail and be retried, not hold a worker (Twilio answers in < 1 s).
REQUEST_TIMEOUT_SECONDS = 10.0


class RebasedHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, with `https://api.twilio.com` replaced by `base_url`."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        return super().request(method, _TWILIO_ORIGIN.sub(self.base_url, url), *args, **kwargs)


def make_client(settings: Settings) -> Client | None:
    if settings.development:
        return None
    base = settings.twilio_api_url or DEFAULT_API_URL
    # Proxies from the environment are read once here; per request, requests would rescan the
    # environment and ~/.netrc (a third of a send's CPU time).
    proxies = {k: v for k, v in urllib.request.getproxies().items() if k in ("http", "https")}
    options = {"timeout": REQUEST_TIMEOUT_SECONDS, "proxy": proxies or None}
    if base.rstrip("/") == DEFAULT_API_URL:
        http_client = TwilioHttpClient(**options)
    else:
        http_client = RebasedHttpClient(base, **options)
    http_client.session.trust_env = False
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client)


def public_url(settings: Settings, path: str) -> str:
    """An absolute URL Twilio can call back: PUBLIC_BASE_URL, else this machine's web port."""
    if path.startswith(("http://", "https://")):
        return path
    base = settings.public_base_url or f"http://localhost:{os.environ.get('PORT', '5000')}"
    return base.rstrip("/") + "/" + path.lstrip("/")


def status_callback_url(settings: Settings) -> str:
    return public_url(settings, "/twilio/status")


def get_client(app=None) -> Client | None:
    from flask import current_app

    return (app or current_app).extensions.get("twilio")


def init_app(app) -> None:
    app.extensions["twilio"] = make_client(app.config["SETTINGS"])
    # The SDK logs every request line at INFO (no bodies); keep worker logs to our own events.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
