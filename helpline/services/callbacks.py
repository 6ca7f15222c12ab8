"""Callback requests: queueing them, staff working the queue, and the follow-up after a referral.

The rules (order, outcomes, retries, who may act) are in `domain.callback_rules`; the records in
`store.callbacks`. Functions that need more than storage (the policy in settings, wording, queues)
take the app's container `hl`; the others take the store.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from helpline.domain import callback_rules as rules
from helpline.domain import places
from helpline.domain.call_times import CallTime
from helpline.domain.callback_rules import (
    NOTE_LIMIT,
    OPEN_STATUSES,
    OUTCOME_LABELS,
    AuditEntry,
    CallbackPolicy,
    CallbackRequest,
    ClaimRefused,
    NotHolder,
    Outcome,
    OutcomeDecision,
    effective_status,
    holder,
    is_due,
)
from helpline.infra import queues, sender
from helpline.services import audit, blocklist, daytime, staff_lines
from helpline.store import Store
from helpline.store.callbacks import Asking, OutcomeWrite

if TYPE_CHECKING:
    from config.settings import Settings
    from helpline.container import Helpline

__all__ = [
    "NOTE_LIMIT",
    "OPEN_STATUSES",
    "OUTCOME_LABELS",
    "CallbackRequest",
    "ClaimRefused",
    "NotHolder",
    "Outcome",
    "OutcomeDecision",
    "effective_status",
    "holder",
    "is_due",
]

log = logging.getLogger(__name__)


class NumberBlocked(Exception):
    """The number is on the blocklist: no callback request, voicemail or follow-up is made for it."""


def policy(settings: Settings) -> CallbackPolicy:
    """The queue's timings and limits, as configured."""
    return CallbackPolicy(
        lease=dt.timedelta(seconds=settings.callback_lease_seconds),
        max_attempts=settings.callback_max_attempts,
        retry=dt.timedelta(seconds=settings.callback_retry_seconds),
        crisis_retry=dt.timedelta(seconds=settings.callback_crisis_retry_seconds),
        follow_up_after=dt.timedelta(seconds=settings.follow_up_after_seconds),
        follow_up_wait=dt.timedelta(seconds=settings.follow_up_wait_seconds),
    )


# -- queueing a request ----------------------------------------------------------------------------


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
    texts_off: bool = False,
    source: str | None = None,
    asking: Asking | None = None,
    call_time: str | None = None,
) -> tuple[CallbackRequest, bool]:
    """Put a request on the queue, or update this number's open one. Returns (request, created).

    `asking` is what the store read for it already (`Store.screen_text`), else it is read here.
    `source` names the text or call step asking (a MessageSid …): Twilio's retry of it, after a failure
    halfway, finds the request it made instead of alerting staff again. `call_time`: their words on
    when to call, kept on the request for staff (the latest said). Raises NumberBlocked for a
    number on the blocklist.

    Crisis requests come first, then the oldest. One open request per number: asking again
    updates it instead of queueing a duplicate; a crisis makes it a crisis, or, when it is one
    already, puts it at the top of the queue again (`realerted_at`).
    """
    now = now or time.time()
    phone_id = store.vault.phone_id(phone)
    asking = asking or store.callbacks.asking(phone_id)  # read with the text's screening, when it was
    existing = asking.open_request
    if asking.blocked:
        raise NumberBlocked(f"no callback request for a blocked number ({reason})")
    said = CallTime(call_time, now) if call_time else None
    if existing and source and existing.source == source:
        return existing, True  # made by this very request, before it failed: the retry finds it
    if existing and not priority:
        if said:
            store.callbacks.set_call_time(existing, said)
        return existing, False
    if existing:
        raised = rules.alerted_again(existing, reason, now, lang)
        raised.texts_off = raised.texts_off or texts_off
        if store.callbacks.raise_to_crisis(raised):
            if said:
                store.callbacks.set_call_time(raised, said)
            return raised, False
        # Closed by staff at this very moment: the crisis still needs a request of its own.
    request = CallbackRequest(
        id="",  # the store gives it the next id as it queues it
        created=now,
        priority="crisis" if priority else "normal",
        lang=lang,
        zip=places.real_zip(zip_code),  # a ZIP that names no place (00000) is not kept as theirs
        reason=reason,
        channel=channel,
        phone_id=phone_id,
        check_outcome=check_outcome,
        linked_to=linked_to,
        updated=now,
        texts_off=texts_off,
        source=source,
    )
    if not store.callbacks.add(request, phone, asking.conversation()[-30:], call_time=said):
        # Another process queued one for this number at the same instant: use theirs.
        return store.callbacks.open_for(phone_id) or request, False
    # Counted as "callback.created" as it is queued: asking again updates it, never counts again.
    return request, True


