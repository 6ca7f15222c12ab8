"""Quiet hours as a pure rule: texts the helpline starts reach people 8 am–9 pm in their own time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from helpline.domain import quiet_hours

NEW_YORK = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def at(zone: ZoneInfo, hour: int, minute: int = 0, day: int = 2) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    "known, zone",
    [
        ({"zip_code": "60614"}, CHICAGO),
        ({"place": "Chicago, IL"}, CHICAGO),
        ({"phone": "+14155550100"}, LOS_ANGELES),  # San Francisco's area code
        ({"zip_code": "10001", "phone": "+14155550100"}, NEW_YORK),  # where they are beats their number
        ({"phone": "+15551230001"}, NEW_YORK),  # a number with no area: the helpline's own zone
        ({}, NEW_YORK),
    ],
)
def test_the_person_s_zone_comes_from_zip_place_or_area_code(known, zone):
    assert quiet_hours.person_zones(**known, default=NEW_YORK) == (zone,)


def test_an_area_code_spanning_two_zones_keeps_both():
    assert len(quiet_hours.person_zones(phone="+19075551234", default=NEW_YORK)) == 2  # Alaska


@pytest.mark.parametrize("hour, minute", [(8, 0), (12, 30), (20, 59)])
def test_daytime_texts_go_now(hour, minute):
    moment = at(CHICAGO, hour, minute)
    assert quiet_hours.send_at(moment, (CHICAGO,)) == moment


@pytest.mark.parametrize("hour, day, held_to_day", [(21, 2, 3), (23, 2, 3), (0, 3, 3), (7, 3, 3)])
def test_night_texts_wait_for_8am_where_they_are(hour, day, held_to_day):
    held = quiet_hours.send_at(at(CHICAGO, hour, day=day), (CHICAGO,))
    assert held.astimezone(CHICAGO) == at(CHICAGO, 8, day=held_to_day)


def test_9pm_in_new_york_is_still_daytime_in_los_angeles():
    moment = at(NEW_YORK, 21, 30)
    assert quiet_hours.send_at(moment, (LOS_ANGELES,)) == moment
    assert quiet_hours.send_at(moment, (NEW_YORK,)).astimezone(NEW_YORK) == at(NEW_YORK, 8, day=3)


def test_with_two_possible_zones_the_text_waits_until_it_is_day_in_both():
    alaska = quiet_hours.person_zones(phone="+19075551234", default=NEW_YORK)
    early = at(ZoneInfo("America/Anchorage"), 7, 30)
    held = quiet_hours.send_at(early, alaska)
    assert quiet_hours.is_daytime(held, alaska) and held > early
    assert held.astimezone(ZoneInfo("America/Adak")).time() == dt.time(8, 0)


def test_a_reply_within_half_an_hour_of_their_text_is_part_of_the_exchange():
    assert quiet_hours.in_live_exchange(1000.0, 1000.0 + 29 * 60)
    assert not quiet_hours.in_live_exchange(1000.0, 1000.0 + 31 * 60)
    assert not quiet_hours.in_live_exchange(None, 1000.0)
