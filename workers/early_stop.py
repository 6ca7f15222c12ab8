"""A stop (SIGTERM, Ctrl-C) that comes while a worker process or the worker host starts is kept, not lost.

Until the process's own handlers are in place (its RQ worker's, or its pool's), SIGINT and SIGTERM are only
noted here. The start-up looks at them where it can end cleanly (waiting for Redis), and the worker or the
pool stops as soon as its own handlers are in place. A worker the host forks keeps this handler and what was
noted until it starts, so a stop sent as it is being forked is kept too.
"""

from __future__ import annotations

import signal

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_noted: list[int] = []


def keep() -> list[int]:
    """From now until the process's own handlers replace these, a stop is noted; returns what is noted."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _note)
    return _noted


def requested() -> bool:
    """A stop came while the process was starting."""
    return bool(_noted)


def _note(signum, frame) -> None:
    _noted.append(signum)
