"""The texter's conversation: given what they sent and what we know, decide the reply.

Pure: no Redis, no Flask, no clock. The caller loads the state, passes the facts it needs
(`Context`), applies the returned actions and saves the new state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from helpline.domain import crisis, finding_care, language, opt_out, places
from helpline.domain import keywords as kw
from helpline.domain.treatment_services import PAYMENT

INFORMATIONAL = {"oih", "signs", "tolerance", "treat"}
CHECK_QUESTIONS = ("check_q1", "check_q2", "check_q3")


@dataclass(frozen=True)
class TexterState:
    lang: str = "en"
    welcomed: bool = False
    disclaimed: bool = False  # "not medical advice" sent in this conversation
    check_step: int = 0  # 0: not in the self-check; 1..3: waiting for that answer
    check_answers: tuple[bool, ...] = ()
    check_outcome: str | None = None  # oih | oud | both | none
    location: str | None = None  # what they sent: "10001" or "austin, tx"
    search_filter: str | None = None
    search_page: int = 0
    crisis_kind: str | None = None  # overdose | suicide | both: the guidance their last crisis needed
    wanted_service: str | None = None  # named without a place ("i need suboxone"): the next search's filter
    pending_city: str | None = None  # a city named without its state ("denver"): which state is asked
    pending_state: str | None = None  # a state named without a city ("i live in ohio"): which city is asked

    @classmethod
    def from_dict(cls, data: dict | None) -> TexterState:
        if not data:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["check_answers"] = tuple(known.get("check_answers", ()))
        return cls(**known)

    def to_dict(self) -> dict:
        return dict(self.__dict__)  # flat fields: no deep copy needed (asdict costs more on the hot path)


@dataclass(frozen=True)
class Inbound:
    body: str
    opt_out_type: str | None = None  # Twilio Advanced Opt-Out: STOP / START / HELP
    can_call_back: bool = True  # a real phone number, not a short code or a name


@dataclass(frozen=True)
class Context:
    """Facts from outside the conversation that the reply depends on."""

    opted_out: bool = False
    has_open_callback: bool = False
    awaiting_follow_up: bool = False  # we asked "Did you reach <provider>?" and wait for YES/NO
    open_crisis: bool = False  # this number has a crisis request staff have not closed yet


@dataclass(frozen=True)
class Say:
    key: str
    params: dict = field(default_factory=dict)


# Actions the caller carries out.
@dataclass(frozen=True)
class RequestCallback:
    priority: bool
    reason: str
    texts_off: bool = False  # the number opted out: staff call it, nobody texts it
    call_time: str | None = None  # their words on when to call (call_times.noted), shown to staff


@dataclass(frozen=True)
class SetOptOut:
    opted_out: bool


@dataclass(frozen=True)
class FindProviders:
    location: str
    service: str | None
    page: int = 0


@dataclass(frozen=True)
class WithdrawCallback:
    """They no longer want the callback they asked for (never a crisis request: staff still call)."""


@dataclass(frozen=True)
class AnswerFollowUp:
    reached: bool  # YES: they reached the provider; NO: they did not
    call: bool = True  # NO puts a callback on the queue, unless they said they want none ("no, im fine")


@dataclass(frozen=True)
class Decision:
    state: TexterState
    replies: tuple[Say, ...] = ()
    actions: tuple = ()
    intent: str = "unknown"  # for operators' figures


def check_outcome(answers: tuple[bool, ...]) -> str:
    """Pain pattern (Q1/Q2) points to OIH; Q3 points to opioid use disorder; both can be true."""
    pain = answers[0] or answers[1]
    use = answers[2]
    return "both" if pain and use else "oih" if pain else "oud" if use else "none"


def _informational(state: TexterState, key: str) -> tuple[TexterState, Say]:
    """An informational reply carries the not-medical-advice line once per conversation."""
    if state.disclaimed:
        return state, Say(key)
    return replace(state, disclaimed=True), Say(key, {"_disclaimer": True})


def warm() -> None:
    """Read and compile the crisis and opt-out lexicons before the first texter waits on them."""
    crisis.default_lexicon()
    opt_out.default_lexicon()


def crisis_reply(kind: str | None, can_call_back: bool = True) -> str:
    """The crisis text whose first line fits what was said: overdose -> 911, suicide -> 988. A sender we
    cannot call (a short code, a name) is not promised a call."""
    key = f"crisis_{kind}" if kind in ("overdose", "suicide") else "crisis"
    return key if can_call_back else f"{key}_nocall"


def _written_in(body: str, signal: crisis.CrisisSignal | None) -> str | None:
    """The language to answer in: the one they write in, from the first text on ("quiero morir" gets
    Spanish by its crisis words alone); None when the words do not tell."""
    return language.guess(body) or (signal.lang if signal else None)


def blocked_reply(inbound: Inbound, opted_out: bool) -> tuple[str | None, str]:
    """A blocked number gets silence, except crisis words: the 911 / 988 guidance, with no promise of
    a call (staff do not call a blocked number). The reply's key (None: nothing) and its language."""
    signal = crisis.detect(inbound.body)
    lang = _written_in(inbound.body, signal) or "en"
    if signal is None or opted_out or (inbound.opt_out_type or "").upper() == "STOP":
        return None, lang
    return crisis_reply(signal.kind, can_call_back=False), lang


