"""The one Twilio REST client: the official SDK, pointed at `TWILIO_API_URL`.

The SDK builds every URL on `https://<product>.twilio.com`; a small `HttpClient` rewrites that
origin to the configured base URL, so tests run the real SDK over HTTP against a local fake.
In development mode (no credentials) there is no client: outbound work goes to the outbox.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import re
import select
import ssl
import threading
import time
import urllib.request
from urllib.parse import unquote, urlencode, urlsplit

import certifi
import urllib3
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from config.settings import Settings

DEFAULT_API_URL = "https://api.twilio.com"
_TWILIO_ORIGIN = re.compile(r"^https://api\.twilio\.com")
IDLE_CHECK_SECONDS = 1.0  # a connection idle this long is checked before use: Twilio may have closed it


class TwilioConnectionError(ConnectionError):
    """The connection to Twilio broke or its answer was not HTTP: Twilio may or may not have the request."""


class KeptAliveHttpClient(HttpClient):
    """An `HttpClient` for the official SDK on the standard library's `http.client`: each thread (a
    worker's job slot) keeps its own connection to Twilio alive, so a send is one request on an open
    connection. No retries and no redirects: RQ retries the job. It sends to `base_url` instead of
    `https://api.twilio.com` when given; through `proxy` (HTTPS_PROXY) it asks for a CONNECT tunnel.
    A pooled urllib3 client spent about twice its CPU per send."""

    def __init__(self, base_url: str | None, timeout: float, proxy: str | None = None):
        super().__init__(logging.getLogger("twilio.http_client"), False, timeout)
        self.base_url = base_url.rstrip("/") if base_url and base_url.rstrip("/") != DEFAULT_API_URL else None
        self.proxy = urlsplit(proxy) if proxy else None
        self._tls = ssl.create_default_context(cafile=certifi.where())
        self._local = threading.local()
        self._pool: urllib3.PoolManager | None = None

    @property
    def pool(self) -> urllib3.PoolManager:
        """A urllib3 pool for what is not an API call (a recording's media, which redirects)."""
        if self._pool is None:
            options = {"retries": False, "ca_certs": certifi.where()}
            proxy = self.proxy.geturl() if self.proxy else None
            self._pool = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
        return self._pool

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
        scheme, netloc, path, query, _ = urlsplit(url)
        if scheme not in ("http", "https") or not netloc:
            raise ValueError(f"not an http(s) URL: {scheme}://{netloc}")
        target = (path or "/") + (f"?{query}" if query else "")
        headers = dict(headers or {})
        body = None
        if data:
            if headers.get("Content-Type") in ("application/json", "application/scim+json"):
                body = json.dumps(data).encode()
            else:
                body = urlencode(data, doseq=True).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        seconds = timeout if timeout is not None else self.timeout
        origin = (scheme, netloc)
        connection = self._connection(origin, seconds)
        try:
            # http.client refuses a line break in a header, or a space or control character in the
            # request line, before anything is sent.
            connection.request(method.upper(), target, body=body, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
        except BaseException as exc:  # a timeout, a broken connection, the job stopped: its state is unknown
            self._drop(origin)
            if isinstance(exc, ValueError):  # refused before sending: a header with a line break
                raise
            if isinstance(exc, http.client.InvalidURL):  # refused before sending: a space or line break
                raise ValueError(str(exc)) from exc
            if isinstance(exc, http.client.HTTPException) or (
                isinstance(exc, OSError) and not isinstance(exc, (ConnectionError, TimeoutError))
            ):  # a cut-off or non-HTTP answer, a refused tunnel, an unknown host
                raise TwilioConnectionError(f"Twilio's answer could not be read: {exc}") from exc
            raise
        if answer.will_close:
            self._drop(origin)
        else:
            connection.answered_at = time.monotonic()
        self._test_only_last_response = Response(
            answer.status, content.decode("utf-8"), dict(answer.getheaders())
        )
        return self._test_only_last_response

    # -- this thread's connections -----------------------------------------------------------
    def _connection(self, origin: tuple[str, str], seconds: float | None) -> http.client.HTTPConnection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # a forked process opens its own
            local.pid, local.connections = os.getpid(), {}
        connection = local.connections.get(origin)
        if connection is not None and _closed_while_idle(connection):
            self._drop(origin)
            connection = None
        if connection is None:
            connection = local.connections[origin] = self._open(origin)
        connection.timeout = seconds
        if connection.sock is not None:
            connection.sock.settimeout(seconds)
        return connection

    def _open(self, origin: tuple[str, str]) -> http.client.HTTPConnection:
        scheme, netloc = origin
        if self.proxy is None:
            if scheme == "https":
                return http.client.HTTPSConnection(netloc, context=self._tls)
            return http.client.HTTPConnection(netloc)
        proxy_host = self.proxy.netloc.rpartition("@")[2]
        if scheme == "https":
            connection = http.client.HTTPSConnection(proxy_host, context=self._tls)
        else:
            connection = http.client.HTTPConnection(proxy_host)
        tunnel_headers = {}
        if self.proxy.username:
            credentials = f"{unquote(self.proxy.username)}:{unquote(self.proxy.password or '')}"
            tunnel_headers["Proxy-Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
        connection.set_tunnel(netloc, headers=tunnel_headers)
        return connection

    def _drop(self, origin: tuple[str, str]) -> None:
        connection = self._local.connections.pop(origin, None)
        if connection is not None:
            connection.close()


def _closed_while_idle(connection: http.client.HTTPConnection) -> bool:
    """True when the peer closed a connection that waited a while (or sent what nobody asked for)."""
    if connection.sock is None:
        return False  # not open yet: http.client opens it
    if time.monotonic() - getattr(connection, "answered_at", 0.0) < IDLE_CHECK_SECONDS:
        return False
    try:
        readable = select.poll()
        readable.register(connection.sock, select.POLLIN)
        return bool(readable.poll(0))
    except (OSError, ValueError):
        return True


def make_client(settings: Settings) -> Client | None:
    """The SDK client for these credentials; None in development mode."""
    if settings.development:
        return None
    proxies = urllib.request.getproxies()  # read once, not per request
    http_client = KeptAliveHttpClient(
        settings.twilio_api_url or DEFAULT_API_URL, settings.twilio_timeout, proxy=proxies.get("https")
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
    if isinstance(http, KeptAliveHttpClient) and http.base_url:
        target = _TWILIO_ORIGIN.sub(http.base_url, target)
    credentials = base64.b64encode(f"{client.username}:{client.password}".encode()).decode()
    pool = (
        http.pool if isinstance(http, KeptAliveHttpClient) else urllib3.PoolManager(ca_certs=certifi.where())
    )
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
