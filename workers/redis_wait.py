"""A worker (or the worker host) starting while Redis cannot be reached waits for it, instead of dying.

It says so once, in one line, asks again after 0.5, 1, 2, 4 … seconds (at most as long as a running worker
waits between its own tries, `REDIS_WAIT_MAX_SECONDS`), and goes on starting as soon as Redis answers: the
queued jobs are all still there. A stop asked for meanwhile (SIGTERM, Ctrl-C) ends the wait within a fraction
of a second, or one ask's timeout (`ASK_ONCE_SECONDS`) when the server hangs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from helpline.store.health import ServerHealth
from workers.claiming import REDIS_WAIT_MAX_SECONDS

log = logging.getLogger("workers")

FIRST_PAUSE_SECONDS = 0.5
STOP_CHECK_SECONDS = 0.1  # how soon a stop asked for during a pause is heard


def wait_for_redis(server: ServerHealth, stopping: Callable[[], bool], who: str = "worker") -> bool:
    """True once Redis answers (at once, nearly always); False when asked to stop before it does.
    `who` names the waiting process in the log line: the worker, or the worker host."""
    if stopping():
        return False
    error = server.why_not_answering()
    if error is None:
        return True
    log.warning(
        "event=worker.waiting_for_redis redis=%s error=%s: Redis cannot be reached; the %s keeps trying "
        "(every %g s at most) and starts work as soon as it answers",
        server.address(),
        error,
        who,
        REDIS_WAIT_MAX_SECONDS,
    )
    began, pause = time.monotonic(), FIRST_PAUSE_SECONDS
    while _pause(pause, stopping):
        if server.why_not_answering() is None:
            log.info("event=worker.redis_answers waited_seconds=%d", time.monotonic() - began)
            return True
        pause = min(pause * 2, REDIS_WAIT_MAX_SECONDS)
    log.info("event=worker.stopped_waiting_for_redis")
    return False


def _pause(seconds: float, stopping: Callable[[], bool]) -> bool:
    """Wait `seconds`; False as soon as a stop is asked for."""
    end = time.monotonic() + seconds
    while not stopping():
        left = end - time.monotonic()
        if left <= 0:
            return True
        time.sleep(min(STOP_CHECK_SECONDS, left))
    return False