def without_store(inbound: Inbound) -> tuple[str | None, str]:
    """What a text gets while nothing can be read or kept (the store is down): the reply's key (None:
    no reply) and its language. Crisis words get the guidance with no promise of a call (no request
    can be queued: reach 911 or 988 yourself); an opt-out gets nothing (it cannot be kept, and the
    carrier keeps a STOP); anything else is asked to text again in a few minutes."""
    signal = crisis.detect(inbound.body)
    lang = _written_in(inbound.body, signal) or "en"
    if (inbound.opt_out_type or "").upper() == "STOP":
        return None, lang  # the carrier blocks any reply to it
    if signal:
        return "crisis_line_trouble", lang
    if opt_out.is_opt_out(inbound.body):
        return None, lang
    return "line_trouble", lang


def may_request_callback(body: str) -> bool:
    """Whether this text may well put a request on the callback queue (a crisis, an alarming text,
    CALL, asking for a person), so that what a request needs is read with the text's first look at
    Redis. Only a guess to save a texter a wait: `decide` alone decides."""
    if crisis.detect(body) or crisis.alarming(body):
        return True
    text = kw.normalise(body)
    return kw.asks_for_a_person(text) or _explicit_intent(" ".join(kw.words(text))) == "call"


def decide(state: TexterState, inbound: Inbound, ctx: Context) -> Decision:
    text = kw.normalise(inbound.body)
    whole = " ".join(kw.words(text))
    opt_type = (inbound.opt_out_type or "").upper()
    signal = crisis.detect(inbound.body)
    lang = _written_in(inbound.body, signal)
    if lang:
        state = replace(state, lang=lang)
    if signal:
        state = replace(state, crisis_kind=signal.kind)

    # 1. Opt-out comes first: Twilio's OptOutType, the carrier words, or a clear request in their words.
    if opt_type == "STOP" or opt_out.is_opt_out(inbound.body):
        return _opt_out(state, inbound, text, signal, ctx, silent=opt_type == "STOP" or ctx.opted_out)
    if ctx.opted_out and (opt_type == "START" or opt_out.is_opt_in(inbound.body)):
        replies = () if opt_type == "START" else (Say("optin_confirm"),)
        return Decision(replace(state, welcomed=True), replies, (SetOptOut(False),), "optin")

    # 2. Crisis wins over everything else, at any step of any flow; even opted out, staff call.
    # While a crisis request is open, a later alarming text ("please hurry") alerts staff again.
    if signal or (ctx.open_crisis and crisis.alarming(inbound.body, asking=_asks_for_more(text, whole))):
        replies = () if ctx.opted_out else (Say(crisis_reply(state.crisis_kind, inbound.can_call_back)),)
        new = replace(state, welcomed=True, check_step=0)
        action = RequestCallback(True, "crisis", texts_off=ctx.opted_out)
        return Decision(new, replies, (action,), "crisis")

    if ctx.opted_out:
        return Decision(state, (), (), "opted_out")  # nothing is sent until START

    if opt_type == "HELP" or whole in kw.HELP_WORDS:
        return Decision(replace(state, welcomed=True), (Say("help"),), (), "help")

    first_contact = not state.welcomed
    decision = _menu_decision(replace(state, welcomed=True), text, whole, inbound, ctx)
    # After a crisis call, a first text ("ok", "we are at 123 main st") hears that staff are on their way.
    still_here = any(say.key == "crisis_still_here" for say in decision.replies)
    if first_contact and (
        still_here or decision.intent not in ("menu", "spanish", "english", "about", "thanks")
    ):
        # Any first message gets the welcome; a real question is answered right after it (the menu is
        # not: the welcome lists the same choices).
        answer = tuple(say for say in decision.replies if say.key != "menu")
        replies = (Say("welcome"),) + (answer if decision.intent != "unknown" or still_here else ())
        return replace(decision, replies=replies)
    if first_contact:
        return replace(decision, replies=(Say("welcome"),))
    return decision


