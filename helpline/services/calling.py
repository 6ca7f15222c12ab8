"""A call, end to end: its state, Twilio's retries, and carrying out what the caller's menu decided.

The voice webhooks call these; the decisions themselves are in `ivr` (pure). State lives in Redis,
encrypted and keyed by CallSid, so any web process can answer any step of any call.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from helpline.domain import call_times, ivr, spoken, yaml_files
from helpline.domain.content import LANGUAGES, Catalog
from helpline.domain.crisis import is_crisis
from helpline.domain.hours import BusinessHours
from helpline.domain.phones import callable_number, mask_phone
from helpline.infra.locator import Locator
from helpline.infra.queues import Queues
from helpline.services import blocklist, callbacks, staff_lines
from helpline.services.provider_search import find_providers
from helpline.services.search_results import SearchRequest, queue_search, search_job_id
from helpline.store import Store
from helpline.store.webhooks import Lease

log = logging.getLogger(__name__)

CALL_STATE_SECONDS = 6 * 3600  # longer than any call, and than Twilio's wait for a transcription


@dataclass(frozen=True)
class CallLine:
    """What the voice line needs from the app."""

    store: Store
    catalog: Catalog  # spoken wording (config/voice.*.yaml)
    hours: BusinessHours
    national_helpline: str
    dedupe_seconds: int
    helpline_number: str
    queues: Queues
    lease_seconds: float = 15.0  # a step being answered holds its CallSid and step this long (settings)
    clock: Callable[[], float] = field(default=time.time)  # the moment a webhook is answered
    locator: Locator | None = None  # asked when the imported directory has nothing near


def load_voice_catalog(directory) -> Catalog:
    templates = {}
    for lang in LANGUAGES:
        with open(directory / f"voice.{lang}.yaml", encoding="utf-8") as fh:
            templates[lang] = {k: str(v) for k, v in yaml_files.load(fh).items()}
    if set(templates["en"]) ^ set(templates["es"]):
        raise ValueError(f"voice catalogs differ: {sorted(set(templates['en']) ^ set(templates['es']))}")
    return Catalog(templates)


# -- call state and retries ----------------------------------------------------------------------


def load_call(line: CallLine, sid: str) -> ivr.CallState | None:
    return line.store.calls.load(sid)


def save_call(line: CallLine, sid: str, state: ivr.CallState) -> None:
    line.store.calls.save(sid, state, CALL_STATE_SECONDS)


def begin_step(line: CallLine, sid: str, step: str) -> tuple[Lease | None, str | None]:
    """(lease, None) to answer this CallSid's step now; (None, TwiML) when this request is Twilio's
    retry of a step already answered: the same TwiML is given again, nothing is done twice.

    Raises ComeBackLater while the same step is being answered by another delivery.
    """
    lease, given = line.store.calls.begin_step(sid, step, line.lease_seconds)
    if lease is None:
        log.info("event=call.duplicate sid=%s step=%s", sid, step)
    return lease, given


def finish_step(line: CallLine, lease: Lease, sid: str, step: str, twiml: str, state=None) -> None:
    """The TwiML given, the call's state and the step's done mark, written together: a step that failed
    before this is answered again on Twilio's retry."""
    kept = (state, CALL_STATE_SECONDS) if state is not None else None
    line.store.calls.finish_step(lease, sid, step, twiml, line.dedupe_seconds, state=kept)


def abandon_step(line: CallLine, lease: Lease, sid: str) -> None:
    """Answering failed: Twilio's retry of the step answers it again (at once, or when the lease ends)."""
    if not line.store.calls.abandon(lease):
        log.warning("event=call.lease_kept sid=%s", sid)


def handle_callback_once(line: CallLine, sid: str, key: str, handle: Callable[[], object]) -> bool:
    """Run `handle` for this callback about a call (recording, transcription) unless it was handled;
    False for Twilio's retry of one handled. Raises ComeBackLater while it is being handled."""
    lease = line.store.calls.begin_callback(sid, key, line.lease_seconds)
    if lease is None:
        return False
    try:
        handle()
        line.store.calls.finish_callback(lease, line.dedupe_seconds)
    except Exception:
        abandon_step(line, lease, sid)
        raise
    return True


