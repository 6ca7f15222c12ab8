"""Staff phones on a helpline call: "talk to someone now" rings only the free ones.

A staff phone is on a call from the moment it takes a caller (pressed 1 at the whisper) or is
bridged to a person it calls back, until that call ends; a mark that is never cleared (a lost
status callback) runs out by itself.
"""

from __future__ import annotations

import logging
import time

from helpline.domain.phones import mask_phone
from helpline.store import Store

log = logging.getLogger(__name__)

LONGEST_CALL = 2 * 3600  # seconds: a busy mark never outlives this, whatever was missed
RINGING = 90  # seconds: while the helpline rings a staff phone to call someone back


def on_call(store: Store, phone: str, call_sid: str | None = None, *, seconds: int = LONGEST_CALL,
            now: float | None = None) -> None:  # fmt: skip
    """This staff phone is on a helpline call (`call_sid`'s end frees it)."""
    now = now or time.time()
    store.staff_lines.busy(store.vault.phone_id(phone), now + seconds, call_sid)
    log.info("event=staff.line_busy phone=%s", mask_phone(phone))


def call_ended(store: Store, call_sid: str) -> bool:
    """The call ended: the staff phone on it (if any) is free for the next caller."""
    freed = store.staff_lines.free_call(call_sid)
    if freed:
        log.info("event=staff.line_free call=%s", call_sid)
    return bool(freed)


def free_phones(store: Store, phones: list[str], now: float | None = None) -> list[str]:
    """`phones` without those on a helpline call now (order kept)."""
    busy = store.staff_lines.busy_ids(now or time.time())
    return [phone for phone in phones if store.vault.phone_id(phone) not in busy]