def _asks_for_more(text: str, whole: str) -> bool:
    """While a crisis is open: the text asks for something besides help now (a place, MORE, a language,
    a menu word; a call is help now), thanks us, or says things are all right, so its "please" or "now"
    is no alarm."""
    return bool(
        kw.sounds_reassured(text)
        or kw.only_thanks(text)
        or (_explicit_intent(whole) or "menu") not in ("menu", "call")  # "please call now" re-alerts staff
        or _place(text)
    )


def _opt_out(state: TexterState, inbound: Inbound, text: str, signal, ctx: Context, silent: bool) -> Decision:
    """No more texts. A crisis said with it still gets its guidance and staff; "stop texting, call me
    instead" still gets the call; a callback asked for before still stands, and the confirmation says
    so. `silent`: Twilio confirms a STOP itself, and an opted-out number hears nothing."""
    state = replace(state, check_step=0)
    if signal:
        crisis_text = Say(crisis_reply(state.crisis_kind, inbound.can_call_back))
        replies = () if silent else (crisis_text, Say("optout_confirm"))
        return Decision(
            state, replies, (SetOptOut(True), RequestCallback(True, "crisis", texts_off=True)), "optout"
        )
    if inbound.can_call_back and kw.asks_for_a_person(text):
        replies = () if silent else (Say("optout_call_confirm"),)
        return Decision(
            state, replies, (SetOptOut(True), RequestCallback(False, "callback", texts_off=True)), "optout"
        )
    confirm = (
        "optout_confirm_crisis_call"
        if ctx.open_crisis
        else "optout_confirm_call_kept"
        if ctx.has_open_callback
        else "optout_confirm"
    )
    return Decision(state, () if silent else (Say(confirm),), (SetOptOut(True),), "optout")