# -- who is calling ---------------------------------------------------------------------------


def facts_for(line: CallLine, caller_id: str) -> ivr.CallFacts:
    phone = callable_number(caller_id or "")
    if phone is None:
        return ivr.CallFacts()
    phone_id = line.store.vault.phone_id(phone)
    can_text = not (line.store.is_opted_out(phone_id) or line.store.delivery.is_invalid(phone_id))
    return ivr.CallFacts(caller=phone, can_text=can_text)


def caller_blocked(line: CallLine, caller_id: str) -> bool:
    """The number calling is on the blocklist: its call is rejected before anything is said or kept."""
    phone = callable_number(caller_id or "")
    if phone is None or not blocklist.is_blocked(line.store, phone):
        return False
    line.store.count("call.blocked")
    log.info("event=call.blocked from=%s", mask_phone(phone))
    return True


def _blocked_goodbye(state: ivr.CallState) -> ivr.Turn:
    """The number to call back is on the blocklist: nothing is queued, the call ends politely."""
    return ivr.Turn(state, (ivr.Speak("thanks_goodbye"),), then=ivr.Hangup(), intent="blocked")


def known_language(line: CallLine, facts: ivr.CallFacts) -> str | None:
    """The language this number chose before (by text or an earlier call): greet in it."""
    if not facts.caller:
        return None
    texter = line.store.load_state(line.store.vault.phone_id(facts.caller)) or {}
    return texter.get("lang") if texter.get("lang") in ivr.LANGUAGES else None


def remember_language(line: CallLine, facts: ivr.CallFacts, lang: str) -> None:
    """A language chosen on the phone is the one later texts and calls use."""
    if not facts.caller:
        return
    phone_id = line.store.vault.phone_id(facts.caller)
    texter = line.store.load_state(phone_id)
    if texter is not None and texter.get("lang") != lang:
        line.store.save_state(phone_id, {**texter, "lang": lang})


def step_answered(
    line: CallLine, facts: ivr.CallFacts, turn: ivr.Turn, now: float, lang_before: str | None = None
) -> None:
    """After each answered step: the language chosen (by key, by name, or by speaking it) is kept, the
    menu choice counted and noted."""
    if turn.intent in ("spanish", "english") or turn.state.lang != (lang_before or turn.state.lang):
        remember_language(line, facts, turn.state.lang)
    line.store.count(f"call.menu.{turn.intent}", now)
    if turn.intent not in ("repeat", "unknown"):
        note(line, facts, f"(phone) {turn.intent}")


def dial_finished(line: CallLine, status: str, now: float, call_sid: str | None = None) -> None:
    """Staff phones rang for "talk to someone now": count how it ended (answered, busy, no-answer …);
    the staff phone that took the call is free again."""
    line.store.count(f"call.talk.{status or 'unknown'}", now)
    if call_sid:
        staff_lines.call_ended(line.store, call_sid)


def note(line: CallLine, facts: ivr.CallFacts, text: str) -> None:
    """A line in the caller's conversation, so staff see what happened on the phone."""
    if facts.caller:
        line.store.append_turn(line.store.vault.phone_id(facts.caller), "in", text, channel="voice")


# -- carrying out the menu's actions ------------------------------------------------------------


def carry_out(line: CallLine, sid: str, turn: ivr.Turn, facts: ivr.CallFacts, now: float) -> ivr.Turn:
    """Run the turn's actions; some of them decide what is said next (search, callback, ringing)."""
    for action in turn.actions:
        if isinstance(action, ivr.RequestCallback):
            turn = _request_callback(line, turn, action, now, source=f"voice:{sid}:{turn.state.turn}")
        elif isinstance(action, ivr.FindProviders):
            turn = _then(turn, _find_providers(line, turn.state, action.zip, facts, now))
        elif isinstance(action, ivr.TextProviders):
            _text_providers(line, sid, turn.state, facts)
        elif isinstance(action, ivr.TalkNow):
            turn = _then(turn, _talk_now(line, turn.state, facts, now))
        else:
            raise TypeError(f"unknown action {action!r}")
    return turn


