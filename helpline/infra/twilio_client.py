"""The one Twilio REST client: the official SDK, pointed at `TWILIO_API_URL`.

The SDK builds every URL on `https://<product>.twilio.com`; a small `HttpClient` rewrites that
origin to the configured base URL, so tests run the real SDK over HTTP against a local fake.
In development mode (no credentials) there is no client: outbound work goes to the outbox.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import select
import socket
import ssl
import threading
import time
import urllib.request
import zlib
from urllib.parse import unquote, urlencode, urlsplit

import certifi
import urllib3
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from config.settings import Settings

DEFAULT_API_URL = "https://api.twilio.com"
_TWILIO_ORIGIN = re.compile(r"^https://api\.twilio\.com")
_READ_SIZE = 65536
_UNSAFE_IN_TARGET = re.compile("[\x00-\x20\x7f]")
# A connection idle this long is checked before it is used again (servers close idle ones); one that
# answered just now is not: a server closing it at once says so ("Connection: close").
IDLE_CHECK_SECONDS = 1.0


class TwilioConnectionError(ConnectionError):
    """The connection to Twilio broke or its answer was not HTTP: Twilio may or may not have the request."""


class KeptAliveHttpClient(HttpClient):
    """An `HttpClient` for the official SDK: each thread (a worker's job slot) keeps its own connection
    alive and sends a request in one write, and an answer is read with no more parsing than HTTP/1.1
    needs. No retries and no redirects: RQ retries the job. It sends to `base_url` instead of
    `https://api.twilio.com` when given. A pooled urllib3 client spent ~4 times its CPU per send."""

    def __init__(self, base_url: str | None, timeout: float, proxy: str | None = None):
        super().__init__(logging.getLogger("twilio.http_client"), False, timeout)
        self.base_url = base_url.rstrip("/") if base_url and base_url.rstrip("/") != DEFAULT_API_URL else None
        self.proxy = proxy
        self._tls = ssl.create_default_context(cafile=certifi.where())
        self._local = threading.local()
        self._pool: urllib3.PoolManager | None = None

    @property
    def pool(self) -> urllib3.PoolManager:
        """A urllib3 pool for what is not an API call (a recording's media, which redirects)."""
        if self._pool is None:
            options = {"retries": False, "ca_certs": certifi.where()}
            self._pool = (
                urllib3.ProxyManager(self.proxy, **options) if self.proxy else urllib3.PoolManager(**options)
            )
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
        method, target = method.upper(), (path or "/") + (f"?{query}" if query else "")
        if _UNSAFE_IN_TARGET.search(target) or _UNSAFE_IN_TARGET.search(method):
            raise ValueError("a space or control character in the request line")  # as http.client refuses
        lines = [f"{method} {target} HTTP/1.1", f"Host: {netloc}"]
        headers = dict(headers or {})
        body = b""
        if data:
            if headers.get("Content-Type") in ("application/json", "application/scim+json"):
                body = json.dumps(data).encode()
            else:
                body = urlencode(data, doseq=True).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers.setdefault("Accept-Encoding", "identity")
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        text = "\r\n".join(lines)
        if text.count("\r") != len(lines) - 1 or "\n" in text.replace("\r\n", ""):
            raise ValueError("a header or the URL holds a line break")  # no request smuggled into another
        seconds = timeout if timeout is not None else self.timeout
        deadline = time.monotonic() + (seconds or 3600)
        origin = (scheme, netloc)
        connection = self._connection(origin, deadline)
        try:
            connection.send(text.encode("latin-1") + b"\r\n\r\n" + body, deadline)
            status, answer_headers, content, keep = connection.read_response(method, deadline)
            connection.answered_at = time.monotonic()
        except BaseException:  # a timeout, a broken connection, the job stopped: its state is unknown
            self._drop(origin)
            raise
        if not keep:
            self._drop(origin)
        self._test_only_last_response = Response(status, content.decode("utf-8"), answer_headers)
        return self._test_only_last_response

    # -- this thread's connections -----------------------------------------------------------
    def _connection(self, origin: tuple[str, str], deadline: float) -> _Connection:
        connections = getattr(self._local, "connections", None)
        if connections is None or connections.pid != os.getpid():  # a forked process opens its own
            connections = self._local.connections = _Connections()
        connection = connections.get(origin)
        if connection is not None and connection.dropped():  # the server closed it while idle
            self._drop(origin)
            connection = None
        if connection is None:
            connection = connections[origin] = _Connection.open(origin, deadline, self._tls, self.proxy)
        return connection

    def _drop(self, origin: tuple[str, str]) -> None:
        connection = self._local.connections.pop(origin, None)
        if connection is not None:
            connection.close()


class _Connections(dict):
    """One thread's kept-alive connections by origin, closed when the thread ends."""

    def __init__(self):
        super().__init__()
        self.pid = os.getpid()

    def __del__(self):
        if self.pid == os.getpid():  # a forked child leaves its parent's connections alone
            for connection in self.values():
                connection.close()


class _Connection:
    """One HTTP/1.1 connection and the bytes read from it but not yet consumed."""

    __slots__ = ("sock", "buffer", "answered_at")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()
        self.answered_at = time.monotonic()

    @classmethod
    def open(cls, origin: tuple[str, str], deadline: float, tls: ssl.SSLContext, proxy: str | None):
        scheme, netloc = origin
        host, port = _host_port(netloc, 443 if scheme == "https" else 80)
        if proxy:
            proxy_parts = urlsplit(proxy)
            sock = _connect(_host_port(proxy_parts.netloc.rpartition("@")[2], 8080), deadline)
            connection = cls(sock)
            try:
                connection.tunnel(host, port, proxy_parts, deadline)
            except BaseException:
                connection.close()
                raise
        else:
            sock = _connect((host, port), deadline)
        if scheme == "https":
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                sock = tls.wrap_socket(sock, server_hostname=host)
            except BaseException:
                sock.close()
                raise
        return cls(sock)

    def tunnel(self, host: str, port: int, proxy, deadline: float) -> None:
        """Ask an HTTP proxy for a tunnel to `host:port` (CONNECT), as urllib3 and requests do."""
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
        if proxy.username:
            credentials = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
            lines.append("Proxy-Authorization: Basic " + base64.b64encode(credentials.encode()).decode())
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), deadline)
        status, _, _ = self._read_head(deadline)
        if not 200 <= status < 300:
            raise TwilioConnectionError(f"the proxy refused a tunnel to Twilio ({status})")

    def dropped(self) -> bool:
        """True when the peer closed the connection (or sent what no request asked for)."""
        if self.buffer:
            return True
        if time.monotonic() - self.answered_at < IDLE_CHECK_SECONDS:
            return False
        try:
            readable = select.poll()
            readable.register(self.sock, select.POLLIN)
            return bool(readable.poll(0))
        except (OSError, ValueError):
            return True

    def send(self, data: bytes, deadline: float) -> None:
        self.sock.settimeout(_remaining(deadline))
        self.sock.sendall(data)

    def read_response(self, method: str, deadline: float) -> tuple[int, dict, bytes, bool]:
        """(status, headers, body, whether the connection may be used again)."""
        status, headers, fields = self._read_head(deadline)
        while 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
            status, headers, fields = self._read_head(deadline)
        version, connection = fields.get(":version", ""), fields.get("connection", "").lower()
        keep = ("close" not in connection) if version == "HTTP/1.1" else ("keep-alive" in connection)
        if method == "HEAD" or status in (204, 304):
            body = b""
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            body = self._read_chunked(deadline)
        elif "content-length" in fields:
            try:
                length = int(fields["content-length"])
            except ValueError:
                raise TwilioConnectionError("an answer with a malformed Content-Length") from None
            body = self._read_exactly(length, deadline)
        else:  # the body runs to the end of the connection
            while True:
                try:
                    self._fill(deadline)
                except _Closed:
                    break
            body, keep = bytes(self.buffer), False
            self.buffer.clear()
        encoding = fields.get("content-encoding", "identity").lower()
        if encoding in ("gzip", "x-gzip"):
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        return status, headers, body, keep

    def _read_head(self, deadline: float) -> tuple[int, dict, dict]:
        """The status, the headers as sent, and the fields read here (lower-case names, the version)."""
        end = self.buffer.find(b"\r\n\r\n")
        while end < 0:
            self._fill(deadline)
            end = self.buffer.find(b"\r\n\r\n")
        head = self.buffer[:end].decode("latin-1")
        del self.buffer[: end + 4]
        status_line, *header_lines = head.split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise TwilioConnectionError("an answer that is not HTTP/1.x")
        headers: dict[str, str] = {}
        fields = {":version": version}
        for line in header_lines:
            name, colon, value = line.partition(":")
            if not colon:
                raise TwilioConnectionError("a malformed header line in the answer")
            name, value = name.strip(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
            lower = name.lower()
            fields[lower] = f"{fields[lower]}, {value}" if lower in fields else value
        return int(rest[:3]), headers, fields

    def _read_chunked(self, deadline: float) -> bytes:
        body = bytearray()
        while True:
            line = self._read_line(deadline)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise TwilioConnectionError("a malformed chunk in the answer") from None
            if size == 0:
                while self._read_line(deadline):  # trailers, up to the empty line
                    pass
                return bytes(body)
            body += self._read_exactly(size + 2, deadline)[:-2]

    def _read_line(self, deadline: float) -> bytes:
        end = self.buffer.find(b"\r\n")
        while end < 0:
            self._fill(deadline)
            end = self.buffer.find(b"\r\n")
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 2]
        return line

    def _read_exactly(self, length: int, deadline: float) -> bytes:
        while len(self.buffer) < length:
            self._fill(deadline)
        data = bytes(self.buffer[:length])
        del self.buffer[:length]
        return data

    def _fill(self, deadline: float) -> None:
        self.sock.settimeout(_remaining(deadline))
        chunk = self.sock.recv(_READ_SIZE)
        if not chunk:
            raise _Closed("Twilio closed the connection before its answer was complete")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


class _Closed(TwilioConnectionError):
    pass


def _remaining(deadline: float) -> float:
    seconds = deadline - time.monotonic()
    if seconds <= 0:
        raise TimeoutError("Twilio did not answer in time")
    return seconds


def _host_port(netloc: str, default_port: int) -> tuple[str, int]:
    host, colon, port = netloc.rpartition(":")
    if not colon or "]" in port or not port.isdigit():
        host, port = netloc, str(default_port)
    return host.strip("[]"), int(port)


def _connect(address: tuple[str, int], deadline: float) -> socket.socket:
    sock = socket.create_connection(address, timeout=_remaining(deadline))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a request leaves at once, in one write
    return sock


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
