"""Callback requests: the record staff work from, and the Redis-backed queue that orders them.

Crisis requests come first, then the oldest. One open request per number: asking again
(or a crisis after a plain request) updates it instead of queueing a duplicate.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import redis
from flask import current_app

from helpline.domain.hours import BusinessHours
from helpline.infra import queues, sender
from helpline.services import audit
from helpline.store import Keys, Store

log = logging.getLogger(__name__)

PRIORITY_BOOST = 10_000_000_000  # larger than any timestamp: crisis sorts before every normal request
OPEN_STATUSES = ("waiting", "claimed")


@dataclass
class CallbackRequest:
    id: str
    created: float
    priority: str  # "crisis" | "normal"
    lang: str
    zip: str | None
    reason: str  # callback | crisis | check:oih | voicemail | follow-up …
    channel: str  # sms | voice
    status: str = "waiting"  # waiting | claimed | done | closed
    attempts: int = 0
    phone_id: str = ""
    phone_enc: str = ""  # encrypted E.164 number
    conversation_enc: str = ""  # encrypted JSON list of the conversation when requested
    check_outcome: str | None = None
    claimed_by: str | None = None
    lease_until: float | None = None
    next_attempt_at: float | None = None
    linked_to: str | None = None
    extra_enc: str = ""  # encrypted JSON: voicemail link, notes …
    updated: float = field(default_factory=time.time)

    @property
    def is_crisis(self) -> bool:
        return self.priority == "crisis"

    def rank(self) -> float:
        return self.created - PRIORITY_BOOST if self.is_crisis else self.created

    def to_redis(self) -> dict:
        return {k: json.dumps(v) for k, v in asdict(self).items()}

    @classmethod
    def from_redis(cls, raw: dict) -> CallbackRequest:
        data = {k.decode() if isinstance(k, bytes) else k: json.loads(v) for k, v in raw.items()}
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def request_callback(
    store: Store,
    phone: str,
    *,
    lang: str,
    reason: str,
    priority: bool,
    channel: str,
    zip_code: str | None = None,
    check_outcome: str | None = None,
    now: float | None = None,
    linked_to: str | None = None,
) -> tuple[CallbackRequest, bool]:
    """Put a request on the queue, or update this number's open one. Returns (request, created)."""
    now = now or time.time()
    phone_id = store.vault.phone_id(phone)
    existing = open_request_for(store, phone_id)
    if existing:
        if priority and not existing.is_crisis:
            existing.priority, existing.reason, existing.updated = "crisis", reason, now
            save(store, existing)
        return existing, False
    conversation = store.conversation(phone_id)[-30:]
    request = CallbackRequest(
        id=f"cb{int(store.r.incr(Keys.callback_seq)):06d}",
        created=now,
        priority="crisis" if priority else "normal",
        lang=lang,
        zip=zip_code,
        reason=reason,
        channel=channel,
        phone_id=phone_id,
        phone_enc=store.vault.encrypt(phone).decode(),
        conversation_enc=store.vault.encrypt(json.dumps(conversation)).decode(),
        check_outcome=check_outcome,
        linked_to=linked_to,
        updated=now,
    )
    if not store.r.set(Keys.open_callback(phone_id), request.id, nx=True):
        # Another process queued one for this number at the same instant: use theirs.
        return open_request_for(store, phone_id) or request, False
    save(store, request)
    return request, True


def save(store: Store, request: CallbackRequest, pipe=None) -> None:
    """Write the request and its place on the queue (inside the caller's transaction when given)."""
    own = pipe is None
    pipe = store.r.pipeline() if own else pipe
    pipe.hset(Keys.callback(request.id), mapping=request.to_redis())
    pipe.zadd(Keys.callbacks_all, {request.id: request.created})
    if request.status in OPEN_STATUSES:
        pipe.zadd(Keys.callback_queue, {request.id: request.rank()})
        pipe.persist(Keys.callback(request.id))
    else:
        pipe.zrem(Keys.callback_queue, request.id)
        pipe.delete(Keys.open_callback(request.phone_id))
        pipe.expire(Keys.callback(request.id), store.retention)  # closed requests expire
    if own:
        pipe.execute()


