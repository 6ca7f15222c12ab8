"""POST /twilio/voice and the IVR steps under it: parse Twilio's form, ask the menu, answer in TwiML.

Every route is signature-checked. A step's answer is remembered per CallSid, so Twilio's retry of
the same step gets the same TwiML and changes nothing.
"""

from __future__ import annotations

import functools
import logging
import re

from flask import Blueprint, Response, abort, current_app, request, url_for
from twilio.twiml.voice_response import Dial, Gather, Number, Say, VoiceResponse

from helpline.domain import ivr, spoken, spoken_place
from helpline.services import calling, retries
from helpline.services.calling import CallLine
from helpline.web.twilio_signature import twilio_signed
from helpline.web.twiml import twiml

log = logging.getLogger(__name__)

bp = Blueprint("voice", __name__, url_prefix="/twilio/voice")

SID_RE = re.compile(r"^[A-Za-z]{2}[A-Za-z0-9]{1,62}$")
MAX_INPUT = 200  # keys pressed: more than this is not an answer to our questions
MAX_SPEECH = 2000  # words heard: all of them are read for crisis words
RING_SECONDS = 20  # long enough for staff to pick up, short of a phone's own voicemail (~25 s)
VOICEMAIL_SECONDS = 120
CRISIS_LINE = "988"  # the Suicide and Crisis Lifeline, reachable from any US number
SLOW_KEYS = {
    "provider", "provider_no_phone", "provider_at", "provider_at_no_phone", "providers_no_phone_help",
    "zip_confirm", "looking_up_zip", "number_confirm",
}  # fmt: skip
SLOW_RATE = "85%"
SPOKEN_PARAMS = {
    "zip": spoken_place.place_said,
    "last4": spoken.digits,
    "number": spoken.phone,
    "phone": spoken.phone,
}


def line() -> CallLine:
    return current_app.extensions["helpline"].calls


def _call_sid() -> str:
    sid = request.form.get("CallSid", "")
    if not SID_RE.match(sid):
        abort(400, "CallSid is required")
    return sid


def _heard() -> ivr.Heard:
    digits = request.form.get("Digits", "")[:MAX_INPUT]
    # A caller may talk for a while before the words that matter ("... and I just want to kill myself").
    speech = request.form.get("SpeechResult", "")[:MAX_SPEECH]
    digits = digits if re.fullmatch(r"[0-9*#]*", digits) else "?"
    return ivr.Heard(digits=digits, speech=speech, confidence=_confidence(request.form.get("Confidence")))


def _confidence(value: str | None) -> float | None:
    """Twilio's Confidence (0-1) as a number; None when absent or not a number."""
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number <= 1 else None


def _turn_number() -> int:
    value = request.args.get("n", "0")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else 0


def _url(endpoint: str, **values) -> str:
    """Absolute URLs in TwiML: Twilio calls them back (and signs them) exactly as written."""
    base = current_app.config["SETTINGS"].public_base_url
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


# -- rendering a turn as TwiML ---------------------------------------------------------------


def _say(target, lang: str, speak: ivr.Speak) -> None:
    catalog = line().catalog
    lang = speak.lang or lang
    params = {k: SPOKEN_PARAMS[k](str(v)) if k in SPOKEN_PARAMS else v for k, v in speak.params.items()}
    if "phone" in speak.params:  # a listing's extension, said in the call's language
        params["phone"] = spoken.phone(str(speak.params["phone"]), catalog.render(lang, "phone_extension"))
    params.setdefault("helpline", spoken.phone(line().national_helpline))
    text = catalog.render(lang, speak.key, **params)
    voice, language = catalog.render(lang, "tts_voice"), catalog.render(lang, "tts_language")
    if speak.key not in SLOW_KEYS:
        target.say(text, voice=voice, language=language)
        return
    say = Say(voice=voice, language=language)
    say.prosody(text, rate=SLOW_RATE)  # names and numbers to write down: slower, then a pause
    say.break_(time="700ms")
    target.append(say)


