"""Staff pages through the Flask client: who sees a conversation, the audit of views, bad input,
and the signed bridge route that connects a staff phone to the person."""

import re

import pytest

from helpline.devtools import simulator
from helpline.domain.callback_rules import Outcome
from helpline.services import audit, callbacks
from helpline.web.ops import directory as ops_directory
from helpline.web.twilio_signature import twilio_auth_token
from tests.conftest import HELPLINE_NUMBER, TEXTER
from tests.test_staff_auth import csrf_token, login


@pytest.fixture
def request_id(store, text):
    text("my pain keeps getting worse")
    text("call")
    return callbacks.waiting(store)[0].id


def test_conversation_is_shown_only_to_signed_in_staff_and_the_view_is_audited(
    client, staff_user, request_id, store
):
    assert client.get(f"/staff/callbacks/{request_id}").status_code == 302
    assert audit.trail(store, request_id) == []
    login(client, staff_user.email)
    page = client.get(f"/staff/callbacks/{request_id}").get_data(as_text=True)
    assert "my pain keeps getting worse" in page and "(555) 123-0001" in page  # their number, to staff
    (entry,) = audit.trail(store, request_id)
    assert (entry.who, entry.action) == (staff_user.email, "view")


def test_queue_shows_age_language_and_what_was_asked(client, staff_user, request_id):
    login(client, staff_user.email)
    fragment = client.get("/staff/queue").get_data(as_text=True)
    assert "just now" in fragment and "English" in fragment and "Asked for a callback" in fragment
    assert TEXTER not in fragment  # numbers only on the request page


def test_crisis_requests_come_first(client, staff_user, store, text):
    text("call", sender="+15551230002")
    text("I think I took an overdose", sender="+15551230003")
    login(client, staff_user.email)
    fragment = client.get("/staff/queue").get_data(as_text=True)
    rows = re.findall(r'data-callback="(cb\d+)"', fragment)
    assert rows == ["cb000002", "cb000001"]
    assert "Crisis" in fragment


@pytest.mark.parametrize("path", ["/staff/callbacks/nope", "/staff/callbacks/" + "x" * 300])
def test_unknown_request_is_404(client, staff_user, path):
    login(client, staff_user.email)
    assert client.get(path).status_code == 404


def test_outcome_without_claim_or_with_nonsense_changes_nothing(client, staff_user, request_id, store):
    login(client, staff_user.email)
    token = csrf_token(client, "/staff")
    for form in ({"outcome": "reached"}, {"outcome": "'; DROP"}, {}):
        response = client.post(f"/staff/callbacks/{request_id}/outcome", data=form | {"csrf_token": token})
        assert response.status_code == 422  # the page again, saying what is missing
    request = callbacks.get(store, request_id)
    assert request.status == "waiting" and request.attempts == 0


def test_second_claim_is_told_who_holds_it(app, client, staff_user, operator_user, request_id):
    login(client, staff_user.email)
    client.post(f"/staff/callbacks/{request_id}/claim", data={"csrf_token": csrf_token(client, "/staff")})
    other = app.test_client()
    login(other, operator_user.email)
    response = other.post(
        f"/staff/callbacks/{request_id}/claim",
        data={"csrf_token": csrf_token(other, "/staff")},
        follow_redirects=True,
    )
    assert f"{staff_user.email} has already claimed this request." in response.get_data(as_text=True)


# -- the bridge TwiML route --------------------------------------------------------------------


def bridge_post(app, client, path, params, signed=True):
    token = twilio_auth_token(app.config["SETTINGS"])
    signature = simulator.sign(token, "http://localhost" + path, params) if signed else "bad"
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def test_bridge_refuses_unsigned_requests(app, client, request_id):
    path = f"/twilio/voice/staff-bridge/{request_id}/connect"
    assert bridge_post(app, client, path, {"Digits": "1"}, signed=False).status_code == 403