def get(store: Store, callback_id: str) -> CallbackRequest | None:
    raw = store.r.hgetall(Keys.callback(callback_id))
    return CallbackRequest.from_redis(raw) if raw else None


def open_request_for(store: Store, phone_id: str) -> CallbackRequest | None:
    callback_id = store.r.get(Keys.open_callback(phone_id))
    if not callback_id:
        return None
    request = get(store, callback_id.decode())
    return request if request and request.status in OPEN_STATUSES else None


def waiting(store: Store, limit: int = 200) -> list[CallbackRequest]:
    """Open requests in the order staff should take them: crisis first, then oldest."""
    ids = store.r.zrange(Keys.callback_queue, 0, limit - 1)
    pipe = store.r.pipeline(transaction=False)  # one round trip for the whole list
    for callback_id in ids:
        pipe.hgetall(Keys.callback(callback_id.decode()))
    return [CallbackRequest.from_redis(raw) for raw in pipe.execute() if raw]


def phone_of(store: Store, request: CallbackRequest) -> str:
    return store.vault.decrypt(request.phone_enc)


# -- staff working the queue: claims, outcomes, retries, notes -----------------------------------

LEASE_SECONDS = 15 * 60  # a claim lapses this long after the page holding it was last open
MAX_ATTEMPTS = 3  # calls that did not reach the person before the request is closed
FIRST_RETRY = dt.timedelta(hours=2)
CRISIS_RETRY = dt.timedelta(minutes=15)  # someone in crisis is tried again soon, not in two hours
FOLLOW_UP_AFTER = dt.timedelta(hours=48)  # "Did you reach <provider>?" after a referral
FOLLOW_UP_WAIT = dt.timedelta(hours=48)  # no answer to the check-in in this long counts as NO


class Outcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    VOICEMAIL_LEFT = "voicemail_left"
    WRONG_NUMBER = "wrong_number"
    REFERRED = "referred"
    DECLINED = "declined"


OUTCOME_LABELS = {
    Outcome.REACHED: "Reached",
    Outcome.NO_ANSWER: "No answer",
    Outcome.VOICEMAIL_LEFT: "Left voicemail",
    Outcome.WRONG_NUMBER: "Wrong number",
    Outcome.REFERRED: "Referred to a provider",
    Outcome.DECLINED: "Declined",
}
NOT_REACHED = (Outcome.NO_ANSWER, Outcome.VOICEMAIL_LEFT)  # try again later


class ClaimRefused(Exception):
    """Someone else holds the request, or it is no longer open."""

    def __init__(self, reason: str, holder: str | None = None):
        super().__init__(f"{reason}: {holder}" if holder else reason)
        self.reason = reason  # held | closed | missing
        self.holder = holder


class NotHolder(Exception):
    """Only the staff member holding a request may call it, release it or record its outcome."""


@dataclass(frozen=True)
class OutcomeDecision:
    """What an outcome does to a request: pure, decided from the attempts and the hours."""

    status: str  # waiting | done | closed
    next_attempt_at: dt.datetime | None = None
    final_text: bool = False  # tell the person we stopped trying (never to an opted-out number)