def _menu_decision(state: TexterState, text: str, whole: str, inbound: Inbound, ctx: Context) -> Decision:
    refuses = kw.refuses_a_call(text)
    if ctx.has_open_callback and (kw.withdraws_callback(text) or refuses):
        if ctx.open_crisis:  # they told us of an emergency: staff still call once to check on them
            return Decision(state, (Say("call_kept_crisis"),), (), "call_withdraw")
        return Decision(
            replace(state, check_step=0), (Say("call_withdrawn"),), (WithdrawCallback(),), "call_withdraw"
        )
    # "do not call me, my husband will see": no call, ever; nor "cancel my callback" with none open
    if not ctx.has_open_callback and (refuses or kw.withdraws_a_call_by_name(text)):
        # to "did you reach them?" ("no, don't call me"): answered, and no request put on the queue for it
        answered = (AnswerFollowUp(False, call=False),) if ctx.awaiting_follow_up else ()
        return Decision(replace(state, check_step=0), (Say("call_not_wanted"),), answered, "no_call")
    if ctx.has_open_callback and not ctx.open_crisis and kw.mentions_not_calling(text):
        # "no calls after 5 please", "dont call the cops on him": the request stays, and how to take it back
        return Decision(replace(state, check_step=0), (Say("call_still_on_list"),), (), "call")
    # Asking for a person is never taken for a YES or NO ("no, i need to talk to a real person").
    wants_person = kw.asks_for_a_person(text)
    # The check-in after a referral waits for YES/NO; anything else goes on as usual.
    if ctx.awaiting_follow_up and (answer := kw.yes_no(text)) is not None:
        if answer and wants_person:  # "yes I did, but can someone call me": both
            call = _call(replace(state, check_step=0), inbound)
            return replace(call, actions=(AnswerFollowUp(True),) + call.actions)
        if not answer and kw.needs_nothing(text):  # "no thanks, im fine": no call they did not ask for
            answered = (AnswerFollowUp(False, call=False),)
            return Decision(replace(state, check_step=0), (Say("call_not_wanted"),), answered, "follow_up")
        reply = Say("follow_up_thanks" if answer else "follow_up_callback")
        return Decision(replace(state, check_step=0), (reply,), (AnswerFollowUp(answer),), "follow_up")
    if state.check_step and wants_person:
        state = replace(state, check_step=0)  # leaves the self-check for the callback below
    # The self-check waits for YES/NO; menu words, a ZIP or a "city, ST" still work as a way out.
    if state.check_step and kw.not_understood(text):  # "no entiendo" is no NO: the question again
        if kw.reads_no_english(text):  # "no english": in Spanish
            state = replace(state, lang="es")
        return Decision(state, (Say(CHECK_QUESTIONS[state.check_step - 1]),), (), "check")
    if state.check_step:
        answer = kw.yes_no(text)
        if answer is not None:
            return _check_answer(state, answer)
        # A bare number ("1", "7", "10") answers the question in its own way (a rating, 1 for yes): ask
        # again rather than leave for the menu item it happens to number.
        if (
            (whole.isdigit() or not _explicit_intent(whole))
            and not _place(text)
            and not _city_alone(text)
            and not kw.asks_about_more(text)  # "should i up my dose": answered, the self-check left
        ):
            return Decision(state, (Say("check_yes_no"),), (), "check")
        state = replace(state, check_step=0)

    place = _place(text)
    # "denver" -> "Which state?" -> "CO" (or "colorado"): the city they named, in that state.
    if not place and state.pending_city and (code := _state_answered(whole)):
        city = _city_and_state(f"{state.pending_city}, {code}", known_only=True)
        place = (city, None) if city else None
    state = replace(state, pending_city=None) if state.pending_city else state
    # "i live in ohio" -> "Which city?" -> "dayton" (or "daytn"): that city, in that state.
    if not place and state.pending_state and whole:
        city = _city_and_state(
            f"{kw.trim_place_text(text).strip(' ,')}, {state.pending_state}", known_only=True
        )
        place = (city, None) if city else None
    state = replace(state, pending_state=None) if state.pending_state else state
    # Asking for a person ("can I talk to someone about treatment") is a callback, whatever else it names;
    # a place named with it ("call me back, my zip is 45402") is kept for staff and for MORE.
    if wants_person:
        if place:
            service = SERVICE_WORDS.get(place[1] or "") or state.wanted_service
            # search_page -1: the place is known and nothing has been searched yet, so MORE starts at page 0
            state = replace(
                state, location=place[0], search_filter=service, search_page=-1, wanted_service=None
            )
        return _call(state, inbound)
    # While staff are on their way to a crisis, a street ("we are at 123 main st apt 4", even with its
    # city) tells staff where they are: that staff are coming and 911, never a treatment search.
    if ctx.open_crisis and kw.names_a_street(text):
        return _still_here(state)
    if place:
        if place[1] is None and finding_care.asks_about_paying(text):  # "medicaid clinics near 10001"
            state = replace(state, wanted_service=PAYMENT)
        return _find(state, *place)

    intent = _explicit_intent(whole)
    if kw.reads_no_english(text):
        intent = "spanish"  # "no hablo ingles": its "ingles" asks for Spanish
    greeted = intent == "menu" and kw.greets_before_more(whole)
    if greeted:  # "hi, my dad's pain is getting worse": what follows the greeting is the question
        intent, text = None, kw.without_greeting(text)
        whole = " ".join(kw.words(text))
    # After results, "any others?", "otras opciones": MORE in other words.
    if intent in (None, "menu") and state.location and finding_care.asks_for_others(text):
        intent = "more"
    if ctx.open_crisis and intent is None and _newer_reading(text):
        return _still_here(state)  # "i dont know the zip", "he stopped his meds": staff are on their way
    if intent is None and kw.zip_not_known(text):  # "i dont know my zip": a city and state will do
        return Decision(state, (Say("zip_not_known"),), (), "ask_place")
    if intent == "call" and kw.would_call_us(text):  # "can i call you": how to reach a person
        return Decision(state, (Say("about"),), (), "about")
    # "should i call my doctor", "no calls after 5", "call of duty": no request for our call
    if intent == "call" and (
        kw.calls_someone_else(text) or kw.mentions_not_calling(text) or kw.calls_a_game(text)
    ):
        intent = None
    if intent in (None, "tolerance", "more") and kw.asks_about_more(text):  # "can i take more" is no MORE
        # "should i take more pills for the pain": not on their own; a higher dose can make OIH worse.
        state, say = _informational(state, "tolerance")
        return Decision(state, (say,), (), "tolerance")
    if intent in (None, "treat") and kw.stopped_already(text):
        # "i stopped my methadone yesterday and feel awful": their prescriber or clinic, today.
        state, say = _informational(state, "stopped_suddenly")
        return Decision(state, (say,), (), "treat")
    if intent in (None, "treat") and kw.asks_about_stopping(text):
        # "how do i get off oxy", "can i stop suddenly": a slow taper with the prescriber, never suddenly.
        state, say = _informational(state, "treat")
        return Decision(state, (say,), (), "treat")
    word = _service_word_in(text) if intent in (None, "treat") else None
    if word and SERVICE_WORDS[word] != "pain" and kw.asks_what_it_is(text):
        state, say = _informational(state, "treat")  # "is methadone safe", "what is detox like": no search
        return Decision(state, (say,), (), "treat")
    if (
        word
        and SERVICE_WORDS[word] != "pain"
        and not (kw.already_takes(text, word) and kw.describes_worsening_pain(text))
    ):
        if state.location and len(whole.split()) <= 4 and not kw.already_takes(text, word):
            return _find(state, state.location, word)  # after a search: "vivitrol", "what about detox"
        # "i need suboxone", "methadone clinics?": where? The next place they send searches for it.
        new = replace(state, wanted_service=SERVICE_WORDS[word])
        return Decision(new, (Say("ask_place_for_service", {"service": word}),), (), "service")
    # "i have no insurance", "do you take medicaid": free or low-cost care, near the place they name next
    # (or the one just searched).
    if (
        intent in (None, "treat")
        and finding_care.asks_about_paying(text)
        and not kw.describes_worsening_pain(text)
    ):
        new = replace(state, wanted_service=PAYMENT)
        if state.location:
            return _find(new, state.location, None)
        return Decision(new, (Say("ask_place_for_low_cost"),), (), "service")
    # A street, and no city we know: what we can search. Read after the dose, the stopping and the service
    # asked for, and never over pain that keeps growing ("i take 10 off the street and my pain...").
    if intent is None and kw.names_a_street(text) and not kw.describes_worsening_pain(text):
        return Decision(state, (Say("ask_place_for_street"),), (), "ask_place")
    if intent is None and finding_care.zip_wrong_length(text):  # "2134", "zip 902101": five digits, or a city
        return Decision(state, (Say("zip_five_digits"),), (), "ask_place")
    # "any clinics near me", and before any search "find a clinic", "i need rehab": where? (TREAT alone is
    # what treatment is; while staff are on their way to a crisis, not this.)
    if (
        intent in (None, "treat")
        and not ctx.open_crisis
        and (
            finding_care.asks_what_is_near(text)
            or (
                not state.location and finding_care.seeks_care(text) and not kw.describes_worsening_pain(text)
            )
        )
    ):
        return Decision(state, (Say("ask_place_near"),), (), "ask_place")
    if intent is None and (kw.asks_about_the_line(text) or kw.asks_for_help(text)):
        return Decision(state, (Say("about"),), (), "about")
    if intent is None and kw.only_thanks(text):
        if not kw.only_acknowledges(text):
            return Decision(state, (Say("thanks"),), (), "thanks")
        # "ok", "k": nobody said thanks. While staff are on their way to a crisis, that they still are.
        return Decision(state, (Say("crisis_still_here" if ctx.open_crisis else "noted"),), (), "thanks")
    if intent is None and (named := _state_named(text)):
        new = replace(state, pending_state=kw.STATE_NAMES[named])
        return Decision(new, (Say("ask_city_in_state", {"state": named.title()}),), (), "ask_city")
    if intent is None and (city := _city_alone(text, cued_only=greeted)):  # "hi austin" greets a person
        return _city_without_state(state, *city)
    if intent is None and kw.describes_worsening_pain(text):
        intent = "oih"  # their pain keeps growing: what OIH is, and where to go from there
    if intent is None and greeted:
        if ctx.open_crisis:  # "hi are you there": staff are on their way
            return _still_here(state)
        intent = "menu"  # "hi there": a greeting after all
    if intent == "oih" and kw.asks_if_they_have_it(text):
        intent = "signs"  # "how do i know if i have oih": the signs
    if intent in INFORMATIONAL:
        state, say = _informational(state, intent)
        return Decision(state, (say,), (), intent)
    if intent == "check":
        return Decision(replace(state, check_step=1, check_answers=()), (Say("check_q1"),), (), "check")
    if intent == "call":
        return _call(state, inbound)
    if intent == "more":
        if state.location:
            page = state.search_page + 1
            new = replace(state, search_page=page)
            return Decision(new, (), (FindProviders(state.location, state.search_filter, page),), "more")
        return Decision(state, (Say("menu"),), (), "more")
    if intent == "spanish":
        return Decision(replace(state, lang="es"), (Say("menu"),), (), "spanish")
    if intent == "english":
        return Decision(replace(state, lang="en"), (Say("menu"),), (), "english")
    if intent == "menu":
        return Decision(state, (Say("menu"),), (), "menu")
    if ctx.open_crisis:  # "no narcan", "he's breathing now": not a menu while staff are on the way
        return _still_here(state)
    if state.location and state.search_page >= 0:  # after results: what they can do about them
        return Decision(
            state, (Say("unknown_after_results", {"place": _label(state.location)}),), (), "unknown"
        )
    return Decision(state, (Say("menu"),), (), "unknown")