def test_bridge_asks_for_1_then_dials_with_the_helpline_caller_id(app, client, request_id):
    base = f"/twilio/voice/staff-bridge/{request_id}"
    prompt = bridge_post(app, client, base, {"CallSid": "CA1"}).get_data(as_text=True)
    assert "Press 1 to connect" in prompt and f'action="{base}/connect"' in prompt
    wrong = bridge_post(app, client, base + "/connect", {"CallSid": "CA1", "Digits": "7"}).get_data(
        as_text=True
    )
    assert "<Redirect" in wrong and "<Dial" not in wrong
    dial = bridge_post(app, client, base + "/connect", {"CallSid": "CA1", "Digits": "1"}).get_data(
        as_text=True
    )
    assert f'callerId="{HELPLINE_NUMBER}"' in dial and f"<Number>{TEXTER}</Number>" in dial


def test_bridge_to_a_closed_request_says_so_and_hangs_up(app, client, store, request_id):
    hl = app.extensions["helpline"]
    callbacks.claim(hl, request_id, "ana@x.org")
    callbacks.record_outcome(hl, request_id, "ana@x.org", "reached")
    twiml = bridge_post(app, client, f"/twilio/voice/staff-bridge/{request_id}/connect", {"Digits": "1"})
    assert "no longer open" in twiml.get_data(as_text=True) and "<Dial" not in twiml.get_data(as_text=True)


WEIRD = ["", "x" * 5000, "\x00\xff", "😀" * 50, "' OR 1=1 --", "+1" + "9" * 40]


@pytest.mark.parametrize("value", WEIRD)
def test_bad_input_on_every_staff_form_is_never_a_server_error(client, staff_user, request_id, value):
    login(client, staff_user.email)
    token = csrf_token(client, "/staff")
    for path in ("claim", "release", "lease", "call", "outcome", "note"):
        for target in (request_id, value[:100] or "x"):
            response = client.post(
                f"/staff/callbacks/{target}/{path}",
                data={"csrf_token": token, "outcome": value, "note": value, "provider": value},
            )
            assert response.status_code < 500, (path, target, response.status_code)
    response = client.post("/staff/duty", data={"csrf_token": token, "on_duty": value, "phone": value})
    assert response.status_code < 500
    response = client.post("/login", data={"csrf_token": token, "email": value, "password": value})
    assert response.status_code < 500


def test_referral_to_a_provider_not_in_the_directory(client, staff_user, request_id, store):
    login(client, staff_user.email)
    token = csrf_token(client, "/staff")
    client.post(f"/staff/callbacks/{request_id}/claim", data={"csrf_token": token})
    form = {"csrf_token": token, "outcome": "referred", "provider": "", "provider_other": "Dr. Lee's clinic"}
    assert client.post(f"/staff/callbacks/{request_id}/outcome", data=form).status_code == 302
    (attempt,) = callbacks.attempts(store, request_id)
    assert attempt["provider"] == {"id": "", "name": "Dr. Lee's clinic"}


def test_after_a_referral_staff_are_told_where_they_sent_them_and_when_the_check_in_goes(
    client, staff_user, request_id
):
    login(client, staff_user.email)
    token = csrf_token(client, "/staff")
    client.post(f"/staff/callbacks/{request_id}/claim", data={"csrf_token": token})
    page = client.get(f"/staff/callbacks/{request_id}").get_data(as_text=True)
    assert "They agree to a check-in text in 2 days" in page
    form = {
        "csrf_token": token,
        "outcome": "referred",
        "provider_other": "Dr. Lee's clinic",
        "follow_up": "yes",
    }
    client.post(f"/staff/callbacks/{request_id}/outcome", data=form)
    queue = client.get("/staff").get_data(as_text=True)
    told = f"Recorded: {request_id} referred to Dr. Lee&#39;s clinic. A check-in text goes to them in 2 days."
    assert told in queue


def test_referral_needs_a_provider(client, staff_user, request_id, store):
    login(client, staff_user.email)
    token = csrf_token(client, "/staff")
    client.post(f"/staff/callbacks/{request_id}/claim", data={"csrf_token": token})
    response = client.post(
        f"/staff/callbacks/{request_id}/outcome",
        data={"csrf_token": token, "outcome": "referred"},
        follow_redirects=True,
    )
    assert "Pick the provider you referred them to." in response.get_data(as_text=True)
    assert callbacks.get(store, request_id).attempts == 0