def save(store: Store, request: CallbackRequest) -> None:
    """Write the request and its place on the queue."""
    store.callbacks.save(request)


def get(store: Store, callback_id: str) -> CallbackRequest | None:
    return store.callbacks.get(callback_id)


def open_request_for(store: Store, phone_id: str) -> CallbackRequest | None:
    return store.callbacks.open_for(phone_id)


def mark_texts_off(store: Store, phone_id: str, off: bool) -> None:
    """An opt-out (or an opt-in) shows on this number's open request: staff call, nobody texts."""
    request = store.callbacks.open_for(phone_id)
    if request and request.texts_off != off:
        store.callbacks.mark_texts_off(request, off)


def note_call_time(store: Store, phone_id: str, words: str, now: float | None = None) -> bool:
    """What a texter with an open request said about when to call (the latest said), for whoever calls
    them: shown on the request, never holding a call. False when nothing is open."""
    request = store.callbacks.open_for(phone_id)
    return bool(request) and store.callbacks.set_call_time(request, CallTime(words, now or time.time()))


def keep_call_time(store: Store, request: CallbackRequest, words: str, now: float) -> bool:
    """What a caller's voicemail said about when to call, on the request it left (the latest said)."""
    return store.callbacks.set_call_time(request, CallTime(words, now, voicemail=True))


def call_time_of(store: Store, request: CallbackRequest) -> CallTime | None:
    """What they said about when to call, in their words (staff pages only)."""
    return store.callbacks.call_time_of(request)


def follow_language(store: Store, phone_id: str, lang: str) -> None:
    """A texter who switched language (ESPAÑOL, ENGLISH) is called, and texted by staff, in it."""
    request = store.callbacks.open_for(phone_id)
    if request and request.lang != lang:
        store.callbacks.set_language(request, lang)


def waiting(store: Store, limit: int = 200) -> list[CallbackRequest]:
    """Open requests in the order staff should take them: crisis first, then oldest."""
    return store.callbacks.queued(limit)


def open_count(store: Store) -> int:
    """How many requests are open (the queue page lists the first 200)."""
    return store.callbacks.open_count()


def created_between(store: Store, since: float, until: float) -> list[CallbackRequest]:
    """Requests created from `since` up to `until`, oldest first (those expired since are left out)."""
    ids = store.callbacks.created_between(since, until)
    return [request for callback_id in ids if (request := store.callbacks.get(callback_id))]


def phone_of(store: Store, request: CallbackRequest) -> str:
    return store.callbacks.phone_of(request)


def conversation_of(store: Store, request: CallbackRequest) -> list[dict]:
    """The conversation as it was when the request was made (decrypted: staff pages only)."""
    return store.callbacks.conversation_of(request)


def extra_of(store: Store, request: CallbackRequest) -> dict:
    """The request's encrypted extras (voicemail link, transcript …) in clear."""
    return store.callbacks.extra_of(request)


def add_extra(
    store: Store, callback_id: str, *, now: float | None = None, **fields
) -> CallbackRequest | None:
    """Merge fields into the request's encrypted extras (a voicemail's link and transcript). A new
    voicemail link also notes when it was left, so staff see it at that moment and filter by it."""
    left_at = None
    if fields.get("voicemail_url"):
        request = store.callbacks.get(callback_id)
        if request is None:
            return None
        if store.callbacks.extra_of(request).get("voicemail_url") != fields["voicemail_url"]:
            left_at = now or time.time()
    return store.callbacks.add_extra(callback_id, fields, voicemail_at=left_at)


