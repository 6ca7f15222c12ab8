"""A text is answered around Flask's request machinery, and anything unusual still reaches Flask: the
texter and Twilio cannot tell the two apart (the same replies, headers, cookie and errors)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline import create_app
from helpline.devtools import simulator
from helpline.services.texting import HINT_COOKIE
from helpline.web.sms import form_fields
from helpline.web.twilio_signature import twilio_auth_token
from tests.conftest import HELPLINE_NUMBER

FIRST, SECOND = "+14155550121", "+14155550122"
SAME_ON_BOTH = ("Content-Type", "Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options")


def _post(client, token, params, *, multipart=False, path="/twilio/sms"):
    headers = {"X-Twilio-Signature": simulator.sign(token, "http://localhost" + path, params)}
    if multipart:  # a form Twilio never sends as such (a proxy re-encoding it): Flask parses it
        return client.post(path, data=dict(params), headers=headers, content_type="multipart/form-data")
    return client.post(path, data=params, headers=headers)


@pytest.fixture
def token(app):
    return twilio_auth_token(app.config["SETTINGS"])


def test_a_text_gets_the_same_answer_headers_and_cookie_on_either_path(app, client, token):
    answers = {}
    for sender, multipart in ((FIRST, False), (SECOND, True)):
        client.delete_cookie(HINT_COOKIE, path="/twilio")
        response = _post(
            client, token, simulator.sms_params(sender, "oih", HELPLINE_NUMBER), multipart=multipart
        )
        assert response.status_code == 200
        cookie = response.headers["Set-Cookie"]
        answers[multipart] = (
            simulator.twiml_messages(response.data),
            {name: response.headers[name] for name in SAME_ON_BOTH},
            # Its attributes (its value is the texter's own; Expires is the moment plus Max-Age).
            sorted(a.strip() for a in cookie.split(";")[1:] if not a.strip().startswith("Expires=")),
        )
    assert answers[False] == answers[True]
    replies, headers, cookie_attributes = answers[False]
    assert "Helpline" in replies[0] and "OIH" in replies[1]
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    assert cookie_attributes == ["HttpOnly", "Max-Age=14400", "Path=/twilio"]


def test_the_next_text_carries_on_the_conversation_whichever_path_took_the_first(client, token):
    first = _post(client, token, simulator.sms_params(FIRST, "check", HELPLINE_NUMBER), multipart=True)
    assert "1/" in simulator.twiml_messages(first.data)[-1]
    second = _post(
        client, token, simulator.sms_params(FIRST, "yes", HELPLINE_NUMBER)
    )  # the cookie goes along
    assert "2/" in simulator.twiml_messages(second.data)[0]


def test_a_signature_over_another_url_is_refused_and_nothing_is_kept(client, token, store):
    params = simulator.sms_params(FIRST, "call me", HELPLINE_NUMBER)
    wrong = simulator.sign(token, "http://localhost/twilio/voice", params)
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": wrong})
    assert response.status_code == 403 and response.get_json()["error"] == "Forbidden"
    assert store.conversation(store.vault.phone_id(FIRST)) == []


def test_a_twilio_url_with_a_query_string_is_signed_with_it(client, token):
    path = "/twilio/sms?line=main"
    response = _post(client, token, simulator.sms_params(FIRST, "hi", HELPLINE_NUMBER), path=path)
    assert response.status_code == 200 and "Helpline" in simulator.twiml_messages(response.data)[0]


def test_a_failure_while_answering_is_a_500_like_any_route_and_the_text_can_be_answered_again(
    settings, redis, monkeypatch
):
    """Outside tests Flask answers a failing view with a 500 (logged with its traceback); Twilio's retry of
    the same text is then answered, not refused as already done."""
    import helpline.web.sms as sms_view

    app = create_app(settings)  # not in testing mode: errors are answered, not raised
    token = twilio_auth_token(app.config["SETTINGS"])
    client = app.test_client()
    params = simulator.sms_params(FIRST, "oih", HELPLINE_NUMBER)
    answer = sms_view.handle_text

    def fails_once(line, text):
        monkeypatch.setattr(sms_view, "handle_text", answer)
        raise RuntimeError("a bug while answering")

    monkeypatch.setattr(sms_view, "handle_text", fails_once)
    failed = _post(client, token, params)
    assert failed.status_code == 500
    assert json.loads(failed.data)["error"] == "Internal Server Error"
    assert failed.headers["X-Frame-Options"] == "DENY"
    retried = _post(client, token, params)
    assert retried.status_code == 200 and "OIH" in simulator.twiml_messages(retried.data)[-1]


FORM_CHARS = st.sampled_from(
    list("ab=&+%2BFE9zé 😀\x00;?#") + ["%", "%2", "%C3%A9", "%FF", "%E2%82", "&&", "=="]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(FORM_CHARS, max_size=40).map("".join))
def test_the_form_is_read_as_flask_reads_it_whatever_the_body(body):
    # Flask's form parser reads a url-encoded body with parse_qsl and werkzeug's error handler; a text's
    # fields (its words, its signature) must come out exactly the same on the fast path.
    expected = parse_qsl(body, keep_blank_values=True, errors="werkzeug.url_quote")
    assert form_fields(body) == expected
