"""The one path by which the service sends a text or places a call: queued, checked, sent once.

`queue_text` / `queue_call` are called from web or worker code; the `workers.jobs.send_text` and
`workers.jobs.place_call` jobs call `deliver_text` / `deliver_call`. In development mode (no
Twilio credentials) both go to the Redis outbox; otherwise the official SDK sends them.

Delivery guarantee: exactly once as the texter sees it, by an idempotency key per send.
- Each job is queued with RQ `Retry`, so a Twilio 429/5xx, a network failure, or a worker that
  died mid-job (RQ's StartedJobRegistry clean-up re-queues an abandoned job that has retries
  left) runs the job again: at-least-once execution.
- `Keys.sent(key)` turns that into one send: `sending:<time>` is claimed before calling Twilio,
  `sent:<sid>` is recorded after its 201, `failed:<code>` after a final refusal. A clean 429/5xx
  (Twilio created nothing) deletes the claim so the retry sends.
- Twilio offers no idempotency key for Messages, so the one dangerous window is a job killed (or a
  timeout) after Twilio accepted the message but before `sent:` was written. A retry that finds a
  stale `sending:` claim first asks Twilio's message log (same To/From/Body since the claim) and
  records that message instead of sending again. Only if Twilio's log cannot be read does the
  retry fail and try again later: we prefer a late text to a double one, never a lost one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import phonenumbers
import requests
import urllib3
from flask import current_app
from rq import Callback, Retry
from twilio.base.exceptions import TwilioRestException

from helpline.domain.phones import mask_phone
from helpline.infra import queues, twilio_client
from helpline.store import Keys, Store

log = logging.getLogger(__name__)

# Backoff for Twilio 429/5xx and abandoned jobs: quick first, then minutes (the scheduler runs them).
RETRY_INTERVALS = [2, 10, 30, 60, 300, 900]
SENT_MARKER_TTL = 7 * 86400  # a retry comes within minutes; a week is plenty
JOB_TIMEOUT = 60  # seconds; one Twilio request is bounded by twilio_client.REQUEST_TIMEOUT_SECONDS
RECONCILE_SLACK_SECONDS = 30  # clock difference tolerated between us and Twilio's date_created

RETRYABLE_CODES = {20429, 20500, 20503}
OPTED_OUT_CODES = {21610}
INVALID_CODES = {21211, 21614, 21217, 21401, 21407, 21421}


# Twilio may or may not have received the request (whichever HTTP client the SDK uses).
NETWORK_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError)


class OptedOut(Exception):
    """The number opted out: nothing may be sent to it."""


class TwilioUnavailable(Exception):
    """Twilio said 'not now' (429/5xx) or could not be reached: the job is retried with backoff."""


def _retry() -> Retry:
    return Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS))


def on_send_failure(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: count a send that ran out of retries, for operators."""
    if job.retries_left:  # RQ will run it again
        return
    current_app.extensions["helpline"].store.count("delivery.gave_up")
    log.error("event=delivery.gave_up job=%s error=%s", job.id, getattr(exc_type, "__name__", exc_type))


def _job_options() -> dict:
    return {"retry": _retry(), "job_timeout": JOB_TIMEOUT, "on_failure": Callback(on_send_failure)}


_JOB_ID_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def _job_id(kind: str, idempotency_key: str) -> str:
    """RQ job ids allow only letters, digits, `_` and `-`: other keys are hashed (same key, same id)."""
    if _JOB_ID_SAFE.match(idempotency_key):
        return f"{kind}-{idempotency_key}"
    return f"{kind}-h{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}"


def queue_text(store: Store, phone: str, body: str, idempotency_key: str) -> None:
    """Hand a text to the workers. Only ciphertext goes into the job's arguments."""
    queues.Queues(store.rq_connection).enqueue(
        queues.URGENT,
        "workers.jobs.send_text",
        store.vault.encrypt(phone).decode(),
        store.vault.encrypt(body).decode(),
        idempotency_key,
        job_id=_job_id("text", idempotency_key),
        **_job_options(),
    )


