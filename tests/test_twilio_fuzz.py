"""Malformed but correctly signed requests on every /twilio/ route: missing, huge, binary and emoji
parameters, malformed numbers, odd digits and speech, bad SIDs, odd query strings. Each answer is
TwiML or a 4xx, never a 5xx; afterwards the figures and health pages still answer (no poisoned
counter). A seeded generator keeps every run the same and the whole file well under a minute."""

from __future__ import annotations

import random
from collections import Counter
from urllib.parse import quote, urlencode

import pytest

from helpline.devtools import simulator
from helpline.domain import ivr
from helpline.web.twilio_signature import signed_url, twilio_auth_token
from tests.conftest import HELPLINE_NUMBER

REQUESTS_PER_ROUTE = 850
ROUTES = [
    "/twilio/sms",
    "/twilio/voice",
    "/twilio/voice/step/{step}",
    "/twilio/voice/dial-done",
    "/twilio/voice/voicemail",
    "/twilio/voice/whisper",
    "/twilio/voice/whisper/answer",
    "/twilio/voice/recording",
    "/twilio/voice/transcription",
    "/twilio/status",
    "/twilio/voice/staff-bridge/{callback_id}",
    "/twilio/voice/staff-bridge/{callback_id}/connect",
]
assert REQUESTS_PER_ROUTE * len(ROUTES) >= 10_000

STEPS = list(ivr.STEPS)
PHONES = ["+15551230001", "+12125550142", "+442071838750", "+15555550100"]
NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "\r\n",
    "\t\x0b\x0c",
    "💊🆘🙏🏽👨‍👩‍👧",
    "Ｓ Ｔ Ｏ Ｐ",
    "STOP\x00",
    "español ñ ü é",
    "مرحبا",
    "שלום",
    "\u202eevil\u202c",
    "e\u0301\u0301\u0301",
    "\ufeff\ufffd",
    "<Response><Dial>+19005550100</Dial></Response>",
    "]]><![CDATA[",
    "{{ 7*7 }} {% raw %}",
    "%s %d %n",
    "'; DROP TABLE--",
    "../../../etc/passwd",
    "\\x41\\u0000",
]
NASTY_NUMBERS = [
    "",
    "+",
    "+1",
    "+1555",
    "5551230001",
    "+1 (555) 123-0001",
    "+999999999999999999999",
    "+15551230001\n",
    "+1555123000１",
    "+١٥٥٥١٢٣٠٠٠١",
    "client:alice",
    "sip:alice@example.org",
    "anonymous",
    "266696687",
    "-1",
    "+0000000000",
    "+1" + "9" * 300,
]
NASTY_NUMERIC = [
    "",
    "-1",
    "0",
    "1",
    "86401",
    "4294967296",
    "9223372036854775808",
    "9" * 30,
    "9" * 5000,
    "1e309",
    "NaN",
    "Infinity",
    "0x10",
    "1_000",
    " 12 ",
    "²",
    "١٢٣",
    "９",
    "½",
    "12.5",
    "abc",
]
NASTY_DIGITS = [
    "",
    "#",
    "*",
    "1#",
    "0",
    "9",
    "99999",
    "123456789012345678901234567890",
    "abc",
    "½",
    "١",
    "1 2",
]
NASTY_SIDS = [
    "",
    "CA",
    "SM",
    "CA" + "g" * 32,
    "CA" + "0" * 32 + "\n",
    "CA" + "0" * 31,
    "CA" + "a" * 200,
    "../../x",
    "CA%00",
    "MM" + "f" * 32,
]
STATUSES = ["completed", "failed", "undelivered", "delivered", "busy", "no-answer", "COMPLETED", "x", ""]
QUERY_VALUES = ["", "0", "1", "-1", "99999999", "²", "١٢", "es", "en", "xx", "💊", "\x00", "9" * 5000]


def huge(rng: random.Random) -> str:
    return rng.choice("aé💊9 ") * rng.choice([300, 2000, 5000])


def binary(rng: random.Random) -> bytes:
    """Raw bytes, invalid UTF-8 included: the server decodes them with replacement characters."""
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))


def value_for(name: str, rng: random.Random, sids: dict) -> str | bytes:
    """A plausible Twilio value for `name`, or (most of the time) a nasty one."""
    roll = rng.random()
    if roll < 0.015:
        return huge(rng)
    if roll < 0.14:
        return binary(rng)
    if roll < 0.3:
        return rng.choice(NASTY_TEXT)
    if name in ("From", "To", "Called", "Caller"):
        return rng.choice(PHONES if roll < 0.55 else NASTY_NUMBERS)
    if name in SIDS:
        return sids[name] if roll < 0.6 else rng.choice(NASTY_SIDS)
    if name in ("Digits",):
        return rng.choice(NASTY_DIGITS)
    if name in (
        "CallDuration",
        "RecordingDuration",
        "NumMedia",
        "ErrorCode",
        "Duration",
        "NumSegments",
        "DialCallDuration",
    ):
        return rng.choice(NASTY_NUMERIC)
    if name in ("CallStatus", "MessageStatus", "SmsStatus", "DialCallStatus", "RecordingStatus"):
        return rng.choice(STATUSES)
    if name == "Body":
        return rng.choice(["hi", "STOP", "START", "10001", "CALL", "menu", "Denver, CO", "overdose", "2"])
    if name == "SpeechResult":
        return rng.choice(["one", "uno", "talk to someone", "1 0 0 0 1", "zip code ten oh oh oh one"])
    if name == "OptOutType":
        return rng.choice(["STOP", "START", "HELP", "stop", "x"])
    if name == "RecordingUrl":
        return rng.choice(["https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", "javascript:x"])
    if name == "DialBridged":
        return rng.choice(["true", "false", "TRUE", "1"])
    return rng.choice(NASTY_TEXT)