def _then(first: ivr.Turn, second: ivr.Turn) -> ivr.Turn:
    """What the first turn said, followed by the second turn; the second's intent counts."""
    intent = second.intent if second.intent != "unknown" else first.intent
    return replace(second, say=first.say + second.say, actions=(), intent=intent)


def _request_callback(
    line: CallLine, turn: ivr.Turn, action: ivr.RequestCallback, now: float, source: str | None = None
) -> ivr.Turn:
    state = turn.state
    try:
        request, created = callbacks.request_callback(
            line.store,
            action.phone,
            lang=state.lang,
            reason=action.reason,
            priority=action.priority,
            channel="voice",
            zip_code=state.zip,
            now=now,
            source=source,
        )
    except callbacks.NumberBlocked:
        # The crisis guidance is still said; nothing is queued for a blocked number.
        return turn if action.priority else _then(turn, _blocked_goodbye(state))
    state = replace(state, callback_id=request.id)
    if action.priority:
        line.store.count("crisis", now)
        log.warning("event=crisis.escalated channel=voice callback=%s", request.id)
        return replace(turn, state=state)
    line.store.count("callback.requested", now)
    log.info("event=call.callback_requested callback=%s created=%s", request.id, created)
    return _then(turn, ivr.callback_recorded(state, created, when_staff_call(line, state.lang, now)))


def when_staff_call(line: CallLine, lang: str, now: float) -> ivr.Speak:
    """The hours staff call back, and when the next call can come when closed now."""
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    hours = line.hours
    said = spoken.hours_said(hours, lang, moment)
    if hours.is_open(moment):
        return ivr.Speak("callback_when_open", {"hours": said})
    next_open = spoken.moment_said(hours, hours.next_opening(moment), lang, moment)
    return ivr.Speak("callback_when_closed", {"hours": said, "next_open": next_open})


def _find_providers(line: CallLine, state: ivr.CallState, zip_code: str, facts, now: float) -> ivr.Turn:
    from helpline.domain import places

    line.store.count("search.requested", now)
    line.store.count("call.search", now)
    place = places.locate(zip_code)
    if place is None:
        line.store.count("search.empty", now)  # each search is found, empty or failed: exactly one
        return ivr.providers_found(state, [], facts)
    result = find_providers(line, place, limit=3)
    if result.source == "none":
        line.store.count("search.failed", now)
        return ivr.providers_unavailable(state)
    found = [
        {
            "name": p.name,
            "phone": p.phone or "",
            "address": p.address,
            "city": p.city,
            "miles": round(p.miles) if p.miles >= 10 else round(p.miles, 1),
        }
        for p in result.providers
    ]
    line.store.count("search.found" if found else "search.empty", now)
    return ivr.providers_found(state, found, facts)


def _text_providers(line: CallLine, sid: str, state: ivr.CallState, facts: ivr.CallFacts) -> None:
    """The same search texted the way a texter gets it: the texting line's search job."""
    if not facts.caller or not facts.can_text or not state.zip:
        return
    # One job per step: Twilio's retry of the step after a failure queues the same job, texted once.
    job_id = search_job_id(f"voice:{sid}:{state.turn}:{state.zip}")
    queue_search(line, facts.caller, state.lang, SearchRequest(state.zip, counted=True), job_id=job_id)
    line.store.count("call.texted_providers")
    log.info("event=call.providers_texted to=%s", mask_phone(facts.caller))


def _talk_now(line: CallLine, state: ivr.CallState, facts: ivr.CallFacts, now: float) -> ivr.Turn:
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    open_now = line.hours.is_open(moment)
    # Whoever is on duty is rung, whatever the hour, unless already on a helpline call; a withheld
    # number is put through too: talking now needs no number to call back.
    phones = staff_lines.free_phones(line.store, on_duty_phones(line.store), now)
    if not phones and not facts.caller and not state.number:
        # Nobody could call back after a voicemail: ask for a number instead.
        return ivr.Turn(state, (ivr.Speak("callback_no_caller_id"),), ivr.number_ask(), intent="talk")
    line.store.count("call.person.asked", now)  # then answered by staff, a voicemail, or hung up
    return ivr.talk_now(state, open_now, phones)


