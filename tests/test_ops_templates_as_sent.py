"""The /ops check counts a template in every text it is really sent in: a call confirmation with "We'll
pass on to staff what you said about when to call" at its end, an information reply with the
not-medical-advice line, the "already on our list" reply with call_from filled in, and the line's own
hours where they are longer than the example. An edit, or hours, that would make one of those texts
longer than two SMS segments is refused through the real form, saying which text and by how much."""

from __future__ import annotations

import html
import re

import pytest

from helpline.domain.content import count_segments
from helpline.domain.sent_texts import filled_in
from helpline.domain.template_rules import WORST_CASE_BY_LANG

NOTED = {
    "en": " We'll pass on to staff what you said about when to call.",
    "es": " Le diremos a nuestro personal lo que nos dijo sobre cuando llamarle.",
}
WHEN_TO_CALL = "(when the texter said when to call)"


@pytest.fixture
def live(app):
    return app.extensions["helpline"].live


def edit(ops_post, lang: str, key: str, text: str):
    """An operator saves `text` as template lang/key through its /ops page."""
    page = f"/ops/templates/{lang}/{key}"
    return ops_post(page, {"text": text}, page=page)


def refusal(response) -> str:
    """The reason the page gives for not saving."""
    assert response.status_code == 400, response.status_code
    found = re.search(r'<p class="flash flash-error" role="alert">(.*?)</p>', response.get_data(as_text=True))
    return html.unescape(found.group(1))


def fits_alone(lang: str, text: str) -> bool:
    """What the check counted before: the template alone, with the longest example values."""
    return count_segments(filled_in(text, WORST_CASE_BY_LANG[lang])).count <= 2


# Confirmations that fit two segments alone, and not with the call-time sentence after them.
TOO_LONG_WITH_THE_NOTE = [
    (
        "en",
        "call_confirm_open",
        "Thanks. Staff will call you back at this number soon, free and confidential, from a private number "
        "that may show as unknown. Please keep your phone nearby. Callback hours: {hours}. Emergency: call "
        "911. Crisis: call or text 988.",
        16,
    ),
    (
        "en",
        "call_already_queued",
        "You are already on our callback list, so there is no need to ask again; staff will call you {when}, "
        "from a private number that may show as unknown, so please keep your phone nearby. Reply MENU for "
        "info while you wait. Emergency: 911. Crisis: call/text 988.",
        22,
    ),
    (
        "es",
        "call_confirm_closed",
        "Gracias. Ahora estamos cerrados; le llamaremos {next_open}, desde un numero privado que puede salir "
        "como desconocido. Tenga su telefono cerca. Horario: {hours}. Emergencia: 911. Crisis: llame o "
        "escriba al 988.",
        22,
    ),
    (
        "es",
        "optout_call_confirm",
        "Ya no recibira mensajes de Helpline. Nuestro personal le llamara a este numero lo antes posible, "
        "desde un numero privado que puede salir como desconocido; tenga su telefono cerca. Responda START "
        "para volver a recibirlos. Emergencia: 911. Crisis: 988.",
        None,
    ),
]


@pytest.mark.parametrize("lang, key, template, over", TOO_LONG_WITH_THE_NOTE)
def test_a_confirmation_too_long_with_the_call_time_sentence_is_refused(
    ops_post, live, lang, key, template, over
):
    assert fits_alone(lang, template)
    reason = refusal(edit(ops_post, lang, key, template))
    assert reason.startswith(
        f"Not saved: With call_time_noted added at its end {WHEN_TO_CALL}, it takes 3 SMS"
    )
    assert re.search(r"the limit is 2: \d+ characters too long\.$", reason), reason
    if over is not None:
        assert reason.endswith(f"the limit is 2: {over} characters too long."), reason
    assert not live.is_edited(lang, key) and live.history() == []


def test_the_preview_shows_the_confirmation_as_sent_with_the_sentence_and_counts_it(ops_post):
    lang, key, template, _ = TOO_LONG_WITH_THE_NOTE[0]
    check = ops_post(f"/ops/templates/{lang}/{key}/check", {"text": template}).get_data(as_text=True)
    assert 'data-testid="segment-count">3 segments<' in check
    preview = html.unescape(re.search(r'data-testid="preview">(.*?)</div>', check).group(1))
    assert preview.endswith("Crisis: call or text 988." + NOTED["en"])