def linked_history(store: Store, request: CallbackRequest, limit: int = 10) -> list[CallbackRequest]:
    """The earlier requests this one follows from (a follow-up after a referral), newest first."""
    chain, seen = [], {request.id}
    current = request
    while current.linked_to and current.linked_to not in seen and len(chain) < limit:
        earlier = store.callbacks.get(current.linked_to)
        if not earlier:
            break
        chain.append(earlier)
        seen.add(earlier.id)
        current = earlier
    return chain


# -- staff working the queue: claims, outcomes, retries, notes -----------------------------------


def lease_seconds(hl: Helpline) -> int:
    return hl.settings.callback_lease_seconds


def return_lapsed_claims(store: Store, requests: list[CallbackRequest], now: float | None = None) -> int:
    """Write back what `effective_status` already shows: abandoned claims are waiting again."""
    now = now or time.time()
    returned = 0
    for request in requests:
        if rules.lapsed(request, now) and store.callbacks.lapse(request.id, now):
            audit.record(store, request.id, "system", "lease lapsed", request.claimed_by or "", now=now)
            request.status, request.claimed_by, request.lease_until = "waiting", None, None
            returned += 1
    return returned


def claim(hl: Helpline, callback_id: str, who: str, now: float | None = None) -> CallbackRequest:
    """Take a request for the lease; raises ClaimRefused (with the holder) when someone has it."""
    now = now or time.time()
    reason, detail = hl.store.callbacks.claim(callback_id, who, now, now + lease_seconds(hl))
    if reason != "ok":
        raise ClaimRefused(reason, detail if reason == "held" else None)
    audit.record(hl.store, callback_id, who, "claim", now=now)
    return hl.store.callbacks.get(callback_id)


def renew_lease(hl: Helpline, callback_id: str, who: str, now: float | None = None) -> bool:
    """Keep holding while the page is open. False when the claim is no longer this person's."""
    now = now or time.time()
    return hl.store.callbacks.renew(callback_id, who, now, now + lease_seconds(hl))


def release(store: Store, callback_id: str, who: str, now: float | None = None) -> None:
    now = now or time.time()
    if not store.callbacks.release(callback_id, who, now):
        raise NotHolder(callback_id)
    audit.record(store, callback_id, who, "release", now=now)


def withdraw(store: Store, phone_id: str, now: float | None = None) -> CallbackRequest | None:
    """The texter took back their request ("cancel my callback"): it leaves the queue, closed, with
    that on its trail. A crisis request stays: staff still call once. None when nothing was open."""
    now = now or time.time()
    request = store.callbacks.open_for(phone_id)
    if request is None or request.is_crisis:
        return None
    closed = replace(request, status="closed", claimed_by=None, lease_until=None, updated=now)
    store.callbacks.save(closed)
    audit.record(store, request.id, "texter", "closed", "they no longer want a call", now=now)
    log.info("event=callback.withdrawn callback=%s", request.id)
    return closed


def held_by(store: Store, who: str, now: float | None = None) -> list[CallbackRequest]:
    """The open requests `who` holds now."""
    now = now or time.time()
    return [r for r in store.callbacks.open_records() if rules.holder(r, now) == who]


def release_all_held_by(store: Store, who: str, by: str, now: float | None = None) -> int:
    """Put every request `who` holds back on the queue (their account was disabled by `by`): nobody
    waits for a claim that will never be worked. Returns how many went back."""
    now = now or time.time()
    back = 0
    for request in held_by(store, who, now):
        if store.callbacks.release(request.id, who, now):
            audit.record(store, request.id, by, "release", f"{who} was disabled", now=now)
            back += 1
    return back


def require_holder(store: Store, callback_id: str, who: str, now: float | None = None) -> CallbackRequest:
    try:
        return rules.require_holder(store.callbacks.get(callback_id), who, now)
    except NotHolder:
        raise NotHolder(callback_id) from None


