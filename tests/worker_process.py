"""A real `python -m workers` process for a test, killed with everything it started at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

from config.settings import PROJECT_ROOT
from tests.conftest import HELPLINE_NUMBER


def worker_env(settings, redis_url: str, **more: str) -> dict[str, str]:
    """What a worker process of this test's app needs (its Redis, data key, var dir), plus `more`."""
    return {
        "REDIS_URL": redis_url,
        "HELPLINE_VAR_DIR": str(settings.var_dir),
        "HELPLINE_DATA_KEY": settings.data_key,
        "SECRET_KEY": settings.secret_key,
        "FINDTREATMENT_API_URL": settings.findtreatment_api_url,
        "TWILIO_PHONE_NUMBER": HELPLINE_NUMBER,
        "LOG_LEVEL": "INFO",
        **more,
    }


@contextlib.contextmanager
def running_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """The worker (and its scheduler) on `env` plus PATH; SIGKILLed at the end, as its data is thrown away."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers"],
            cwd=PROJECT_ROOT,
            env={"PATH": os.environ.get("PATH", ""), **env},
            stdout=out,
            stderr=out,
        )
    try:
        yield process
    finally:
        kill_tree(process)


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a process and everything it started (a worker's scheduler), as a dying machine would."""
    try:
        family = [*psutil.Process(process.pid).children(recursive=True), psutil.Process(process.pid)]
    except psutil.NoSuchProcess:
        family = []
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.send_signal(signal.SIGKILL)
    psutil.wait_procs(family, timeout=10)
    process.wait(timeout=10)


def wait_for(condition, what: str, timeout: float = 60.0, details: Callable[[], str] = str):
    """Poll `condition` until it holds (returning its value) or `timeout` passes; `details` adds to errors."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)  # polling interval, not a wait for the work
    raise AssertionError(f"timed out waiting for {what}{details()}")


def texts_to(app, phone: str) -> list[dict]:
    """What the workers texted this number (development mode keeps outbound texts in the outbox)."""
    return [m for m in app.extensions["helpline"].store.delivery.outbox() if m["to"] == phone]