def _still_here(state: TexterState) -> Decision:
    """While a crisis request is open: staff are on their way, and 911 if someone stops breathing."""
    return Decision(state, (Say("crisis_still_here"),), (), "unknown")


def _newer_reading(text: str) -> bool:
    """Whether a text would be read as a street, a ZIP not known, a dose question or a medicine stopped:
    readings that ask about treatment, which wait while a crisis is open."""
    return bool(
        kw.names_a_street(text)
        or kw.zip_not_known(text)
        or kw.asks_about_more(text)
        or kw.stopped_already(text)
    )


def _label(location: str) -> str:
    """`austin, tx` -> `Austin, TX`; a ZIP as it is."""
    city, _, code = location.rpartition(",")
    return f"{city.strip().title()}, {code.strip().upper()}" if city else location


def _call(state: TexterState, inbound: Inbound) -> Decision:
    if not inbound.can_call_back:
        return Decision(state, (Say("call_cannot"),), (), "call")
    reason = f"check:{state.check_outcome}" if state.check_outcome else "callback"
    return Decision(state, (), (RequestCallback(False, reason),), "call")


def _place(text: str) -> tuple[str, str | None] | None:
    """(location, service word) for a ZIP code or a "city, ST", each maybe followed by a service word;
    or, in a sentence, a city and state ("I'm in Austin TX", "denver colorado") or the one real ZIP it
    names ("my zip is 10001", "methadone near 60614", "estoy en 78701")."""
    if match := kw.ZIP_RE.match(text):
        return match.group(1), match.group(2)
    if (code := kw.slipped_zip(kw.trim_place_text(kw.without_greeting(text)))) and places.real_zip(code):
        return code, None
    trimmed = kw.trim_place_text(text)
    # The place may end a longer text: "... is there someone i can talk to? i live in dayton, ohio."
    for candidate in dict.fromkeys((trimmed, _LAST_CLAUSE.split(trimmed)[-1])):
        place_text, service_word = _split_service_word(candidate)
        if city := _city_and_state(kw.city_nickname(place_text)):
            return city, service_word or _service_word_in(place_text)
    # A known city and state with more said after it: "im in austin tx and need suboxone".
    said = trimmed.split()
    for end in range(len(said), 0, -1):
        last, two = said[end - 1].strip(","), " ".join(said[max(0, end - 2) : end]).strip(",")
        if last in kw.US_STATES or last in kw.STATE_NAMES or two in kw.STATE_NAMES:
            # The city is in the few words before the state, however long the text before them, and
            # after any street address ("123 main st, springfield il", "on 5th st in tulsa ok").
            head_words = said[max(0, end - 6) : end]
            head_words = head_words[_after_a_street(head_words) :]
            head = " ".join(head_words).rstrip(",")
            if (city := _city_and_state(kw.city_nickname(head), known_only=True)) is not None:
                return city, _service_word_in(" ".join(said[end:])) or _service_word_in(head)
    zips = {match.group(1) for match in kw.ZIP_IN_TEXT_RE.finditer(text)}
    if len(zips) == 1:
        code = zips.pop()
        if places.real_zip(code):
            return code, _service_word_in(text)
        if kw.names_a_zip(text, code):  # "my zip is 00000": looked up, and they are told it is not a place
            return code, None
    return None


