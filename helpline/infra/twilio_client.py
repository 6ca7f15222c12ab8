"""The one Twilio REST client: the official SDK, pointed at `TWILIO_API_URL`.

The SDK builds every URL on `https://<product>.twilio.com`; a small `HttpClient` rewrites that
origin to the configured base URL, so tests run the real SDK over HTTP against a local fake.
In development mode (no credentials) there is no client: outbound work goes to the outbox.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import urllib.request
from urllib.parse import urlencode

import certifi
import urllib3
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from config.settings import Settings

DEFAULT_API_URL = "https://api.twilio.com"
_TWILIO_ORIGIN = re.compile(r"^https://api\.twilio\.com")


class PooledHttpClient(HttpClient):
    """An `HttpClient` for the official SDK on a urllib3 connection pool (keep-alive, no retries:
    RQ retries the job). It sends to `base_url` instead of `https://api.twilio.com` when given.
    Leaner than the SDK's default requests-based client, which costs ~1 ms of CPU per send."""

    def __init__(self, base_url: str | None, timeout: float, proxy: str | None = None, connections: int = 8):
        super().__init__(logging.getLogger("twilio.http_client"), False, timeout)
        self.base_url = base_url.rstrip("/") if base_url and base_url.rstrip("/") != DEFAULT_API_URL else None
        # One kept-alive connection per send a worker has in flight (its job slots).
        options = {"maxsize": connections, "retries": False, "ca_certs": certifi.where()}
        self.pool = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)

    def request(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        if self.base_url:
            url = _TWILIO_ORIGIN.sub(self.base_url, url)
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params, doseq=True)
        headers = dict(headers or {})
        body = None
        if data:
            if headers.get("Content-Type") in ("application/json", "application/scim+json"):
                body = json.dumps(data)
            else:
                body = urlencode(data, doseq=True)
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        seconds = timeout if timeout is not None else self.timeout
        raw = self.pool.request(
            method.upper(),
            url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(total=seconds) if seconds else None,
            redirect=allow_redirects,
            retries=False,
        )
        self._test_only_last_response = Response(raw.status, raw.data.decode("utf-8"), raw.headers)
        return self._test_only_last_response


def make_client(settings: Settings) -> Client | None:
    """The SDK client for these credentials; None in development mode."""
    if settings.development:
        return None
    proxies = urllib.request.getproxies()  # read once, not per request
    http_client = PooledHttpClient(
        settings.twilio_api_url or DEFAULT_API_URL,
        settings.twilio_timeout,
        proxy=proxies.get("https"),
        connections=max(8, settings.worker_job_slots),
    )
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client)


def public_url(settings: Settings, path: str) -> str:
    """An absolute URL Twilio can call back: PUBLIC_BASE_URL, else this machine's web port."""
    if path.startswith(("http://", "https://")):
        return path
    base = settings.public_base_url or f"http://localhost:{settings.port}"
    return base.rstrip("/") + "/" + path.lstrip("/")


def status_callback_url(settings: Settings) -> str:
    return public_url(settings, "/twilio/status")


def fetch_recording(client: Client | None, url: str, timeout: float = 10.0) -> tuple[bytes, str] | None:
    """A call recording's audio (mp3) with the account's credentials; None when it cannot be had.

    Only Twilio's own recording links are fetched (the link came in a signed webhook, but a page
    must never make this process fetch just any address).
    """
    if client is None or not _RECORDING_URL.match(url or ""):
        return None
    http = client.http_client
    target = url if url.endswith((".mp3", ".wav")) else url + ".mp3"
    if isinstance(http, PooledHttpClient) and http.base_url:
        target = _TWILIO_ORIGIN.sub(http.base_url, target)
    credentials = base64.b64encode(f"{client.username}:{client.password}".encode()).decode()
    pool = http.pool if isinstance(http, PooledHttpClient) else urllib3.PoolManager(ca_certs=certifi.where())
    try:
        raw = pool.request(
            "GET",
            target,
            headers={"Authorization": "Basic " + credentials},
            timeout=urllib3.Timeout(total=timeout),
            redirect=True,
            retries=False,
        )
    except urllib3.exceptions.HTTPError:
        return None
    if raw.status != 200:
        return None
    return raw.data, raw.headers.get("Content-Type", "audio/mpeg")


_RECORDING_URL = re.compile(
    r"^https://api\.twilio\.com/2010-04-01/Accounts/AC\w+/Recordings/RE\w+(\.mp3|\.wav)?$"
)
