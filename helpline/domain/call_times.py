"""When a texter says to call them, or not to: "call me after 5", "mornings only", "no calls after 5pm",
"llamenme despues de las 6". Pure: staff see their words on the callback request; calling is never held.

A text says so when, in one of its clauses, a time (a clock time, a part of the day, a day) goes with
calling ("call me tomorrow morning"), with when they are free, at work or not alone ("i work nights",
"my husband is home after 5"), or with nothing else ("mornings only", "after 5 is best"). A time in
words about pain, doses or the past ("i've been on oxy for 5 years", "my pain is worse at night") is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from helpline.domain import keywords as kw
from helpline.domain.conversation import AnswerFollowUp, Context, Decision, RequestCallback, Say

CALL_TIME_LIMIT = 300  # characters of their text kept for staff: a line on the request, not the whole text


@dataclass(frozen=True)
class CallTime:
    """What the texter (or a caller, in a voicemail) said about when to call, in their words, and when."""

    words: str
    at: float
    voicemail: bool = False  # said in a voicemail (its transcript), not texted


@dataclass(frozen=True)
class NoteCallTime:
    """An action: keep their words on when to call on this number's open request, for staff."""

    words: str


# Replies the word that staff will see it stands in for: the menu, "OK", "you are still on the list".
_ANSWERED_BY_THE_NOTE = frozenset(
    {"menu", "noted", "thanks", "call_still_on_list", "unknown_after_results", "crisis_still_here"}
)
# A reply that confirms a call: "we'll pass that on to staff" is said at its end.
_CONFIRMS_A_CALL = frozenset({"optout_call_confirm", "follow_up_callback"})


def noted(decision: Decision, body: str, ctx: Context) -> Decision:
    """The decision, with what the text says about when to call kept for staff on the request it asks
    for (or on the one open) and the texter told it is passed on. Calls are never held by it. As it was
    when the text says no such thing, or takes the request back."""
    if decision.intent in ("call_withdraw", "no_call", "optin"):
        return decision
    asks = any(isinstance(action, RequestCallback) for action in decision.actions)
    follow_up_no = any(isinstance(a, AnswerFollowUp) and not a.reached and a.call for a in decision.actions)
    if not (asks or follow_up_no or ctx.has_open_callback):
        return decision
    words = when_to_call(body)
    if words is None:
        return decision
    replies = tuple(noting(say) if say.key in _CONFIRMS_A_CALL else say for say in decision.replies)
    if asks:  # the confirmation made as it is queued says it (a crisis reply stays as it is)
        actions = tuple(
            replace(action, call_time=words) if isinstance(action, RequestCallback) else action
            for action in decision.actions
        )
        return replace(decision, actions=actions, replies=replies)
    actions = (*decision.actions, NoteCallTime(words))
    if not (ctx.opted_out or follow_up_no or decision.intent == "optout"):
        replies = tuple(say for say in replies if say.key not in _ANSWERED_BY_THE_NOTE)
        replies += (Say("call_time_kept_crisis" if ctx.open_crisis else "call_time_kept"),)
    return replace(decision, actions=actions, replies=replies)


def noting(say: Say) -> Say:
    """A reply that confirms a call, ending with "we'll pass on to staff what you said about when"."""
    return Say(say.key, {**say.params, "_call_time": True})


