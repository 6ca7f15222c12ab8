"""A call to the line walked as Twilio walks it: every TwiML verb played, Gather and Record answered,
Redirect, Dial and the staff whisper followed, each request signed as Twilio signs it.

`PhoneCall` is the caller's side (`start`, then `press` / `say` / `wait` at each question);
`flask simulate call`, the operators' test phone and the tests drive calls with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.etree import ElementTree

from helpline.services.test_phone import ACCOUNT_SID

Post = Callable[[str, dict], tuple[int, str]]
MAX_DOCUMENTS = 60  # a call that goes on longer than this is looping


class CallFailed(Exception):
    """The service answered a call step with something other than 200 TwiML."""


@dataclass(frozen=True)
class Press:
    keys: str


@dataclass(frozen=True)
class Speak:
    words: str


def path_of(url: str) -> str:
    """What to post to: the path and query of a TwiML URL (absolute or relative)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def call_params(caller: str, helpline: str, sid: str, **extra) -> dict[str, str]:
    """The form Twilio posts for every request of an incoming call."""
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": sid,
        "CallStatus": "in-progress",
        "Called": helpline,
        "CalledCountry": "US",
        "Caller": caller,
        "CallerCountry": "US",
        "Direction": "inbound",
        "From": caller,
        "FromCountry": "US",
        "To": helpline,
        "ToCountry": "US",
    }
    params.update({k: str(v) for k, v in extra.items()})
    return params


