"""A TwiML checker: parses a voice response and checks its verbs, nouns, attributes and nesting.

What Twilio allows (https://www.twilio.com/docs/voice/twiml), for the verbs this service uses and
their usual company. `check_voice(xml)` raises `TwimlError` naming the first problem; it returns the
parsed root so a test can look further.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from xml.etree import ElementTree

TOP_VERBS = {
    "Say", "Play", "Pause", "Gather", "Dial", "Record", "Redirect", "Hangup", "Reject", "Enqueue", "Leave",
    "Connect", "Start", "Stop", "Refer", "Pay", "Sms",
}  # fmt: skip
CHILDREN = {
    "Response": TOP_VERBS,
    "Gather": {"Say", "Play", "Pause"},
    "Dial": {"Number", "Client", "Conference", "Queue", "Sip", "Sim", "Application"},
    "Say": {"break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w"},
    "prosody": {"break", "emphasis", "lang", "p", "phoneme", "s", "say-as", "sub", "w"},
}
ATTRIBUTES = {
    "Response": set(),
    "prosody": {"rate", "pitch", "volume"},
    "break": {"time", "strength"},
    "Say": {"voice", "language", "loop"},
    "Play": {"loop", "digits"},
    "Pause": {"length"},
    "Hangup": set(),
    "Reject": {"reason"},
    "Redirect": {"method"},
    "Gather": {
        "action", "method", "timeout", "finishOnKey", "numDigits", "input", "language", "hints",
        "speechTimeout", "speechModel", "enhanced", "profanityFilter", "partialResultCallback",
        "partialResultCallbackMethod", "actionOnEmptyResult", "bargeIn", "debug",
    },
    "Dial": {
        "action", "method", "timeout", "callerId", "hangupOnStar", "timeLimit", "record", "trim",
        "recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent",
        "answerOnBridge", "ringTone", "sequential", "referUrl", "referMethod",
    },
    "Number": {
        "sendDigits", "url", "method", "statusCallback", "statusCallbackEvent", "statusCallbackMethod",
        "byoc", "machineDetection", "amdStatusCallback",
    },
    "Record": {
        "action", "method", "timeout", "finishOnKey", "maxLength", "playBeep", "trim",
        "recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent",
        "transcribe", "transcribeCallback", "storageUrl", "storageUrlMethod",
    },
}  # fmt: skip
URL_ATTRIBUTES = {"action", "url", "statusCallback", "recordingStatusCallback", "transcribeCallback"}
LANGUAGES = {"en-US", "es-US", "es-MX", "es-ES", "en-GB"}
TEXT_REQUIRED = {"Say", "Play", "Redirect", "Number"}
EMPTY = {"Pause", "Hangup", "Record", "Reject", "break"}
ENDS_DOCUMENT = {"Hangup", "Redirect", "Reject"}  # verbs after these would never run


class TwimlError(AssertionError):
    """The response is not TwiML Twilio would run as we mean it."""


def parse(xml: str | bytes) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(xml)  # noqa: S314 - the service's own TwiML under test
    except ElementTree.ParseError as exc:
        raise TwimlError(f"not XML: {exc}") from exc


def check_voice(xml: str | bytes) -> ElementTree.Element:
    """Raise TwimlError unless `xml` is a voice <Response> Twilio accepts; return the root."""
    root = parse(xml)
    if root.tag != "Response":
        raise TwimlError(f"root is <{root.tag}>, not <Response>")
    _check(root, path="Response")
    verbs = list(root)
    for index, verb in enumerate(verbs):
        if verb.tag in ENDS_DOCUMENT and index != len(verbs) - 1:
            raise TwimlError(f"<{verb.tag}> is followed by verbs that would never run")
    return root


def _check(element: ElementTree.Element, path: str) -> None:
    tag = element.tag
    if tag in ATTRIBUTES:
        unknown = set(element.attrib) - ATTRIBUTES[tag]
        if unknown:
            raise TwimlError(f"{path}: unknown attributes {sorted(unknown)}")
    _check_values(element, path)
    text = (element.text or "").strip()
    if tag in TEXT_REQUIRED and not "".join(element.itertext()).strip():
        raise TwimlError(f"{path}: <{tag}> needs text")
    if tag in EMPTY and (text or len(element)):
        raise TwimlError(f"{path}: <{tag}> must be empty")
    allowed = CHILDREN.get(tag, set())
    for child in element:
        if child.tag not in allowed:
            raise TwimlError(f"{path}: <{child.tag}> is not allowed inside <{tag}>")
        _check(child, f"{path}/{child.tag}")


def _check_values(element: ElementTree.Element, path: str) -> None:
    attrs = element.attrib
    for name in URL_ATTRIBUTES & set(attrs):
        _check_url(attrs[name], f"{path}@{name}")
    if element.tag == "Redirect":
        _check_url((element.text or "").strip(), f"{path} text")
    for name in ("method", "statusCallbackMethod", "recordingStatusCallbackMethod"):
        if name in attrs and attrs[name] not in ("GET", "POST"):
            raise TwimlError(f"{path}@{name}: {attrs[name]!r}")
    for name in ("timeout", "numDigits", "maxLength", "length", "loop", "timeLimit"):
        if name in attrs and not re.fullmatch(r"\d+", attrs[name]):
            raise TwimlError(f"{path}@{name}: not a whole number: {attrs[name]!r}")
    if "numDigits" in attrs and int(attrs["numDigits"]) < 1:
        raise TwimlError(f"{path}@numDigits must be at least 1")
    if element.tag == "Record" and int(attrs.get("maxLength", "3600")) > 14400:
        raise TwimlError(f"{path}@maxLength too long")
    if "finishOnKey" in attrs and not re.fullmatch(r"[0-9#*]?", attrs["finishOnKey"]):
        raise TwimlError(f"{path}@finishOnKey: {attrs['finishOnKey']!r}")
    if element.tag == "Gather":
        modes = attrs.get("input", "dtmf").split()
        if not modes or set(modes) - {"dtmf", "speech"}:
            raise TwimlError(f"{path}@input: {attrs.get('input')!r}")
        if "speech" in modes and attrs.get("language") not in LANGUAGES:
            raise TwimlError(f"{path}: speech recognition needs a supported language")
        if "speechTimeout" in attrs and not re.fullmatch(r"auto|\d+", attrs["speechTimeout"]):
            raise TwimlError(f"{path}@speechTimeout: {attrs['speechTimeout']!r}")
    if element.tag == "Say" and "language" in attrs and attrs["language"] not in LANGUAGES:
        raise TwimlError(f"{path}@language: {attrs['language']!r}")
    if element.tag == "prosody" and not re.fullmatch(
        r"x-slow|slow|medium|fast|x-fast|\d{2,3}%", attrs.get("rate", "medium")
    ):
        raise TwimlError(f"{path}@rate: {attrs.get('rate')!r}")
    if element.tag in ("Record", "Dial") and attrs.get("trim", "trim-silence") not in (
        "trim-silence",
        "do-not-trim",
    ):
        raise TwimlError(f"{path}@trim: {attrs['trim']!r}")
    for name in ("playBeep", "transcribe", "hangupOnStar", "answerOnBridge", "profanityFilter"):
        if name in attrs and attrs[name] not in ("true", "false"):
            raise TwimlError(f"{path}@{name}: {attrs[name]!r}")
    if element.tag == "Number":
        number = (element.text or "").strip()
        if not re.fullmatch(r"\+?\d{3,15}", number):
            raise TwimlError(f"{path}: not a phone number: {number!r}")
    if element.tag == "Dial" and not len(element):
        number = (element.text or "").strip()
        if not re.fullmatch(r"\+?\d{3,15}", number):
            raise TwimlError(f"{path}: <Dial> needs a number or a noun: {number!r}")


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if not url or (parts.scheme and parts.scheme not in ("http", "https")) or " " in url:
        raise TwimlError(f"{where}: not a URL: {url!r}")


def spoken(root: ElementTree.Element) -> list[str]:
    """Everything said, in order (inside Gathers too)."""
    return [" ".join("".join(say.itertext()).split()) for say in root.iter("Say")]