def test_a_long_queue_is_paged_with_true_counts(client, staff_user, store):
    for n in range(205):
        callbacks.request_callback(
            store, f"+1555000{n:04d}", lang="en", reason="callback", priority=False, channel="sms"
        )
    login(client, staff_user.email)
    first = client.get("/staff/queue").get_data(as_text=True)
    assert "205 waiting" in first and "205 open" in first and "Page 1 of 5" in first
    assert len(re.findall(r'<tr id="row-', first)) == 50
    last = client.get("/staff/queue?page=5").get_data(as_text=True)
    assert len(re.findall(r'<tr id="row-', last)) == 5 and "showing 201–205" in last


def test_a_listing_with_a_wrong_phone_is_reported_for_the_operators_review(
    client, staff_user, request_id, store, small_directory
):
    chelsea = next(p for p in small_directory if p.name == "Chelsea Methadone Clinic")
    login(client, staff_user.email)
    token = csrf_token(client, "/staff")
    client.post(f"/staff/callbacks/{request_id}/claim", data={"csrf_token": token})
    form = {
        "csrf_token": token,
        "outcome": "no_answer",
        "provider": f"{chelsea.id}|{chelsea.name}",
        "listing_phone_wrong": "yes",
    }
    assert client.post(f"/staff/callbacks/{request_id}/outcome", data=form).status_code == 302
    review = ops_directory.review()
    assert [(x.name, x.wrong_numbers) for x in review.wrong_number] == [("Chelsea Methadone Clinic", 1)]
    assert ("listing phone wrong", chelsea.name) in [
        (e.action, e.detail) for e in audit.trail(store, request_id)
    ]
    (attempt,) = callbacks.attempts(store, request_id)
    assert attempt["outcome"] == "no_answer" and not attempt.get("provider")


def test_only_a_directory_listing_can_be_reported_wrong(client, staff_user, request_id, store):
    login(client, staff_user.email)
    token = csrf_token(client, "/staff")
    client.post(f"/staff/callbacks/{request_id}/claim", data={"csrf_token": token})
    form = {
        "csrf_token": token,
        "outcome": "reached",
        "provider_other": "Dr. Lee",
        "listing_phone_wrong": "yes",
    }
    page = client.post(f"/staff/callbacks/{request_id}/outcome", data=form, follow_redirects=True)
    assert "Only a listing from the directory" in page.get_data(as_text=True)
    assert callbacks.get(store, request_id).attempts == 0


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize(
    ("path", "method", "code", "words"),
    [
        ("/staff/request/cb999999", "get", 404, "Page not found"),
        ("/staff/no-such-page", "get", 404, "Page not found"),
        ("/staff/next", "get", 405, "Not possible here"),  # a form's address typed into the bar
    ],
)
def test_a_browser_gets_an_error_page_in_words_a_script_gets_json(client, path, method, code, words):
    page = getattr(client, method)(path, headers=BROWSER)
    assert page.status_code == code and page.mimetype == "text/html"
    assert words in page.get_data(as_text=True) and "Back to the callback queue" in page.get_data(
        as_text=True
    )
    script = getattr(client, method)(path)  # no Accept header: a script or a monitor
    assert script.status_code == code and script.is_json


def test_the_request_audit_trail_reads_as_words_not_codes(client, staff_user, request_id, store, app):
    hl = app.extensions["helpline"]
    callbacks.claim(hl, request_id, staff_user.email)
    callbacks.record_outcome(hl, request_id, staff_user.email, Outcome.NO_ANSWER, note="rang out")
    login(client, staff_user.email)
    page = client.get(f"/staff/callbacks/{request_id}").get_data(as_text=True)
    trail = page[page.index('id="audit-title"') :]
    assert f"{staff_user.email}: claimed it" in trail
    assert re.search(rf"{re.escape(staff_user.email)}: recorded the call: No answer; next try \w+ \d", trail)
    assert f"{staff_user.email}: added a note" in trail
    assert "no_answer" not in trail and "next=" not in trail