_HOUR = r"(?:[01]?\d|2[0-3])(?:[:.][0-5]\d)?"
_MERIDIEM = r"(?:\s?(?:a\.?m\b\.?|p\.?m\b\.?|o'?clock\b|ish\b))?"
# A number that counts something is no clock: "after 5 years", "at 5 mg", "3 times a day".
_NOT_A_CLOCK = (
    r"(?!\s*(?:years?|yrs?|yr|months?|mos?|weeks?|wks?|days?|hours?|hrs?|minutes?|mins?|mg|mgs|milligrams?"
    r"|mcg|ml|pills?|tabs?|tablets?|times|x\b|doses?|percent|%|dollars|lbs?|pounds|kids|people|miles"
    r"|años|anos|meses|semanas|dias|horas|pastillas|veces|[\d/-]))"
)
_CLOCK = rf"{_HOUR}{_MERIDIEM}\b{_NOT_A_CLOCK}"
_DAYS = (
    r"(?:mon|tues?|wednes|wens|wedns|thurs?|thur|fri|satur|sun)days?|weds|thurs|tues"
    r"|week ?ends?|wk ?ends?|wknds?|week ?days?|weekdays?"
    r"|lunes|martes|miercoles|jueves|viernes|sabados?|domingos?|fin(?:es)? de semana|entre semana"
)
_PARTS_OF_DAY = (
    r"mornings?|mornin|mornig|morn|afternoons?|afternon|evenings?|evening|evning|nights?|nites?"
    r"|tonight|tonite|noon|midday|mid day|midnight|lunch(?:time| time| break)?|daytime|day time"
)
_TOMORROW = r"tomorrow|tomorow|tommorow|tommorrow|tmrw|tmrow|tmr|tmw|2morrow|2moro|2mrw|today|later today"
_SPANISH_PARTS = r"manana|mañana|mananas|mañanas|tarde|tardes|noche|noches|madrugada|mediodia|medio dia"
# A time said as when to call: each alternative is one way of naming a moment or a stretch of the day.
_TIME = re.compile(
    "|".join(
        (
            # "after 5", "b4 noon", "between 2 and 4", "from 9 to 11", "around 4ish", "at 3:30"
            r"\b(?:after|aftr|afer|afta|past|before|befor|b4|by|until|untill|till|til|around|arround|round"
            rf"|about|at|from|between)\s+(?:{_CLOCK}|noon|midnight|lunch(?:time)?)",
            rf"\b{_HOUR}\s?(?:am|pm|a\.m\.|p\.m\.)\b",  # "5pm", "3:30 pm"
            rf"\b(?:[01]?\d|2[0-3])[:][0-5]\d\b{_NOT_A_CLOCK}",  # "3:30"
            rf"\b(?:[01]?\d|2[0-3])\s?(?:-|to)\s?(?:[01]?\d|2[0-3])\b{_NOT_A_CLOCK}",  # "9-5", "9 to 5"
            r"\bin (?:\d+|an?|a few|a couple(?: of)?|one|two|three|half an?)"
            r" (?:min|mins|minutes|hours?|hrs?)\b",
            rf"(?<!last )(?<!every )(?<!each )\b(?:{_PARTS_OF_DAY})\b",
            rf"(?<!last )(?<!every )(?<!each )\b(?:on |only )?(?:{_DAYS})\b",
            rf"\b(?:{_TOMORROW})\b|\b(?:during|in) the day\b",
            r"\b(?:after|before|during|until|till|til|at|on)"
            r" (?:work|school|class|my shift|my break|dinner)\b",
            # Spanish: "despues de las 6", "antes de las 3", "a las 4", "de 9 a 12", "5 de la tarde"
            r"\b(?:despues|depues|despes|despuez|dsps|antes|a partir|desde|hasta|como|cerca|alrededor)"
            rf"(?: de)?(?: las?)? {_CLOCK}",
            rf"\ba las? {_CLOCK}",
            rf"\b(?:de|entre) (?:las? )?{_HOUR} (?:a|y) (?:las? )?{_CLOCK}",
            rf"\b{_HOUR} de la (?:{_SPANISH_PARTS})\b",
            rf"\b(?:en|por|de|durante|esta|solo|nomas) (?:la |las )?(?:{_SPANISH_PARTS})\b",
            r"\bde (?:noche|dia)\b|\bhoy\b",
            r"\b(?:despues|antes|durante) del? (?:trabajo|jale|escuela)\b",
        )
    )
)
# Tomorrow, or the morning: "llamenme mañana" is a time only beside a call.
_MANANA_ALONE = re.compile(r"\b(?:manana|mañana)\b")
# A call, asked for or refused: "call me", "no calls", "ring", "reach me", "llamenme", "hablar".
_CALLING = re.compile(
    r"\b(?:call|calls|calling|callback|cal|cll|kall|ring|phone|reach|contact|talk|speak|llam\w*|habl\w*"
    r"|marc\w*|contact\w*|comunic\w*)\b"
    r"|\b(?:best|good|better|only|ok|okay) time\b"
)
# When they are free or not alone: "i work nights", "im at work till 6", "my husband is home after 5".
_FREE_OR_NOT = re.compile(
    r"\b(?:free|available|avail|busy|home|work|works|working|shift|job|school|class|off|gone|leaves|around"
    r"|husband|wife|boyfriend|girlfriend|partner|mom|dad|parents|kids|family|boss|roommate"
    r"|trabajo|trabaj\w*|casa|ocupad[oa]s?|libre|disponible|esposo|esposa|marido|novio|novia|familia"
    r"|hijos|jefe|salgo|sale)\b"
)
# Pain, doses, the past: a time in these words tells staff about their health, not when to call.
_NOT_ABOUT_CALLING = re.compile(
    r"\b(?:pain|painful|hurt|hurts|hurting|ache|aches|aching|sore|dolor|duele|duelen|pills?|mg|dose|doses"
    r"|dosage|took|take|takes|taking|tomo|tome|tomando|tomar|oxy\w*|opioids?|opiates?|fentanyl|heroin"
    r"|methadone|suboxone|morphine|hydro\w*|percocet|vicodin|norco|tramadol|dilaudid|withdrawa?l\w*"
    r"|sick|worse|peor|craving|cravings|overdose|high|used|using|relapsed?|clean|sober|sleep|slept"
    r"|years?|yrs|months?|weeks?|años|anos|meses|semanas|since|ago|hace|yesterday|last|ayer|anoche"
    r"|woke|was|were|had|did|called)\b"
)
# Asking about the line, or saying they will call us: "do you call on weekends", "i'll call you tomorrow".
_ABOUT_US = re.compile(
    r"\b(?:do|does|are|is) (?:you|u|y'?all|ya'?ll|staff|they|the clinic)\b(?:\s+guys)?(?! (?:call|ring) me)"
    r"|\b(?:i'?ll|i will|i can|can i|i could|could i|should i) (?:call|ring|phone)\b"
    r"|\b(?:opens?|open|closed?|your hours|what time|when do)\b"
)
# A clause of nothing but a time and these: "mornings only", "after 5 is best", "solo fines de semana".
_FILLER = frozenset(
    "only just please pls plz thanks thank you thx ty ok okay k is are be best better good great fine "
    "works prefer preferably preferred any anytime time the a an in on at or and but sometime sure yes "
    "yeah yea ya no not never nope also too either earlier later i me my for maybe hopefully like ish "
    "if possible can u it that this would id i'd rather to ok then mostly usually "
    "es mejor solo solamente nomas namas nada mas por favor porfa gracias bien si de la las los el en a "
    "y o que me mi puede ser pero nunca antes despues hmm um oh hey hi hello hola".split()
)
# Greetings that name a part of the day: "good morning", "buenas noches", "morning!".
_GREETING = re.compile(
    r"\bgood ?(?:morning|mornin|afternoon|evening|night|nite)\b|\bbuen(?:os|as) (?:dias|tardes|noches)\b"
    r"|\bhave a (?:good|nice|great) (?:day|night|evening|weekend)\b|\bgn\b"
    r"|^\W*(?:(?:hi|hey|hello)\W+)?(?:morning|mornin|evening)\W*$"
)
_CLAUSES = re.compile(
    r"[,.;:!?\n()]+(?!\d)|\s(?:but|pero|because|cuz|bc|porque|so|and(?!\s+(?:\d|before|after))"
    r"|y(?!\s+(?:las?\s|\d)))\s"
)


