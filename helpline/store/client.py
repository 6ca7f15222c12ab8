"""The one Redis connection factory. Private to store/: nothing else holds a client.

A client outlives its server: a command that meets a dropped or refused connection (Redis killed
and restarted, a Sentinel failover under way) is tried again with exponential backoff and jitter,
and before each new try the caller's `heal` runs (for the embedded server: restart it if it died).
A server that hangs (paused, swapping) is given up on within seconds, not minutes: a command waits
`SOCKET_TIMEOUT` for an answer and is not tried again once `RETRY_SECONDS` have passed, so a webhook
still answers inside Twilio's 15 s (the texting path then answers without Redis). Inside a give-up
scope (a web request: `begin_scope` / `end_scope`), once a command has given up the next ones fail
at once: a request that reads several things waits for one give-up, not one each.
With Sentinel, every new connection asks the sentinels where the master is now, and a connection
still open to a demoted master is dropped at its first write, so clients follow a failover.
"""

from __future__ import annotations

import contextvars
import copy
import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.commands.core import Script
from redis.driver_info import DriverInfo
from redis.exceptions import NoScriptError
from redis.retry import Retry
from redis.sentinel import Sentinel

log = logging.getLogger(__name__)

SENTINEL_SCHEME = "redis+sentinel"
# Tries after the first failure, and the backoff between them; a restarted embedded server answers
# within the first tries. No try begins after RETRY_SECONDS: with a hung server each try waits
# SOCKET_TIMEOUT, so a command gives up within about RETRY_SECONDS + SOCKET_TIMEOUT (8 s), inside
# Twilio's 15 s webhook timeout.
RETRIES = 8
RETRY_SECONDS = 5.0
BACKOFF_BASE = 0.05  # seconds; doubled on each failure, with jitter
BACKOFF_CAP = 1.0  # seconds between two tries, at most
SOCKET_TIMEOUT = 3.0  # a server that stopped answering (not dead, hung); RQ's blocking reads set their own
# A web request's commands: once one has given up on Redis, the rest fail at once (a list of one flag).
_scope: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar("redis_give_up", default=None)


def begin_scope() -> contextvars.Token:
    """From here until `end_scope`, the first command that gives up makes the next ones fail at once."""
    return _scope.set([False])


def end_scope(token: contextvars.Token) -> None:
    _scope.reset(token)


def gave_up_in_scope() -> bool:
    scope = _scope.get()
    return bool(scope and scope[0])


CONNECT_TIMEOUT = 2.0
SENTINEL_TIMEOUT = 0.5  # a sentinel that does not answer at once is skipped for the next one


class HealingRetry(Retry):
    """redis-py's Retry that also calls `heal` after each failure, before its backoff."""

    def __init__(self, heal: Callable[[], object] | None = None, retries: int = RETRIES):
        super().__init__(ExponentialWithJitterBackoff(cap=BACKOFF_CAP, base=BACKOFF_BASE), retries)
        self._heal = heal

    def __deepcopy__(self, memo):  # redis-py copies its retry into each pool: keep the same heal
        clone = copy.copy(self)
        clone._backoff = copy.deepcopy(self._backoff, memo)
        return clone

    def call_with_retry(self, do, fail, is_retryable=None, with_failure_count=False):
        if gave_up_in_scope():
            raise redis.ConnectionError("Redis did not answer a moment ago")
        began = time.monotonic()

        def failed(error, *count):
            fail(error, *count)
            if time.monotonic() - began > RETRY_SECONDS:
                raise error  # no further try: a hung server would hold the caller a minute or more
            self.heal()

        try:
            return super().call_with_retry(do, failed, is_retryable, with_failure_count)
        except self._supported_errors:
            if (scope := _scope.get()) is not None:
                scope[0] = True
            raise

    def heal(self) -> None:
        """The caller's `heal` (for the embedded server: restart it if it died), if it gave one."""
        if self._heal is not None:
            try:
                self._heal()
            except Exception as exc:  # the next try reports the real error
                log.warning("event=redis.heal_failed error=%s", type(exc).__name__)


