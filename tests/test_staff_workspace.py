"""The staff workspace through the Flask client, on a real Redis: the whole conversation on a request,
texts from the page, quiet hours, polls that cost nothing while nothing changes, filters and search,
forms that keep what was typed, the referral search, and phones that ring the right person."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from rq.registry import ScheduledJobRegistry

from helpline.devtools.simulate_call import call_params
from helpline.domain.callback_rules import Outcome
from helpline.infra import queues
from helpline.infra.burst import drain
from helpline.services import audit, callbacks, staff_texts
from tests.conftest import TEXTER
from tests.test_staff_auth import csrf_token, login
from tests.voice_fixtures import STAFF_PHONES

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def hl(app):
    return app.extensions["helpline"]


@pytest.fixture
def staff(client, staff_user):
    """The test client signed in as a staff member, with a CSRF token for its forms."""
    login(client, staff_user.email)
    client.token = csrf_token(client, "/staff")
    client.email = staff_user.email
    return client


def post(client, path: str, **form):
    return client.post(path, data={"csrf_token": client.token, **form})


def only_request(store) -> callbacks.CallbackRequest:
    (request,) = callbacks.waiting(store)
    return request


def queue_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="row-(cb\d+)"', html)


def poll_state(html: str) -> dict:
    """What the open queue page sends back with its next poll."""
    state = re.search(r'<div id="queue-state" hidden>(.*?)</div>', html, re.S).group(1)
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', state))


def sent_to(store, phone: str, since: int = 0) -> list[str]:
    return [m["body"] for m in store.delivery.outbox(since) if m["to"] == phone]


# -- 1. the whole conversation, live --------------------------------------------------------------


def test_a_crisis_request_shows_the_text_that_raised_it_and_all_that_followed(staff, text, store):
    text("I think I took an overdose")
    text("ok thank you")
    request = only_request(store)
    page = staff.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    assert "No messages before the request" not in page
    timeline = page[page.index('id="timeline"') : page.index("Text them")]
    raised, later = timeline.index("Crisis words: a priority callback"), timeline.index("ok thank you")
    assert timeline.index("I think I took an overdose") < raised < later
    assert "call 911" in timeline  # the crisis reply they got is there too
    row = staff.get("/staff/queue").get_data(as_text=True)
    assert "…0001" in row and "ok thank you" in row and "Texted again" in row
    assert TEXTER not in row  # the queue shows the last 4 digits only


def test_notes_attempts_and_staff_actions_are_in_the_same_timeline(staff, hl, text, store):
    text("call")
    request = only_request(store)
    post(staff, f"/staff/callbacks/{request.id}/claim")
    post(staff, f"/staff/callbacks/{request.id}/note", note="prefers mornings")
    post(staff, f"/staff/callbacks/{request.id}/outcome", outcome="no_answer", note="rang out")
    page = staff.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') : page.index("Text them")]
    for seen in ("Asked for a callback", "claimed it", "prefers mornings", "Call: No answer", "rang out"):
        assert seen in timeline, seen
    order = [timeline.index(seen) for seen in ("claimed it", "prefers mornings", "Call: No answer")]
    assert order == sorted(order)


def test_what_a_caller_did_on_the_phone_menu_reads_as_words(staff, phone_call, store):
    caller = phone_call()
    caller.start()
    caller.press("3")
    caller.press("1")
    request = only_request(store)
    page = staff.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') : page.index("Text them")]
    for seen in ("Called the helpline", "Chose 3: asked for a callback", "Heard when staff call back"):
        assert seen in timeline, seen
    assert "(phone" not in timeline and "callback_done" not in timeline
    row = staff.get("/staff/queue").get_data(as_text=True)
    assert "On the phone:</span> Heard when staff call back" in row and "callback_done" not in row


# -- 2. two-way texts from the page -------------------------------------------------------------


def test_a_staff_text_goes_through_the_sender_and_the_reply_lands_in_the_timeline(staff, hl, text, store):
    text("call")
    request = only_request(store)
    form = staff.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    assert "We tried to call" in form and "When is a good time?" in form  # templates to start from
    sent = post(staff, f"/staff/callbacks/{request.id}/text", body="Hi, it's Sam from the helpline.")
    assert sent.status_code == 302
    drain(store.rq_connection)
    assert sent_to(store, TEXTER)[-1] == "Hi, it's Sam from the helpline."
    text("Thanks Sam, after 5 is best")
    page = staff.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    assert f"{staff.email} (staff)" in page and "sent today" in page
    timeline = page[page.index('id="timeline"') :]  # ("after 5 is best" also shows as when to call)
    assert timeline.index("Hi, it&#39;s Sam from the helpline.") < timeline.index(
        "Thanks Sam, after 5 is best"
    )
    assert page.count("Hi, it&#39;s Sam from the helpline.") == 1  # one line, not the text and its copy
    assert [(e.who, e.action) for e in audit.trail(store, request.id) if e.action == "text"] == [
        (staff.email, "text")
    ]


def test_the_segment_count_follows_what_is_typed(staff, text, store):
    text("call")
    request = only_request(store)
    check = post(staff, f"/staff/callbacks/{request.id}/text/check", body="x" * 161).get_data(as_text=True)
    assert "161 characters" in check and "2 segments" in check and "GSM-7" in check
    check = post(staff, f"/staff/callbacks/{request.id}/text/check", body="ok 😀").get_data(as_text=True)
    assert "1 segment" in check and "UCS-2" in check and "halves what fits" in check


@pytest.mark.parametrize("why", ["stop", "blocklist", "held", "wrong number"])
def test_no_text_goes_to_a_number_that_said_stop_is_blocked_or_that_someone_else_is_working(
    staff, hl, text, store, why
):
    text("call")
    request = only_request(store)
    if why == "stop":
        text("STOP")
    elif why == "blocklist":
        store.block(TEXTER, "abusive texts")
    elif why == "held":
        callbacks.claim(hl, request.id, "ana@helpline.example")
    else:  # staff called and reached someone else: the number is not the texter's
        callbacks.claim(hl, request.id, "sam@helpline.example")
        callbacks.record_outcome(hl, request.id, "sam@helpline.example", Outcome.WRONG_NUMBER)
    before = store.delivery.outbox_length()
    refused = post(staff, f"/staff/callbacks/{request.id}/text", body="Hello")
    assert refused.status_code == 422
    reason = {
        "stop": "They texted STOP",
        "blocklist": "on the blocklist",
        "held": "ana@helpline.example is working",
        "wrong number": "Marked a wrong number",
    }
    assert reason[why] in refused.get_data(as_text=True)
    drain(store.rq_connection, scheduled_now=True)
    assert store.delivery.outbox_length() == before and store.staff_texts.of(request.id) == []
    page = staff.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    assert reason[why] in page and 'id="text-form"' not in page  # the page says why, instead of a form


def night_in_chicago() -> float:
    """11:30 pm in Chicago, tomorrow: late enough that nobody texted in the last half hour."""
    tomorrow = dt.datetime.now(CHICAGO).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(23, 30), tzinfo=CHICAGO).timestamp()


def test_a_staff_text_at_night_where_they_are_waits_for_8am_their_time(staff, hl, text, store):
    text("60614")  # a Chicago ZIP
    text("call")
    request = only_request(store)
    assert request.zip == "60614"
    now = night_in_chicago()
    result = staff_texts.send(hl, request, staff.email, "Good morning, can we call today?", now=now)
    morning = dt.datetime.fromtimestamp(now, CHICAGO).date() + dt.timedelta(days=1)
    assert result.held_until.astimezone(CHICAGO) == dt.datetime.combine(morning, dt.time(8), tzinfo=CHICAGO)
    registry = ScheduledJobRegistry(queue=queues.queue(queues.URGENT, store.rq_connection))
    (job_id,) = registry.get_job_ids()
    assert registry.get_scheduled_time(job_id).timestamp() == result.held_until.timestamp()
    page = staff.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    assert "held until 8:00am" in page and "their time (CST)" in page


def test_a_reply_within_a_live_exchange_goes_at_once_whatever_the_hour(hl, text, store):
    text("call")
    text("are you there?")  # they just wrote: answering now is part of the exchange
    request = only_request(store)
    assert staff_texts.send(hl, request, "sam@helpline.example", "Yes, calling you now").held_until is None


def test_the_follow_up_check_in_waits_for_daytime_where_they_are(hl, text, store):
    text("60614")
    text("call")
    request = only_request(store)
    callbacks.claim(hl, request.id, "sam@helpline.example")
    provider = {"id": "p1", "name": "Lakeview Clinic"}
    callbacks.record_outcome(
        hl, request.id, "sam@helpline.example", "referred", provider=provider, follow_up=True
    )
    assert callbacks.send_follow_up(hl, request.id, now=night_in_chicago()) == "sent"
    registry = ScheduledJobRegistry(queue=queues.queue(queues.URGENT, store.rq_connection))
    (held,) = [j for j in registry.get_job_ids() if j.startswith("text-follow-up")]
    assert registry.get_scheduled_time(held).astimezone(CHICAGO).strftime("%H:%M") == "08:00"


# -- 3 and 4. polls that cost nothing until something changes ---------------------------------


def test_the_queue_poll_answers_204_until_something_changes(staff, hl, text, store):
    text("call")
    first = staff.get("/staff/queue").get_data(as_text=True)
    state = poll_state(first)
    unchanged = staff.get("/staff/queue", query_string=state)
    assert unchanged.status_code == 204 and unchanged.data == b""
    text("call", sender="+15551230002")  # someone new
    arrived = staff.get("/staff/queue", query_string=state).get_data(as_text=True)
    assert len(queue_rows(arrived)) == 2 and 'data-arrived="1"' in arrived
    state = poll_state(arrived)
    assert staff.get("/staff/queue", query_string=state).status_code == 204
    text("sorry, one more thing")  # a person already on the queue writes again: their row's preview changes
    again = staff.get("/staff/queue", query_string=state)
    assert again.status_code == 200 and "sorry, one more thing" in again.get_data(as_text=True)
    callbacks.claim(hl, only_request_of(store, TEXTER).id, "ana@helpline.example")
    assert staff.get("/staff/queue", query_string=poll_state(again.get_data(as_text=True))).status_code == 200


def only_request_of(store, phone: str) -> callbacks.CallbackRequest:
    return callbacks.open_request_for(store, store.vault.phone_id(phone))


def test_the_crisis_bar_poll_answers_204_until_a_crisis_arrives_or_writes_again(staff, text, store):
    page = staff.get("/staff").get_data(as_text=True)
    seen = re.search(r'id="pulse-state" name="seen" value="([^"]*)"', page).group(1)
    assert staff.get("/staff/pulse", query_string={"seen": seen}).status_code == 204
    text("I want to kill myself", sender="+15551230009")
    bar = staff.get("/staff/pulse", query_string={"seen": seen}).get_data(as_text=True)
    assert "1 crisis waiting" in bar and 'data-crisis="1"' in bar
    key = re.search(r'data-alerts="([^"]*)"', bar).group(1)
    seen = re.search(r'name="seen" value="([^"]*)"', bar).group(1)
    assert staff.get("/staff/pulse", query_string={"seen": seen}).status_code == 204
    text("are you still there", sender="+15551230009")  # an open crisis writes again: a new alert
    again = staff.get("/staff/pulse", query_string={"seen": seen}).get_data(as_text=True)
    assert re.search(r'data-alerts="([^"]*)"', again).group(1) != key and "texted again" in again


def test_filters_search_and_counts(staff, hl, text, store):
    text("call")  # cb000001: English, text
    text("I took too many pills, overdose", sender="+15551230002")  # cb000002: crisis
    text("hola", sender="+15551230003")
    text("llamar", sender="+15551230003")  # cb000003: Spanish
    voicemail, _ = callbacks.request_callback(
        store, "+15551230004", lang="en", reason="voicemail", priority=False, channel="voice"
    )  # cb000004
    callbacks.claim(hl, "cb000001", staff.email)
    callbacks.claim(hl, "cb000003", "ana@helpline.example")

    def rows(**filters) -> list[str]:
        return queue_rows(staff.get("/staff/queue", query_string=filters).get_data(as_text=True))

    assert rows() == ["cb000002", "cb000001", "cb000003", "cb000004"]  # crisis first, then oldest
    assert rows(mine="on") == ["cb000001"]
    assert rows(unclaimed="on") == ["cb000002", "cb000004"]
    assert rows(crisis="on") == ["cb000002"]
    assert rows(spanish="on") == ["cb000003"]
    assert rows(voicemail="on") == [voicemail.id]
    assert rows(channel="voice") == [voicemail.id]
    assert rows(channel="sms", unclaimed="on") == ["cb000002"]
    assert rows(search="0003") == ["cb000003"] and rows(search="cb000004") == ["cb000004"]
    assert rows(search="9999") == []
    html = staff.get("/staff/queue").get_data(as_text=True)
    counts = json.loads(re.search(r"data-counts='([^']*)'", html).group(1))
    assert counts == counts | {"open": 4, "waiting": 2, "held": 2, "mine": 1, "unclaimed": 2, "crisis": 1,
                               "spanish": 1, "voicemail": 1}  # fmt: skip
    assert "ana@helpline.example" in html and "claimed" in html  # who holds each claimed request
    narrowed = staff.get("/staff/queue", query_string={"crisis": "on"}, headers={"HX-Request": "true"})
    assert narrowed.headers["HX-Push-Url"] == "/staff?crisis=on"  # the address bar keeps the filter


def test_a_filter_with_only_a_scheduled_retry_says_where_it_is(staff, hl, text, store):
    voicemail, _ = callbacks.request_callback(
        store, "+15551230004", lang="en", reason="voicemail", priority=False, channel="voice"
    )
    post(staff, f"/staff/callbacks/{voicemail.id}/claim")
    post(staff, f"/staff/callbacks/{voicemail.id}/outcome", outcome="no_answer")
    html = staff.get("/staff/queue", query_string={"voicemail": "on"}).get_data(as_text=True)
    assert "No request due now matches these filters; 1 scheduled for later, below." in html
    assert "Scheduled retries" in html and f"row-{voicemail.id}" in html
    text("call")
    html = staff.get("/staff/queue").get_data(as_text=True)
    assert "1 due now (waiting or being worked)" in html and "1 waiting" in html


def test_a_finished_request_never_says_waiting(staff, hl, text, store):
    text("call")
    request = only_request(store)
    post(staff, f"/staff/callbacks/{request.id}/claim")
    post(staff, f"/staff/callbacks/{request.id}/outcome", outcome="reached")
    page = staff.get(f"/staff/callbacks/{request.id}").get_data(as_text=True)
    assert "Waiting" not in page and "This request is done" in page


def test_search_finds_a_finished_request_marked_as_such_after_the_open_ones(staff, hl, text, store):
    text("call")  # cb000001: done a minute ago; they call back: "someone just called me"
    text("call", sender="+15551230002")  # cb000002: still open
    post(staff, "/staff/callbacks/cb000001/claim")
    post(staff, "/staff/callbacks/cb000001/outcome", outcome="reached")
    text("call me", sender="+15559990001")  # cb000003: another open one ending in 0001

    def page(**filters) -> str:
        return staff.get("/staff/queue", query_string=filters).get_data(as_text=True)

    by_id = page(search="cb000001")
    assert "No request due now matches these filters; 1 finished, below." in by_id
    finished = by_id[by_id.index("Finished requests") :]
    assert queue_rows(finished) == ["cb000001"] and ">Done</span>" in finished
    by_number = page(search="0001")
    assert queue_rows(by_number) == ["cb000003", "cb000001"]  # the open one first
    assert by_number.index("row-cb000003") < by_number.index("Finished requests")
    assert "Finished requests" not in page()  # the queue itself lists open requests only
    assert queue_rows(page()) == ["cb000002", "cb000003"]


def test_next_request_takes_the_crisis_first_then_the_oldest(staff, text, store):
    text("call")
    text("call", sender="+15551230002")
    text("overdose", sender="+15551230003")
    taken = post(staff, "/staff/next")
    assert taken.headers["Location"].endswith("/staff/callbacks/cb000003")
    assert callbacks.get(store, "cb000003").claimed_by == staff.email
    assert post(staff, "/staff/next").headers["Location"].endswith("/staff/callbacks/cb000001")


# -- 5. forms that never lose work -------------------------------------------------------------


def test_a_refused_outcome_keeps_every_field(staff, text, store):
    text("call")
    request = only_request(store)
    post(staff, f"/staff/callbacks/{request.id}/claim")
    refused = post(
        staff,
        f"/staff/callbacks/{request.id}/outcome",
        outcome="referred",
        note="Talked 20 minutes; wants methadone near work",
        follow_up="yes",
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Pick the provider you referred them to." in page
    assert 'value="referred" required checked' in page
    assert 'name="follow_up" value="yes" checked' in page
    assert ">Talked 20 minutes; wants methadone near work</textarea>" in page
    assert callbacks.get(store, request.id).attempts == 0


def test_a_refused_outcome_keeps_the_provider_search_and_its_address_opens_the_request(
    staff, text, store, small_directory
):
    text("call")
    request = only_request(store)
    post(staff, f"/staff/callbacks/{request.id}/claim")
    refused = post(staff, f"/staff/callbacks/{request.id}/outcome", outcome="referred", near="10001")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Pick the provider you referred them to." in page
    assert 'id="near" name="near" value="10001"' in page and "Chelsea Methadone Clinic" in page
    for action in ("outcome", "text", "claim", "note", "release", "call"):
        opened = staff.get(f"/staff/callbacks/{request.id}/{action}", follow_redirects=True)
        assert opened.status_code == 200 and f"Callback {request.id}" in opened.get_data(as_text=True)
    assert staff.get("/staff/callbacks/cb999999/outcome").status_code == 404


def test_the_referral_search_starts_from_the_place_in_the_conversation(staff, text, store):
    text("Chicago, IL methadone")
    text("call")
    page = staff.get(f"/staff/callbacks/{only_request(store).id}").get_data(as_text=True)
    assert 'id="near" name="near" value="Chicago, IL"' in page and "they searched near Chicago, IL" in page


def test_without_a_place_the_area_code_gives_one(staff, text, store):
    text("call", sender="+13125550188")  # a Chicago number
    page = staff.get(f"/staff/callbacks/{only_request(store).id}").get_data(as_text=True)
    assert 'value="Chicago, IL"' in page and "area code" in page


def test_a_referral_shows_address_phone_services_and_is_texted_in_one_click(
    staff, text, store, small_directory
):
    text("call")
    request = only_request(store)
    found = staff.get(
        f"/staff/callbacks/{request.id}/providers",
        query_string={"near": "10001"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    chelsea = next(p for p in small_directory if p.name == "Chelsea Methadone Clinic")
    assert chelsea.name in found and f'href="tel:{chelsea.phone}"' in found and chelsea.address in found
    assert "methadone" in found and "Text this to them" in found
    sent = post(staff, f"/staff/callbacks/{request.id}/text/referral", provider=chelsea.id, near="10001")
    assert sent.status_code == 302
    drain(store.rq_connection)
    (referral,) = [b for b in sent_to(store, TEXTER) if chelsea.name in b]
    assert chelsea.phone[-4:] in referral and "mi" in referral
    assert ("text", "referral; queued to send") in [
        (e.action, e.detail) for e in audit.trail(store, request.id)
    ]


def test_their_number_and_yours_are_shown_but_never_tap_to_dial(staff, text, store):
    """A tel: link would ring them from the staff member's own phone, showing its number: staff call
    through the helpline's button, and the page says they see the helpline's number."""
    text("call")
    request_id = only_request(store).id
    post(staff, f"/staff/callbacks/{request_id}/claim")
    page = staff.get(f"/staff/callbacks/{request_id}").get_data(as_text=True)
    assert "(555) 123-0001" in page and "(212) 555-0142" in page
    assert "tel:" not in page
    assert 'name="format-detection" content="telephone=no"' in page
    assert "They see the helpline's number, never yours, so call them only with" in page


# -- 6. phones ring the right person ----------------------------------------------------------


def test_talk_to_someone_now_does_not_ring_staff_already_on_a_helpline_call(
    signed_post, phone_call, staff_on_duty, store, text
):
    text("call")
    request = only_request(store)
    busy_call = "CA" + "b" * 32
    bridge = call_params("+15555550100", STAFF_PHONES[0], busy_call) | {"Digits": "1"}
    assert signed_post(f"/twilio/voice/staff-bridge/{request.id}/connect", bridge).status_code == 200
    caller = phone_call(caller="+15551230007")
    caller.start()
    caller.press("4")
    assert caller.dialed == [[STAFF_PHONES[1]]]  # the one on a callback is left alone

    ended = {"CallSid": busy_call, "CallStatus": "completed", "To": STAFF_PHONES[0], "CallDuration": "95"}
    assert signed_post("/twilio/status", ended).status_code == 204
    next_caller = phone_call(caller="+15551230008")
    next_caller.start()
    next_caller.press("4")
    assert next_caller.dialed == [list(STAFF_PHONES)]


def test_staff_who_took_a_caller_are_not_rung_for_the_next_until_that_call_ends(
    signed_post, phone_call, staff_on_duty
):
    first = phone_call(caller="+15551230007", dial_outcome="completed")
    first.start()
    first.press("4")
    assert first.dialed == [list(STAFF_PHONES)]
    parent = "CA" + "c" * 32
    leg = call_params("+15555550100", STAFF_PHONES[1], "CA" + "d" * 32) | {
        "ParentCallSid": parent,
        "Digits": "1",
    }
    assert signed_post("/twilio/voice/whisper/answer", leg).status_code == 200
    second = phone_call(caller="+15551230008")
    second.start()
    second.press("4")
    assert second.dialed == [[STAFF_PHONES[0]]]
    done = call_params("+15551230007", "+15555550100", parent) | {"DialCallStatus": "completed"}
    signed_post("/twilio/voice/dial-done?n=1", done)
    third = phone_call(caller="+15551230009")
    third.start()
    third.press("4")
    assert third.dialed == [list(STAFF_PHONES)]


def test_who_holds_a_voicemail_shows_on_the_queue_and_its_page(staff, hl, store, operator_user, app):
    voicemail, _ = callbacks.request_callback(
        store, "+15551230004", lang="en", reason="voicemail", priority=False, channel="voice"
    )
    callbacks.add_extra(
        store, voicemail.id, voicemail_url="https://api.twilio.com/x", voicemail_transcript="call me"
    )
    callbacks.claim(hl, voicemail.id, operator_user.email)
    row = staff.get("/staff/queue").get_data(as_text=True)
    assert operator_user.email in row and "Voicemail" in row
    page = staff.get(f"/staff/callbacks/{voicemail.id}").get_data(as_text=True)
    assert f"{operator_user.email}</strong> is working on this request" in page
    assert "Call them from the helpline" not in page and "call me" in page  # the transcript, prominent


def test_alert_choices_are_remembered_for_each_account(staff, app, operator_user):
    assert post(staff, "/staff/alerts", sound="on").status_code == 302
    assert 'data-alert-sound="on" data-alert-notify="off"' in staff.get("/staff").get_data(as_text=True)
    other = app.test_client()
    login(other, operator_user.email)
    assert 'data-alert-sound="off"' in other.get("/staff").get_data(as_text=True)


def test_a_queue_row_previewing_our_text_names_the_helpline_once(staff, text, store):
    text("quiero hablar con alguien")
    request = only_request(store)
    good_time = staff_texts.TEMPLATES["es"][1][1]
    post(staff, f"/staff/callbacks/{request.id}/text", body=good_time)
    drain(store.rq_connection)
    row = staff.get("/staff/queue").get_data(as_text=True)
    preview = re.sub(r"<[^>]+>", "", re.search(r'class="preview">(.*?)</td>', row, re.S).group(1))
    assert preview.startswith("Helpline: cuando es buena hora") and "Helpline: Helpline:" not in preview


def test_a_claim_that_ends_just_after_midnight_reads_as_minutes_away_not_tomorrow(app):
    zone = app.extensions["helpline"].hours.timezone
    midnight = dt.datetime.combine(dt.datetime.now(zone).date() + dt.timedelta(days=1), dt.time(0, 5), zone)
    with app.test_request_context():
        shown = app.jinja_env.filters["soon"](midnight.timestamp())
    assert shown.startswith("12:05am ") and "tomorrow" not in shown and "(in " in shown
