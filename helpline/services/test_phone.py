"""The test phone: texts the line as any given number, with the forms Twilio posts, signed as Twilio signs.

`flask simulate` and the operators' test phone (/ops/phone) both use it. Each hands it a `Line`:
over HTTP to a running service, or into the web app of this very process (no network hop, and no
address to know behind a proxy). Calls are walked in `test_call`; what is still on its way to a
number (queued, being sent, retried soon) is read by `on_the_way`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from helpline.infra import queues

ACCOUNT_SID = "AC" + "0" * 32  # development account id; Twilio's real ids look the same
LOCAL_ORIGIN = "http://localhost"  # what the web app sees when a form is posted into it directly

# (path, form, headers) -> (status, body)
Transport = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]


class LineUnreachable(Exception):
    """Nothing answered at the address the line was given."""


class LineRefused(Exception):
    """The line answered something other than 200 (a 403 means the signature was not its own)."""

    def __init__(self, status: int, body: str):
        super().__init__(f"the service answered {status}: {body[:300]}")
        self.status = status


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


@dataclass(frozen=True)
class Line:
    """The service's /twilio/ routes, reached through `transport`, every form signed with `token`.

    `signed_origin` is the origin the service checks signatures against: its PUBLIC_BASE_URL when
    set, else the address the form is posted to.
    """

    transport: Transport
    token: str
    signed_origin: str
    where: str  # said in messages: "http://127.0.0.1:5000" or "this process"

    def post(self, path: str, params: dict[str, str]) -> tuple[int, str]:
        url = self.signed_origin.rstrip("/") + path
        return self.transport(path, params, {"X-Twilio-Signature": sign(self.token, url, params)})


def over_http(base_url: str, token: str, public_base_url: str | None = None, timeout: float = 15) -> Line:
    """The line of a running service at `base_url`."""
    import requests

    session = requests.Session()
    base = base_url.rstrip("/")

    def transport(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        try:
            reply = session.post(base + path, data=form, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            raise LineUnreachable(f"could not reach the service at {base}: {exc}") from exc
        return reply.status_code, reply.text

    return Line(transport, token, public_base_url or base, base)


def into_app(wsgi_app, token: str, public_base_url: str | None = None) -> Line:
    """The line of the web app in this process, called as a WSGI application (no server needed)."""
    from werkzeug.test import Client

    client = Client(wsgi_app)

    def transport(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        reply = client.post(path, data=form, headers=headers, base_url=LOCAL_ORIGIN)
        return reply.status_code, reply.get_data(as_text=True)

    return Line(transport, token, public_base_url or LOCAL_ORIGIN, "this process")


def send_text(line: Line, sender: str, body: str, helpline_number: str, sid: str | None = None) -> list[str]:
    """Text the line from `sender`; the replies it answers with at once (the webhook's TwiML)."""
    status, answer = line.post("/twilio/sms", sms_params(sender, body, helpline_number, sid))
    if status != 200:
        raise LineRefused(status, answer)
    return twiml_messages(answer)


def take_back_request(store, phone: str, made_by: str) -> str | None:
    """The callback request a test text or call made, taken back whole: it never reaches the staff
    queue, the figures or an export, so nobody calls a test number. `made_by` is what a request made by
    it names as its source: `sms:<MessageSid>` for a text, `voice:<CallSid>` for a call (any step of it).
    The request's id, or None when the test made none (a request made otherwise is never touched).
    """
    request = store.callbacks.open_for(store.vault.phone_id(phone))
    source = request.source if request else None
    if not source or not (source == made_by or source.startswith(made_by + ":")):
        return None
    # What making a request counts: the request, then a crisis or a callback asked for (and a voicemail).
    counted = ("callback.created", "crisis" if request.is_crisis else "callback.requested")
    if request.reason == "voicemail":
        counted += ("call.voicemail",)
    return request.id if store.test_requests.take_back(request, counted) else None


# -- what is still on its way ------------------------------------------------------------------


@dataclass(frozen=True)
class OnTheWay:
    """A job for one number the workers have not finished: a text, a call or a provider search."""

    kind: str  # "text" | "call" | "search" | "job"
    state: str  # "queued" | "being sent" | "due at HH:MM:SS" (a retry, or held for the night)
    body: str | None = None  # the text's words (decrypted for the person who runs the test phone)

    def describe(self) -> str:
        what = {"text": "a text", "call": "a call", "search": "a provider search"}.get(self.kind, "a job")
        words = f': "{self.body}"' if self.body else ""
        return f"{what} ({self.state}){words}"


_KINDS = {
    "workers.jobs.send_text": "text",
    "workers.jobs.send_texts": "texts",
    "workers.jobs.place_call": "call",
    "workers.jobs.search_providers": "search",
}


def on_the_way(store, phone: str, until: float) -> list[OnTheWay]:
    """Jobs about `phone` still queued, claimed, running, or scheduled to run before `until`.

    Read in one snapshot of the queues, the workers' claims, RQ's started and scheduled jobs, so a
    job moving from one to the next (or a search handing its texts to the queue) is never missed.
    """
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    connection = store.rq_connection
    qs = [queues.queue(name, connection) for name in queues.ALL_QUEUES]
    states = store.worker_claims.in_flight(
        queued=[q.key for q in qs] + [q.intermediate_queue_key for q in qs],
        started=[StartedJobRegistry(queue=q).key for q in qs],
        scheduled=[ScheduledJobRegistry(queue=q).key for q in qs],
        until=until,
    )
    if not states:
        return []
    found = []
    for job in Job.fetch_many(list(states), connection=connection):
        if job is None or job.func_name not in _KINDS:
            continue
        if _phone_of(store, job.args) != phone:
            continue
        kind, state = _KINDS[job.func_name], states[job.id]
        if isinstance(state, float):
            state = "due at " + time.strftime("%H:%M:%S", time.localtime(state))
        shown = "text" if kind == "texts" else kind
        found.extend(OnTheWay(shown, state, body) for body in _bodies(store, kind, job.args))
    return found


def _bodies(store, kind: str, args) -> list[str | None]:
    """The words of the texts a job sends (one per text), or [None] for a call or a search."""
    if kind == "text" and len(args) > 1:
        return [_decrypt(store, args[1])]
    if kind == "texts" and len(args) > 1 and isinstance(args[1], list):
        return [_decrypt(store, sealed[1]) for sealed in args[1] if len(sealed) > 1] or [None]
    return [None]


def _phone_of(store, args) -> str | None:
    return _decrypt(store, args[0]) if args else None


def _decrypt(store, value) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return store.vault.decrypt(value)
    except ValueError:
        return None
