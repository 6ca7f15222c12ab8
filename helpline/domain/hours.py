"""Business hours and holidays for callbacks: open now? when next? Pure: no I/O but `load`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpline.domain import yaml_files

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mie", "jue", "vie", "sab", "dom"),
}
RELATIVE_DAYS = {"en": ("today", "tomorrow"), "es": ("hoy", "mañana")}
# Spanish says the whole day with its article ("el lunes"); no accents, so texts stay GSM-7.
SPANISH_WEEKDAYS = (
    "el lunes",
    "el martes",
    "el miercoles",
    "el jueves",
    "el viernes",
    "el sabado",
    "el domingo",
)
ZONE_NAMES = {"en": "{abbr}", "es": "hora {abbr}"}


WEEKDAYS = dict(
    zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)


class InvalidHours(ValueError):
    """The hours file or an operator's edit is not usable (bad zone, bad or overlapping range).

    `problems` names every one at once, by the field it is in (`timezone`, a day such as `mon`,
    `holidays`, or `weekly` for the week as a whole), so a form can say what is wrong where.
    """

    def __init__(self, message: str, problems: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.problems = problems or {"weekly": [message]}


def _typed_time(text: str) -> dt.time:
    """`09:00` or `9:00` (as people type it) -> a time; ValueError otherwise."""
    if len(text) == 4 and text[1] == ":":
        text = "0" + text
    return dt.time.fromisoformat(text)


def _parse_range(text: str) -> tuple[dt.time, dt.time]:
    """`09:00-17:00` (or `9:00-17:00`); `24:00` ends a range at midnight (`00:00-24:00`: the whole day)."""
    try:
        first, last = (part.strip() for part in text.split("-"))
        start = _typed_time(first)
        end = dt.time.max if last == "24:00" else _typed_time(last)
    except ValueError as exc:
        raise InvalidHours(f"{text!r} is not a HH:MM-HH:MM range") from exc
    if end <= start:
        raise InvalidHours(f"{text!r} ends before it starts")
    return start, end


def _day_ranges(day: str, texts: list[str], problems: dict[str, list[str]]) -> tuple:
    """The day's ranges in order; what is wrong with them goes into `problems[day]`."""
    ranges, wrong = [], []
    for text in texts:
        try:
            ranges.append(_parse_range(text))
        except InvalidHours as exc:
            wrong.append(str(exc))
    ranges.sort()
    for (first_start, first_end), (start, end) in zip(ranges, ranges[1:], strict=False):
        if start < first_end:
            wrong.append(f"{_span(first_start, first_end)} and {_span(start, end)} overlap")
    if wrong:
        problems[day] = [f"{WEEKDAYS[day]}: {reason}" for reason in wrong]
    return tuple(ranges)


