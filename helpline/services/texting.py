"""An incoming text, end to end: de-duplicate, screen, decide (conversation), act, answer.

The webhook calls `handle_text`; everything here is Redis plus pure domain calls, so the reply
is ready in milliseconds and slow work (provider search, outbound texts) goes to the workers.
A usual text takes two round trips to Redis: the screening (its lease taken, the texter's facts
read) and the finish (its effects, a search's job among them, and its done mark, in one atomic step).
A text whose texter's facts are known beforehand takes one (`_answer_at_once`): Twilio keeps the cookie
an answer sets for that texter (4 hours) and sends it with their next text. It holds their state as
sealed in Redis; the text is decided on it and recorded in one step that first checks Redis holds exactly
that. A texter new to the line is expected to have nothing on record. Whatever differs (a callback, an
opt-out, a state a call or another text changed) is found in that same step, and the text is answered
the usual way, nothing recorded twice.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from helpline.domain import call_times, places
from helpline.domain.content import Catalog, placeholders
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
    WithdrawCallback,
    blocked_reply,
    decide,
    may_request_callback,
    without_store,
)
from helpline.domain.hours import BusinessHours
from helpline.domain.phones import callable_number, mask_phone
from helpline.infra.queues import Queues
from helpline.services import callbacks
from helpline.services.search_results import SearchRequest, search_job_id, search_job_record
from helpline.store import Screening, Store
from helpline.store.exchanges import FromTemplates
from helpline.store.jobs import JobRecord

log = logging.getLogger(__name__)

MAX_BODY = 1600  # Twilio's own limit for one message; longer input is cut, not refused


@dataclass(frozen=True)
class IncomingText:
    sid: str
    sender: str
    body: str
    opt_out_type: str | None = None
    num_media: int = 0
    hint: str | None = None  # the cookie Twilio sent back with it (HINT_COOKIE), if any


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


@dataclass(frozen=True)
class Answer:
    """The replies (0, 1 or 2 texts) for the TwiML, and what happened, said once for the request's log
    line (masked number, no text)."""

    replies: list[str]
    event: str
    hint: str | None = None  # the cookie for this texter's next text (None: leave it as it is)


# Twilio keeps a cookie an answer sets per texter and line for 4 hours, and sends it with each text.
HINT_COOKIE = "helpline_texter"
HINT_SECONDS = 4 * 3600
_SCREEN_FIRST = "-"  # in a hint: more than a state is on record (a callback, an opt-out...): screen first


@dataclass(frozen=True)
class _Ahead:
    """A decision made on the state a hint gave, before Redis was asked (decide is pure: the same state,
    text and context decide the same)."""

    state: TexterState
    decision: Decision


@dataclass
class _Effects:
    """What carrying out a decision adds to the finish: counters, and the job it queues (a search)."""

    counters: list[str] = field(default_factory=list)
    job: JobRecord | None = None


def handle_text(line: Line, text: IncomingText, now: float | None = None) -> Answer:
    """The answer to one incoming message.

    The text counts as answered only once its effects are written (`record_exchange`): when anything
    fails before, its lease is handed back and Twilio's retry answers it again. Raises ComeBackLater
    when the same text is being answered right now, StoreUnavailable when Redis cannot answer.
    """
    now = now or line.clock()
    store = line.store
    phone = callable_number(text.sender)
    identity = phone or text.sender.strip() or "unknown"
    phone_id = store.vault.phone_id(identity)

    expected = _expected(phone_id, text.hint)
    ahead = None  # the decision made on the hint's state, for when Redis shows just that state
    if expected is None:
        # A text that may ask for a callback (a crisis, CALL) also reads, in the same round trip, what
        # its request needs.
        asks = phone is not None and may_request_callback(text.body[:MAX_BODY])
        screening = store.screen_text(text.sid, phone_id, now, line.lease_seconds, for_callback=asks)
    else:
        outcome = _answer_at_once(line, text, phone, phone_id, expected, now)
        if isinstance(outcome, Answer):
            return outcome
        screening, ahead = outcome
    if screening is None:  # Twilio did not get the answer (it sends a text again only then): the same words
        replies = store.answered(text.sid)
        return _said(replies, f"event=sms.duplicate sid={text.sid} replies={len(replies)}")
    try:
        return _answer(line, text, phone, phone_id, screening, now, ahead)
    except Exception:
        if not store.retries.abandon(screening.lease):  # Twilio's retry need not wait for the lease
            log.warning("event=sms.lease_kept sid=%s", text.sid)
        raise


def _expected(phone_id: str, hint: str | None) -> bytes | None:
    """The texter's state as the hint says Redis keeps it sealed (b"": none, as for a texter new to the
    line), or None when the hint says more is on record. A hint is only ever a guess: Redis has the
    last word."""
    tag, _, sealed = (hint or "").partition(".")
    if tag != phone_id[:12]:
        return b""  # no hint (a first text, or 4 hours on), or another texter's
    if sealed == _SCREEN_FIRST:
        return None
    try:
        return base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    except (binascii.Error, ValueError):
        return b""


def _hint(phone_id: str, sealed: bytes | None) -> str:
    """The hint for the texter's next text: their state as kept sealed, or None to screen first."""
    if not sealed:
        return f"{phone_id[:12]}.{_SCREEN_FIRST}"
    return f"{phone_id[:12]}.{base64.urlsafe_b64encode(sealed).decode().rstrip('=')}"