_LAST_CLAUSE = re.compile(r"[!?;]\s*|\.\s+")


def _after_a_street(head: list[str]) -> int:
    """Where the city may start in the words ending in a state: after the last number ("450 w 33rd st")
    and after the last comma but the one before the state ("500 congress ave, austin, tx")."""
    return max(
        (
            i + 1
            for i, word in enumerate(head[:-1])
            if any(c.isdigit() for c in word) or (word.endswith(",") and i < len(head) - 2)
        ),
        default=0,
    )


def _city_and_state(text: str, known_only: bool = False) -> str | None:
    """`austin, tx`, `austin tx`, `i'm in austin texas` -> `austin, tx` (the words before the city are
    dropped when the city is known); None when the text does not end in a state."""
    written_as_a_place = "," in text  # "Smallville, KS" as they wrote it, not "i live in ohio"
    if ends_in := kw.STATE_NAME_AT_END.search(text):
        name = ends_in.group(1)
        text = f"{text[: -len(name)].rstrip(' ,')}, {kw.STATE_NAMES[name]}"
    match = kw.CITY_STATE_RE.match(text)
    if not match or match.group(2) not in kw.US_STATES:
        return None
    city, state = match.group(1).strip(" ,"), match.group(2)
    words = city.split()
    for start in range(max(0, len(words) - 4), len(words)):  # the longest known city the text ends with
        candidate = " ".join(words[start:])
        if places.city_centroid(candidate, state):
            return f"{candidate}, {state}"
    # Only the whole text as a place ("houstn tx", "albequerque, nm"), not a sentence, is read with typos.
    if 0 < len(words) <= 3 and not _keyword_in(city) and (likely := places.city_like(city, state)):
        return f"{likely}, {state}"
    # A town the ZIP data does not know is still looked up ("we can't find it") when written as a place,
    # "Smallville, KS"; without the comma it is a sentence ("is this ok", "i am in pain ok"), and a
    # request never is one ("please call, me" is not a town in Maine).
    if known_only or not written_as_a_place or _keyword_in(" ".join(kw.words(text))):
        return None
    return f"{city}, {state}"