def _span(start: dt.time, end: dt.time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


@dataclass(frozen=True)
class BusinessHours:
    timezone: ZoneInfo
    weekly: dict[int, tuple[tuple[dt.time, dt.time], ...]]
    holidays: frozenset[dt.date]

    @classmethod
    def from_dict(cls, data: dict) -> BusinessHours:
        """Hours from their plain form; raises InvalidHours naming every problem at once."""
        problems: dict[str, list[str]] = {}
        zone = None
        try:
            zone = ZoneInfo(str(data.get("timezone", "")))
        except (ZoneInfoNotFoundError, ValueError):
            problems["timezone"] = [
                f"unknown timezone {data.get('timezone')!r} (an IANA name such as America/New_York)"
            ]
        days = data.get("weekly") or {}
        weekly = {index: _day_ranges(day, days.get(day) or [], problems) for index, day in enumerate(DAYS)}
        holidays, not_dates = set(), []
        for d in data.get("holidays") or []:
            try:
                holidays.add(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)))
            except ValueError:
                not_dates.append(f"holiday {str(d)!r} is not a YYYY-MM-DD date")
        if not_dates:
            problems["holidays"] = not_dates
        if not any(weekly.values()) and not any(day in problems for day in DAYS):
            problems["weekly"] = ["no opening hours at all"]
        if problems:
            raise InvalidHours("; ".join(m for found in problems.values() for m in found), problems)
        return cls(zone, weekly, frozenset(holidays))

    @classmethod
    def load(cls, path: Path) -> BusinessHours:
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(yaml_files.load(fh))

    def to_dict(self) -> dict:
        return {
            "timezone": self.timezone.key,
            "weekly": {
                DAYS[i]: [f"{s:%H:%M}-{e:%H:%M}" for s, e in ranges] for i, ranges in self.weekly.items()
            },
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }

    def local(self, now: dt.datetime) -> dt.datetime:
        return now.astimezone(self.timezone)

    def is_open(self, now: dt.datetime) -> bool:
        local = self.local(now)
        if local.date() in self.holidays:
            return False
        return any(start <= local.time() < end for start, end in self.weekly[local.weekday()])

    def next_opening(self, now: dt.datetime) -> dt.datetime:
        """The start of the next open period after `now` (now itself when open)."""
        if self.is_open(now):
            return now
        local = self.local(now)
        for offset in range(0, 400):
            day = local.date() + dt.timedelta(days=offset)
            if day in self.holidays:
                continue
            for start, _ in self.weekly[day.weekday()]:
                candidate = dt.datetime.combine(day, start, tzinfo=self.timezone)
                if candidate > local:
                    return candidate
        raise InvalidHours("no opening in the next 400 days")

    def day_groups(self) -> list[tuple[int, int, tuple]]:
        """Runs of weekdays (0 = Monday) with the same opening ranges: `[(0, 4, ranges), (5, 5, …)]`."""
        groups: list[tuple[int, int, tuple]] = []
        for i in range(7):
            ranges = self.weekly[i]
            if groups and groups[-1][2] == ranges and groups[-1][1] == i - 1:
                groups[-1] = (groups[-1][0], i, ranges)
            else:
                groups.append((i, i, ranges))
        return [group for group in groups if group[2]]

    def describe(self, lang: str, at: dt.datetime | None = None) -> str:
        """`Mon-Fri 9am-7pm, Sat 10am-2pm ET`: days with the same hours grouped."""
        names = DAY_NAMES.get(lang, DAY_NAMES["en"])
        parts = []
        for first, last, ranges in self.day_groups():
            days = names[first] if first == last else f"{names[first]}-{names[last]}"
            times = ", ".join(f"{_clock(s, lang)}-{_clock(e, lang)}" for s, e in ranges)
            parts.append(f"{days} {times}")
        abbr = (at or dt.datetime.now(dt.UTC)).astimezone(self.timezone).strftime("%Z")
        return ", ".join(parts) + " " + ZONE_NAMES.get(lang, "{abbr}").format(abbr=abbr)

    def describe_moment(self, moment: dt.datetime, lang: str, now: dt.datetime | None = None) -> str:
        """`today 9am`, `tomorrow 9am` or `Mon 9am`; in Spanish `hoy a las 9:00`, `el lunes a la 1:00`."""
        local = self.local(moment)
        days_ahead = (local.date() - self.local(now).date()).days if now else None
        if lang == "es":
            day = (
                RELATIVE_DAYS["es"][days_ahead] if days_ahead in (0, 1) else SPANISH_WEEKDAYS[local.weekday()]
            )
            article = "a la" if local.hour == 1 else "a las"  # "a la 1:00", "a las 13:00"
            return f"{day} {article} {_clock(local.time(), lang)}"
        relative = RELATIVE_DAYS.get(lang, RELATIVE_DAYS["en"])
        day = relative[days_ahead] if days_ahead in (0, 1) else DAY_NAMES["en"][local.weekday()]
        return f"{day} {_clock(local.time(), lang)}"


def _clock(t: dt.time, lang: str) -> str:
    if lang == "es":
        return f"{t:%H:%M}".lstrip("0") if t.hour else f"{t:%H:%M}"
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"