def test_a_confirmation_that_fits_with_the_sentence_is_saved_and_sent_within_two_segments(ops_post, text):
    _, _, template, _ = TOO_LONG_WITH_THE_NOTE[0]
    shorter = template.replace(" Please keep your phone nearby.", "")
    assert edit(ops_post, "en", "call_confirm_open", shorter).status_code == 302
    text("hi")
    (reply,) = text("call me after 5 please")
    assert "from a private number" in reply and reply.endswith(NOTED["en"])
    assert count_segments(reply).count <= 2


@pytest.mark.parametrize(
    "lang, sentence, over, others",
    [
        (
            "en",
            "We'll pass on to our staff everything you told us about when, and when not, to call you back, "
            "so that they call you at a good time for you, and never when you asked us not to.",
            48,
            "call_already_queued, call_confirm_closed, optout_call_confirm",
        ),
        (
            "es",
            "Le diremos a nuestro personal todo lo que nos dijo sobre cuando llamarle y cuando no, para que "
            "le llamen a una hora que le venga bien y nunca cuando nos pidio que no.",
            18,
            "call_already_queued, call_confirm_open, call_queued_crisis, optout_call_confirm",
        ),
    ],
)
def test_a_call_time_sentence_that_makes_a_confirmation_too_long_is_refused(
    ops_post, live, text, lang, sentence, over, others
):
    assert fits_alone(lang, sentence)
    reason = refusal(edit(ops_post, lang, "call_time_noted", sentence))
    longest = "call_confirm_open" if lang == "en" else "call_confirm_closed"
    assert reason == (
        f"Not saved: Added at the end of {longest} {WHEN_TO_CALL}, it makes that text take 3 SMS segments "
        f"(GSM-7) with the longest values; the limit is 2: {over} characters too long. "
        f"Also too long with it: {others}."
    )
    assert not live.is_edited(lang, "call_time_noted")
    text("hola" if lang == "es" else "hi")
    (reply,) = text("call me after 5" if lang == "en" else "llamenme despues de las 6")
    assert reply.endswith(NOTED[lang])  # the shipped sentence, still


def test_a_call_from_that_makes_the_already_queued_reply_too_long_is_refused(ops_post, live):
    call_from = (
        "a partir de {moment}, o en cuanto nuestro personal pueda, despues de llamar a quienes pidieron una "
        "llamada antes que usted"
    )
    assert fits_alone("es", call_from)
    reason = refusal(edit(ops_post, "es", "call_from", call_from))
    assert reason == (
        "Not saved: Filled into call_already_queued as {when}, with call_time_noted added at its end "
        f"{WHEN_TO_CALL}, it makes that text take 3 SMS segments (GSM-7) with the longest values; the limit "
        "is 2: 20 characters too long."
    )
    assert not live.is_edited("es", "call_from")


def test_a_disclaimer_that_makes_an_information_reply_too_long_is_refused(ops_post, live):
    disclaimer = (
        "This is general information, not medical advice: please talk with your own prescriber before "
        "changing anything."
    )
    assert fits_alone("en", disclaimer)
    reason = refusal(edit(ops_post, "en", "disclaimer", disclaimer))
    assert reason.startswith(
        "Not saved: Added at the end of oih (to the first information reply of a conversation), it makes "
        "that text take 3 SMS segments (GSM-7) with the longest values; the limit is 2: 43 characters too "
        "long. Also too long with it: signs, stopped_suddenly, tolerance, treat."
    )
    assert not live.is_edited("en", "disclaimer")


# Longer than the example hours (Mon-Fri 9:30am-7:30pm, Sat 10:30am-2:30pm EST), but every shipped
# confirmation still fits with them.
LONGER_HOURS = {
    "timezone": "America/New_York",
    "mon": "09:00-12:00, 13:00-17:30",
    "tue": "09:00-12:00, 13:00-17:30",
    "wed": "09:00-12:00, 13:00-17:30",
    "thu": "09:00-12:00, 13:00-19:30",
    "fri": "09:00-12:00, 13:00-17:30",
    "sat": "10:30-14:30",
    "holidays": "",
}