def on_duty_phones(store: Store) -> list[str]:
    """Staff phones to ring now (the staff accounts' on-duty list)."""
    from helpline.services import accounts

    return accounts.on_duty_phones(store)


def staff_accepted(line: CallLine, call_sid: str, staff_phone: str = "") -> None:
    """A staff phone pressed 1 at the whisper: the caller's call is taken by a person, and that phone
    is on a helpline call until this one ends (the next caller rings the others)."""
    if callable_number(staff_phone):
        staff_lines.on_call(line.store, callable_number(staff_phone), call_sid)
    state = load_call(line, call_sid)
    if state is not None and not state.staff_accepted:
        save_call(line, call_sid, replace(state, staff_accepted=True))
        line.store.count("call.talk.accepted")
        log.info("event=call.staff_accepted sid=%s", call_sid)


# -- voicemail ---------------------------------------------------------------------------------


def voicemail_left(
    line: CallLine,
    sid: str,
    state: ivr.CallState,
    facts: ivr.CallFacts,
    recording_url: str,
    seconds: int,
    now,
) -> ivr.Turn:
    """A recorded message becomes a callback request carrying the (encrypted) recording link."""
    phone = state.number or facts.caller
    if not phone:  # a message nobody could return: the number first, then staff call
        return ivr.Turn(
            state, (ivr.Speak("callback_no_caller_id"),), ivr.number_ask(), intent="callback_number"
        )
    try:
        request, created = callbacks.request_callback(
            line.store, phone, lang=state.lang, reason="voicemail", priority=False, channel="voice",
            zip_code=state.zip, now=now, source=f"voice:{sid}:voicemail:{state.turn}",
        )  # fmt: skip
    except callbacks.NumberBlocked:
        return _blocked_goodbye(state)  # the recording is not kept on any request
    callbacks.add_extra(line.store, request.id, voicemail_url=recording_url, voicemail_seconds=seconds)
    line.store.count("call.voicemail", now)
    line.store.count("callback.requested", now)
    log.info("event=call.voicemail callback=%s seconds=%d", request.id, seconds)
    state = replace(state, callback_id=request.id)
    return ivr.callback_recorded(state, True, when_staff_call(line, state.lang, now), voicemail=True)


def recording_ready(line: CallLine, sid: str, recording_url: str, status: str, seconds: int) -> None:
    """Twilio's recording status callback: the final link and duration go on the request."""
    state = load_call(line, sid)
    line.store.count(f"call.recording.{status or 'unknown'}")
    if seconds:
        line.store.count("call.recording.seconds", amount=seconds)
    if state and state.callback_id and status == "completed":
        callbacks.add_extra(
            line.store, state.callback_id, voicemail_url=recording_url, voicemail_seconds=seconds
        )


def transcription_ready(line: CallLine, sid: str, text: str, now: float) -> bool:
    """The voicemail's transcript goes on the request, and what it says about when to call ("call me
    after 5") as the request's "when to call"; crisis words in it make it a priority."""
    state = load_call(line, sid)
    if not state or not state.callback_id:
        return False
    request = callbacks.get(line.store, state.callback_id)
    if request is None:
        return False
    callbacks.add_extra(line.store, request.id, voicemail_transcript=text)
    if words := call_times.when_to_call(text):
        callbacks.keep_call_time(line.store, request, words, now)
    if not is_crisis(text):
        return False
    phone = callbacks.phone_of(line.store, request)
    try:
        callbacks.request_callback(
            line.store, phone, lang=request.lang, reason=request.reason, priority=True, channel="voice",
            now=now,
        )  # fmt: skip
    except callbacks.NumberBlocked:
        return False
    line.store.count("crisis", now)
    line.store.count("call.voicemail.crisis", now)
    log.warning("event=crisis.escalated channel=voicemail callback=%s", request.id)
    return True


def call_started(line: CallLine, sid: str, facts: ivr.CallFacts, now: float | None = None) -> None:
    now = now or time.time()
    line.store.count("call.in", now)
    note(line, facts, "(phone call)")
    log.info("event=call.started sid=%s from=%s", sid, mask_phone(facts.caller))
