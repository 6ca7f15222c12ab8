"""An incoming text, end to end: de-duplicate, screen, decide (conversation), act, answer.

The webhook calls `handle_text`; everything here is Redis plus pure domain calls, so the reply
is ready in milliseconds and slow work (provider search, outbound texts) goes to the workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from helpline.domain import places
from helpline.domain.content import Catalog
from helpline.domain.conversation import (
    AnswerFollowUp,
    Context,
    Decision,
    FindProviders,
    Inbound,
    RequestCallback,
    Say,
    SetOptOut,
    TexterState,
    decide,
)
from helpline.domain.hours import BusinessHours
from helpline.domain.phones import callable_number, mask_phone
from helpline.infra.queues import Queues
from helpline.services import callbacks
from helpline.services.search_results import SearchRequest, queue_search, search_job_id
from helpline.store import Screening, Store

log = logging.getLogger(__name__)

MAX_BODY = 1600  # Twilio's own limit for one message; longer input is cut, not refused


@dataclass(frozen=True)
class IncomingText:
    sid: str
    sender: str
    body: str
    opt_out_type: str | None = None
    num_media: int = 0


@dataclass(frozen=True)
class Line:
    """What the texting line needs from the app: storage, words, hours, the helpline number."""

    store: Store
    catalog: Catalog
    hours: BusinessHours
    national_helpline: str
    dedupe_seconds: int
    rate_limit: int
    queues: Queues
    lease_seconds: float = 15.0  # a text being answered holds its MessageSid this long (settings)
    clock: Callable[[], float] = field(default=time.time)  # the moment a text is answered


def handle_text(line: Line, text: IncomingText, now: float | None = None) -> list[str]:
    """The replies (0, 1 or 2 texts) to send back in TwiML for one incoming message.

    The text counts as answered only once its effects are written (`record_exchange`): when anything
    fails before, its lease is handed back and Twilio's retry answers it again. Raises ComeBackLater
    when the same text is being answered right now, StoreUnavailable when Redis cannot answer.
    """
    now = now or line.clock()
    store = line.store
    phone = callable_number(text.sender)
    identity = phone or text.sender.strip() or "unknown"
    phone_id = store.vault.phone_id(identity)

    screening = store.screen_text(text.sid, phone_id, now, line.lease_seconds)
    if screening is None:
        log.info("event=sms.duplicate sid=%s", text.sid)
        return []
    try:
        return _answer(line, text, phone, phone_id, screening, now)
    except Exception:
        if not store.retries.abandon(screening.lease):  # Twilio's retry need not wait for the lease
            log.warning("event=sms.lease_kept sid=%s", text.sid)
        raise


def _finish(line: Line, screening: Screening, phone_id: str, state, turns, counters, now: float) -> None:
    line.store.record_exchange(
        screening.lease, phone_id, state, turns, counters, now, done_seconds=line.dedupe_seconds
    )


def _answer(
    line: Line, text: IncomingText, phone: str | None, phone_id: str, screening: Screening, now: float
) -> list[str]:
    store = line.store
    body = text.body[:MAX_BODY]
    if screening.blocked:
        log.info("event=sms.blocked from=%s", mask_phone(phone))
        _record_opt_out_only(line, text, body, phone, phone_id, screening, now)
        _finish(line, screening, phone_id, None, [], ["sms.in"], now)
        return []

    state = TexterState.from_dict(screening.state)
    inbound = Inbound(body=body, opt_out_type=text.opt_out_type, can_call_back=phone is not None)
    # Only a number with an open request pays for reading it: is it a crisis staff are still on?
    open_request = store.callbacks.open_for(phone_id) if screening.has_open_callback else None
    context = Context(
        opted_out=screening.opted_out,
        has_open_callback=screening.has_open_callback,
        awaiting_follow_up=screening.awaiting_follow_up,
        open_crisis=bool(open_request and open_request.is_crisis),
    )
    decision = decide(state, inbound, context)

    if decision.intent != "crisis" and screening.texts_this_minute > line.rate_limit:
        if store.first_flood_notice(phone_id):
            log.warning("event=sms.rate_limited from=%s", mask_phone(phone))
        _finish(line, screening, phone_id, None, [], ["sms.in"], now)
        return []

    replies = list(decision.replies)
    for action in decision.actions:
        replies += _carry_out(line, action, decision, phone, phone_id, now, sid=text.sid)

    state = decision.state
    opted_out = screening.opted_out
    for action in decision.actions:
        if isinstance(action, SetOptOut):
            opted_out = action.opted_out
    if opted_out and decision.intent != "optout":
        replies = []  # never text an opted-out number, whatever the path
    rendered = [_render(line, state.lang, say) for say in replies]
    turns = [("in", body if body.strip() else "[picture]")] if body.strip() or text.num_media else []
    exchange = turns + [("out", reply) for reply in rendered]
    # Each reply in the TwiML is a text out, like the workers' texts ("sms.out").
    counters = ["sms.in", f"sms.intent.{decision.intent}", *["sms.replied"] * len(rendered)]
    _finish(line, screening, phone_id, state.to_dict(), exchange, counters, now)
    # A self-check's outcome is health data: the log says a check ended, not what it found.
    logged = "check_done" if decision.intent.startswith("check_") else decision.intent
    log.info("event=sms.answered from=%s intent=%s replies=%d", mask_phone(phone), logged, len(rendered))
    return rendered


def _record_opt_out_only(
    line: Line, text: IncomingText, body: str, phone, phone_id: str, screening: Screening, now: float
) -> None:
    """A blocked number gets silence, but its STOP or START still holds (and holds once it is unblocked)."""
    inbound = Inbound(body=body, opt_out_type=text.opt_out_type, can_call_back=False)
    decision = decide(TexterState.from_dict(screening.state), inbound, Context(opted_out=screening.opted_out))
    for action in decision.actions:
        if isinstance(action, SetOptOut):
            _carry_out(line, action, decision, phone, phone_id, now)


def _carry_out(
    line: Line, action, decision: Decision, phone, phone_id: str, now: float, sid: str = ""
) -> list[Say]:
    store, state = line.store, decision.state
    if isinstance(action, SetOptOut):
        store.set_opted_out(phone_id, action.opted_out)
        store.count("sms.optout" if action.opted_out else "sms.optin", now)
        callbacks.mark_texts_off(store, phone_id, action.opted_out)
        return []
    if isinstance(action, RequestCallback):
        if phone is None:
            return []  # a short code or a name cannot be called back
        request, created = callbacks.request_callback(
            store,
            phone,
            lang=state.lang,
            reason=action.reason,
            priority=action.priority,
            channel="sms",
            zip_code=_zip_of(state.location),
            check_outcome=state.check_outcome,
            now=now,
            texts_off=action.texts_off,
            source=f"sms:{sid}" if sid else None,
        )
        if action.priority and request.realerted_at == now:
            store.count("crisis.realerted", now)
            log.warning("event=crisis.realerted callback=%s", request.id)
            return []
        if action.priority:
            store.count("crisis", now)
            log.warning("event=crisis.escalated callback=%s", request.id)
            return []  # the crisis reply already says staff will call
        store.count("callback.requested", now)
        return [_callback_confirmation(line, state.lang, created, now)]
    if isinstance(action, FindProviders):
        place = places.locate(action.location)
        if place is None:
            return [Say("place_unknown")]
        store.count("search.requested", now)
        if phone is None:
            return [Say("no_search_yet", {"place": place.label})]
        request = SearchRequest(action.location, action.service, action.page, state.check_outcome)
        # One job per text: a retry of the text after a failure queues the same job, texted once.
        queue_search(line, phone, state.lang, request, job_id=search_job_id(f"sms:{sid}") if sid else None)
        return [] if action.page else [Say("looking_up", {"place": place.label})]
    if isinstance(action, AnswerFollowUp):
        if phone is not None:  # "Did you reach <provider>?": NO puts a linked request on the queue
            callbacks.answer_follow_up(store, phone, action.reached, now=now)
        return []
    raise TypeError(f"unknown action {action!r}")


def _zip_of(location: str | None) -> str | None:
    return location if location and location.isdigit() else None


def _callback_confirmation(line: Line, lang: str, created: bool, now: float) -> Say:
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    hours = line.hours
    if not created:
        when = (
            line.catalog.render(lang, "call_soon")
            if hours.is_open(moment)
            else line.catalog.render(
                lang, "call_from", moment=hours.describe_moment(hours.next_opening(moment), lang, moment)
            )
        )
        return Say("call_already_queued", {"when": when})
    if hours.is_open(moment):
        return Say("call_confirm_open", {"hours": hours.describe(lang, moment)})
    next_open = hours.describe_moment(hours.next_opening(moment), lang, moment)
    return Say("call_confirm_closed", {"hours": hours.describe(lang, moment), "next_open": next_open})


def _render(line: Line, lang: str, say: Say) -> str:
    params = {k: v for k, v in say.params.items() if not k.startswith("_")}
    params.setdefault("helpline", line.national_helpline)
    text = line.catalog.render(lang, say.key, **params)
    if say.params.get("_disclaimer"):
        text += line.catalog.render(lang, "disclaimer")
    return text
