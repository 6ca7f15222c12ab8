"""Operators' edits to templates and hours: checked, audited, rolled back, used at once everywhere."""

from __future__ import annotations

import datetime as dt

import pytest

from helpline import create_app
from helpline.devtools import simulator
from helpline.domain.hours import InvalidHours
from helpline.domain.template_rules import check_template
from helpline.services.overrides import InvalidTemplate
from tests.conftest import HELPLINE_NUMBER, TEXTER

OIH_EDIT = "OIH means your opioid can make pain worse. Talk to your prescriber. Reply SIGNS or TREAT."


@pytest.fixture
def live(app):
    return app.extensions["helpline"].live


@pytest.mark.parametrize(
    "key, text, error",
    [
        ("oih", "x" * 400, "segments"),
        ("oih", "á" * 140, "segments"),  # UCS-2: 67 per segment
        ("help", "Call us.", "Missing required placeholder: {helpline}"),
        ("oih", "Hello {name}", "Unknown placeholder: {name}"),
        ("oih", "Hello {", "Braces"),
        ("oih", "Hello {0}", "malformed"),
        ("oih", "   ", "empty"),
    ],
)
def test_bad_templates_are_refused_with_a_reason(key, text, error):
    check = check_template(
        key, text, "shipped {helpline}", current={"disclaimer": " This is not medical advice."}
    )
    assert not check.ok
    assert any(error in e for e in check.errors), check.errors


def test_segment_count_counts_the_longest_placeholder_values():
    check = check_template("looking_up", "Looking up providers near {place}...", "Looking {place}")
    assert check.ok
    assert "Rancho Santa Margarita, CA" in check.preview
    assert (check.segments.encoding, check.segments.count) == ("GSM-7", 1)


def test_an_edited_template_is_what_the_next_texter_gets(live, text):
    text("hi")
    live.save_template("en", "oih", OIH_EDIT, by="ops@example.org")
    (reply,) = text("oih")
    assert reply.startswith(OIH_EDIT)


def test_a_refused_edit_changes_nothing(live, text):
    with pytest.raises(InvalidTemplate):
        live.save_template("en", "help", "No number here.", by="ops@example.org")
    assert not live.is_edited("en", "help")
    assert live.history() == []


def test_edits_are_audited_and_can_be_rolled_back(live, text):
    text("hi")
    first = live.save_template("en", "oih", OIH_EDIT, by="ana@example.org")
    live.save_template("en", "oih", OIH_EDIT + " Two.", by="bo@example.org")
    history = live.history("en", "oih")
    assert [(e.by, e.action) for e in history] == [("bo@example.org", "edit"), ("ana@example.org", "edit")]
    assert history[0].before == OIH_EDIT and history[1].before is None
    live.rollback(history[0].id, by="ana@example.org")
    assert text("oih")[0].startswith(OIH_EDIT + " This is not")
    live.rollback(first.id, by="ana@example.org")
    assert "oversensitive" in text("oih")[0]  # the shipped text again
    assert not live.is_edited("en", "oih")


def test_another_process_sees_the_edit_after_its_check_interval(settings, live, text):
    other = create_app(settings, flask={"TESTING": True})
    other_live = other.extensions["helpline"].live
    assert "oversensitive" in other.extensions["helpline"].catalog.render("en", "oih")
    live.save_template("es", "oih", "OIH: el opioide puede empeorar el dolor. Responde SIGNS.", by="ops")
    other_live.check_every = 0  # as if its one-second check interval had passed
    assert other.extensions["helpline"].catalog.render("es", "oih").startswith("OIH: el opioide")
    token = other.config["SETTINGS"]
    assert token  # the same Redis and data key: one line, many processes


def test_hours_edits_are_validated_and_used_at_once(live, text):
    with pytest.raises(InvalidHours):
        live.save_hours({"timezone": "Mars/Olympus", "weekly": {"mon": ["09:00-17:00"]}})
    with pytest.raises(InvalidHours):
        live.save_hours({"timezone": "America/New_York", "weekly": {"mon": ["09:00-13:00", "12:00-17:00"]}})
    text("hi")
    assert "call you back at this number soon" in text("call")[0]  # the always-open test hours
    today = dt.datetime.now(dt.UTC).astimezone(live.hours().timezone).date()
    live.save_hours(
        {
            "timezone": "America/New_York",
            "weekly": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]},
            "holidays": [today.isoformat()],
        }
    )
    reply = text("call", sender="+15551230005")[-1]
    assert "closed now" in reply and "Mon-Tue 9am-5pm" in reply
    live.reset_hours()
    reply = text("call", sender="+15551230006")[-1]
    assert "soon" in reply


def test_the_hot_path_checks_redis_once_per_interval(live, round_trips):
    live.check_every = 60
    live.catalog()

    def read_a_hundred_times():
        for _ in range(100):
            live.catalog().render("en", "menu")
            live.hours().describe("en")

    _, trips = round_trips(read_a_hundred_times)
    assert trips == 0


def test_simulated_text_uses_edited_template(live, signed_post):
    live.save_template(
        "en", "help", "Helpline help. National line {helpline}. Reply STOP to opt out.", by="ops"
    )
    response = signed_post("/twilio/sms", simulator.sms_params("+15551230007", "help", HELPLINE_NUMBER))
    assert simulator.twiml_messages(response.data) == [
        "Helpline help. National line 1-800-662-4357. Reply STOP to opt out."
    ]


def test_hours_edited_by_an_operator_are_what_callers_hear(live, phone_call):
    call = phone_call()
    call.start()
    call.press("3")
    assert "call you back soon" in " ".join(call.press("1"))  # the always-open test hours
    today = dt.datetime.now(dt.UTC).astimezone(live.hours().timezone).date()
    live.save_hours(
        {"timezone": "America/New_York", "weekly": {"wed": ["13:00-15:00"]}, "holidays": [today.isoformat()]}
    )
    later = phone_call(caller="+15551230012")
    later.start()
    later.press("3")
    heard = " ".join(later.press("1"))
    assert "closed right now" in heard


@pytest.mark.parametrize(
    "lang, key, typed, hello, ask, ending",
    [
        ("en", "disclaimer", "Not medical advice.", "hi", "oih", "Reply SIGNS or TREAT. Not medical advice."),
        (
            "es",
            "call_time_noted",
            "Su personal sabra cuando llamarle.",
            "hola",
            "llamenme despues de las 6",
            "Crisis: 988. Su personal sabra cuando llamarle.",
        ),
    ],
)
def test_a_sentence_saved_without_its_leading_space_is_still_sent_apart(
    ops_post, text, lang, key, typed, hello, ask, ending
):
    """The not-medical-advice line and the call-time sentence are added at the end of other replies:
    operators type the sentence, not the space that parts it from the reply it ends."""
    page = f"/ops/templates/{lang}/{key}"
    assert ops_post(page, {"text": typed}, page=page).status_code == 302
    text(hello, sender=TEXTER)
    assert text(ask, sender=TEXTER)[-1].endswith(ending)
