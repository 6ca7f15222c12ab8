"""A local fake of the Twilio REST API that the real `twilio` SDK talks to over HTTP.

It implements what the service uses: create and list Messages and Calls under
`/2010-04-01/Accounts/{sid}/`, with Twilio's JSON shapes, its error bodies
(`{"code": 21610, "message": ..., "more_info": ..., "status": 400}`) and basic auth. It records
every accepted request, can be told to answer the next requests with an error
(`fail_next(2, 429)`, `fail_next(1, 400, 21610)`), and can post status callbacks back to a
URL signed exactly as Twilio signs them. `latency` (seconds, 0 in tests) delays every REST answer
as the real API does (~150 ms): benchmarks use it to see sending at Twilio's speed; requests on
separate connections wait side by side, and `in_flight_peak` says how many did at most.

Fixtures: `twilio_fake` (the server, reset for each test), `live_twilio_settings` (the
conftest settings pointed at it), `live_twilio_app` (an app on those settings; a test module
that wants live mode everywhere can do `@pytest.fixture def app(live_twilio_app): return live_twilio_app`),
and `live_app_url` (that app served over HTTP in a thread, for status callbacks).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

import pytest
import requests
from twilio.request_validator import RequestValidator
from werkzeug.serving import WSGIRequestHandler, make_server

__all__ = [  # what `from tests.twilio_fixtures import *` in conftest brings in: the fixtures
    "twilio_fake_server",
    "twilio_fake",
    "live_twilio_settings",
    "live_twilio_app",
    "live_app_url",
]

FAKE_ACCOUNT_SID = "AC" + "f" * 32
FAKE_AUTH_TOKEN = "fake-twilio-auth-token-0123456789"

# What Twilio answers for the failures the service handles (code -> (HTTP status, message)).
ERRORS = {
    20003: (401, "Authenticate"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21604: (400, "A 'To' phone number is required."),
    21602: (400, "Message body is required."),
    21205: (400, "Url parameter is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
}
_DEFAULT_CODE = {429: 20429, 500: 20500, 503: 20503, 401: 20003}

_ROUTE = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/(?P<kind>Messages|Calls)\.json$")
_RECORDING = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Recordings/(?P<sid>RE\w+)\.mp3$")
RECORDING_AUDIO = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64  # a recording's media


@dataclass
class _Failure:
    status: int
    code: int


@dataclass
class FakeTwilio:
    """State of the fake server; the WSGI app is `self.wsgi`."""

    account_sid: str = FAKE_ACCOUNT_SID
    auth_token: str = FAKE_AUTH_TOKEN
    url: str = ""
    messages: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    requests_seen: int = 0
    latency: float = 0.0  # seconds before each REST answer (the real API takes ~0.15 s)
    in_flight_peak: int = 0  # most REST requests served at the same moment
    _in_flight: int = 0
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _hold: tuple[threading.Event, bool] | None = None
    _waiting: threading.Event | None = None
    holding: threading.Event = field(default_factory=threading.Event)

    # -- what tests use ---------------------------------------------------------------------
    def fail_next(self, count: int, status: int, code: int | None = None) -> None:
        """Answer the next `count` create requests with this error (code defaults from status)."""
        code = code or _DEFAULT_CODE.get(status) or status
        if status < 400:
            status = ERRORS.get(code, (400, ""))[0]
        with self._lock:
            self._failures.extend(_Failure(status, code) for _ in range(count))

    def hold_next(self, *, after_accept: bool) -> None:
        """Keep the next create request waiting until `release()`, as a slow or cut-off Twilio would.

        `after_accept=True`: the message is recorded first (Twilio took it; the answer is late).
        `after_accept=False`: nothing is recorded (the request never got through).
        `holding` is set while a request waits.
        """
        with self._lock:
            self.holding.clear()
            self._hold = (threading.Event(), after_accept)

    def release(self) -> None:
        with self._lock:
            gates = [g for g in (self._hold and self._hold[0], self._waiting) if g]
            self._hold = self._waiting = None
        for gate in gates:
            gate.set()

    def reset(self) -> None:
        self.release()
        with self._lock:
            self.messages.clear()
            self.calls.clear()
            self._failures.clear()
            self.requests_seen = 0
            self.in_flight_peak = 0
            self.holding.clear()

    def to(self, phone: str) -> list[dict]:
        """Messages accepted for one number, in order."""
        return [m for m in self.messages if m["To"] == phone]

    def sign(self, url: str, params: dict) -> str:
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def post_status(self, url: str, params: dict, timeout: float = 10) -> requests.Response:
        """POST a status callback to `url` as Twilio does: form-encoded, X-Twilio-Signature."""
        params = {k: str(v) for k, v in params.items() if v is not None}
        headers = {"X-Twilio-Signature": self.sign(url, params), "User-Agent": "TwilioProxy/1.1"}
        return requests.post(url, data=params, headers=headers, timeout=timeout)

    def message_status(self, sid: str, status: str, error_code: int | None = None, url: str | None = None):
        """Report a message status (`sent`, `delivered`, `failed`, `undelivered`) to its StatusCallback."""
        message = next(m for m in self.messages if m["Sid"] == sid)
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": status,
            "MessageStatus": status,
            "To": message["To"],
            "From": message["From"],
            "ErrorCode": error_code,
        }
        return self.post_status(url or message["StatusCallback"], params)

    def call_status(self, sid: str, status: str, duration: int | None = None, url: str | None = None):
        """Report a call status (`completed`, `busy`, `no-answer`, `failed`, `canceled`)."""
        call = next(c for c in self.calls if c["Sid"] == sid)
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": sid,
            "CallStatus": status,
            "Direction": "outbound-api",
            "To": call["To"],
            "From": call["From"],
            "CallDuration": duration,
            "Duration": None if duration is None else max(1, (duration + 59) // 60),
        }
        return self.post_status(url or call["StatusCallback"], params)

    # -- the WSGI app -------------------------------------------------------------------------
    def wsgi(self, environ, start_response):
        with self.answering():
            if self.latency > 0:
                time.sleep(self.latency)  # the real API's round trip; other connections go on meanwhile
            return self._answer(environ, start_response)

    @contextlib.contextmanager
    def answering(self):
        """Counts a REST request in flight (`in_flight_peak`) while it waits and is answered."""
        with self._lock:
            self._in_flight += 1
            self.in_flight_peak = max(self.in_flight_peak, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        recording = _RECORDING.match(path)
        if recording and method == "GET":  # a call recording's audio, as its media URL serves it
            if not self._authorized(environ, recording["account"]):
                return self._error(start_response, 401, 20003, "Authenticate")
            start_response(
                "200 OK", [("Content-Type", "audio/mpeg"), ("Content-Length", str(len(RECORDING_AUDIO)))]
            )
            return [RECORDING_AUDIO]
        match = _ROUTE.match(path)
        if not match:
            return self._error(start_response, 404, 20404, "The requested resource was not found")
        if not self._authorized(environ, match["account"]):
            return self._error(start_response, 401, 20003, "Authenticate")
        kind = match["kind"]
        if method == "GET":
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            return self._list(start_response, path, kind, query)
        if method != "POST":
            return self._error(start_response, 405, 20004, "Method not allowed")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[-1] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        with self._lock:
            self.requests_seen += 1
            failure = self._failures.pop(0) if self._failures else None
            hold = None if failure else self._hold
            if hold:  # only the next request waits
                self._hold, self._waiting = None, hold[0]
        if failure:
            message = ERRORS.get(failure.code, (failure.status, "Error"))[1]
            return self._error(start_response, failure.status, failure.code, message)
        if not form.get("To"):
            return self._error(start_response, 400, 21604, ERRORS[21604][1])
        if hold and not hold[1]:
            self.holding.set()
            hold[0].wait(60)
            return self._error(start_response, 503, 20503, ERRORS[20503][1])
        create = self._create_message if kind == "Messages" else self._create_call
        if hold:
            response = create(lambda *args: None, form)  # recorded now, answered after release
            self.holding.set()
            hold[0].wait(60)
            return self._json(start_response, 201, json.loads(response[0]))
        return create(start_response, form)

    def _authorized(self, environ, account: str) -> bool:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == self.account_sid == account and password == self.auth_token

    def _create_message(self, start_response, form: dict):
        if not form.get("Body") and not form.get("MediaUrl"):
            return self._error(start_response, 400, 21602, ERRORS[21602][1])
        sid = "SM" + secrets.token_hex(16)
        record = {
            "Sid": sid,
            "To": form["To"],
            "From": form.get("From"),
            "Body": form.get("Body", ""),
            "StatusCallback": form.get("StatusCallback"),
            "at": time.time(),
        }
        with self._lock:
            self.messages.append(record)
        return self._json(start_response, 201, self._message_json(record))

    def _create_call(self, start_response, form: dict):
        if not form.get("Url") and not form.get("Twiml") and not form.get("ApplicationSid"):
            return self._error(start_response, 400, 21205, ERRORS[21205][1])
        sid = "CA" + secrets.token_hex(16)
        record = {
            "Sid": sid,
            "To": form["To"],
            "From": form.get("From"),
            "Url": form.get("Url"),
            "Twiml": form.get("Twiml"),
            "StatusCallback": form.get("StatusCallback"),
            "StatusCallbackEvent": form.get("StatusCallbackEvent"),
            "at": time.time(),
        }
        with self._lock:
            self.calls.append(record)
        return self._json(start_response, 201, self._call_json(record))

    def _list(self, start_response, path: str, kind: str, query: dict):
        with self._lock:
            records = list(self.messages if kind == "Messages" else self.calls)
        after_key = "DateSent>" if kind == "Messages" else "StartTime>"
        after = query.get(after_key)
        if after:
            cutoff = time.mktime(time.strptime(after[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            records = [r for r in records if r["at"] >= cutoff]
        for name in ("To", "From"):
            if query.get(name):
                records = [r for r in records if r[name] == query[name]]
        records.reverse()  # Twilio lists newest first
        shape = self._message_json if kind == "Messages" else self._call_json
        page = {
            kind.lower(): [shape(r) for r in records],
            "uri": path,
            "first_page_uri": path,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "end": max(0, len(records) - 1),
        }
        return self._json(start_response, 200, page)

    def _common(self, record: dict) -> dict:
        return {
            "sid": record["Sid"],
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "to": record["To"],
            "from": record["From"],
            "date_created": formatdate(record["at"], usegmt=True),
            "date_updated": formatdate(record["at"], usegmt=True),
            "price": None,
            "price_unit": "USD",
        }

    def _message_json(self, record: dict) -> dict:
        return self._common(record) | {
            "body": record["Body"],
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "num_media": "0",
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "messaging_service_sid": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{record['Sid']}.json",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{record['Sid']}/Media.json"
            },
        }

    def _call_json(self, record: dict) -> dict:
        return self._common(record) | {
            "status": "queued",
            "direction": "outbound-api",
            "duration": None,
            "start_time": None,
            "end_time": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "caller_name": None,
            "answered_by": None,
            "forwarded_from": None,
            "group_sid": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{record['Sid']}.json",
            "subresource_uris": {},
        }

    @staticmethod
    def _json(start_response, status: int, payload: dict):
        body = json.dumps(payload).encode()
        reason = {200: "OK", 201: "CREATED"}.get(status, "ERROR")
        start_response(
            f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def _error(self, start_response, status: int, code: int, message: str):
        payload = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return self._json(start_response, status, payload)


class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Twilio's API allows

    def log_request(self, *args, **kwargs) -> None:  # one line per request drowns test output
        pass


class _ServerThread:
    """A WSGI app served on a free local port by a daemon thread, stopped by `close()`."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """Serves a WSGI app over HTTP/1.1 keep-alive, as Twilio's API does (werkzeug's server closes
    every connection, which would make each SDK request pay a new TCP connection)."""

    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one write (flushed per request) ...
    disable_nagle_algorithm = True  # ... and at once: no Nagle/delayed-ACK stall of ~40 ms

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server = {
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(self.server.server_port),
            "SERVER_PROTOCOL": self.request_version,
        }
        status, headers, chunks = _call_wsgi(
            self.server.app, self.command, self.path, self.headers.items(), body, server
        )
        self.send_response(int(status.split()[0]), status.partition(" ")[2])
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(chunks)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, *args) -> None:
        pass


def _call_wsgi(app, method: str, target: str, headers, body: bytes, server: dict | None = None):
    """One request through a WSGI app: (status, response headers, body bytes)."""
    path, _, query = target.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": unquote(path),
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        **(server or {}),
    }
    for name, value in headers:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    environ["CONTENT_TYPE"] = environ.get("HTTP_CONTENT_TYPE", "")
    started: list = []
    chunks = b"".join(app(environ, lambda status, headers, exc_info=None: started.extend([status, headers])))
    status, response_headers = started
    return status, response_headers, chunks


class _ThreadingServer(ThreadingHTTPServer):
    request_queue_size = 128  # a worker opening a connection per job slot at once is not turned away


class _KeepAliveServer:
    def __init__(self, app):
        self.server = _ThreadingServer(("127.0.0.1", 0), _KeepAliveHandler)
        self.server.daemon_threads = True
        self.server.app = app
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _OneThreadServer:
    """The fake's REST API served by one asyncio thread, for benchmarks of what calls it.

    A thread per connection spends CPU on its own switching; on a small machine that is CPU taken from
    the worker being measured, which real Twilio, elsewhere, never takes. Requests wait their `latency`
    side by side (asyncio sleeps). Not for `hold_next`, which blocks: tests use `_KeepAliveServer`.
    """

    def __init__(self, fake: FakeTwilio):
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        listening = threading.Event()
        # All on its own thread: the calling thread may have a loop of its own running (Playwright's).
        self.thread = threading.Thread(target=self._run, args=(listening,), daemon=True)
        self.thread.start()
        if not listening.wait(10):
            raise RuntimeError("the fake Twilio did not start listening")
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    def _run(self, listening: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        listening.set()
        self.loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # HTTP/1.1 keep-alive: one request after another on the connection
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                headers = [
                    (name.strip(), value.strip())
                    for name, _, value in (line.partition(":") for line in filter(None, lines))
                ]
                length = next((int(value) for name, value in headers if name.lower() == "content-length"), 0)
                body = await reader.readexactly(length) if length else b""
                with self.fake.answering():
                    if self.fake.latency > 0:
                        await asyncio.sleep(self.fake.latency)
                    writer.write(self._answer(method, target, headers, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client closed the connection, or the server is closing
        finally:
            writer.close()

    def _answer(self, method: str, target: str, headers: list, body: bytes) -> bytes:
        status, response_headers, chunks = _call_wsgi(self.fake._answer, method, target, headers, body)
        lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in response_headers)]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + chunks

    def close(self) -> None:
        async def stop() -> None:
            self.server.close()
            connections = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def start_fake_twilio(latency: float = 0.0, *, one_thread: bool = False):
    """The fake served on a free local port; `latency` seconds before each answer (benchmarks: 0.15).

    `one_thread`: served by one asyncio thread (benchmarks; no `hold_next`), else a thread per connection.
    """
    fake = FakeTwilio(latency=latency)
    server = _OneThreadServer(fake) if one_thread else _KeepAliveServer(fake.wsgi)
    fake.url = server.url
    return fake, server


@pytest.fixture(scope="session")
def twilio_fake_server():
    fake, server = start_fake_twilio()
    yield fake
    server.close()


@pytest.fixture
def twilio_fake(twilio_fake_server):
    """The local fake Twilio, empty and with no failures queued."""
    twilio_fake_server.reset()
    yield twilio_fake_server
    twilio_fake_server.reset()


@pytest.fixture
def live_twilio_settings(settings, twilio_fake):
    """The conftest settings with Twilio credentials: live mode, the real SDK against the fake."""
    return settings.with_overrides(
        twilio_account_sid=twilio_fake.account_sid,
        twilio_auth_token=twilio_fake.auth_token,
        twilio_api_url=twilio_fake.url,
    )


@pytest.fixture
def live_twilio_app(live_twilio_settings):
    from helpline import create_app

    app = create_app(live_twilio_settings, flask={"TESTING": True})
    with app.app_context():
        yield app


@pytest.fixture
def live_app_url(live_twilio_app):
    """`live_twilio_app` served over real HTTP (for the fake's status callbacks)."""
    server = _ServerThread(live_twilio_app)
    yield server.url
    server.close()