def heal(r: redis.Redis) -> None:
    """Run the `heal` that `r` was made with, once, outside any command (nothing when it has none)."""
    retry = r.connection_pool.connection_kwargs.get("retry")
    if isinstance(retry, HealingRetry):
        retry.heal()


# What each new connection tells the server it is (CLIENT SETINFO). Left to redis-py, every connection
# reads the package's installed metadata from disk again (~0.2 ms a connection).
DRIVER = DriverInfo(lib_version=redis.__version__)


def _options(heal: Callable[[], object] | None) -> dict:
    return {
        "driver_info": DRIVER,
        "retry": HealingRetry(heal),
        "retry_on_error": [redis.ConnectionError, redis.TimeoutError, socket.timeout],
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "health_check_interval": 30,
    }


def sentinel_url(sentinels: str, master: str, password: str | None = None, db: int = 0) -> str:
    """`host:port,host:port` and a master name as one `redis+sentinel://` URL."""
    auth = f":{password}@" if password else ""
    return f"{SENTINEL_SCHEME}://{auth}{sentinels}/{master}/{db}"


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str, str | None, int]:
    """`redis+sentinel://[:password@]host:port[,host:port...]/master[/db]` -> its parts."""
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        raise ValueError(f"not a {SENTINEL_SCHEME}:// URL")
    userinfo, _, hosts = parts.netloc.rpartition("@")
    password = unquote(userinfo.partition(":")[2]) if userinfo else None
    addresses = []
    for entry in hosts.split(","):
        host, _, port = entry.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("each sentinel must be host:port")
        addresses.append((host.strip("[]"), int(port)))
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise ValueError("the Sentinel URL must name the master: redis+sentinel://host:port/master")
    db = int(path[1]) if len(path) > 1 else 0
    return addresses, unquote(path[0]), password or None, db


def connect(url: str, heal: Callable[[], object] | None = None) -> redis.Redis:
    """A client for the Redis at `url` (bytes in, bytes out; RQ needs that).

    `url` is redis://, rediss://, unix:// or redis+sentinel://; `heal` runs after each failed try.
    """
    if url.startswith(f"{SENTINEL_SCHEME}://"):
        addresses, master, password, db = parse_sentinel_url(url)
        sentinel = Sentinel(
            addresses,
            sentinel_kwargs={
                "socket_timeout": SENTINEL_TIMEOUT,
                "socket_connect_timeout": SENTINEL_TIMEOUT,
                "retry": Retry(ExponentialWithJitterBackoff(), 0),  # the master's retry covers it
            },
        )
        return sentinel.master_for(master, password=password, db=db, **_options(heal))
    return redis.Redis.from_url(url, **_options(heal))


class HeldConnection:
    """Runs the hot scripts (a text's screening and record, a send's claim and record, a search) on a
    connection each thread keeps.

    A command through the client checks a connection out of the pool and back in, with its retry and
    bookkeeping around it: about half of what the client spends on a short script. Here a thread sends
    on its own connection, taken from the pool once and given back when the thread ends. Anything
    unusual (a dropped or refused connection, a failover, a server that forgot the script) hands the
    call to the client, which heals, retries and loads the script, so the rules for a broken Redis stay
    those of `connect`. A forked process takes its own.
    """

    def __init__(self, r: redis.Redis):
        self._r = r
        self._local = threading.local()

    def run(self, script: Script, keys, args):
        held = getattr(self._local, "held", None)
        if held is None or held.pid != os.getpid():
            held = self._local.held = _Held(self._r.connection_pool)
        conn = held.conn
        if gave_up_in_scope():
            return script(keys=keys, args=args, client=self._r)  # fails at once, as the client does
        try:
            conn.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
            return conn.read_response()
        except NoScriptError:
            pass
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            conn.disconnect()
        return script(keys=keys, args=args, client=self._r)


class _Held:
    """One thread's connection: back to its pool when the thread ends (its thread-local goes)."""

    __slots__ = ("conn", "pid", "__weakref__")

    def __init__(self, pool):
        self.conn = pool.get_connection()
        self.pid = os.getpid()
        weakref.finalize(self, pool.release, self.conn)
