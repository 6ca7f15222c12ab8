"""When a text the helpline starts may reach someone: 8 am to 9 pm in their own time zone.

Staff texts outside a live exchange, the last text after missed calls and the follow-up check-in all
ask here; a text that may not go now is handed to the sender with the next morning as its time.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from helpline.domain import quiet_hours
from helpline.domain.callback_rules import CallbackRequest

if TYPE_CHECKING:
    from helpline.container import Helpline

LIVE_CALL_EVENTS = ("connect",)  # a call bridged to them just now counts as a live exchange


def zones(hl: Helpline, request: CallbackRequest, phone: str) -> tuple[ZoneInfo, ...]:
    """Their time zone(s): from the request's ZIP, the place they searched, or their area code."""
    place = (hl.store.load_state(request.phone_id) or {}).get("location")
    return quiet_hours.person_zones(zip_code=request.zip, place=place, phone=phone, default=hl.hours.timezone)


def in_live_exchange(hl: Helpline, request: CallbackRequest, now: float) -> bool:
    """They texted in the last half hour, or a call with them was just connected."""
    exchanges = hl.store.callbacks.last_exchanges([request.phone_id]).get(request.phone_id) or []
    lines = [line for exchange in exchanges for line in exchange]
    last_in = max((line["at"] for line in lines if line.get("dir") == "in"), default=None)
    if quiet_hours.in_live_exchange(last_in, now):
        return True
    calls = [e.at for e in hl.store.audit.trail(request.id) if e.action in LIVE_CALL_EVENTS]
    return quiet_hours.in_live_exchange(max(calls, default=None), now)


def hold_until(
    hl: Helpline, request: CallbackRequest, phone: str, now: float | None = None, *, live_ok: bool = True
) -> dt.datetime | None:
    """None when a text may go now; otherwise the next 8 am where they are."""
    now = now or time.time()
    if live_ok and in_live_exchange(hl, request, now):
        return None
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    go = quiet_hours.send_at(moment, zones(hl, request, phone))
    return None if go == moment else go


def clock(moment: dt.datetime) -> str:
    return f"{moment.hour % 12 or 12}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"


def describe(go: dt.datetime, their_zones: tuple[ZoneInfo, ...]) -> str:
    """`8:00am Tue their time (CST)`."""
    local = go.astimezone(their_zones[0])
    return f"{clock(local)} {local:%a} their time ({local:%Z})"