def says_when_to_call(body: str) -> bool:
    """Whether a text says when to call them, or when not to (English or Spanish, typos allowed)."""
    text = _GREETING.sub(" ", kw.normalise(body))
    return any(_clause_says_when(clause.strip()) for clause in _CLAUSES.split(text) if clause.strip())


def when_to_call(body: str) -> str | None:
    """Their text as staff see it beside the request (spacing tidied, a long one cut), when it says when
    to call; else None."""
    if not says_when_to_call(body):
        return None
    words = " ".join(body.split())
    return words if len(words) <= CALL_TIME_LIMIT else words[: CALL_TIME_LIMIT - 1].rstrip() + "…"


def _clause_says_when(clause: str) -> bool:
    # "dont call the cops tonight": a call to someone else says nothing of when to call them
    calling = bool(_CALLING.search(clause)) and (
        _asks_or_refuses(clause) or not kw.calls_someone_else(clause)
    )
    moments = list(_TIME.finditer(clause))
    if not moments and calling and _MANANA_ALONE.search(clause):
        moments = list(_MANANA_ALONE.finditer(clause))  # "llamenme mañana"
    if not moments:
        return False
    if _ABOUT_US.search(clause):
        return False
    if _NOT_ABOUT_CALLING.search(clause) and not (calling and _asks_or_refuses(clause)):
        return False
    if calling or _FREE_OR_NOT.search(clause):
        return True
    rest = clause
    for moment in reversed(moments):
        rest = rest[: moment.start()] + " " + rest[moment.end() :]
    return all(word in _FILLER for word in kw.words(rest))


# A call asked for or refused in the clause itself ("call me", "dont call", "no calls", "llamenme"), so a
# word about the past or pain beside it ("i was busy, call me after 5") does not hide it.
_ASKS_OR_REFUSES = re.compile(
    r"\b(?:call|ring|phone|cll|cal|kall) (?:me|us|him|her|back|after|before|between|around|at|on|in|tomorrow"
    r"|tonight|anytime|any time)\b|\bno (?:phone )?calls\b|\bllam(?:en|enme|ame|eme|arme|e)\b"
)


def _asks_or_refuses(clause: str) -> bool:
    return bool(_ASKS_OR_REFUSES.search(clause))