def queue_call(store: Store, to_phone: str, *, url: str, idempotency_key: str, caller_id: str | None = None):
    """Have Twilio call `to_phone` and fetch TwiML from `url` (a path of this app, or absolute).

    The caller ID defaults to the helpline number, so staff numbers never show.
    """
    return queues.Queues(store.rq_connection).enqueue(
        queues.URGENT,
        "workers.jobs.place_call",
        store.vault.encrypt(to_phone).decode(),
        url,
        idempotency_key,
        caller_id,
        job_id=_job_id("call", idempotency_key),
        **_job_options(),
    )


def _possible_number(phone: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return False


def deliver_text(store: Store, phone_enc: str, body_enc: str, idempotency_key: str) -> str:
    """Send one text unless already sent, opted out or invalid. Returns what happened."""
    phone = store.vault.decrypt(phone_enc)
    phone_id = store.vault.phone_id(phone)
    if not _possible_number(phone):
        log.info("event=text.skipped_invalid to=%s", mask_phone(phone))
        return "invalid"
    body = store.vault.decrypt(body_enc)
    settings = current_app.config["SETTINGS"]
    client = twilio_client.get_client()
    if settings.development or client is None:
        if store.is_opted_out(phone_id) or store.is_invalid(phone_id):
            log.info("event=text.skipped to=%s", mask_phone(phone))
            return "opted_out" if store.is_opted_out(phone_id) else "invalid"
        entry = {"to": phone, "body": body, "kind": "sms"}
        return _outbox_once(store, idempotency_key, entry, phone_id=phone_id, body=body)
    sender = settings.twilio_phone_number
    status_callback = twilio_client.status_callback_url(settings)

    def create() -> str:
        return client.messages.create(to=phone, from_=sender, body=body, status_callback=status_callback).sid

    def find_existing(since: float) -> str | None:
        for message in client.messages.list(to=phone, from_=sender, limit=20):
            if message.body == body and _timestamp(message.date_created) >= since:
                return message.sid
        return None

    def record(pipe) -> None:
        store.append_turn(phone_id, "out", body, pipe=pipe)
        store.count("sms.out", pipe=pipe)

    send = _Send(idempotency_key, "text", phone, phone_id, create, find_existing, record, check_opt_out=True)
    return _send_once(store, send)


def deliver_call(
    store: Store, to_enc: str, url: str, idempotency_key: str, caller_id: str | None = None
) -> str:
    """Place one call unless already placed or the number is invalid. Returns what happened.

    An opted-out number is still called when staff call back on request: opt-out covers texts.
    """
    phone = store.vault.decrypt(to_enc)
    phone_id = store.vault.phone_id(phone)
    if not _possible_number(phone):
        log.info("event=call.skipped_invalid to=%s", mask_phone(phone))
        return "invalid"
    settings = current_app.config["SETTINGS"]
    caller_id = caller_id or settings.twilio_phone_number
    twiml_url = twilio_client.public_url(settings, url)
    client = twilio_client.get_client()
    if settings.development or client is None:
        if store.is_invalid(phone_id):
            return "invalid"
        entry = {"to": phone, "url": twiml_url, "caller_id": caller_id, "kind": "call"}
        return _outbox_once(store, idempotency_key, entry, phone_id=phone_id)
    status_callback = twilio_client.status_callback_url(settings)

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

    def record(pipe) -> None:
        store.count("calls.out", pipe=pipe)

    send = _Send(idempotency_key, "call", phone, phone_id, create, find_existing, record, check_opt_out=False)
    return _send_once(store, send)


def _timestamp(value) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return 0.0


def _outbox_once(store: Store, key: str, entry: dict, *, phone_id: str, body: str | None = None) -> str:
    """Development mode: outbox entry, conversation turn and sent marker in one transaction."""
    marker = Keys.sent(key)
    if store.r.exists(marker):
        return "duplicate"
    entry = entry | {"at": time.time(), "key": key}
    with store.r.pipeline(transaction=True) as pipe:
        pipe.set(marker, b"sent:outbox", ex=SENT_MARKER_TTL)
        pipe.rpush(Keys.outbox, store.vault.encrypt(json.dumps(entry)))
        pipe.ltrim(Keys.outbox, -1000, -1)
        pipe.expire(Keys.outbox, store.retention)
        if body is not None:
            store.append_turn(phone_id, "out", body, pipe=pipe)
            store.count("sms.out", pipe=pipe)
        pipe.execute()
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
    record: Callable[[object], None]  # adds to the pipeline that writes `sent:`
    check_opt_out: bool


# Opt-out and invalid checks and the idempotency claim in one round trip.
_CLAIM = """
if ARGV[4] == '1' and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'opted_out' end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 'invalid' end
if redis.call('SET', KEYS[3], ARGV[2], 'NX', 'EX', ARGV[3]) then return 'claimed' end
return redis.call('GET', KEYS[3])
"""
_claim_scripts: dict[int, object] = {}


def _claim(store: Store, send: _Send, now: float) -> str:
    script = _claim_scripts.get(id(store.r))
    if script is None:
        script = _claim_scripts[id(store.r)] = store.r.register_script(_CLAIM)
    keys = [Keys.optouts, Keys.invalid_numbers, Keys.sent(send.key)]
    args = [send.phone_id, f"sending:{now}", SENT_MARKER_TTL, "1" if send.check_opt_out else "0"]
    result = script(keys=keys, args=args, client=store.r)
    return (result or b"").decode() if isinstance(result, bytes) else str(result or "")


def _send_once(store: Store, send: _Send) -> str:
    """Claim the key, ask Twilio once, record the outcome. Raises TwilioUnavailable to retry."""
    marker, kind, key = Keys.sent(send.key), send.kind, send.key
    now = time.time()
    state = _claim(store, send, now)
    if state in ("opted_out", "invalid"):
        log.info("event=%s.skipped_%s to=%s key=%s", kind, state, mask_phone(send.phone), key)
        return state
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
            _record_sent(store, send, sid)
            log.warning("event=%s.reconciled to=%s key=%s sid=%s", kind, mask_phone(send.phone), key, sid)
            return "sent"  # sent once, by the attempt that died; recorded now
        store.r.set(marker, f"sending:{now}", ex=SENT_MARKER_TTL)
    try:
        sid = send.create()
    except TwilioRestException as exc:
        return _refused(store, key, kind, send.phone, send.phone_id, exc)
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
    _record_sent(store, send, sid)
    log.info("event=%s.sent to=%s key=%s sid=%s", kind, mask_phone(send.phone), key, sid)
    return "sent"


def _record_sent(store: Store, send: _Send, sid: str) -> None:
    with store.r.pipeline(transaction=True) as pipe:
        pipe.set(Keys.sent(send.key), f"sent:{sid}", ex=SENT_MARKER_TTL)
        send.record(pipe)
        pipe.execute()


def _refused(store: Store, key: str, kind: str, phone: str, phone_id: str, exc: TwilioRestException) -> str:
    code = exc.code or exc.status
    marker = Keys.sent(key)
    if exc.status == 429 or exc.status >= 500 or code in RETRYABLE_CODES:
        store.r.delete(marker)  # Twilio created nothing: let the retry send
        store.count("delivery.retried")
        log.warning(
            "event=%s.retry to=%s key=%s status=%s code=%s", kind, mask_phone(phone), key, exc.status, code
        )
        raise TwilioUnavailable(f"Twilio answered {exc.status} ({code}) for {kind} {key}") from exc
    store.r.set(marker, f"failed:{code}", ex=SENT_MARKER_TTL)
    store.count(f"delivery.failed.{code}")
    if code in OPTED_OUT_CODES:
        store.set_opted_out(phone_id, True)
        log.info("event=%s.opted_out to=%s key=%s code=%s", kind, mask_phone(phone), key, code)
        return "opted_out"
    if code in INVALID_CODES:
        store.mark_invalid(phone_id)
        log.info("event=%s.invalid to=%s key=%s code=%s", kind, mask_phone(phone), key, code)
        return "invalid"
    log.error(
        "event=%s.rejected to=%s key=%s status=%s code=%s", kind, mask_phone(phone), key, exc.status, code
    )
    return "rejected"