def _gather(response: VoiceResponse, lang: str, ask: ivr.Ask, n: int, first: tuple = ()) -> None:
    """The question, and what is `first` said before it, inside one Gather: a caller who knows what
    they want presses or says it at once (the crisis key during the greeting) instead of listening on."""
    catalog = line().catalog
    action = _url("voice.step", step=ask.step, n=n)
    options = {"input": "dtmf speech" if ask.speech else "dtmf", "action": action, "method": "POST"}
    options["timeout"] = ask.timeout
    if ask.num_digits:
        options["num_digits"] = ask.num_digits
    if ask.finish_on_key:
        options["finish_on_key"] = ask.finish_on_key
    if ask.speech:
        options.update(
            language=catalog.render(lang, "tts_language"),
            hints=catalog.render(lang, ask.hints),
            speech_timeout="auto",
        )
    gather = Gather(**options)
    for speak in first + ask.prompt:
        _say(gather, lang, speak)
    response.append(gather)
    response.redirect(action, method="POST")  # no answer: the same step hears "nothing"


def render(turn: ivr.Turn) -> VoiceResponse:
    state = turn.state
    lang = state.lang
    response = VoiceResponse()
    if turn.ask:
        _gather(response, lang, turn.ask, state.turn, first=turn.say)
    else:
        for speak in turn.say:
            _say(response, lang, speak)
    then = turn.then
    if isinstance(then, ivr.Hangup):
        response.hangup()
    elif isinstance(then, ivr.DialStaff):
        dial = Dial(
            action=_url("voice.dial_done", n=state.turn),
            method="POST",
            timeout=RING_SECONDS,
            caller_id=line().helpline_number,  # staff phones show the line, never the caller's number
        )
        for phone in then.phones:
            dial.append(Number(phone, url=_url("voice.whisper", lang=lang), method="POST"))
        response.append(dial)
    elif isinstance(then, ivr.DialCrisisLine):
        response.dial(CRISIS_LINE)
        _say(response, lang, ivr.Speak("crisis_line_ended"))
        response.hangup()
    elif isinstance(then, ivr.RecordVoicemail):
        response.record(
            action=_url("voice.voicemail", n=state.turn),
            method="POST",
            max_length=VOICEMAIL_SECONDS,
            finish_on_key="#",
            play_beep=True,
            timeout=10,
            recording_status_callback=_url("voice.recording"),
            recording_status_callback_method="POST",
            recording_status_callback_event="completed",
            **_transcription(lang),
        )
        _say(response, lang, ivr.Speak("voicemail_empty"))  # silence: Twilio goes on to the next verb
        _gather(response, lang, ivr.menu_ask(lang), state.turn)
    return response


def _transcription(lang: str) -> dict:
    """Twilio's <Record> transcription understands English only: Spanish messages are listened to."""
    if lang != "en":
        return {}
    return {"transcribe": True, "transcribe_callback": _url("voice.transcription")}


# -- the steps ---------------------------------------------------------------------------------


def _answer_step(step_key: str, decide) -> Response:
    """Common to every step: retries replayed, state loaded, decided, carried out, saved, rendered.

    The step counts as answered only with its state and TwiML written: when anything fails before,
    Twilio's retry of the step answers it again.
    """
    sid = _call_sid()
    calls = line()
    try:
        lease, given = calling.begin_step(calls, sid, step_key)
    except retries.ComeBackLater:
        return twiml(_come_back())  # Twilio's retry raced the first answer: ask again in a second
    if lease is None:
        return twiml(given or VoiceResponse())
    try:
        facts = calling.facts_for(calls, request.form.get("From", "")[:64])
        state = calling.load_call(calls, sid) or ivr.CallState(lang=_lang_arg())
        now = calls.clock()
        turn = decide(state, facts, now)
        turn = calling.carry_out(calls, sid, turn, facts, now)
        xml = str(render(turn))
        calling.finish_step(calls, lease, sid, step_key, xml, state=turn.state)
    except Exception:
        calling.abandon_step(calls, lease, sid)
        raise
    calling.step_answered(calls, facts, turn, now, lang_before=state.lang)
    log.info("event=call.step sid=%s step=%s intent=%s", sid, step_key, turn.intent)
    return twiml(xml)


def _come_back() -> VoiceResponse:
    response = VoiceResponse()
    response.pause(length=1)
    response.redirect(_url(request.endpoint, **request.view_args, **request.args.to_dict()), method="POST")
    return response