SIDS = {
    "CallSid": "CA",
    "ParentCallSid": "CA",
    "MessageSid": "SM",
    "SmsSid": "SM",
    "RecordingSid": "RE",
    "TranscriptionSid": "TR",
}
PARAMS = [
    "From",
    "To",
    "Body",
    "MessageSid",
    "SmsSid",
    "NumMedia",
    "OptOutType",
    "CallSid",
    "Digits",
    "SpeechResult",
    "CallStatus",
    "CallDuration",
    "DialCallStatus",
    "DialBridged",
    "RecordingUrl",
    "RecordingDuration",
    "RecordingSid",
    "RecordingStatus",
    "TranscriptionSid",
    "TranscriptionText",
    "ParentCallSid",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
    "Caller",
    "Called",
    "AccountSid",
]


def fuzzed_request(route: str, rng: random.Random) -> tuple[str, bytes, dict[str, str]]:
    """(path with query, url-encoded body, the parameters as the server decodes them) of one request."""
    call = f"CA{rng.getrandbits(128):032x}"  # one call's steps share its CallSid, as Twilio's do
    sids = {
        name: call if prefix == "CA" else f"{prefix}{rng.getrandbits(128):032x}"
        for name, prefix in SIDS.items()
    }
    step = rng.choice(STEPS) if rng.random() < 0.7 else rng.choice(["", "x", "💊", "%00", "9" * 300, "..%2F"])
    callback_id = rng.choice(["1", "42", "0", "-1", "x" * 60, "💊", "%2e%2e", "9" * 30])
    path = route.format(step=quote(step or "menu", safe="%"), callback_id=quote(callback_id, safe="%"))
    if rng.random() < 0.5:
        query = {
            name: rng.choice(QUERY_VALUES) for name in rng.sample(["n", "lang", "step"], rng.randrange(1, 4))
        }
        path += "?" + urlencode(query)
    chosen = rng.sample(PARAMS, rng.randrange(0, len(PARAMS)))
    if rng.random() < 0.8:  # mostly with what every route requires, so the fuzz gets past the first check
        chosen += [name for name in ("From", "Body", "MessageSid", "CallSid") if name not in chosen]
    pairs = [(name, value_for(name, rng, sids)) for name in chosen]
    # Werkzeug decodes each value as UTF-8 and keeps a byte that is not UTF-8 as its %XX escape.
    decoded = {
        name: value.decode("utf-8", "werkzeug.url_quote") if isinstance(value, bytes) else value
        for name, value in pairs
    }
    return path, urlencode(pairs).encode("ascii"), decoded


@pytest.fixture
def post_raw(app, client):
    """POST a raw url-encoded body, signed over the parameters exactly as the server decodes them."""
    token = twilio_auth_token(app.config["SETTINGS"])

    def post(path: str, body: bytes, params: dict[str, str]):
        with app.test_request_context(path, method="POST"):  # the URL exactly as the server rebuilds it
            url = signed_url(app.config["SETTINGS"])
        signature = simulator.sign(token, url, params)
        return client.post(
            path,
            data=body,
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature},
        )

    return post


@pytest.mark.parametrize("route", ROUTES)
def test_malformed_signed_requests_never_get_a_5xx(route, post_raw, client):
    rng = random.Random(f"helpline-fuzz-{route}")
    statuses: Counter[int] = Counter()
    failures = []
    for _ in range(REQUESTS_PER_ROUTE):
        path, body, params = fuzzed_request(route, rng)
        response = post_raw(path, body, params)
        statuses[response.status_code] += 1
        if response.status_code >= 500 and len(failures) < 3:
            failures.append((path[:120], body[:300]))
    assert sum(statuses.values()) == REQUESTS_PER_ROUTE
    assert not any(code >= 500 for code in statuses), (dict(statuses), failures)
    assert statuses[403] == 0  # every request was correctly signed: the fuzz reached the handlers
    # Nothing the fuzz stored breaks what operators read afterwards.
    assert client.get("/metrics").status_code == 200
    health = client.get("/healthz")  # unhealthy only for want of a worker, which this test does not run
    body = health.get_json()
    assert body["redis"] is True and (health.status_code == 200 or body["workers"] == 0)


@pytest.mark.parametrize("route", ["/twilio/sms", "/twilio/voice", "/twilio/status"])
def test_an_oversized_body_is_refused_with_413_before_it_is_read(route, app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = urlencode({"From": "+15551230001", "Body": "x" * limit, "MessageSid": "SM1"}).encode()
    response = client.post(
        route,
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": "anything"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == "Request Entity Too Large"


def test_status_callbacks_with_absurd_durations_keep_the_figures_readable(signed_post, client):
    """A call 'lasting' 10^30 seconds is ignored, not added to the total that /metrics reads."""
    for duration in ("9" * 30, "9223372036854775807", "²", "-5", "86401", "1e9"):
        response = signed_post(
            "/twilio/status",
            {
                "CallSid": f"CA{random.getrandbits(128):032x}",
                "CallStatus": "completed",
                "CallDuration": duration,
                "To": HELPLINE_NUMBER,
            },
        )
        assert response.status_code == 204
    ok = signed_post(
        "/twilio/status",
        {"CallSid": "CA" + "1" * 32, "CallStatus": "completed", "CallDuration": "61", "To": HELPLINE_NUMBER},
    )
    assert ok.status_code == 204
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'helpline_events_total{event="calls_seconds"} 61.0' in metrics.get_data(as_text=True)
