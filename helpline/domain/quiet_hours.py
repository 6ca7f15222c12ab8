"""Quiet hours: texts the helpline starts on its own reach a person between 8 am and 9 pm their time.

Pure: the person's time zone comes from what we know of them (a ZIP, a place they texted, their area
code), and `send_at` says when a text may go: now, or the next 8 am where they are.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

from helpline.domain import places

DAY_STARTS = dt.time(8, 0)  # a text may arrive from 8 am ...
DAY_ENDS = dt.time(21, 0)  # ... until 9 pm, in the person's own time zone
LIVE_EXCHANGE = dt.timedelta(minutes=30)  # they texted this recently: a reply is part of the exchange


@functools.lru_cache(maxsize=256)
def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zones_of_number(phone: str | None) -> tuple[ZoneInfo, ...]:
    """The time zones an area code covers (several for a few, none for 555 and foreign numbers)."""
    if not phone:
        return ()
    try:
        parsed = phonenumbers.parse(phone, "US")
    except phonenumbers.NumberParseException:
        return ()
    names = number_zones.time_zones_for_number(parsed)
    return tuple(z for z in (_zone(n) for n in names if n != "Etc/Unknown") if z)


def person_zones(
    *, zip_code: str | None = None, place: str | None = None, phone: str | None = None, default: ZoneInfo
) -> tuple[ZoneInfo, ...]:
    """Where the person is, most precise first: their ZIP, a place they texted, then their area code.

    Several zones when only an area code spanning them is known; the helpline's own zone when nothing is.
    """
    for text in (zip_code, place):
        found = places.locate(text.strip().lower()) if text and text.strip() else None
        if found and (zone := _zone(found.timezone)):
            return (zone,)
    return zones_of_number(phone) or (default,)


def is_daytime(moment: dt.datetime, zones: tuple[ZoneInfo, ...]) -> bool:
    """8 am to 9 pm in every zone the person may be in."""
    return all(DAY_STARTS <= moment.astimezone(zone).time() < DAY_ENDS for zone in zones)


def send_at(moment: dt.datetime, zones: tuple[ZoneInfo, ...]) -> dt.datetime:
    """`moment` itself in the day; otherwise the first moment after it that is 8 am–9 pm for them."""
    if is_daytime(moment, zones):
        return moment
    candidates = []
    for zone in zones:
        local = moment.astimezone(zone)
        morning = dt.datetime.combine(local.date(), DAY_STARTS, tzinfo=zone)
        candidates.append(morning if local < morning else morning + dt.timedelta(days=1))
    # The latest zone's morning; a later zone whose evening has already begun moves it one more day.
    for candidate in sorted(candidates):
        if is_daytime(candidate, zones):
            return candidate.astimezone(dt.UTC)
    return max(candidates).astimezone(dt.UTC)


def in_live_exchange(last_text_from_them: float | None, now: float) -> bool:
    """They texted us within the last half hour: answering now is not starting a text at night."""
    return last_text_from_them is not None and now - last_text_from_them <= LIVE_EXCHANGE.total_seconds()
