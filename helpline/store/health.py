"""Is Redis answering, and how full is it: what the health page, /healthz and /metrics ask of it, and what
a worker starting up asks before it begins."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from helpline.store import client

ASK_ONCE_SECONDS = 1.0  # a refused connection fails at once; a hung server is given up on after this


class ServerHealth:
    def __init__(self, r: redis.Redis, vault=None, retention_seconds: int = 0):
        self._r = r

    def answers(self) -> bool:
        try:
            return bool(self._r.ping())
        except redis.RedisError:
            return False

    def why_not_answering(self, timeout: float = ASK_ONCE_SECONDS) -> str | None:
        """None when Redis answers one PING, else why not (the error's name). Asked once, on a connection of
        its own, never tried again: a caller waiting for Redis asks often and hears a stop between two asks,
        where the client's own retries would hold it for seconds. After a failure the client's heal runs, as
        after a command's: an embedded server found dead (a hung one killed) is started for the next ask."""
        pool = self._r.connection_pool
        once = {"retry": Retry(NoBackoff(), 0), "socket_timeout": timeout, "socket_connect_timeout": timeout}
        connection = pool.connection_class(**{**pool.connection_kwargs, **once})
        try:
            connection.connect()
            connection.send_command("PING")
            connection.read_response()
            return None
        except (redis.RedisError, OSError) as exc:
            client.heal(self._r)
            return type(exc).__name__
        finally:
            connection.disconnect()

    def address(self) -> str:
        """Where the server is, for a log line: host:port, a unix socket, or the Sentinel master's name
        (never a password)."""
        pool = self._r.connection_pool
        if service := getattr(pool, "service_name", None):
            return f"sentinel:{service}"
        kwargs = pool.connection_kwargs
        return kwargs["path"] if kwargs.get("path") else f"{kwargs.get('host')}:{kwargs.get('port')}"

    def memory(self) -> tuple[int, int]:
        """(bytes used, maxmemory; 0 = no limit)."""
        memory = self._r.info("memory")
        return int(memory.get("used_memory", 0)), int(memory.get("maxmemory", 0))
