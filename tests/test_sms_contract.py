"""The /twilio/sms contract: signatures, Twilio's retries, and bad input of every kind."""

import string

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from helpline.devtools import simulator
from helpline.store import Keys
from tests.conftest import HELPLINE_NUMBER, TEXTER


@pytest.fixture
def settings(settings):
    """No flood limit here, so generated requests reach the conversation itself."""
    return settings.with_overrides(sms_rate_limit_per_minute=10**9)


def test_request_validator_matches_twilios_published_signature():
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert RequestValidator("12345").validate(url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "RSOYDt4T1cUTdK1PDd93/VVr8B8="])
def test_unsigned_or_badly_signed_text_is_refused_and_changes_nothing(signed_post, redis, signature):
    params = simulator.sms_params(TEXTER, "call", HELPLINE_NUMBER)
    response = signed_post("/twilio/sms", params, signature=signature)
    assert response.status_code == 403
    assert redis.dbsize() == 0


def test_signature_for_another_url_is_refused(app, client, redis):
    from helpline.web.twilio_signature import twilio_auth_token

    params = simulator.sms_params(TEXTER, "call", HELPLINE_NUMBER)
    token = twilio_auth_token(app.config["SETTINGS"])
    signature = simulator.sign(token, "http://localhost/twilio/voice", params)
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert redis.dbsize() == 0


def test_tampered_body_is_refused(app, client, redis):
    from helpline.web.twilio_signature import twilio_auth_token

    params = simulator.sms_params(TEXTER, "oih", HELPLINE_NUMBER)
    signature = simulator.sign(
        twilio_auth_token(app.config["SETTINGS"]), "http://localhost/twilio/sms", params
    )
    params["Body"] = "call"
    assert (
        client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}).status_code == 403
    )


def test_public_base_url_is_what_twilio_signed_behind_a_proxy(settings, redis):
    from helpline import create_app
    from helpline.web.twilio_signature import twilio_auth_token

    app = create_app(settings.with_overrides(public_base_url="https://helpline.example.org"))
    params = simulator.sms_params(TEXTER, "oih", HELPLINE_NUMBER)
    token = twilio_auth_token(app.config["SETTINGS"])
    good = simulator.sign(token, "https://helpline.example.org/twilio/sms", params)
    local = simulator.sign(token, "http://localhost/twilio/sms", params)
    with app.app_context():
        client = app.test_client()
        assert (
            client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": local}).status_code == 403
        )
        assert (
            client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": good}).status_code == 200
        )


@pytest.mark.parametrize(
    "signed_as", ["https://helpline.example.org:443/twilio/sms", "https://helpline.example.org/twilio/sms"]
)
def test_a_signature_with_or_without_the_default_port_is_accepted(settings, redis, signed_as):
    """Twilio may sign the URL with its port or without: either answers, and only the port may differ."""
    from helpline import create_app
    from helpline.web.twilio_signature import twilio_auth_token

    app = create_app(settings.with_overrides(public_base_url="https://helpline.example.org"))
    token = twilio_auth_token(app.config["SETTINGS"])
    params = simulator.sms_params(TEXTER, "oih", HELPLINE_NUMBER)
    other_port = simulator.sign(token, "https://helpline.example.org:8443/twilio/sms", params)
    with app.app_context():
        client = app.test_client()
        headers = {"X-Twilio-Signature": simulator.sign(token, signed_as, params)}
        response = client.post("/twilio/sms", data=params, headers=headers)
        assert response.status_code == 200
        assert simulator.twiml_messages(response.data)
        refused = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": other_port})
        assert refused.status_code == 403


def test_twilio_retry_of_the_same_message_gets_the_same_answer_and_changes_nothing(signed_post, store, redis):
    params = simulator.sms_params(TEXTER, "call", HELPLINE_NUMBER)
    first = signed_post("/twilio/sms", params)
    assert simulator.twiml_messages(first.data)
    before = {k: redis.dump(k) for k in redis.keys("*") if not k.startswith(b"hl:stat:")}
    # Twilio sends a text again only when the answer did not reach it (a timeout): it gets the same words.
    second = signed_post("/twilio/sms", params)
    assert second.status_code == 200
    assert simulator.twiml_messages(second.data) == simulator.twiml_messages(first.data)
    after = {k: redis.dump(k) for k in redis.keys("*") if not k.startswith(b"hl:stat:")}
    assert after == before
    assert redis.zcard(Keys.callback_queue) == 1


@pytest.mark.parametrize("missing", ["From", "Body", "MessageSid"])
def test_missing_required_parameter_is_a_400(signed_post, redis, missing):
    params = simulator.sms_params(TEXTER, "oih", HELPLINE_NUMBER)
    del params[missing]
    response = signed_post("/twilio/sms", params)
    assert response.status_code == 400
    assert b"Traceback" not in response.data


@pytest.mark.parametrize(
    "body, sender, extra",
    [
        ("", TEXTER, {}),
        ("x" * 10_000, TEXTER, {}),
        ("🙏😭💊", TEXTER, {}),
        ("\x00\x01\x02binary\xff", TEXTER, {}),
        ("", TEXTER, {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME1"}),
        ("oih", "72345", {}),
        ("call", "HELPLINE", {}),
        ("oih", "whatsapp:+15551230001", {}),
        ("menu", "+1 (555) not a number", {}),
        ("10001", "12", {}),
    ],
    ids=["empty", "10kB", "emoji", "binary", "mms", "short-code", "alphanumeric", "whatsapp", "junk", "tiny"],
)
def test_odd_bodies_and_senders_get_valid_twiml(signed_post, body, sender, extra):
    params = simulator.sms_params(sender, body, HELPLINE_NUMBER, **extra)
    response = signed_post("/twilio/sms", params)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    simulator.twiml_messages(response.data)  # parses as XML


def test_invalid_utf8_body_gets_valid_twiml(app, client):
    from helpline.web.twilio_signature import twilio_auth_token

    raw = b"Body=%FF%FE%C3&From=%2B15551230001&MessageSid=SMbad&To=%2B15555550100"
    # Werkzeug keeps an undecodable value as its raw percent-escapes; that is what gets signed.
    params = {"Body": "%FF%FE%C3", "From": TEXTER, "MessageSid": "SMbad", "To": HELPLINE_NUMBER}
    signature = simulator.sign(
        twilio_auth_token(app.config["SETTINGS"]), "http://localhost/twilio/sms", params
    )
    response = client.post(
        "/twilio/sms",
        data=raw,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200
    assert simulator.twiml_messages(response.data)  # a first contact: the welcome


text_bodies = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=string.printable, max_size=50),
    st.sampled_from(
        ["STOP", "start", "oih", "CHECK", "yes", "no", "call", "10001", "austin, tx", "more", "ESPAÑOL"]
    ),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)
senders = st.one_of(
    st.sampled_from([TEXTER, "+15551230002", "72345", "HELPLINE", "whatsapp:+15551230003", ""]),
    st.text(max_size=20),
)


@hypothesis_settings(
    max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=text_bodies, sender=senders, num_media=st.sampled_from(["0", "1", "", "x"]))
def test_any_request_gets_twiml_or_a_4xx_never_a_5xx(signed_post, body, sender, num_media):
    params = simulator.sms_params(sender, body, HELPLINE_NUMBER, NumMedia=num_media)
    response = signed_post("/twilio/sms", params)
    assert response.status_code in (200, 400), response.data[:300]
    if response.status_code == 200:
        assert response.mimetype == "text/xml"
        for message in simulator.twiml_messages(response.data):
            assert message
