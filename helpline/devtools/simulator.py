"""A local phone: requests built and signed exactly as Twilio builds and signs them.

Used by `flask simulate`, the ops test phone, the tests and the benchmarks.
"""

from __future__ import annotations

import uuid
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 32  # development account id; Twilio's real ids look the same


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def sms_params(sender: str, body: str, to: str, sid: str | None = None, **extra) -> dict[str, str]:
    """The form Twilio posts for an incoming text."""
    sid = sid or new_sid("SM")
    params = {
        "ToCountry": "US",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    params.update({k: str(v) for k, v in extra.items()})
    return params


def sign(auth_token: str, url: str, params: dict) -> str:
    return RequestValidator(auth_token).compute_signature(url, params)


def twiml_messages(xml: str | bytes) -> list[str]:
    """The texts a TwiML messaging response sends back."""
    root = ElementTree.fromstring(xml)  # noqa: S314 - our own service's TwiML, not untrusted input
    return [(m.findtext("Body") or m.text or "") for m in root.iter("Message")]