def _answer_at_once(
    line: Line, text: IncomingText, phone: str | None, phone_id: str, expected: bytes, now: float
) -> Answer | tuple[Screening | None, _Ahead | None]:
    """The answer decided on the state the hint gives, recorded in one round trip if Redis holds just
    that. Otherwise nothing is recorded, and the screening (None: already answered) is returned for
    the usual answer, with the decision made ahead when it was not recorded for what it asks (an
    opt-out, a callback, a crisis: these are screened first). Only answers that change nothing but the
    texter's state, their conversation and a search are recorded at once."""
    store = line.store
    body = text.body[:MAX_BODY]
    state = TexterState.from_dict(store.open_state(expected) if expected else None)
    inbound = Inbound(body=body, opt_out_type=text.opt_out_type, can_call_back=phone is not None)
    decision = decide(state, inbound, Context())
    if decision.intent == "crisis" or not all(isinstance(a, FindProviders) for a in decision.actions):
        # A crisis or a callback asked for reads, in the same round trip, what its request needs.
        asks = phone is not None and any(isinstance(a, RequestCallback) for a in decision.actions)
        return store.screen_text(text.sid, phone_id, now, line.lease_seconds, for_callback=asks), _Ahead(
            state, decision
        )
    effects = _Effects()
    replies = list(decision.replies)
    for action in decision.actions:
        replies += _carry_out(line, action, decision, phone, phone_id, now, sid=text.sid, effects=effects)
    made, exchange, counters = _exchange(text, body, decision, replies, line)
    record = (
        decision.state.to_dict(),
        exchange,
        counters + effects.counters,
        line.dedupe_seconds,
        effects.job,
    )
    kept = store.answer_at_once(
        text.sid, phone_id, now, line.lease_seconds, expected, line.rate_limit, record
    )
    if not isinstance(kept, bytes):
        return kept, None  # Redis holds more than the hint said: decided again on what it holds
    return _answered(phone, phone_id, decision, made, kept)


def answer_without_store(line: Line, text: IncomingText) -> Answer:
    """The answer while Redis cannot answer: nothing is read, kept or queued, yet the texter is never
    left without a word (crisis words get the 911 / 988 guidance)."""
    key, lang = without_store(Inbound(body=text.body[:MAX_BODY], opt_out_type=text.opt_out_type))
    replies = [line.catalog.render(lang, key, helpline=line.national_helpline)] if key else []
    event = f"event=sms.without_store from={mask_phone(callable_number(text.sender))} reply={key or '-'}"
    log.warning("%s", event)
    return Answer(replies, event)