def record_outcome(
    hl: Helpline,
    callback_id: str,
    who: str,
    outcome: Outcome,
    *,
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
    store, rule_set = hl.store, policy(hl.settings)

    def change(current: CallbackRequest | None) -> OutcomeWrite:
        try:
            request, decision = rules.apply_outcome(current, who, outcome, now, hl.hours, rule_set)
        except NotHolder:
            raise NotHolder(callback_id) from None
        entries = [AuditEntry(now, who, "outcome", callback_id, rules.outcome_detail(outcome, request))]
        if note:
            entries.append(AuditEntry(now, who, "note", callback_id))
        return OutcomeWrite(
            request=request,
            decision=decision,
            attempt={"at": now, "by": who, "outcome": outcome.value, "provider": provider},
            note={"at": now, "by": who, "text": note[:NOTE_LIMIT]} if note else None,
            audit=tuple(entries),
        )

    written = store.callbacks.write_outcome(callback_id, change)
    if written is None:
        raise NotHolder(callback_id)
    request, decision = written.request, written.decision
    store.count(f"callback.outcome.{outcome.value}", now)
    if not request.is_open:
        store.count("callback.closed", now)
    log.info("event=callback.outcome id=%s outcome=%s status=%s", callback_id, outcome.value, request.status)
    if decision.final_text:
        _send_final_text(hl, request, now)
    if outcome == Outcome.REFERRED and follow_up and provider:
        schedule_follow_up(hl, request, provider, now=now)
    return request, decision


def _send_final_text(hl: Helpline, request: CallbackRequest, now: float) -> None:
    if hl.store.is_opted_out(request.phone_id):
        log.info("event=callback.final_text_skipped id=%s reason=opted_out", request.id)
        return
    if blocklist.is_blocked_id(hl.store, request.phone_id):
        log.info("event=callback.final_text_skipped id=%s reason=blocked", request.id)
        return
    body = hl.catalog.render(request.lang, "callback_gave_up")
    phone = phone_of(hl.store, request)
    go = daytime.hold_until(hl, request, phone, now)  # never at night where they are
    sender.queue_text(hl, phone, body, idempotency_key=f"callback-final-{request.id}", send_at=go)


def add_note(store: Store, callback_id: str, who: str, text: str, now: float | None = None) -> None:
    """An encrypted note on the request (any signed-in staff may add one)."""
    now = now or time.time()
    if not store.callbacks.get(callback_id):
        raise KeyError(callback_id)
    store.callbacks.add_note(callback_id, {"at": now, "by": who, "text": text[:NOTE_LIMIT]})
    audit.record(store, callback_id, who, "note", now=now)


def notes(store: Store, callback_id: str) -> list[dict]:
    return store.callbacks.notes(callback_id)


def attempts(store: Store, callback_id: str) -> list[dict]:
    return store.callbacks.attempts(callback_id)


def call_person(hl: Helpline, callback_id: str, who: str, staff_phone: str, now: float | None = None) -> str:
    """Ring the staff member's phone; when they press 1 the bridge dials the person (helpline caller ID).

    A double click within 30 s places one call. Returns the idempotency key of the call.
    """
    now = now or time.time()
    store = hl.store
    require_holder(store, callback_id, who, now)
    key = f"staff-call-{callback_id}-{store.vault.phone_id(staff_phone)[:8]}-{int(now // 30)}"
    sender.queue_call(hl, staff_phone, url=f"/twilio/voice/staff-bridge/{callback_id}", idempotency_key=key)
    staff_lines.on_call(store, staff_phone, seconds=staff_lines.RINGING, now=now)  # no ring-all meanwhile
    renew_lease(hl, callback_id, who, now)
    audit.record(store, callback_id, who, "call", now=now)
    store.count("callback.calls", now)
    return key


def bridged(
    store: Store, callback_id: str, staff_phone: str | None = None, call_sid: str | None = None
) -> None:
    """The staff phone pressed 1 and is being connected to the person: it is on a call until that ends."""
    audit.record(store, callback_id, "staff phone", "connect", "bridged to the person")
    if staff_phone:
        staff_lines.on_call(store, staff_phone, call_sid)


# -- follow-up after a referral: "Did you reach <provider>?" -------------------------------------


def schedule_follow_up(
    hl: Helpline, request: CallbackRequest, provider: dict, now: float | None = None
) -> None:
    if blocklist.is_blocked_id(hl.store, request.phone_id):
        log.info("event=callback.follow_up_skipped id=%s reason=blocked", request.id)
        return
    state = {"provider": provider.get("name", ""), "scheduled_at": now or time.time(), "state": "scheduled"}
    hl.store.callbacks.set_follow_up(request.id, state)
    hl.queues[queues.HOUSEKEEPING].enqueue_in(
        policy(hl.settings).follow_up_after,
        "workers.jobs.callback_follow_up",
        request.id,
        job_id=f"follow-up-{request.id}",
    )
    log.info("event=callback.follow_up_scheduled id=%s", request.id)


def follow_up_state(store: Store, callback_id: str) -> dict | None:
    return store.callbacks.follow_up(callback_id)


def send_follow_up(hl: Helpline, callback_id: str, now: float | None = None) -> str:
    """The check-in text (job). Returns what happened: sent | opted_out | blocked | gone | done."""
    now = now or time.time()
    store = hl.store
    request, state = store.callbacks.get(callback_id), store.callbacks.follow_up(callback_id)
    if not request or not state:
        return "gone"
    if state["state"] != "scheduled":
        return "done"
    if store.is_opted_out(request.phone_id):
        store.callbacks.set_follow_up(callback_id, state | {"state": "opted_out"})
        return "opted_out"
    if blocklist.is_blocked_id(store, request.phone_id):  # blocked since the referral
        store.callbacks.set_follow_up(callback_id, state | {"state": "blocked"})
        return "blocked"
    body = hl.catalog.render(request.lang, "follow_up_check_in", provider=state["provider"][:60])
    phone = phone_of(store, request)
    go = daytime.hold_until(hl, request, phone, now)  # never at night where they are
    sender.queue_text(hl, phone, body, idempotency_key=f"follow-up-{callback_id}", send_at=go)
    store.callbacks.set_follow_up(callback_id, state | {"state": "asked", "asked_at": now})
    wait = policy(hl.settings).follow_up_wait
    store.callbacks.await_answer(request.phone_id, callback_id, int(wait.total_seconds()) + 3600)
    hl.queues[queues.HOUSEKEEPING].enqueue_in(
        wait, "workers.jobs.callback_follow_up_expired", callback_id, job_id=f"follow-up-end-{callback_id}"
    )
    audit.record(store, callback_id, "system", "follow-up text", now=now)
    return "sent"


def awaiting_follow_up(store: Store, phone_id: str) -> str | None:
    """The request whose check-in this number has not answered yet."""
    return store.callbacks.awaited(phone_id)


def answer_follow_up(
    store: Store, phone: str, reached: bool | None, now: float | None = None, call: bool = True
):
    """YES (reached), NO or no reply (None): NO and silence put a new request on the queue, linked; not a
    NO that wants no call (`call` False: "no, I'm fine", "no, don't call me")."""
    now = now or time.time()
    callback_id = store.callbacks.take_awaited(store.vault.phone_id(phone))
    if not callback_id:
        return None
    request, state = store.callbacks.get(callback_id), store.callbacks.follow_up(callback_id) or {}
    answer = {True: "yes", False: "no" if call else "no, no call wanted", None: "no reply"}[reached]
    store.callbacks.set_follow_up(
        callback_id, state | {"state": "answered", "answer": answer, "answered_at": now}
    )
    audit.record(
        store, callback_id, "texter" if reached is not None else "system", "follow-up answer", answer, now=now
    )
    if reached or not call or not request:
        return None
    try:
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
    except NumberBlocked:
        return None
    audit.record(store, new.id, "system", "queued", f"follow-up of {callback_id} ({answer})", now=now)
    return new


def expire_follow_up(store: Store, callback_id: str, now: float | None = None):
    """No reply to the check-in in time counts as NO (job)."""
    request = store.callbacks.get(callback_id)
    if not request or awaiting_follow_up(store, request.phone_id) != callback_id:
        return None
    return answer_follow_up(store, phone_of(store, request), None, now=now)