def next_attempt_at(
    attempts_made: int, now: dt.datetime, hours: BusinessHours, crisis: bool = False
) -> dt.datetime | None:
    """When to try again after `attempts_made` missed calls: 2 h later, then the next business
    morning, then never (None). A crisis request is tried again 15 minutes after each miss."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    if crisis:
        return hours.next_opening(now + CRISIS_RETRY)
    if attempts_made <= 1:
        return hours.next_opening(now + FIRST_RETRY)
    local = hours.local(now)
    tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0, 0), tzinfo=hours.timezone)
    return hours.next_opening(tomorrow)


def decide_outcome(
    outcome: Outcome, attempts_made: int, now: dt.datetime, hours: BusinessHours, crisis: bool = False
) -> OutcomeDecision:
    """`attempts_made` counts this call too."""
    if outcome == Outcome.WRONG_NUMBER:
        return OutcomeDecision("closed")
    if outcome in NOT_REACHED:
        retry = next_attempt_at(attempts_made, now, hours, crisis)
        return OutcomeDecision("waiting", retry) if retry else OutcomeDecision("closed", final_text=True)
    return OutcomeDecision("done")


def holder(request: CallbackRequest, now: float | None = None) -> str | None:
    """Who holds the request now; a lapsed lease holds nothing."""
    now = now or time.time()
    if request.status == "claimed" and request.claimed_by and (request.lease_until or 0) > now:
        return request.claimed_by
    return None


def effective_status(request: CallbackRequest, now: float | None = None) -> str:
    """`claimed` only while the lease runs: an abandoned claim is waiting again by itself."""
    if request.status == "claimed" and not holder(request, now):
        return "waiting"
    return request.status


def is_due(request: CallbackRequest, now: float | None = None) -> bool:
    return not request.next_attempt_at or request.next_attempt_at <= (now or time.time())


# Atomic in Redis: of two staff claiming at once exactly one wins; the other learns who did.
_CLAIM = """
local raw = redis.call('HMGET', KEYS[1], 'status', 'claimed_by', 'lease_until')
if not raw[1] then return {'missing', ''} end
local status = cjson.decode(raw[1])
if status ~= 'waiting' and status ~= 'claimed' then return {'closed', status} end
if status == 'claimed' and raw[2] and raw[3] then
  local who = cjson.decode(raw[2])
  local lease = cjson.decode(raw[3])
  if who ~= cjson.null and who ~= ARGV[1] and lease ~= cjson.null and lease > tonumber(ARGV[2]) then
    return {'held', who}
  end
end
redis.call('HSET', KEYS[1], 'status', '"claimed"', 'claimed_by', cjson.encode(ARGV[1]),
  'lease_until', ARGV[3], 'updated', ARGV[2])
return {'ok', ARGV[1]}
"""
# Renew (ARGV[4] == '1') or release the caller's own claim; returns 0 when they do not hold it.
_OWN_CLAIM = """
local raw = redis.call('HMGET', KEYS[1], 'status', 'claimed_by', 'lease_until')
if not raw[1] or cjson.decode(raw[1]) ~= 'claimed' or not raw[2] then return 0 end
if cjson.decode(raw[2]) ~= ARGV[1] then return 0 end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 'lease_until', ARGV[3], 'updated', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'status', '"waiting"', 'claimed_by', 'null', 'lease_until', 'null',
    'updated', ARGV[2])
end
return 1
"""


# Put a claim whose lease ran out back to waiting (unless it was renewed or reclaimed meanwhile).
_LAPSE = """
local raw = redis.call('HMGET', KEYS[1], 'status', 'lease_until')
if not raw[1] or cjson.decode(raw[1]) ~= 'claimed' then return 0 end
local lease = raw[2] and cjson.decode(raw[2])
if lease and lease ~= cjson.null and lease > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'status', '"waiting"', 'claimed_by', 'null', 'lease_until', 'null',
  'updated', ARGV[1])
return 1
"""


def return_lapsed_claims(store: Store, requests: list[CallbackRequest], now: float | None = None) -> int:
    """Write back what `effective_status` already shows: abandoned claims are waiting again."""
    now = now or time.time()
    returned = 0
    for request in requests:
        if request.status != "claimed" or holder(request, now):
            continue
        if _script(store, "lapse", _LAPSE)(keys=[Keys.callback(request.id)], args=[json.dumps(now)]):
            audit.record(store, request.id, "system", "lease lapsed", request.claimed_by or "", now=now)
            request.status, request.claimed_by, request.lease_until = "waiting", None, None
            returned += 1
    return returned


def _script(store: Store, name: str, source: str):
    scripts = store.__dict__.setdefault("_callback_scripts", {})
    if name not in scripts:
        scripts[name] = store.r.register_script(source)
    return scripts[name]


def claim(store: Store, callback_id: str, who: str, now: float | None = None) -> CallbackRequest:
    """Take a request for `LEASE_SECONDS`; raises ClaimRefused (with the holder) when someone has it."""
    now = now or time.time()
    reason, detail = _script(store, "claim", _CLAIM)(
        keys=[Keys.callback(callback_id)], args=[who, json.dumps(now), json.dumps(now + LEASE_SECONDS)]
    )
    reason, detail = reason.decode(), detail.decode()
    if reason != "ok":
        raise ClaimRefused(reason, detail if reason == "held" else None)
    audit.record(store, callback_id, who, "claim", now=now)
    return get(store, callback_id)


def renew_lease(store: Store, callback_id: str, who: str, now: float | None = None) -> bool:
    """Keep holding while the page is open. False when the claim is no longer this person's."""
    now = now or time.time()
    args = [who, json.dumps(now), json.dumps(now + LEASE_SECONDS), "1"]
    return bool(_script(store, "own", _OWN_CLAIM)(keys=[Keys.callback(callback_id)], args=args))


