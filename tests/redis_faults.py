"""A real network hop between the service and Redis that fails on cue, for the exactly-once tests.

`FaultyLink(redis_url)` listens on a loopback port and relays every connection to the Redis at
`redis_url` (a unix:// socket or redis://host:port). `cut_when(matches)` drops the connection whose
next command matches (the command never reaches Redis: the client gets a real ConnectionError), and
with `down=True` refuses every connection after that, as a Redis that died would, until `restore()`.
`hold_when(matches)` keeps a matching command back until `let_go()`: a request slowed at that point.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from redis.connection import parse_url

CHUNK = 65536


def final_write_of(kind: str) -> Callable[[bytes], bool]:
    """Matches the write of a delivery's effects with its done mark (`kind`: sms, voice …): a transaction,
    or the texting line's finishing script (the only command naming the done mark, the conversation and
    the counters; the screening names the first two)."""
    done_mark = f"hl:seen:{kind}:".encode()
    transaction = lambda data: b"EXEC" in data and b"MULTI" in data  # noqa: E731
    script = lambda data: b"EVALSHA" in data and b"hl:conversation:" in data and b"hl:stat:" in data  # noqa: E731
    return lambda data: done_mark in data and (transaction(data) or script(data))


class FaultyLink:
    def __init__(self, redis_url: str):
        parts = urlsplit(redis_url)
        self._upstream = (
            (socket.AF_UNIX, parts.path)
            if parts.scheme == "unix"
            else (socket.AF_INET, (parts.hostname, parts.port))
        )
        self._listener = socket.create_server(("127.0.0.1", 0))
        # The same database as upstream: on a shared server each test process has its own.
        database = parse_url(redis_url).get("db", 0)
        self.url = f"redis://127.0.0.1:{self._listener.getsockname()[1]}/{database}"
        self._lock = threading.Lock()
        self._matches: Callable[[bytes], bool] | None = None
        self._hold: Callable[[bytes], bool] | None = None
        self._held = threading.Event()  # a command is being kept back
        self._go = threading.Event()
        self._down_after = False
        self.down = False
        self.cuts = 0  # connections dropped on a matching command
        self.refused = 0  # connections turned away while down
        self._open: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, name="faulty-link", daemon=True).start()

    # -- what a test does ------------------------------------------------------------------------
    def cut_when(self, matches: Callable[[bytes], bool], *, down: bool = False) -> None:
        with self._lock:
            self._matches, self._down_after = matches, down

    def hold_when(self, matches: Callable[[bytes], bool]) -> None:
        with self._lock:
            self._hold = matches
            self._held.clear()
            self._go.clear()

    def wait_held(self, timeout: float = 30.0) -> None:
        """Until a matching command is being kept back (the request is now mid-way)."""
        if not self._held.wait(timeout):
            raise AssertionError("no matching command came")

    def let_go(self) -> None:
        with self._lock:
            self._hold = None
        self._go.set()

    def restore(self) -> None:
        """Relay everything again, as a Redis that is back."""
        with self._lock:
            self._matches, self._down_after, self.down = None, False, False

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.close()

    def __enter__(self) -> FaultyLink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the relay -------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.down:
                client.close()  # nothing listens: the client's connection fails at once
                self.refused += 1
                continue
            family, address = self._upstream
            server = socket.socket(family, socket.SOCK_STREAM)
            try:
                server.connect(address)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, server))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(CHUNK):
                if from_client and self._trips(data):
                    break
                if from_client and self._holds(data):
                    self._held.set()
                    self._go.wait(60)
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        with self._lock:
            self._open.difference_update((source, target))

    def _holds(self, data: bytes) -> bool:
        with self._lock:
            return self._hold is not None and self._hold(data)

    def _trips(self, data: bytes) -> bool:
        with self._lock:
            if self.down:
                return True
            if self._matches is None or not self._matches(data):
                return False
            self.cuts += 1
            if self._down_after:
                self.down = True
            return True
