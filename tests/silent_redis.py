"""The embedded Redis under a test's var/, paused (SIGSTOP): there, its socket open, answering nothing, as a
server swapping or stuck on a disk would be. Resume it (SIGCONT) in every test's teardown."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import redis as redis_lib

from helpline.infra.embedded_redis import _embedded_paths, ensure_embedded_server, stop_embedded_server


class Silent:
    """The embedded server under a test's var/, paused (SIGSTOP) until `resume`."""

    def __init__(self, var):
        self.var = var
        self.url = ensure_embedded_server(var)
        self.socket = str(_embedded_paths(var)[1])
        self.pid = int((_embedded_paths(var)[0] / "redis.pid").read_text())
        os.kill(self.pid, signal.SIGSTOP)

    def client(self) -> redis_lib.Redis:
        return redis_lib.Redis.from_url(self.url, socket_timeout=5)

    def resume(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGCONT)

    def said_what_to_do(self, output: str) -> None:
        """One line: which server (its pid), that it is silent, not replaced, and what to do; no traceback."""
        [line] = [line for line in output.splitlines() if f"(pid {self.pid}) is not answering" in line]
        assert "embedded Redis under " in line and "paused" in line and "was not replaced" in line, line
        assert f"`kill -CONT {self.pid}`" in line and "`make stop`" in line, line
        assert "Traceback" not in output, output

    def servers(self) -> list[psutil.Process]:
        """Every live redis-server on this var/'s socket: never more than one."""
        found = []
        for process in psutil.process_iter(["cmdline", "status"]):
            if process.info["status"] != psutil.STATUS_ZOMBIE and self.socket in " ".join(
                process.info["cmdline"] or []
            ):
                found.append(process)
        return found


@contextlib.contextmanager
def paused(var: Path) -> Iterator[Silent]:
    """The embedded server under `var`, started and paused; resumed and stopped at the end, come what may."""
    var.mkdir(parents=True, exist_ok=True)
    server = Silent(var)
    try:
        yield server
    finally:
        server.resume()
        stop_embedded_server(var)