def release(store: Store, callback_id: str, who: str, now: float | None = None) -> None:
    now = now or time.time()
    args = [who, json.dumps(now), "null", "0"]
    if not _script(store, "own", _OWN_CLAIM)(keys=[Keys.callback(callback_id)], args=args):
        raise NotHolder(callback_id)
    audit.record(store, callback_id, who, "release", now=now)


def require_holder(store: Store, callback_id: str, who: str, now: float | None = None) -> CallbackRequest:
    request = get(store, callback_id)
    if not request or holder(request, now) != who:
        raise NotHolder(callback_id)
    return request


def record_outcome(
    store: Store,
    callback_id: str,
    who: str,
    outcome: Outcome,
    *,
    hours: BusinessHours,
    note: str | None = None,
    provider: dict | None = None,
    follow_up: bool = False,
    now: float | None = None,
) -> tuple[CallbackRequest, OutcomeDecision]:
    """Record one call's outcome: done, closed, or back on the queue for a later attempt.

    Only the holder may; the claim ends here. Sends the final text and schedules the follow-up.
    """
    now = now or time.time()
    outcome = Outcome(outcome)
    for _ in range(5):  # the open page renewing its lease at the same instant: read again
        try:
            request, decision = _write_outcome(store, callback_id, who, outcome, hours, note, provider, now)
            break
        except redis.WatchError:
            continue
    else:
        raise NotHolder(callback_id)
    store.count(f"callback.outcome.{outcome.value}", now)
    if request.status not in OPEN_STATUSES:
        store.count("callback.closed", now)
    log.info("event=callback.outcome id=%s outcome=%s status=%s", callback_id, outcome.value, request.status)
    if decision.final_text:
        _send_final_text(store, request)
    if outcome == Outcome.REFERRED and follow_up and provider:
        schedule_follow_up(store, request, provider, now=now)
    return request, decision


def _write_outcome(
    store: Store,
    callback_id: str,
    who: str,
    outcome: Outcome,
    hours: BusinessHours,
    note: str | None,
    provider: dict | None,
    now: float,
) -> tuple[CallbackRequest, OutcomeDecision]:
    key = Keys.callback(callback_id)
    with store.r.pipeline() as pipe:
        pipe.watch(key)  # any change between our check and our write (renew, lapse, reclaim) aborts it
        raw = pipe.hgetall(key)
        request = CallbackRequest.from_redis(raw) if raw else None
        if not request or holder(request, now) != who:
            raise NotHolder(callback_id)
        request.attempts += 1
        decision = decide_outcome(
            outcome, request.attempts, dt.datetime.fromtimestamp(now, dt.UTC), hours, request.is_crisis
        )
        request.status = decision.status
        request.claimed_by, request.lease_until, request.updated = None, None, now
        request.next_attempt_at = decision.next_attempt_at.timestamp() if decision.next_attempt_at else None
        attempt = {"at": now, "by": who, "outcome": outcome.value, "provider": provider}
        pipe.multi()
        save(store, request, pipe=pipe)
        pipe.rpush(Keys.callback_attempts(callback_id), store.vault.encrypt(json.dumps(attempt)))
        if note:
            _push_note(store, pipe, callback_id, who, note, now)
        detail = outcome.value + (f" next={int(request.next_attempt_at)}" if request.next_attempt_at else "")
        audit.record(store, callback_id, who, "outcome", detail, now=now, pipe=pipe)
        if note:
            audit.record(store, callback_id, who, "note", now=now, pipe=pipe)
        if request.status not in OPEN_STATUSES:
            for k in (Keys.callback_attempts(callback_id), Keys.callback_notes(callback_id)):
                pipe.expire(k, store.retention)
            audit.expire(store, callback_id, pipe=pipe)
        pipe.execute()
    return request, decision


