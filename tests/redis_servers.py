"""Debian's redis-server and redis-sentinel on loopback ports, for the Sentinel tests and bench/chaos.py.

`sentinel_setup()` starts a primary, a replica of it and one sentinel watching them (quorum 1, a
master unreachable for 1 s is failed over), each as a child process in its own temporary folder,
and stops them all at the end.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.servers import free_port

MASTER = "mymaster"


def binaries_missing() -> str | None:
    """Why the Sentinel tests cannot run here, or None (CI installs both with apt)."""
    missing = [name for name in ("redis-server", "redis-sentinel") if not shutil.which(name)]
    return (
        f"{' and '.join(missing)} not installed (apt-get install redis-server redis-sentinel)"
        if missing
        else None
    )


def _client(port: int) -> redis.Redis:
    return redis.Redis("127.0.0.1", port, socket_timeout=1, socket_connect_timeout=1)


def _wait(condition, what: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(redis.RedisError):
            if condition():
                return
        time.sleep(0.05)  # polling interval
    raise RuntimeError(f"timed out waiting for {what}")


@dataclass
class SentinelSetup:
    primary_port: int
    replica_port: int
    sentinel_port: int
    folder: Path
    processes: dict[int, subprocess.Popen] = field(default_factory=dict)

    @property
    def sentinels(self) -> str:
        """The value of HELPLINE_REDIS_SENTINELS."""
        return f"127.0.0.1:{self.sentinel_port}"

    def master_port(self) -> int:
        """The port of the master the sentinel names now."""
        host, port = _client(self.sentinel_port).sentinel_get_master_addr_by_name(MASTER)
        return int(port)

    def replica_in_sync(self) -> bool:
        """The replica has every write the master acknowledged so far."""
        master = _client(self.master_port())
        info = master.info("replication")
        offset = info["master_repl_offset"]
        replicas = [v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)]
        return bool(replicas) and all(r.get("state") == "online" and r["offset"] >= offset for r in replicas)

    def fail_over(self, timeout: float = 30.0) -> int:
        """Ask the sentinel to promote the replica; returns the new master's port once it serves writes."""
        before = self.master_port()
        _client(self.sentinel_port).execute_command("SENTINEL", "FAILOVER", MASTER)
        _wait(lambda: self.master_port() != before, "the sentinel to name a new master", timeout)
        after = self.master_port()
        _wait(lambda: _client(after).info("replication")["role"] == "master", "the new master", timeout)
        return after

    def kill(self, port: int) -> None:
        """SIGKILL the redis-server on `port`, as a dying machine would."""
        process = self.processes[port]
        process.kill()
        process.wait(timeout=10)

    def restart(self, port: int) -> None:
        """Start the server on `port` again as a replica of whoever is master now."""
        self._server(port, replica_of=self.master_port())

    def _server(self, port: int, replica_of: int | None = None) -> None:
        folder = self.folder / str(port)
        folder.mkdir(exist_ok=True)
        args = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder)]
        args += ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"]
        if replica_of:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        log = open(folder / "redis.log", "ab")  # noqa: SIM115  (kept by the child)
        self.processes[port] = subprocess.Popen(args, stdout=log, stderr=log)
        _wait(lambda: _client(port).ping(), f"redis-server on {port}")

    def _sentinel(self) -> None:
        conf = self.folder / "sentinel.conf"
        conf.write_text(
            f"port {self.sentinel_port}\nbind 127.0.0.1\nprotected-mode no\ndir {self.folder}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {self.primary_port} 1\n"
            f"sentinel down-after-milliseconds {MASTER} 1000\n"
            f"sentinel failover-timeout {MASTER} 10000\n"
            f"sentinel parallel-syncs {MASTER} 1\n"
        )
        log = open(self.folder / "sentinel.log", "ab")  # noqa: SIM115  (kept by the child)
        self.processes[self.sentinel_port] = subprocess.Popen(
            ["redis-sentinel", str(conf)], stdout=log, stderr=log
        )
        _wait(lambda: self.master_port() == self.primary_port, "the sentinel")
        # The sentinel must know the replica before it can promote it.
        _wait(
            lambda: self._sentinel_sees_replica() and self.replica_in_sync(),
            "the sentinel to see the replica",
        )

    def _sentinel_sees_replica(self) -> bool:
        replicas = _client(self.sentinel_port).sentinel_slaves(MASTER)
        return any(not r.get("is_sdown") and not r.get("is_disconnected") for r in replicas)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@contextlib.contextmanager
def sentinel_setup() -> Iterator[SentinelSetup]:
    """A primary, its replica and one sentinel on free loopback ports; all stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix="helpline-sentinel-"))
    setup = SentinelSetup(free_port(), free_port(), free_port(), folder)
    try:
        setup._server(setup.primary_port)
        setup._server(setup.replica_port, replica_of=setup.primary_port)
        setup._sentinel()
        yield setup
    finally:
        setup.stop()
        shutil.rmtree(folder, ignore_errors=True)