def _never_a_dead_line(view):
    """A caller's step that Redis cannot answer still answers: the trouble said in both languages,
    then put through to 988 (a caller in crisis must not hear Twilio's "application error")."""

    @functools.wraps(view)
    def answered(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except retries.StoreUnavailable as exc:
            log.warning("event=voice.without_store route=%s reason=%s", request.url_rule, type(exc).__name__)
            response = VoiceResponse()
            _say(response, "en", ivr.Speak("line_trouble"))
            _say(response, "es", ivr.Speak("line_trouble", lang="es"))
            response.dial(CRISIS_LINE)
            _say(response, "en", ivr.Speak("crisis_line_ended"))
            response.hangup()
            return twiml(response)

    return answered


def _lang_arg() -> str:
    lang = request.args.get("lang", "en")
    return lang if lang in ivr.LANGUAGES else "en"


@bp.post("")
@twilio_signed
@_never_a_dead_line
def incoming_call():
    if calling.caller_blocked(line(), request.form.get("From", "")[:64]):
        response = VoiceResponse()
        response.reject()  # a blocked number: nothing is said, kept or counted as a call
        return twiml(response)

    def decide(state, facts, now):
        calling.call_started(line(), _call_sid(), facts, now)
        return ivr.greeting(calling.known_language(line(), facts) or state.lang)

    return _answer_step("call", decide)


@bp.post("/step/<step>")
@twilio_signed
@_never_a_dead_line
def step(step: str):
    if step not in ivr.STEPS:
        abort(404)
    heard = _heard()
    n = _turn_number()
    return _answer_step(f"{step}:{n}", lambda state, facts, now: ivr.answer(state, step, heard, facts))


@bp.post("/dial-done")
@twilio_signed
@_never_a_dead_line
def dial_done():
    status = request.form.get("DialCallStatus", "")[:32]
    bridged = request.form.get("DialBridged", "").lower() == "true"

    def decide(state, facts, now):
        calling.dial_finished(line(), re.sub(r"[^a-z-]", "", status), now, _call_sid())
        return ivr.dial_finished(state, status, bridged, facts)

    return _answer_step(f"dial-done:{_turn_number()}", decide)


@bp.post("/voicemail")
@twilio_signed
@_never_a_dead_line
def voicemail():
    url = request.form.get("RecordingUrl", "")[:500]
    seconds = _int(request.form.get("RecordingDuration"))

    def decide(state, facts, now):
        if not url.startswith("http"):
            return ivr.Turn(state, (ivr.Speak("voicemail_empty"),), ivr.menu_ask(state.lang))
        return calling.voicemail_left(line(), _call_sid(), state, facts, url, seconds, now)

    return _answer_step(f"voicemail:{_turn_number()}", decide)


@bp.post("/whisper")
@twilio_signed
def whisper():
    """What a staff phone hears when it picks up: press 1 to take the call (so its voicemail cannot)."""
    lang = _lang_arg()
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=_url("voice.whisper_answer"), method="POST", timeout=8)
    key = "whisper_spanish" if lang == "es" else "whisper"
    gather.say(
        line().catalog.render("en", key), voice=line().catalog.render("en", "tts_voice"), language="en-US"
    )
    response.append(gather)
    response.hangup()  # nobody pressed 1: a voicemail box or a missed pick-up, not a person
    return twiml(response)


@bp.post("/whisper/answer")
@twilio_signed
def whisper_answer():
    response = VoiceResponse()
    if request.form.get("Digits", "") != "1":
        response.hangup()
        return twiml(response)
    parent = request.form.get("ParentCallSid", "")
    if SID_RE.match(parent):
        calling.staff_accepted(line(), parent, request.form.get("To", "")[:32])
    return twiml(response)  # an empty response bridges the caller to this staff phone


@bp.post("/recording")
@twilio_signed
def recording():
    sid = _call_sid()
    recording_sid = request.form.get("RecordingSid", "")[:64]
    url = request.form.get("RecordingUrl", "")[:500]
    status = re.sub(r"[^a-z-]", "", request.form.get("RecordingStatus", "")[:32])
    seconds = _int(request.form.get("RecordingDuration"))
    calling.handle_callback_once(
        line(),
        sid,
        f"recording:{recording_sid}",
        lambda: calling.recording_ready(line(), sid, url, status, seconds),
    )
    return twiml(VoiceResponse())


@bp.post("/transcription")
@twilio_signed
def transcription():
    sid = _call_sid()
    transcription_sid = request.form.get("TranscriptionSid", "")[:64]
    text = request.form.get("TranscriptionText", "")[:5000]
    if text:
        calling.handle_callback_once(
            line(),
            sid,
            f"transcription:{transcription_sid}",
            lambda: calling.transcription_ready(line(), sid, text, line().clock()),
        )
    return twiml(VoiceResponse())


def _int(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 24 * 3600))
    except ValueError:
        return 0
