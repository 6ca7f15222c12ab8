"""Why a webhook is answered "try again later" (503): the same delivery is being answered right now, or
Redis cannot take its effects. Either way nothing was done twice, and Twilio's retry does the work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from helpline.store import ComeBackLater, StoreUnavailable
from helpline.store import client as redis_client

__all__ = ["RETRY_AFTER_SECONDS", "TRY_AGAIN", "ComeBackLater", "StoreUnavailable", "giving_up_once"]

RETRY_AFTER_SECONDS = 1  # the first delivery is answered in milliseconds; a restarted Redis in about one
TRY_AGAIN = (ComeBackLater, StoreUnavailable)


@contextmanager
def giving_up_once() -> Iterator[None]:
    """Redis commands in this block give up together: after one has waited for its give-up, the rest fail
    at once, so a request meeting a hung Redis waits seconds once, not once per command."""
    token = redis_client.begin_scope()
    try:
        yield
    finally:
        redis_client.end_scope(token)
