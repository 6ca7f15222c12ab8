"""The Twilio SDK's HTTP client: a kept-alive connection per sending thread, and answers read as
HTTP/1.1 allows (chunked, closed, interim), against a small server that answers as scripted. A broken
or cut-off answer is a network error (the send is retried and reconciled), never a guess."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from twilio.rest import Client

from helpline import create_app
from helpline.infra import sender, twilio_client
from helpline.infra.twilio_client import KeptAliveHttpClient
from helpline.store import Keys
from tests.conftest import TEXTER
from tests.twilio_fixtures import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN

MESSAGE = {"sid": "SM" + "1" * 32, "to": TEXTER, "from": "+15555550100", "body": "Hi", "status": "queued"}
BODY = json.dumps(MESSAGE).encode()


def created(extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 201 CREATED\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (
        len(BODY),
        extra,
        BODY,
    )


class ScriptedServer:
    """Answers the n-th request with `answers[n]` (bytes, or None: close the connection unanswered);
    `close_after` closes a connection once it answered that many requests."""

    def __init__(self, answers: list[bytes | None], close_after: int | None = None):
        self.answers, self.close_after = list(answers), close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self.closed = 0  # connections this server has closed
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._answer(conn)
        finally:
            self.closed += 1

    def _answer(self, conn: socket.socket) -> None:
        buffer, answered = b"", 0
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + buffer[:length])
                buffer = buffer[length:]
                answer = self.answers.pop(0) if self.answers else created()
                if answer is None:
                    return
                conn.sendall(answer)
                answered += 1
                if self.close_after is not None and answered >= self.close_after:
                    return

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def scripted():
    servers: list[ScriptedServer] = []

    def start(answers: list[bytes | None], close_after: int | None = None) -> ScriptedServer:
        servers.append(ScriptedServer(answers, close_after))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def sdk(url: str, timeout: float = 5.0) -> Client:
    return Client(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, http_client=KeptAliveHttpClient(url, timeout))


def send(client: Client):
    return client.messages.create(to=TEXTER, from_="+15555550100", body="Hi")


def test_one_connection_carries_every_request_of_a_thread(scripted):
    server = scripted([created(), created(), created()])
    client = sdk(server.url)
    assert [send(client).sid for _ in range(3)] == [MESSAGE["sid"]] * 3
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(f"POST /2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages.json HTTP/1.1".encode())
    assert b"\r\nAuthorization: Basic " in first and first.endswith(
        b"\r\n\r\nTo=%2B15551230001&From=%2B15555550100&Body=Hi"
    )


def test_a_connection_twilio_closed_while_idle_is_replaced_before_sending(scripted, monkeypatch):
    monkeypatch.setattr(twilio_client, "IDLE_CHECK_SECONDS", 0)
    server = scripted([created(), created()], close_after=1)
    client = sdk(server.url)
    send(client)
    deadline = time.monotonic() + 5
    while not server.closed and time.monotonic() < deadline:  # the server has closed it
        time.sleep(0.01)
    assert send(client).sid == MESSAGE["sid"]
    assert server.connections == 2 and len(server.requests) == 2  # nothing sent into the closed one


def test_connection_close_chunked_and_interim_answers_are_read_as_http_says(scripted):
    chunked = (
        b"HTTP/1.1 201 CREATED\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b"%x\r\n%s\r\n" % (10, BODY[:10])
        + b"%x;ext=1\r\n%s\r\n" % (len(BODY) - 10, BODY[10:])
        + b"0\r\nX-Trailer: 1\r\n\r\n"
    )
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" + created()
    to_the_end = b"HTTP/1.0 201 CREATED\r\nContent-Type: application/json\r\n\r\n" + BODY
    server = scripted([chunked, interim], close_after=3)
    client = sdk(server.url)
    assert [send(client).sid for _ in range(2)] == [MESSAGE["sid"]] * 2
    assert server.connections == 2  # "Connection: close" was honoured
    closing = scripted([to_the_end], close_after=1)  # an HTTP/1.0 body runs to the end of the connection
    assert send(sdk(closing.url)).body == "Hi"


@pytest.mark.parametrize(
    "answer",
    [None, created()[:-10], b"HTTP/1.1 201 CREATED\r\nContent-Length: 12\r\n", b"SMTP ready\r\n\r\n"],
    ids=["closed-unanswered", "cut-off-body", "cut-off-head", "not-http"],
)
def test_a_broken_answer_is_a_network_error_and_the_claim_is_kept_to_reconcile(
    scripted, live_twilio_settings, answer
):
    server = scripted([answer], close_after=1)
    app = create_app(live_twilio_settings.with_overrides(twilio_api_url=server.url))
    with app.app_context():
        helpline = app.extensions["helpline"]
        vault = helpline.store.vault
        with pytest.raises(sender.TwilioUnavailable):
            sender.deliver_text(helpline, vault.encrypt(TEXTER).decode(), vault.encrypt("Hi").decode(), "h-1")
        # Twilio may have it: the retry asks Twilio's log before sending again.
        assert (helpline.store._r.get(Keys.sent("h-1")) or b"").startswith(b"sending:")


def test_twilio_unreachable_is_a_network_error(live_twilio_settings):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    app = create_app(live_twilio_settings.with_overrides(twilio_api_url=f"http://127.0.0.1:{port}"))
    with app.app_context():
        helpline = app.extensions["helpline"]
        vault = helpline.store.vault
        with pytest.raises(sender.TwilioUnavailable):
            sender.deliver_text(helpline, vault.encrypt(TEXTER).decode(), vault.encrypt("Hi").decode(), "u-1")


def test_an_answer_that_never_comes_times_out(scripted):
    server = scripted([])
    server.answers = [b"HTTP/1.1 201 CREATED\r\n"]  # the head never ends
    client = sdk(server.url, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        send(client)
    assert time.monotonic() - started < 2


def test_a_line_break_in_a_header_is_refused_before_anything_is_sent(scripted):
    server = scripted([created()])
    http = KeptAliveHttpClient(server.url, 5)
    with pytest.raises(ValueError):
        http.request("GET", "https://api.twilio.com/x", headers={"X-Note": "a\r\nX-Injected: 1"})
    with pytest.raises(ValueError):
        http.request("GET", "https://api.twilio.com/x HTTP/1.1\r\nX-Injected: 1")
    assert server.requests == []


def test_through_a_proxy_requests_go_in_a_tunnel_with_the_proxy_s_credentials(scripted):
    proxy = scripted([b"HTTP/1.1 200 Connection established\r\n\r\n", created(), created()])
    http = KeptAliveHttpClient("http://twilio.example", 5, proxy=proxy.url.replace("//", "//ops:p%40ss@"))
    client = Client(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, http_client=http)
    assert [send(client).sid for _ in range(2)] == [MESSAGE["sid"]] * 2
    connect, first, _ = proxy.requests
    assert connect.startswith(b"CONNECT twilio.example:80 HTTP/1.")
    assert b"\r\nProxy-Authorization: Basic b3BzOnBAc3M=\r\n" in connect  # ops:p@ss
    assert first.startswith(b"POST /2010-04-01/") and b"\r\nHost: twilio.example\r\n" in first
    assert proxy.connections == 1


def test_a_proxy_that_refuses_the_tunnel_is_a_network_error(scripted):
    proxy = scripted([b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"])
    client = Client(
        FAKE_ACCOUNT_SID,
        FAKE_AUTH_TOKEN,
        http_client=KeptAliveHttpClient("http://t.example", 5, proxy=proxy.url),
    )
    with pytest.raises(ConnectionError):
        send(client)


def test_the_benchmarks_one_thread_fake_answers_the_sdk_as_twilio_does():
    """bench/worker.py's fake Twilio (one asyncio thread): creates, lists, errors, and waits side by side."""
    from twilio.base.exceptions import TwilioRestException

    from tests.twilio_fixtures import start_fake_twilio

    # Each send waits 1 s at the fake: long enough that all 8, started together, are there at once even
    # on a loaded machine (0.2 s was not, once), where one-at-a-time waits would never have 2.
    fake, server = start_fake_twilio(latency=1.0, one_thread=True)
    http = KeptAliveHttpClient(fake.url, timeout=10)
    client = Client(fake.account_sid, fake.auth_token, http_client=http)
    phones = [f"+1555123{n:04d}" for n in range(8)]
    together = threading.Barrier(len(phones))
    try:

        def send(phone: str) -> None:
            client.messages.create(to=phone, from_="+15555550100", body=f"Hi {phone}")

        def send_together(phone: str) -> None:
            together.wait(timeout=30)
            send(phone)

        threads = [threading.Thread(target=send_together, args=(phone,)) for phone in phones]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(m["To"] for m in fake.messages) == phones
        assert fake.in_flight_peak == len(phones)  # each waited its 1 s beside the others
        fake.latency = 0
        [listed] = client.messages.list(to=phones[0], limit=20)
        assert listed.body == f"Hi {phones[0]}"
        fake.fail_next(1, 429)
        with pytest.raises(TwilioRestException) as refused:
            send(phones[1])
        assert refused.value.status == 429
        send(phones[1])  # the same kept-alive connection goes on after an error
        assert len(fake.to(phones[1])) == 2
    finally:
        server.close()