def _said(replies: list[str], event: str, hint: str | None = None) -> Answer:
    log.debug("%s", event)  # in production the request's access log line carries it
    return Answer(replies, event, hint)


def _finish(
    line: Line, screening: Screening, phone_id: str, state, turns, counters, now: float, effects=None
) -> bytes:
    return line.store.record_exchange(
        screening.lease,
        phone_id,
        state,
        turns,
        counters + (effects.counters if effects else []),
        now,
        done_seconds=line.dedupe_seconds,
        job=effects.job if effects else None,
    )


def _answer(
    line: Line,
    text: IncomingText,
    phone: str | None,
    phone_id: str,
    screening: Screening,
    now: float,
    ahead: _Ahead | None = None,
) -> Answer:
    store = line.store
    body = text.body[:MAX_BODY]
    if screening.blocked:
        _record_opt_out_only(line, text, body, phone, phone_id, screening, now)
        inbound = Inbound(body=body, opt_out_type=text.opt_out_type)
        key, lang = blocked_reply(inbound, screening.opted_out)
        counters = ["sms.in", "crisis.blocked"] if key else ["sms.in"]
        _finish(line, screening, phone_id, None, [], counters, now)
        replies = [line.catalog.render(lang, key, helpline=line.national_helpline)] if key else []
        return _said(replies, f"event=sms.blocked from={mask_phone(phone)} crisis={bool(key)}")

    state = TexterState.from_dict(screening.state)
    inbound = Inbound(body=body, opt_out_type=text.opt_out_type, can_call_back=phone is not None)
    context = Context(
        opted_out=screening.opted_out,
        has_open_callback=screening.has_open_callback,
        awaiting_follow_up=screening.awaiting_follow_up,
        open_crisis=screening.open_crisis,  # read with the screening: is it a crisis staff are still on?
    )
    if ahead is not None and ahead.state == state and context == Context():
        decided = ahead.decision  # decided on just this state with nothing else on record: the same
    else:
        decided = decide(state, inbound, context)
    decision = call_times.noted(decided, body, context)  # "call me after 5"

    if decision.intent != "crisis" and screening.texts_this_minute > line.rate_limit:
        if store.first_flood_notice(phone_id):
            log.warning("event=sms.rate_limited from=%s", mask_phone(phone))
        _finish(line, screening, phone_id, None, [], ["sms.in"], now)
        return _said([], f"event=sms.flooded from={mask_phone(phone)}")

    replies = list(decision.replies)
    effects = _Effects()
    for action in decision.actions:
        replies += _carry_out(
            line,
            action,
            decision,
            phone,
            phone_id,
            now,
            sid=text.sid,
            effects=effects,
            asking=screening.asking,
        )

    if screening.has_open_callback and decision.state.lang != state.lang:
        callbacks.follow_language(store, phone_id, decision.state.lang)
    state = decision.state
    opted_out = screening.opted_out
    for action in decision.actions:
        if isinstance(action, SetOptOut):
            opted_out = action.opted_out
    if opted_out and decision.intent != "optout":
        replies = []  # never text an opted-out number, whatever the path
    made, exchange, counters = _exchange(text, body, decision, replies, line)
    kept = _finish(line, screening, phone_id, state.to_dict(), exchange, counters, now, effects)
    plain = not (screening.opted_out or screening.has_open_callback or screening.awaiting_follow_up)
    plain = plain and all(isinstance(a, FindProviders) for a in decision.actions)
    return _answered(phone, phone_id, decision, made, kept if plain else None)


def _exchange(text: IncomingText, body: str, decision: Decision, replies: list, line: Line):
    """The replies as sent, the exchange kept for staff and the counters of an answered text."""
    made = [_reply(line, decision.state.lang, say) for say in replies]
    turns = [("in", body if body.strip() else "[picture]")] if body.strip() or text.num_media else []
    exchange = turns + [("out", reply) for reply in made]  # replies kept as template references
    # Each reply in the TwiML is a text out, like the workers' texts ("sms.out").
    counters = ["sms.in", f"sms.intent.{decision.intent}", *["sms.replied"] * len(made)]
    return made, exchange, counters