def test_an_edit_too_long_with_the_lines_own_longer_hours_is_refused(ops_post, live):
    assert ops_post("/ops/hours", LONGER_HOURS, page="/ops/hours").status_code == 302
    hours = live.hours().describe("en")
    assert len(hours) > len(WORST_CASE_BY_LANG["en"]["hours"])
    template = (
        "Thanks. Staff will call you back at this number soon, free and confidential, from a private "
        "number. Callback hours: {hours}. Emergency: call 911. Crisis: call or text 988."
    )
    with_example = filled_in(template, WORST_CASE_BY_LANG["en"]) + NOTED["en"]
    assert count_segments(with_example).count == 2  # fits with the example hours
    reason = refusal(edit(ops_post, "en", "call_confirm_open", template))
    assert reason == (
        f"Not saved: With call_time_noted added at its end {WHEN_TO_CALL}, it takes 3 SMS segments (GSM-7) "
        "with the longest values; the limit is 2: 19 characters too long."
    )
    check = ops_post("/ops/templates/en/call_confirm_open/check", {"text": template}).get_data(as_text=True)
    assert hours in html.unescape(check)  # the preview says the line's own hours, the longer


def test_the_stopped_suddenly_reply_is_counted_with_the_not_medical_advice_line(ops_post, live, text):
    """Someone who stopped their opioid all at once gets it with the not-medical-advice line too."""
    template = (
        "Stopping opioids all at once can be hard and even risky; changes are safest made slowly, with your "
        "prescriber or clinic. Contact them today and tell them how you feel, what you stopped and when. "
        "Reply CALL for a free callback from our staff. Emergency: 911. Crisis: call/text 988."
    )
    assert fits_alone("en", template)
    reason = refusal(edit(ops_post, "en", "stopped_suddenly", template))
    assert reason.startswith("Not saved: With disclaimer added at its end (to the first information reply")
    assert not live.is_edited("en", "stopped_suddenly")
    text("hi")
    (reply,) = text("i stopped my methadone yesterday and feel awful")
    assert reply.endswith(" This is not medical advice.") and count_segments(reply).count <= 2


def test_a_service_name_that_makes_the_no_such_treatment_reply_too_long_is_refused(ops_post, live):
    """After a self-check, the results that found no medication program nearby name all three."""
    name = (
        "buprenorfina (Suboxone), un medicamento que se toma a diario por la boca, que alivia la abstinencia "
        "y el deseo de consumir, y que recetan muchos medicos y clinicas"
    )
    assert fits_alone("es", name)
    reason = refusal(edit(ops_post, "es", "service_buprenorphine", name))
    assert reason.startswith(
        "Not saved: Filled into results_fallback as {service}, it makes that text take 3"
    )
    assert reason.endswith("the limit is 2: 7 characters too long.")
    assert not live.is_edited("es", "service_buprenorphine")


# Two ranges a day, every weekday different: said in over 160 characters, far longer than the example.
LONG_HOURS = {
    **LONGER_HOURS,
    "mon": "08:00-11:30, 12:30-17:30",
    "tue": "09:00-12:00, 13:00-18:00",
    "wed": "08:30-11:30, 12:30-16:30",
    "thu": "09:00-12:00, 13:00-18:00",
    "fri": "08:00-11:30, 12:30-15:30",
    "sat": "10:00-13:00",
}


def test_hours_that_make_a_confirmation_too_long_are_refused(ops_post, live):
    before = live.hours().describe("en")
    response = ops_post("/ops/hours", LONG_HOURS, page="/ops/hours")
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    said = "Mon 8am-11:30am, 12:30pm-5:30pm, Tue 9am-12pm, 1pm-6pm, Wed 8:30am-11:30am"
    assert f"Said as “{said}" in page
    assert "these hours make en/call_confirm_open too long to text. With call_time_noted added" in page
    assert "these hours make es/call_confirm_closed too long to text." in page
    assert live.hours().describe("en") == before  # not saved