def _send_final_text(store: Store, request: CallbackRequest) -> None:
    if store.is_opted_out(request.phone_id):
        log.info("event=callback.final_text_skipped id=%s reason=opted_out", request.id)
        return
    catalog = current_app.extensions["helpline"].catalog
    body = catalog.render(request.lang, "callback_gave_up")
    sender.queue_text(store, phone_of(store, request), body, idempotency_key=f"callback-final-{request.id}")


def _push_note(store: Store, target, callback_id: str, who: str, text: str, now: float) -> None:
    entry = {"at": now, "by": who, "text": text[:NOTE_LIMIT]}
    target.rpush(Keys.callback_notes(callback_id), store.vault.encrypt(json.dumps(entry)))


NOTE_LIMIT = 4000  # characters: a note, not a transcript


def add_note(store: Store, callback_id: str, who: str, text: str, now: float | None = None) -> None:
    """An encrypted note on the request (any signed-in staff may add one)."""
    now = now or time.time()
    if not get(store, callback_id):
        raise KeyError(callback_id)
    _push_note(store, store.r, callback_id, who, text, now)
    audit.record(store, callback_id, who, "note", now=now)


def notes(store: Store, callback_id: str) -> list[dict]:
    return [
        json.loads(store.vault.decrypt(n)) for n in store.r.lrange(Keys.callback_notes(callback_id), 0, -1)
    ]


def attempts(store: Store, callback_id: str) -> list[dict]:
    raw = store.r.lrange(Keys.callback_attempts(callback_id), 0, -1)
    return [json.loads(store.vault.decrypt(a)) for a in raw]


def conversation_of(store: Store, request: CallbackRequest) -> list[dict]:
    """The conversation as it was when the request was made (decrypted: staff pages only)."""
    return json.loads(store.vault.decrypt(request.conversation_enc)) if request.conversation_enc else []


def linked_history(store: Store, request: CallbackRequest, limit: int = 10) -> list[CallbackRequest]:
    """The earlier requests this one follows from (a follow-up after a referral), newest first."""
    chain, seen = [], {request.id}
    current = request
    while current.linked_to and current.linked_to not in seen and len(chain) < limit:
        earlier = get(store, current.linked_to)
        if not earlier:
            break
        chain.append(earlier)
        seen.add(earlier.id)
        current = earlier
    return chain


def call_person(store: Store, callback_id: str, who: str, staff_phone: str, now: float | None = None) -> str:
    """Ring the staff member's phone; when they press 1 the bridge dials the person (helpline caller ID).

    A double click within 30 s places one call. Returns the idempotency key of the call.
    """
    now = now or time.time()
    require_holder(store, callback_id, who, now)
    key = f"staff-call-{callback_id}-{store.vault.phone_id(staff_phone)[:8]}-{int(now // 30)}"
    sender.queue_call(
        store, staff_phone, url=f"/twilio/voice/staff-bridge/{callback_id}", idempotency_key=key
    )
    renew_lease(store, callback_id, who, now)
    audit.record(store, callback_id, who, "call", now=now)
    store.count("callback.calls", now)
    return key


# -- follow-up after a referral: "Did you reach <provider>?" -------------------------------------


def schedule_follow_up(
    store: Store, request: CallbackRequest, provider: dict, now: float | None = None
) -> None:
    state = {"provider": provider.get("name", ""), "scheduled_at": now or time.time(), "state": "scheduled"}
    store.r.set(
        Keys.callback_followup(request.id), store.vault.encrypt(json.dumps(state)), ex=store.retention
    )
    queues.queue(queues.HOUSEKEEPING, store.rq_connection).enqueue_in(
        FOLLOW_UP_AFTER, "workers.jobs.callback_follow_up", request.id, job_id=f"follow-up-{request.id}"
    )
    log.info("event=callback.follow_up_scheduled id=%s", request.id)


def follow_up_state(store: Store, callback_id: str) -> dict | None:
    raw = store.r.get(Keys.callback_followup(callback_id))
    return json.loads(store.vault.decrypt(raw)) if raw else None


