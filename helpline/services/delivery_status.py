"""Twilio's message and call status callbacks, recorded for operators.

Per sid the furthest status is kept: Twilio's callbacks can come in any order, and one that arrives
after a later status (`sent` after `delivered`, `ringing` after `completed`) or after a final one
(`busy` after `completed`) changes nothing and is not counted. So a message or call counts once under
one final status, and Twilio's retries of a callback change nothing either: `delivery.<status>`,
`delivery.failed.<code>` for failed/undelivered texts, `calls.outcome.<status>` and `calls.seconds`
for finished calls.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from helpline.domain.phones import mask_phone
from helpline.services import staff_lines

if TYPE_CHECKING:
    from helpline.store import Store

log = logging.getLogger(__name__)

FINAL_CALL_STATUSES = {"completed", "busy", "no-answer", "failed", "canceled"}
# How far along each status is: a status moves a sid only forward. Final statuses share a rank, so the
# first one to arrive is the one kept.
MESSAGE_PROGRESS = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "receiving": 2,
    "sent": 3,
    "received": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "read": 5,  # after delivered
}
CALL_PROGRESS = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3} | dict.fromkeys(
    FINAL_CALL_STATUSES, 4
)
MESSAGE_STATUSES = set(MESSAGE_PROGRESS)
CALL_STATUSES = set(CALL_PROGRESS)
_SID = re.compile(r"^(SM|MM|CA)[0-9a-fA-F]{32}$")
DELIVERY_TTL = 35 * 86400  # as long as the hourly counters operators chart


def _code(raw: str | None) -> str:
    return raw if raw and raw.isdigit() and len(raw) <= 6 else "unknown"


def record_callback(store: Store, form: Mapping[str, str]) -> bool:
    """Record one status callback's form; False when it names no known message or call status."""
    message_sid, call_sid = form.get("MessageSid", ""), form.get("CallSid", "")
    message_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    call_status = (form.get("CallStatus") or "").lower()
    if _SID.match(message_sid) and message_status in MESSAGE_STATUSES:
        record_message_status(store, message_sid, message_status, form.get("ErrorCode"), form.get("To"))
    elif _SID.match(call_sid) and call_status in CALL_STATUSES:
        record_call_status(store, call_sid, call_status, form.get("CallDuration"), form.get("To"))
    else:
        log.info("event=status.ignored message_sid=%s call_sid=%s", bool(message_sid), bool(call_sid))
        return False
    return True


def record_message_status(
    store: Store, sid: str, status: str, error_code: str | None, to: str | None
) -> bool:
    """Record one message status; False when it was already recorded, or a later one was."""
    fields = {"kind": "sms"}
    if error_code:
        fields["error_code"] = _code(error_code)
    if to:
        fields["phone_id"] = store.vault.phone_id(to)
    counters = [(f"delivery.{status}", 1)]
    if status in ("failed", "undelivered"):
        counters.append((f"delivery.failed.{_code(error_code)}", 1))
    rank = MESSAGE_PROGRESS[status]
    if not store.delivery.record_status(sid, status, fields, ttl=DELIVERY_TTL, rank=rank, counters=counters):
        return False
    level = logging.WARNING if status in ("failed", "undelivered") else logging.INFO
    log.log(
        level, "event=delivery.status sid=%s status=%s code=%s to=%s", sid, status, error_code, mask_phone(to)
    )
    return True


def record_call_status(store: Store, sid: str, status: str, duration: str | None, to: str | None) -> bool:
    """Record one call status; False when it was already recorded, or a later one was."""
    seconds = int(duration) if duration and duration.isdigit() else None
    fields: dict = {"kind": "call"}
    if seconds is not None:
        fields["duration"] = seconds
    if to:
        fields["phone_id"] = store.vault.phone_id(to)
    counters = []
    if status in FINAL_CALL_STATUSES:
        counters.append((f"calls.outcome.{status}", 1))
        if seconds:
            counters.append(("calls.seconds", seconds))
    if status in FINAL_CALL_STATUSES:
        staff_lines.call_ended(store, sid)  # a staff phone on this call is free for the next caller
    rank = CALL_PROGRESS[status]
    if not store.delivery.record_status(sid, status, fields, ttl=DELIVERY_TTL, rank=rank, counters=counters):
        return False
    log.info("event=call.status sid=%s status=%s duration=%s to=%s", sid, status, seconds, mask_phone(to))
    return True
