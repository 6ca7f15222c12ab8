"""How pages show time: ages ("12 min ago") and clock times in the helpline's timezone. Pure."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def age(seconds: float) -> str:
    """`just now`, `12 min ago`, `3 h 5 min ago`, `2 days ago`."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min ago" if minutes else f"{hours} h ago"
    days = hours // 24
    return "1 day ago" if days == 1 else f"{days} days ago"


def until(seconds: float) -> str:
    """`in 5 min`, `in 2 h`, `in 3 days` (for leases and retries)."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "in under a minute"
    minutes = seconds // 60
    if minutes < 60:
        return f"in {minutes} min"
    hours = minutes // 60
    return f"in {hours} h" if hours < 48 else f"in {hours // 24} days"


def local_time(timestamp: float, zone: ZoneInfo, now: float | None = None) -> str:
    """`today 9:05am EST`, `yesterday 4:30pm EST`, or `Mon 23 Nov 9:05am EST` in the helpline's zone."""
    moment = dt.datetime.fromtimestamp(timestamp, zone)
    today = dt.datetime.fromtimestamp(now, zone).date() if now else dt.datetime.now(zone).date()
    hour = moment.hour % 12 or 12
    clock = f"{hour}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'} {moment:%Z}"
    days = (today - moment.date()).days
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"yesterday {clock}"
    if days == -1:
        return f"tomorrow {clock}"
    return f"{moment:%a} {moment.day} {moment:%b} {clock}"