def _set_follow_up_state(store: Store, callback_id: str, state: dict) -> None:
    store.r.set(
        Keys.callback_followup(callback_id), store.vault.encrypt(json.dumps(state)), ex=store.retention
    )


def send_follow_up(store: Store, callback_id: str, now: float | None = None) -> str:
    """The check-in text (job). Returns what happened: sent | opted_out | gone | done."""
    now = now or time.time()
    request, state = get(store, callback_id), follow_up_state(store, callback_id)
    if not request or not state:
        return "gone"
    if state["state"] != "scheduled":
        return "done"
    if store.is_opted_out(request.phone_id):
        _set_follow_up_state(store, callback_id, state | {"state": "opted_out"})
        return "opted_out"
    catalog = current_app.extensions["helpline"].catalog
    body = catalog.render(request.lang, "follow_up_check_in", provider=state["provider"][:60])
    sender.queue_text(store, phone_of(store, request), body, idempotency_key=f"follow-up-{callback_id}")
    _set_follow_up_state(store, callback_id, state | {"state": "asked", "asked_at": now})
    store.r.set(
        Keys.followup_for(request.phone_id), callback_id, ex=int(FOLLOW_UP_WAIT.total_seconds()) + 3600
    )
    queues.queue(queues.HOUSEKEEPING, store.rq_connection).enqueue_in(
        FOLLOW_UP_WAIT,
        "workers.jobs.callback_follow_up_expired",
        callback_id,
        job_id=f"follow-up-end-{callback_id}",
    )
    audit.record(store, callback_id, "system", "follow-up text", now=now)
    return "sent"


def awaiting_follow_up(store: Store, phone_id: str) -> str | None:
    """The request whose check-in this number has not answered yet."""
    callback_id = store.r.get(Keys.followup_for(phone_id))
    return callback_id.decode() if callback_id else None


def answer_follow_up(store: Store, phone: str, reached: bool | None, now: float | None = None):
    """YES (reached), NO or no reply (None): NO and silence put a new request on the queue, linked."""
    now = now or time.time()
    phone_id = store.vault.phone_id(phone)
    callback_id = store.r.getdel(Keys.followup_for(phone_id))
    if not callback_id:
        return None
    callback_id = callback_id.decode()
    request, state = get(store, callback_id), follow_up_state(store, callback_id) or {}
    answer = {True: "yes", False: "no", None: "no reply"}[reached]
    _set_follow_up_state(
        store, callback_id, state | {"state": "answered", "answer": answer, "answered_at": now}
    )
    audit.record(
        store, callback_id, "texter" if reached is not None else "system", "follow-up answer", answer, now=now
    )
    if reached or not request:
        return None
    new, _ = request_callback(
        store,
        phone,
        lang=request.lang,
        reason="follow-up",
        priority=False,
        channel="sms",
        zip_code=request.zip,
        check_outcome=request.check_outcome,
        now=now,
        linked_to=callback_id,
    )
    audit.record(store, new.id, "system", "queued", f"follow-up of {callback_id} ({answer})", now=now)
    return new


def expire_follow_up(store: Store, callback_id: str, now: float | None = None):
    """No reply to the check-in in time counts as NO (job)."""
    request = get(store, callback_id)
    if not request or awaiting_follow_up(store, request.phone_id) != callback_id:
        return None
    return answer_follow_up(store, phone_of(store, request), None, now=now)


def extra_of(store: Store, request: CallbackRequest) -> dict:
    """The request's encrypted extras (voicemail link, transcript …) in clear."""
    return json.loads(store.vault.decrypt(request.extra_enc)) if request.extra_enc else {}


def add_extra(store: Store, callback_id: str, **fields) -> CallbackRequest | None:
    """Merge fields into the request's encrypted extras (a voicemail's link and transcript)."""
    request = get(store, callback_id)
    if request is None:
        return None
    extra = extra_of(store, request) | fields
    request.extra_enc = store.vault.encrypt(json.dumps(extra)).decode()
    store.r.hset(Keys.callback(request.id), "extra_enc", json.dumps(request.extra_enc))
    return request