def _answered(phone, phone_id: str, decision: Decision, made: list, kept: bytes | None) -> Answer:
    # A self-check's outcome is health data: the log says a check ended, not what it found.
    logged = "check_done" if decision.intent.startswith("check_") else decision.intent
    event = f"event=sms.answered from={mask_phone(phone)} intent={logged} replies={len(made)}"
    return _said([reply.text for reply in made], event, _hint(phone_id, kept))


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
    line: Line,
    action,
    decision: Decision,
    phone,
    phone_id: str,
    now: float,
    sid: str = "",
    effects: _Effects | None = None,
    asking=None,
) -> list[Say]:
    store, state = line.store, decision.state
    effects = effects or _Effects()  # counters written with the text's finish (a blocked number's: alone)
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
            asking=asking,
            call_time=action.call_time,
        )
        if action.priority and request.realerted_at == now:
            effects.counters.append("crisis.realerted")
            log.warning("event=crisis.realerted callback=%s", request.id)
            return []
        if action.priority:
            effects.counters.append("crisis")
            log.warning("event=crisis.escalated callback=%s", request.id)
            return []  # the crisis reply already says staff will call
        effects.counters.append("callback.requested")
        if action.texts_off:
            return []  # they asked for no more texts: the opt-out's reply already says staff will call
        if not created and request.is_crisis:  # never "from tomorrow 9am" to someone in danger
            confirmation = Say("call_queued_crisis")
        else:
            confirmation = _callback_confirmation(line, state.lang, created, now)
        return [call_times.noting(confirmation) if action.call_time else confirmation]
    if isinstance(action, FindProviders):
        place = places.locate(action.location)
        if place is None:
            return [Say("place_unknown")]
        effects.counters.append("search.requested")
        if phone is None:
            return [Say("no_search_yet", {"place": place.label})]
        request = SearchRequest(action.location, action.service, action.page, state.check_outcome)
        # One job per text, queued in the step that marks the text answered: never without it, never twice.
        job_id = search_job_id(f"sms:{sid}") if sid else None
        effects.job = search_job_record(line, phone, state.lang, request, job_id)
        return [] if action.page else [Say("looking_up", {"place": place.label})]
    if isinstance(action, AnswerFollowUp):
        if phone is not None:  # "Did you reach <provider>?": NO puts a linked request on the queue
            callbacks.answer_follow_up(store, phone, action.reached, now=now, call=action.call)
        return []
    if isinstance(action, call_times.NoteCallTime):
        callbacks.note_call_time(store, phone_id, action.words, now)
        return []
    if isinstance(action, WithdrawCallback):
        if callbacks.withdraw(store, phone_id, now):
            effects.counters.append("callback.withdrawn")
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


def _reply(line: Line, lang: str, say: Say) -> FromTemplates:
    """A reply as the templates it is made of, each with the parameters it uses (`.text` is what is sent)."""
    params = {k: v for k, v in say.params.items() if not k.startswith("_")}
    params.setdefault("helpline", line.national_helpline)
    parts = [_part(line.catalog.template(lang, say.key), params)]
    if say.params.get("_disclaimer"):
        parts.append((line.catalog.template(lang, "disclaimer"), {}))
    if say.params.get("_call_time"):  # "We'll pass on to staff what you said about when to call."
        parts.append((line.catalog.template(lang, "call_time_noted"), {}))
    return FromTemplates(tuple(parts))


def _part(template: str, params: dict) -> tuple[str, dict]:
    """The template with only the parameters it names: the same text, less to keep."""
    used = {name: params[name] for name in placeholders(template) if name in params}
    if not used and params and ("{" in template or "}" in template):  # "{{" reads "{" only when filled
        return template, params
    return template, used