def _service_word_in(text: str) -> str | None:
    """The service a sentence asks for ("bupe near 10001"): the first one named, pain care last."""
    named = [word for word in kw.words(text) if word in SERVICE_WORDS and not kw.turns_down(text, word)]
    specific = [word for word in named if SERVICE_WORDS[word] != "pain"]
    return (specific or named or [None])[0]


def _keyword_in(whole: str) -> bool:
    return bool(kw.menu_intent(whole, fuzzy=False)) or any(
        len(word) > 1 and kw.menu_intent(word, fuzzy=False) for word in whole.split()
    )


def _explicit_intent(whole: str) -> str | None:
    """The whole message as one keyword (typos allowed), else any exact keyword in it."""
    if not whole:
        return None
    if number := kw.MENU_NUMBER_RE.match(whole):
        return kw.MENU_NUMBERS[number.group(1)]
    compact = whole.replace(" ", "")
    intent = kw.menu_intent(whole) or kw.menu_intent(compact)
    if intent:
        return intent
    said = whole.split()
    found = []
    for word in said:
        if len(word) < 2 or not (intent := kw.menu_intent(word, fuzzy=False)):
            continue
        # "it hurts more every day", "i failed a drug test": everyday words, unless that is all they say.
        if word in kw.WEAK_IN_A_SENTENCE and not all(w == word or w in kw.MENU_FILLER for w in said):
            continue
        if (
            word in kw.ABOUT_OIH_ONLY
            and len(said) > 1
            and not any(kw.menu_intent(w, fuzzy=False) == "oih" for w in said)
        ):
            continue
        found.append(intent)
    # A greeting in front of a question ("hi what are the signs") is not the question; nor is the topic
    # named with it ("how is oih treated", "is oih the same as tolerance").
    for skipped in (("menu", "oih"), ("menu",)):
        if question := next((intent for intent in found if intent not in skipped), None):
            return question
    return found[0] if found else None


def _check_answer(state: TexterState, answer: bool) -> Decision:
    answers = state.check_answers + (answer,)
    if len(answers) < len(CHECK_QUESTIONS):
        new = replace(state, check_step=len(answers) + 1, check_answers=answers)
        return Decision(new, (Say(CHECK_QUESTIONS[len(answers)]),), (), "check")
    outcome = check_outcome(answers)
    new = replace(state, check_step=0, check_answers=answers, check_outcome=outcome, disclaimed=True)
    return Decision(new, (Say(f"check_result_{outcome}"),), (), f"check_{outcome}")


