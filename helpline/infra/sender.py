"""The one path by which the service sends a text or places a call: queued, checked, sent once.

`queue_text` / `queue_call` are called from services; the `workers.jobs.send_text` and
`workers.jobs.place_call` jobs call `deliver_text` / `deliver_call`. A job that has several texts for
one number (a search's results) sends them itself, in order, with `send_texts_now`: what Twilio
cannot take now goes on in order as one `workers.jobs.send_texts` job. In development mode (no
Twilio credentials) everything goes to the Redis outbox; otherwise the official SDK sends it.

Delivery guarantee: exactly once as the texter sees it, by an idempotency key per send.
- Each job is queued with RQ `Retry`, so a Twilio 429/5xx, a network failure, or a worker that
  died mid-job (RQ's StartedJobRegistry clean-up re-queues an abandoned job that has retries
  left) runs the job again: at-least-once execution.
- The send's marker (store/delivery.py) turns that into one send: `sending:<time>` is claimed
  before calling Twilio, `sent:<sid>` is recorded after its 201, `failed:<code>` after a final
  refusal. A clean 429/5xx (Twilio created nothing) deletes the claim so the retry sends.
- Twilio offers no idempotency key for Messages, so the one dangerous window is a job killed (or a
  timeout) after Twilio accepted the message but before `sent:` was written. A retry that finds a
  stale `sending:` claim first asks Twilio's message log (same To/From/Body since the claim) and
  records that message instead of sending again. Only if Twilio's log cannot be read does the
  retry fail and try again later: we prefer a late text to a double one, never a lost one.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import urllib3
from rq import Callback, Retry
from twilio.base.exceptions import TwilioRestException

from helpline.domain.phones import callable_number, mask_phone
from helpline.infra import queues
from helpline.infra.twilio_client import public_url, status_callback_url

if TYPE_CHECKING:
    from config.settings import Settings
    from helpline.container import Helpline
    from helpline.store import Store

log = logging.getLogger(__name__)

RECONCILE_SLACK_SECONDS = 30  # clock difference tolerated between us and Twilio's date_created

RETRYABLE_CODES = {20429, 20500, 20503}
OPTED_OUT_CODES = {21610}
INVALID_CODES = {21211, 21614, 21217, 21401, 21407, 21421}


# Twilio may or may not have received the request: the connection broke, timed out or was refused
# (OSError, which requests' errors are too), or an HTTP library gave up (whichever client the SDK uses).
NETWORK_ERRORS = (OSError, urllib3.exceptions.HTTPError)


class TwilioUnavailable(Exception):
    """Twilio said 'not now' (429/5xx) or could not be reached: the job is retried with backoff."""


class SendLater(TwilioUnavailable):
    """The number had as many texts lately as Twilio takes (PACE): this one goes in `seconds`."""

    def __init__(self, message: str, seconds: float):
        super().__init__(message)
        self.seconds = seconds


# Twilio refuses more than 15 messages in 30 seconds between our number and another one (carriers
# filter such bursts): a text to a number that had them waits for the oldest to leave the window.
PACE = (15, 30)


def _job_options(settings: Settings, job_id: str) -> dict:
    intervals = list(settings.send_retry_seconds)
    return {
        "job_id": job_id,
        # RQ would describe the job by its arguments (ciphertext), stored and rewritten with every save.
        "description": job_id,
        "retry": Retry(max=len(intervals), interval=intervals),
        "job_timeout": settings.send_job_timeout,
        # By name: RQ calls it in the worker, where the store is at hand.
        "on_failure": Callback("workers.jobs.send_gave_up"),
    }


def on_send_failure(store: Store, job, exc_type) -> None:
    """A send that ran out of retries is counted, for operators."""
    if job.retries_left:  # RQ will run it again
        return
    store.count("delivery.gave_up")
    log.error("event=delivery.gave_up job=%s error=%s", job.id, getattr(exc_type, "__name__", exc_type))


_JOB_ID_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def _job_id(kind: str, idempotency_key: str) -> str:
    """RQ job ids allow only letters, digits, `_` and `-`: other keys are hashed (same key, same id)."""
    if _JOB_ID_SAFE.match(idempotency_key):
        return f"{kind}-{idempotency_key}"
    return f"{kind}-h{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}"


def queue_text(
    helpline: Helpline, phone: str, body: str, idempotency_key: str, send_at: datetime | None = None
) -> None:
    """Hand a text to the workers (at `send_at` when given: quiet hours). Only ciphertext goes into the job.

    A held text is checked when it goes, like any other: a STOP sent meanwhile still stops it.
    """
    vault = helpline.store.vault
    args = (
        "workers.jobs.send_text",
        vault.encrypt(phone).decode(),
        vault.encrypt(body).decode(),
        idempotency_key,
    )
    options = _job_options(helpline.settings, _job_id("text", idempotency_key))
    if send_at is not None and send_at.timestamp() > time.time():
        helpline.queues[queues.URGENT].enqueue_at(send_at, *args, **options)
        return
    helpline.queues.enqueue(queues.URGENT, *args, **options)


def queue_texts(helpline: Helpline, phone: str, texts: list[tuple[str, str]], *, delay: float = 0) -> None:
    """Hand texts for one number (`(idempotency key, body)` each) to the workers as one job, sent in order."""
    if not texts:
        return
    vault = helpline.store.vault
    sealed = [[key, vault.encrypt(body).decode()] for key, body in texts]
    args = ("workers.jobs.send_texts", vault.encrypt(phone).decode(), sealed)
    options = _job_options(helpline.settings, _job_id("texts", texts[0][0]))
    if delay > 0:
        helpline.queues[queues.URGENT].enqueue_in(timedelta(seconds=delay), *args, **options)
        return
    helpline.queues.enqueue(queues.URGENT, *args, **options)


def send_texts_now(helpline: Helpline, phone: str, texts: list[tuple[str, str]]) -> list[str]:
    """From a job: send texts for one number now, one after another in order, each once (its key).

    When Twilio cannot take one now (429/5xx, unreachable, the number's PACE), it and the ones after it
    are queued, in order, with the send retries; returns what happened to each text sent here.
    """
    outcomes: list[str] = []
    for index, (key, body) in enumerate(texts):
        try:
            outcomes.append(_deliver(helpline, phone, body, key))
        except TwilioUnavailable as exc:
            queue_texts(helpline, phone, texts[index:], delay=getattr(exc, "seconds", 0))
            break
    return outcomes


def deliver_texts(helpline: Helpline, phone_enc: str, sealed: list) -> list[str]:
    """The `send_texts` job: each text in order, once; raises TwilioUnavailable (RQ retries, and the
    texts already sent are skipped by their keys)."""
    phone = helpline.store.vault.decrypt(phone_enc)
    return [_deliver(helpline, phone, helpline.store.vault.decrypt(body), key) for key, body in sealed]


def queue_call(
    helpline: Helpline, to_phone: str, *, url: str, idempotency_key: str, caller_id: str | None = None
):
    """Have Twilio call `to_phone` and fetch TwiML from `url` (a path of this app, or absolute).

    The caller ID defaults to the helpline number, so staff numbers never show.
    """
    return helpline.queues.enqueue(
        queues.URGENT,
        "workers.jobs.place_call",
        helpline.store.vault.encrypt(to_phone).decode(),
        url,
        idempotency_key,
        caller_id,
        **_job_options(helpline.settings, _job_id("call", idempotency_key)),
    )


def deliver_text(helpline: Helpline, phone_enc: str, body_enc: str, idempotency_key: str) -> str:
    """Send one text unless already sent, opted out, blocked or invalid. Returns what happened."""
    vault = helpline.store.vault
    return _deliver(helpline, vault.decrypt(phone_enc), vault.decrypt(body_enc), idempotency_key)


def _deliver(helpline: Helpline, phone: str, body: str, idempotency_key: str) -> str:
    store, settings, client = helpline.store, helpline.settings, helpline.twilio
    phone_id = store.vault.phone_id(phone)
    if callable_number(phone) is None:
        log.info("event=text.skipped_invalid to=%s", mask_phone(phone))
        return "invalid"
    if settings.development or client is None:
        skipped = store.delivery.skip_reason(phone_id, check_opt_out=True)
        if skipped:
            log.info("event=text.skipped to=%s", mask_phone(phone))
            return skipped
        entry = {"to": phone, "body": body, "kind": "sms"}
        return _outbox_once(helpline, idempotency_key, entry, counter="sms.out", text=(phone_id, body))
    sender = settings.twilio_phone_number
    status_callback = status_callback_url(settings)

    def create() -> str:
        return client.messages.create(to=phone, from_=sender, body=body, status_callback=status_callback).sid

    def find_existing(since: float) -> str | None:
        for message in client.messages.list(to=phone, from_=sender, limit=20):
            if message.body == body and _timestamp(message.date_created) >= since:
                return message.sid
        return None

    send = _Send(
        idempotency_key, "text", phone, phone_id, create, find_existing, "sms.out", (phone_id, body), True
    )
    return _send_once(store, settings, send)


def deliver_call(
    helpline: Helpline, to_enc: str, url: str, idempotency_key: str, caller_id: str | None = None
) -> str:
    """Place one call unless already placed or the number is invalid. Returns what happened.

    An opted-out number is still called when staff call back on request: opt-out covers texts.
    """
    store, settings, client = helpline.store, helpline.settings, helpline.twilio
    phone = store.vault.decrypt(to_enc)
    phone_id = store.vault.phone_id(phone)
    if callable_number(phone) is None:
        log.info("event=call.skipped_invalid to=%s", mask_phone(phone))
        return "invalid"
    caller_id = caller_id or settings.twilio_phone_number
    twiml_url = public_url(settings, url)
    if settings.development or client is None:
        if store.delivery.skip_reason(phone_id, check_opt_out=False):
            return "invalid"
        entry = {"to": phone, "url": twiml_url, "caller_id": caller_id, "kind": "call"}
        return _outbox_once(helpline, idempotency_key, entry)
    status_callback = status_callback_url(settings)

    def create() -> str:
        call = client.calls.create(
            to=phone,
            from_=caller_id,
            url=twiml_url,
            status_callback=status_callback,
            status_callback_method="POST",
        )
        return call.sid

    def find_existing(since: float) -> str | None:
        for call in client.calls.list(to=phone, from_=caller_id, limit=20):
            if _timestamp(call.date_created) >= since:
                return call.sid
        return None

    send = _Send(idempotency_key, "call", phone, phone_id, create, find_existing, "calls.out", None, False)
    return _send_once(store, settings, send)


def _timestamp(value) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return 0.0


def _outbox_once(
    helpline: Helpline,
    key: str,
    entry: dict,
    *,
    counter: str | None = None,
    text: tuple[str, str] | None = None,
) -> str:
    """Development mode: outbox entry, conversation line, counter and sent marker in one transaction."""
    entry = entry | {"at": time.time(), "key": key}
    ttl = helpline.settings.sent_marker_seconds
    if not helpline.store.delivery.to_outbox(key, entry, ttl=ttl, counter=counter, text=text):
        return "duplicate"
    log.info("event=%s.sent to=%s key=%s via=outbox", entry["kind"], mask_phone(entry["to"]), key)
    return "sent"


@dataclass
class _Send:
    """One outbound text or call: how to create it at Twilio, find it again, and record it."""

    key: str
    kind: str  # "text" | "call"
    phone: str
    phone_id: str
    create: Callable[[], str]
    find_existing: Callable[[float], str | None]
    counter: str  # counted with the sent marker
    text: tuple[str, str] | None  # (phone id, body): the conversation line written with the marker
    check_opt_out: bool


def _send_once(store: Store, settings: Settings, send: _Send) -> str:
    """Claim the key, ask Twilio once, record the outcome. Raises TwilioUnavailable to retry."""
    kind, key, ttl = send.kind, send.key, settings.sent_marker_seconds
    now = time.time()
    state = store.delivery.claim(
        key, send.phone_id, now=now, ttl=ttl, check_opt_out=send.check_opt_out, pace=PACE
    )
    if state in ("opted_out", "blocked", "invalid"):
        log.info("event=%s.skipped_%s to=%s key=%s", kind, state, mask_phone(send.phone), key)
        return state
    if state.startswith("wait:"):
        seconds = max(1.0, float(state.split(":", 1)[1]) + PACE[1] - now)
        store.count("delivery.paced")
        log.info("event=%s.paced to=%s key=%s seconds=%.0f", kind, mask_phone(send.phone), key, seconds)
        raise SendLater(f"{kind} {key} waits for the number's pace", seconds)
    if state != "claimed":
        if not state.startswith("sending:"):
            return "duplicate"
        # An earlier attempt died between claiming and recording: did Twilio take it?
        claimed_at = float(state.split(":", 1)[1])
        try:
            sid = send.find_existing(claimed_at - RECONCILE_SLACK_SECONDS)
        except (TwilioRestException, *NETWORK_ERRORS) as exc:
            store.count("delivery.retried")
            raise TwilioUnavailable(f"cannot read Twilio's log to reconcile {kind} {key}") from exc
        if sid:
            _record_sent(store, send, sid, ttl)
            log.warning("event=%s.reconciled to=%s key=%s sid=%s", kind, mask_phone(send.phone), key, sid)
            return "sent"  # sent once, by the attempt that died; recorded now
        store.delivery.reclaim(key, now=now, ttl=ttl)
    try:
        sid = send.create()
    except TwilioRestException as exc:
        return _refused(store, send, exc, ttl)
    except NETWORK_ERRORS as exc:
        # Twilio may or may not have it: keep the claim so the retry reconciles first.
        store.count("delivery.retried")
        log.warning(
            "event=%s.unreachable to=%s key=%s error=%s",
            kind,
            mask_phone(send.phone),
            key,
            type(exc).__name__,
        )
        raise TwilioUnavailable(f"Twilio unreachable for {kind} {key}") from exc
    _record_sent(store, send, sid, ttl)
    log.info("event=%s.sent to=%s key=%s sid=%s", kind, mask_phone(send.phone), key, sid)
    return "sent"


def _record_sent(store: Store, send: _Send, sid: str, ttl: int) -> None:
    store.delivery.record_sent(send.key, sid, ttl=ttl, counter=send.counter, text=send.text)


def _refused(store: Store, send: _Send, exc: TwilioRestException, ttl: int) -> str:
    kind, key, phone = send.kind, send.key, mask_phone(send.phone)
    code = exc.code or exc.status
    if exc.status == 429 or exc.status >= 500 or code in RETRYABLE_CODES:
        store.delivery.release(key, send.phone_id)  # Twilio created nothing: let the retry send
        store.count("delivery.retried")
        log.warning("event=%s.retry to=%s key=%s status=%s code=%s", kind, phone, key, exc.status, code)
        raise TwilioUnavailable(f"Twilio answered {exc.status} ({code}) for {kind} {key}") from exc
    store.delivery.record_refused(key, code, ttl=ttl)
    if code in OPTED_OUT_CODES:
        store.set_opted_out(send.phone_id, True)
        log.info("event=%s.opted_out to=%s key=%s code=%s", kind, phone, key, code)
        return "opted_out"
    if code in INVALID_CODES:
        store.delivery.mark_invalid(send.phone_id)
        log.info("event=%s.invalid to=%s key=%s code=%s", kind, phone, key, code)
        return "invalid"
    log.error("event=%s.rejected to=%s key=%s status=%s code=%s", kind, phone, key, exc.status, code)
    return "rejected"
