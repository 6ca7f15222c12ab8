"""Business hours: open or closed in the helpline's timezone, holidays, the next opening."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from helpline.domain.hours import BusinessHours, InvalidHours

NY = ZoneInfo("America/New_York")
HOURS = BusinessHours.from_dict(
    {
        "timezone": "America/New_York",
        "weekly": {"mon": ["09:00-12:00", "13:00-17:00"], "tue": ["09:00-17:00"], "sat": ["10:00-14:00"]},
        "holidays": ["2026-12-01"],
    }
)


@pytest.mark.parametrize(
    "local, is_open",
    [
        (dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY), True),  # Monday opening minute
        (dt.datetime(2026, 11, 30, 12, 30, tzinfo=NY), False),  # lunch gap
        (dt.datetime(2026, 11, 30, 17, 0, tzinfo=NY), False),  # end is exclusive
        (dt.datetime(2026, 12, 1, 10, 0, tzinfo=NY), False),  # Tuesday, but a holiday
        (dt.datetime(2026, 12, 5, 11, 0, tzinfo=NY), True),  # Saturday
        (dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC), True),  # 9:30 in New York
    ],
)
def test_open_or_closed_in_the_helpline_timezone(local, is_open):
    assert HOURS.is_open(local) is is_open


def test_next_opening_skips_holidays_and_closed_days():
    monday_evening = dt.datetime(2026, 11, 30, 18, 0, tzinfo=NY)
    assert HOURS.next_opening(monday_evening) == dt.datetime(2026, 12, 5, 10, 0, tzinfo=NY)
    assert HOURS.describe_moment(HOURS.next_opening(monday_evening), "en") == "Sat 10am"
    assert HOURS.describe_moment(HOURS.next_opening(monday_evening), "es") == "el sabado a las 10:00"


def test_next_opening_today_or_tomorrow_is_said_that_way():
    monday_early = dt.datetime(2026, 11, 30, 7, 0, tzinfo=NY)
    assert HOURS.describe_moment(HOURS.next_opening(monday_early), "en", monday_early) == "today 9am"
    friday_night = dt.datetime(2026, 12, 4, 23, 30, tzinfo=NY)
    assert HOURS.describe_moment(HOURS.next_opening(friday_night), "es", friday_night) == "mañana a las 10:00"
    sunday_night = dt.datetime(2026, 12, 6, 23, 0, tzinfo=NY)
    assert HOURS.describe_moment(HOURS.next_opening(sunday_night), "es", sunday_night) == "mañana a las 9:00"


def test_describe_groups_days_in_both_languages():
    at = dt.datetime(2026, 11, 30, tzinfo=NY)
    assert HOURS.describe("en", at) == "Mon 9am-12pm, 1pm-5pm, Tue 9am-5pm, Sat 10am-2pm EST"
    assert "sab 10:00-14:00" in HOURS.describe("es", at)


@pytest.mark.parametrize(
    "data",
    [
        {"timezone": "Mars/Olympus", "weekly": {"mon": ["09:00-17:00"]}},
        {"timezone": "America/New_York", "weekly": {"mon": ["09:00-13:00", "12:00-17:00"]}},
        {"timezone": "America/New_York", "weekly": {"mon": ["17:00-09:00"]}},
        {"timezone": "America/New_York", "weekly": {"mon": ["nine to five"]}},
        {"timezone": "America/New_York", "weekly": {}},
        {"timezone": "America/New_York", "weekly": {"mon": ["09:00-17:00"]}, "holidays": ["someday"]},
    ],
)
def test_unusable_hours_are_refused_with_a_reason(data):
    with pytest.raises(InvalidHours):
        BusinessHours.from_dict(data)


def test_every_problem_is_named_at_once_by_the_field_it_is_in():
    data = {
        "timezone": "America/New_York",
        "weekly": {"mon": ["nine to five"], "fri": ["10:00-09:00", "08:00-12:00", "11:00-13:00"]},
        "holidays": ["2026-12-25", "someday"],
    }
    with pytest.raises(InvalidHours) as refused:
        BusinessHours.from_dict(data)
    assert refused.value.problems == {
        "mon": ["Monday: 'nine to five' is not a HH:MM-HH:MM range"],
        "fri": ["Friday: '10:00-09:00' ends before it starts", "Friday: 08:00-12:00 and 11:00-13:00 overlap"],
        "holidays": ["holiday 'someday' is not a YYYY-MM-DD date"],
    }


def test_a_day_open_until_midnight_is_open_in_its_last_minute():
    hours = BusinessHours.from_dict(
        {"timezone": "America/New_York", "weekly": {"tue": ["00:00-24:00"]}, "holidays": []}
    )
    last_minute = dt.datetime(2026, 12, 1, 23, 59, 30, tzinfo=hours.timezone)  # a Tuesday
    assert hours.is_open(last_minute) and hours.is_open(last_minute.replace(hour=0, minute=0, second=0))
    assert not hours.is_open(last_minute + dt.timedelta(minutes=1))  # Wednesday: closed