@dataclass
class PhoneCall:
    """One call, walked verb by verb. `start`, then `press`/`say`/`wait` at each question."""

    post: Post
    caller: str
    helpline: str
    sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    dial_outcome: str = "no-answer"  # what ringing staff phones comes to
    staff_presses: str = "1"  # what the staff phone that picks up presses at the whisper
    check: Callable[[str], object] | None = None  # run on every TwiML response (tests check it)
    heard: list[str] = field(default_factory=list)  # everything, in order
    responses: list[str] = field(default_factory=list)
    dialed: list[list[str]] = field(default_factory=list)
    waiting: ElementTree.Element | None = None  # the Gather or Record the caller is at
    ended: bool = False
    _rest: list[ElementTree.Element] = field(default_factory=list)
    _documents: int = 0

    # -- what the caller does ------------------------------------------------------------
    def start(self) -> list[str]:
        self.heard.append(f"(you call the helpline from {self.caller})")
        return self._fetch("/twilio/voice", {})

    def press(self, keys: str) -> list[str]:
        return self._answer({"Digits": keys}, f"(you press {keys})")

    def say(self, words: str, confidence: float = 0.92) -> list[str]:
        """Speak at a question (heard as sure as `confidence`, 0-1), or leave a voicemail message."""
        if self.waiting is not None and self.waiting.tag == "Record":
            return self._leave_message(words)
        return self._answer({"SpeechResult": words, "Confidence": str(confidence)}, f'(you say "{words}")')

    def wait(self) -> list[str]:
        """Stay silent: Twilio runs the verbs after the question (the repeat, the goodbye)."""
        if self.ended or self.waiting is None:
            return []
        self.heard.append("(you say nothing)")
        self.waiting, rest = None, self._rest
        lines: list[str] = []
        follow = self._run(rest, lines)
        if follow:
            lines += self._fetch(*follow)
        return lines

    def hang_up(self) -> None:
        if not self.ended:
            self.heard.append("(you hang up)")
            self.ended = True

    # -- what Twilio does ------------------------------------------------------------------
    def _answer(self, extra: dict, note: str) -> list[str]:
        if self.ended or self.waiting is None or self.waiting.tag != "Gather":
            raise CallFailed("the helpline is not asking anything now")
        self.heard.append(note)
        action = self.waiting.get("action")
        self.waiting = None
        return self._fetch(action, extra)

    def _leave_message(self, words: str) -> list[str]:
        record = self.waiting
        self.waiting = None
        self.heard.append(f'(beep; you leave a message: "{words}")')
        recording_sid = "RE" + uuid.uuid4().hex
        url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}"
        seconds = str(max(1, len(words.split()) // 2))
        recording = {"RecordingUrl": url, "RecordingSid": recording_sid, "RecordingDuration": seconds}
        lines = self._fetch(record.get("action"), dict(recording, Digits="#"))
        if record.get("recordingStatusCallback"):
            self._callback(
                record.get("recordingStatusCallback"), dict(recording, RecordingStatus="completed")
            )
        if record.get("transcribeCallback"):
            transcription = {
                "TranscriptionSid": "TR" + uuid.uuid4().hex,
                "TranscriptionText": words,
                "TranscriptionStatus": "completed",
                "RecordingSid": recording_sid,
                "RecordingUrl": url,
            }
            self._callback(record.get("transcribeCallback"), transcription)
        return lines

    def _callback(self, url: str, extra: dict) -> None:
        status, body = self.post(path_of(url), call_params(self.caller, self.helpline, self.sid, **extra))
        if status != 200:
            raise CallFailed(f"{path_of(url)} answered {status}: {body[:300]}")

    def _fetch(self, url: str | None, extra: dict) -> list[str]:
        lines: list[str] = []
        while url and not self.ended:
            self._documents += 1
            if self._documents > MAX_DOCUMENTS:
                raise CallFailed("the call keeps going round: more than 60 TwiML documents")
            path = path_of(url)
            status, body = self.post(path, call_params(self.caller, self.helpline, self.sid, **extra))
            if status != 200:
                raise CallFailed(f"{path} answered {status}: {body[:300]}")
            self.responses.append(body)
            if self.check:
                self.check(body)
            root = ElementTree.fromstring(body)  # noqa: S314 - the service's own TwiML
            url, extra = self._run(list(root), lines) or (None, {})
        return lines

    def _run(self, verbs: list[ElementTree.Element], lines: list[str]) -> tuple[str, dict] | None:
        """Play verbs until one waits for the caller or leads to another URL (returned, with its form)."""
        for index, verb in enumerate(verbs):
            rest = verbs[index + 1 :]
            if verb.tag == "Say":
                self._hear(verb, lines)
            elif verb.tag == "Play":
                self._note("(music or a recording plays)", lines)
            elif verb.tag == "Gather":
                for say in verb.iter("Say"):
                    self._hear(say, lines)
                self.waiting, self._rest = verb, rest
                return None
            elif verb.tag == "Redirect":
                return (verb.text or "").strip(), {}
            elif verb.tag == "Record":
                self._note("(beep: the helpline is recording)", lines)
                self.waiting, self._rest = verb, rest
                return None
            elif verb.tag == "Dial":
                numbers = [(n.text or "").strip() for n in verb.iter("Number")] or [(verb.text or "").strip()]
                self.dialed.append(numbers)
                outcome = self.dial_outcome if verb.get("action") else "completed"
                who = f"{len(numbers)} staff phone(s)" if verb.find("Number") is not None else numbers[0]
                self._note(f"(ringing {who}: {outcome})", lines)
                if verb.get("action"):
                    bridged = outcome == "completed" and self._staff_leg(verb, lines)
                    result = {
                        "DialCallStatus": outcome,
                        "DialCallDuration": "0",
                        "DialBridged": str(bridged).lower(),
                    }
                    return verb.get("action"), result
            elif verb.tag in ("Hangup", "Reject"):
                self._note("(the helpline hangs up)", lines)
                self.ended = True
                return None
        if not verbs or self.waiting is None:
            self._note("(the call ends)", lines)
            self.ended = True
        return None

    def _staff_leg(self, dial: ElementTree.Element, lines: list[str]) -> bool:
        """The first staff phone picks up: it hears the whisper and presses `staff_presses`."""
        number = dial.find("Number")
        if number is None or not number.get("url"):
            return True  # a plain number: connected as soon as it answers
        leg = call_params(
            dial.get("callerId") or self.helpline, (number.text or "").strip(), "CA" + uuid.uuid4().hex
        )
        leg.update(Direction="outbound-dial", ParentCallSid=self.sid)
        status, body = self.post(path_of(number.get("url")), leg)
        if status != 200:
            raise CallFailed(f"the whisper answered {status}: {body[:300]}")
        if self.check:
            self.check(body)
        gather = ElementTree.fromstring(body).find("Gather")  # noqa: S314 - the service's own TwiML
        if gather is None or not self.staff_presses:
            self._note("(a staff phone picks up; nobody presses 1)", lines)
            return False
        status, body = self.post(path_of(gather.get("action")), dict(leg, Digits=self.staff_presses))
        if self.check:
            self.check(body)
        accepted = status == 200 and len(ElementTree.fromstring(body)) == 0  # noqa: S314 - empty: bridged
        self._note(
            f"(staff press {self.staff_presses}: {'connected' if accepted else 'not connected'})", lines
        )
        return accepted

    def _hear(self, say: ElementTree.Element, lines: list[str]) -> None:
        text = " ".join("".join(say.itertext()).split())
        lines.append(text)
        self.heard.append(f"helpline: {text}")

    def _note(self, text: str, lines: list[str]) -> None:
        lines.append(text)
        self.heard.append(text)


def parse_inputs(text: str) -> list[Press | Speak]:
    """`2,10001,find treatment` -> keys to press and words to say, in order, one per question."""
    inputs: list[Press | Speak] = []
    for item in (part.strip() for part in (text or "").split(",")):
        if item:
            inputs.append(Press(item) if set(item) <= set("0123456789*#") else Speak(item))
    return inputs


def walk(call: PhoneCall, inputs: list[Press | Speak], stay: bool = False) -> None:
    """Start the call and answer each question with the next input; then hang up (or stay silent)."""
    call.start()
    for item in inputs:
        if call.ended or call.waiting is None:
            break
        if isinstance(item, Speak):
            call.say(item.words)
        elif call.waiting.tag == "Record":
            call.wait()  # keys at the beep: no message left
        else:
            call.press(item.keys)
    while stay and not call.ended and call.waiting is not None:
        call.wait()
    call.hang_up()