SERVICE_WORDS = {
    "methadone": "methadone",
    "metadona": "methadone",
    "otp": "methadone",
    "bupe": "buprenorphine",
    "buprenorphine": "buprenorphine",
    "suboxone": "buprenorphine",
    "buprenorfina": "buprenorphine",
    "naltrexone": "naltrexone",
    "vivitrol": "naltrexone",
    "naltrexona": "naltrexone",
    "pain": "pain",
    "dolor": "pain",
    "detox": "detox",
    "telehealth": "telehealth",
    "outpatient": "outpatient",
    "residential": "residential",
}


def _split_service_word(text: str) -> tuple[str, str | None]:
    """`austin, tx methadone` -> (`austin, tx`, `methadone`); only known service words are split off."""
    head, _, last = text.rpartition(" ")
    return (head, last) if head and last in SERVICE_WORDS else (text, None)


# A city named alone is taken for a place only when it is a city people name alone (this many ZIP codes),
# or when they say it is where they are ("im in denver"): "why" and "hope" are towns too.
CITY_ALONE_ZIPS = 5
_WHERE_CUE = re.compile(
    r"^(?:i ?m|i am|we are|we re|i live|we live|live|living|located|staying|estoy|estamos|vivo|vivimos)?"
    r"\s*(?:in|near|around|by|en|cerca de)\s+|^near\s+"
    # after a search: "what about chicago", "try in denver", "y en houston"
    r"|^(?:(?:what|how) about|try|and|y|que tal|y que tal)\s+(?:in\s+|en\s+)?"
)


def _city_alone(text: str, cued_only: bool = False) -> tuple[str, tuple[tuple[str, int], ...]] | None:
    """("denver", its states) when a text is only a city's name ("denver", "im in brooklyn"), else None.
    `cued_only`: only when they say they are there ("im in brooklyn")."""
    place_text = kw.trim_place_text(text).strip(" ,")
    cued = _WHERE_CUE.match(place_text)
    name = place_text[cued.end() :] if cued else place_text
    if (
        (cued_only and not cued)
        or not name
        or len(name) < 4
        or len(name.split()) > 3
        or not name.replace(" ", "").replace(".", "").isalpha()
    ):
        return None
    states = places.states_with_city(name)
    if not states or (not cued and states[0][1] < CITY_ALONE_ZIPS) or _keyword_in(" ".join(kw.words(name))):
        return None
    return name, states


def _state_named(text: str) -> str | None:
    """`ohio`, `i live in ohio`, `we're in new mexico`, `im in mass`: a state's name with no city or ZIP,
    else None. Names only, not codes: "in", "me" and "ok" are words."""
    place_text = kw.trim_place_text(text).strip(" ,.!?")
    cued = _WHERE_CUE.match(place_text)
    name = place_text[cued.end() :] if cued else place_text
    return name if name in kw.STATE_FULL_NAMES or (cued and name in kw.STATE_NAMES) else None


def _city_without_state(state: TexterState, name: str, states: tuple[tuple[str, int], ...]) -> Decision:
    """One state has a city of that name: search there. Several: ask which, the biggest as the example."""
    if len(states) == 1:
        return _find(state, f"{name}, {states[0][0].lower()}", None)
    example = f"{name.title()}, {states[0][0]}"
    new = replace(state, pending_city=name)
    return Decision(new, (Say("ask_state", {"city": name.title(), "example": example}),), (), "ask_state")


def _state_alone(whole: str) -> str | None:
    """`co` or `colorado` -> `co`: a text that only names a state."""
    whole = whole.strip(" .,!")
    return whole if whole in kw.US_STATES else kw.STATE_NAMES.get(whole)


_STATE_CODE_AT_END = re.compile(r"\bin ([a-z]{2})$")


def _state_answered(whole: str) -> str | None:
    """The state named to "Which state is Portland in?": `maine`, `ME`, or in a few words ("the one in
    maine", "its in OR"); a state's full name at the end, or its code after "in" ("me" and "or" are words)."""
    whole = kw.trim_place_text(whole).strip(" .,!?")
    if code := _state_alone(whole):
        return code
    if (found := kw.STATE_NAME_AT_END.search(f" {whole}")) and found.group(1) in kw.STATE_FULL_NAMES:
        return kw.STATE_NAMES[found.group(1)]
    if (found := _STATE_CODE_AT_END.search(whole)) and found.group(1) in kw.US_STATES:
        return found.group(1)
    return None


def _find(state: TexterState, location: str, word: str | None) -> Decision:
    service = SERVICE_WORDS.get(word or "") or state.wanted_service
    new = replace(state, location=location, search_filter=service, search_page=0, wanted_service=None)
    return Decision(new, (), (FindProviders(location, service, 0),), "search")
