"""The caller's menu: given where the call is and what the caller pressed or said, decide what comes next.

Pure: no Redis, no Flask, no clock. `answer` handles one Gather result; the voice webhook carries
out the returned actions (search, callback request) and finishes with `providers_found`,
`callback_recorded` or `talk_now`, which give the words to say and the verb that follows them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

from helpline.domain import crisis as crisis_words
from helpline.domain import finding_care, spoken, spoken_answer, spoken_place
from helpline.domain import keywords as kw
from helpline.domain import language as language_words
from helpline.domain.phones import callable_number

LANGUAGES = ("en", "es")
MAX_REPEATS = 2  # a question is asked again twice; then silence ends the call, wrong answers reach a person
# Words the recogniser was less sure of than this (Twilio's Confidence, 0-1) are asked again, not acted
# on: a misheard "yes" or "Spanish" takes a caller somewhere they did not ask to go. Crisis words are
# acted on however unsure. 0 is taken as "not said" (some speech models send no real figure).
UNSURE_BELOW = 0.3

# Steps: each names the question a Gather asked, and so the route its answer comes back to.
MENU, ZIP, ZIP_CONFIRM, PROVIDERS, CALLBACK_CONFIRM, CALLBACK_NUMBER, NUMBER_CONFIRM, EMERGENCY = (
    "menu",
    "zip",
    "zip-confirm",
    "providers",
    "callback-confirm",
    "callback-number",
    "number-confirm",
    "emergency",
)
STEPS = (MENU, ZIP, ZIP_CONFIRM, PROVIDERS, CALLBACK_CONFIRM, CALLBACK_NUMBER, NUMBER_CONFIRM, EMERGENCY)

MENU_KEYS = {
    "1": "info", "2": "treatment", "3": "callback", "4": "talk", "0": "emergency", "9": "language",
    "*": "menu",  # "press star for the main menu" is said everywhere else: at the menu it repeats it
}  # fmt: skip

# What a caller may say at the menu (normalised: lower case, accents off), both languages.
SPOKEN_CHOICES = (
    ("emergency", ("emergency", "emergencia", "911", "988", "crisis")),
    (
        "callback",
        (
            "callback",
            "call back",
            "call me",
            "call me back",
            "llamada",
            "llamar",
            "llamenme",
            "llameme",
            "devolver",
        ),
    ),
    (
        "talk",
        (
            "talk to someone",
            "talk to a person",
            "someone",
            "somebody",
            "anyone",
            "anybody",
            "person",
            "i need help",
            "need help",
            "help me",
            "leave a message",
            "voicemail",
            "necesito ayuda",
            "ayudenme",
            "dejar un mensaje",
            "human",
            "operator",
            "agent",
            "representative",
            "hablar",
            "alguien",
            "persona",
            "operador",
            "agente",
        ),
    ),
    (
        "treatment",
        (
            "treatment",
            "find treatment",
            "provider",
            "providers",
            "doctor",
            "clinic",
            "near me",
            "rehab",
            "detox",
            "addiction",
            "suboxone",
            "methadone",
            "buprenorphine",
            "naltrexone",
            "tratamiento",
            "rehabilitacion",
            "metadona",
            "clinica",
            "medico",
            "cerca",
        ),
    ),
    (
        "info",
        ("information", "info", "oih", "hyperalgesia", "what is", "informacion", "hiperalgesia", "que es"),
    ),
    ("language", ("espanol", "español", "spanish", "english", "ingles")),
    ("menu", ("menu", "repeat", "again", "options", "repetir", "opciones", "otra vez")),
    ("goodbye", ("goodbye", "bye", "hang up", "thats all", "that is all", "adios", "nada mas", "colgar")),
)
# Words only Spanish has (menu words, digits): an answer of nothing else is taken as Spanish.
SPANISH_ONLY_WORDS = frozenset(
    "emergencia llamada llamar llamenme llameme devolver ayudenme operador agente tratamiento "
    "rehabilitacion metadona clinica informacion hiperalgesia repetir opciones adios colgar "
    "uno dos tres cuatro cinco seis siete ocho nueve cero".split()
)
SPOKEN_DIGITS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "cero": "0", "uno": "1", "dos": "2", "tres": "3",
    "cuatro": "4", "cinco": "5", "seis": "6", "siete": "7", "ocho": "8", "nueve": "9",
}  # fmt: skip


@dataclass(frozen=True)
class CallState:
    """What the line remembers during one call (kept encrypted, keyed by CallSid)."""

    lang: str = "en"
    misses: int = 0  # silences or wrong answers in a row at the current question
    zip: str | None = None  # the ZIP searched, or the "chicago, il" said instead of one
    number: str | None = None  # callback number keyed in, E.164
    providers: tuple[dict, ...] = ()  # the ones read out, to text them on request
    callback_id: str | None = None
    crisis: bool = False
    city: str | None = None  # a city said at the ZIP question without its state: the state is asked
    staff_accepted: bool = False  # a staff phone pressed 1 at the whisper
    turn: int = 0  # counts answers, so a Twilio retry of the same step is recognised

    @classmethod
    def from_dict(cls, data: dict | None) -> CallState:
        if not data:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["providers"] = tuple(known.get("providers", ()))
        if known.get("lang") not in LANGUAGES:
            known["lang"] = "en"
        return cls(**known)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Heard:
    """One Gather result: keys pressed and/or words recognised (either may be empty)."""

    digits: str = ""
    speech: str = ""
    confidence: float | None = None  # how sure the recogniser was of `speech`, when it said
    doubted: bool = False  # words were heard, but too unsure to act on

    @property
    def nothing(self) -> bool:
        return not self.digits.strip() and not self.speech.strip() and not self.doubted

    @property
    def unsure(self) -> bool:
        """Only words, and the recogniser doubted them."""
        c = self.confidence
        return (
            bool(self.speech.strip()) and not self.digits.strip() and c is not None and 0 < c < UNSURE_BELOW
        )


@dataclass(frozen=True)
class CallFacts:
    """Facts from outside the call that the menu depends on."""

    caller: str | None = None  # the caller ID as a number we can call back (E.164), else None
    can_text: bool = False  # the caller's number takes texts and has not opted out


@dataclass(frozen=True)
class Speak:
    key: str
    params: dict = field(default_factory=dict)
    lang: str | None = None  # spoken in another language than the call's (the language offer)


@dataclass(frozen=True)
class Ask:
    """A question: a Gather whose answer comes back to `step`."""

    step: str
    prompt: tuple[Speak, ...]
    num_digits: int | None = 1
    finish_on_key: str = ""
    speech: bool = True
    timeout: int = 6
    hints: str = "speech_hints"  # the catalog key of the words speech recognition should expect


# What follows the words when nothing is asked.
@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class DialStaff:
    phones: tuple[str, ...]


@dataclass(frozen=True)
class DialCrisisLine:
    pass


@dataclass(frozen=True)
class RecordVoicemail:
    pass


# Actions the webhook carries out before finishing the turn.
@dataclass(frozen=True)
class FindProviders:
    zip: str


@dataclass(frozen=True)
class TextProviders:
    pass


@dataclass(frozen=True)
class RequestCallback:
    phone: str
    reason: str  # callback | crisis
    priority: bool


@dataclass(frozen=True)
class TalkNow:
    pass


@dataclass(frozen=True)
class Turn:
    state: CallState
    say: tuple[Speak, ...] = ()
    ask: Ask | None = None
    then: Hangup | DialStaff | DialCrisisLine | RecordVoicemail | None = None
    actions: tuple = ()
    intent: str = "unknown"  # for operators' figures: call.menu.<intent>


# -- the questions ----------------------------------------------------------------------------


def other_language(lang: str) -> str:
    return "es" if lang == "en" else "en"


def menu_ask(lang: str) -> Ask:
    return Ask(MENU, (Speak("menu"), Speak("language_offer", lang=other_language(lang))))


def zip_ask(again: bool = False) -> Ask:
    """The ZIP; asked again, with the ways on for a caller who does not know it (a city, a person)."""
    prompt = "zip_ask_again" if again else "zip_ask"
    return Ask(ZIP, (Speak(prompt),), num_digits=None, finish_on_key="#", timeout=10)


def state_ask(city: str, biggest: str) -> Ask:
    """ "Which state is Dallas in?", with the state that has the most of it as the example."""
    said = {"city": city.title(), "example": spoken_place.place_said(f"{city}, {biggest.lower()}")}
    return Ask(ZIP, (Speak("zip_which_state", said),), num_digits=None, finish_on_key="#", timeout=10)


def number_ask() -> Ask:
    return Ask(CALLBACK_NUMBER, (Speak("number_ask"),), num_digits=None, finish_on_key="#", timeout=12)


def confirm_ask(step: str, key: str, params: dict) -> Ask:
    return Ask(step, (Speak(key, params),), hints="yes_no_hints")


def emergency_ask() -> Ask:
    return Ask(EMERGENCY, (Speak("emergency_options"),))


def greeting(lang: str = "en") -> Turn:
    """The first words of every call."""
    return Turn(CallState(lang=lang), (Speak("greeting"),), menu_ask(lang), intent="greeting")


# -- understanding what was said ----------------------------------------------------------------


def spoken_choice(speech: str) -> str | None:
    """The menu choice a sentence asks for; crisis words always win, and a story of pain that keeps
    getting worse, with no option named, is told what OIH is."""
    text = kw.normalise(speech)
    if not text:
        return None
    if crisis_words.is_crisis(speech):
        return "crisis"
    refused = spoken_answer.refuses_a_call(speech)
    if refused:  # "don't call me back, I just want information": what else they ask for, if anything
        text = kw.normalise(spoken_answer.rest_of_a_refusal(speech))
    padded = f" {' '.join(kw.words(text))} "
    if padded.strip() in ("help", "ayuda", "help please", "ayuda por favor"):
        return "talk"  # a caller who only says "help" is put through to a person, not read the menu again
    for choice, phrases in SPOKEN_CHOICES:
        if (choice != "callback" or not refused) and any(f" {kw.normalise(p)} " in padded for p in phrases):
            return choice
    if kw.describes_worsening_pain(text):  # "his pain keeps getting worse on his pills": what OIH is
        return "info"
    # "where can I get help", "I need a clinic near me", "I have no insurance": somewhere to go, by ZIP
    if (
        finding_care.seeks_care(text)
        or finding_care.asks_what_is_near(text)
        or finding_care.asks_about_paying(text)
    ):
        return "treatment"
    return "no_callback" if refused else None


def digits_of(heard: Heard) -> str:
    """Keys pressed, or digits spoken ("one zero zero" or "100") when nothing was pressed."""
    if heard.digits.strip():
        return re.sub(r"[^0-9]", "", heard.digits)
    out = []
    for token in kw.words(kw.normalise(heard.speech)):
        if token.isdigit():
            out.append(token)
        elif token in SPOKEN_DIGITS:
            out.append(SPOKEN_DIGITS[token])
    return "".join(out)


def _only_digits(speech: str) -> bool:
    """Nothing but digits said ("six zero six two"), so a ZIP too short or too long, not a place."""
    return all(t.isdigit() or t in SPOKEN_DIGITS for t in kw.words(kw.normalise(speech)))


def key_of(heard: Heard) -> str:
    """The single key pressed (`*` and `#` included), or ''."""
    keys = heard.digits.strip()
    return keys if len(keys) == 1 and keys in "0123456789*#" else ""


def callback_number(digits: str) -> str | None:
    """A keyed-in US number as E.164, if it could be a real phone (or a fictional 555 test number)."""
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return None
    return callable_number("+1" + digits)


# -- deciding -----------------------------------------------------------------------------------


def answer(state: CallState, step: str, heard: Heard, facts: CallFacts) -> Turn:
    """The next turn after the caller answered (or did not answer) the question `step` asked."""
    state = replace(state, turn=state.turn + 1)
    if step == EMERGENCY and _wants_crisis_line(heard):  # "988", "connect me", or crisis words again
        return _connect_crisis_line(state)
    if heard.speech and (signal := crisis_words.detect(heard.speech)):
        return crisis(replace(state, lang="es" if signal.lang == "es" else state.lang), facts)
    if heard.unsure:
        heard = Heard(doubted=True)  # asked again, as words not understood
    if (lang := _language_heard(heard)) and lang != state.lang:
        state = replace(state, lang=lang)  # Spanish said at the English menu is answered in Spanish
    handler = _STEP_HANDLERS.get(step, _menu)
    return handler(state, heard, facts)


def crisis(state: CallState, facts: CallFacts) -> Turn:
    """Crisis words, anywhere: 911 / 988 guidance at once, and staff asked to call back first.
    The answer is in the language of the words ("me quiero morir" in a call still in English)."""
    state = replace(state, misses=0, crisis=True)
    actions = (RequestCallback(facts.caller, "crisis", True),) if facts.caller else ()
    say = (Speak("crisis_heard"), Speak("emergency"))
    if facts.caller:
        say += (Speak("crisis_callback"),)
    return Turn(state, say, emergency_ask(), actions=actions, intent="crisis")


def _again(state: CallState, ask: Ask, why: str) -> Turn:
    """Ask the same question again, twice at most. Then someone in crisis is put through to 988, a
    caller the menu keeps failing to a person, and a silent line gets a polite goodbye."""
    misses = state.misses + 1
    state = replace(state, misses=misses)
    if misses <= MAX_REPEATS:
        return Turn(state, (Speak(why),), ask, intent="repeat")
    if state.crisis:
        return _connect_crisis_line(state)
    if why != "no_input":
        return Turn(replace(state, misses=0), (Speak(why),), actions=(TalkNow(),), intent="talk")
    return Turn(state, (Speak("goodbye_no_input"),), then=Hangup(), intent="goodbye")


def _why(heard: Heard, otherwise: str = "not_understood") -> str:
    return "no_input" if heard.nothing else "not_sure" if heard.doubted else otherwise


def _spoken_key(heard: Heard) -> str:
    """A key said instead of pressed ("two", "press 2", "dos"), when nothing was pressed."""
    if heard.digits.strip() or not heard.speech:
        return ""
    digits = digits_of(heard)
    return digits if len(digits) == 1 else ""


def _menu(state: CallState, heard: Heard, facts: CallFacts) -> Turn:
    choice = MENU_KEYS.get(key_of(heard)) if heard.digits.strip() else spoken_choice(heard.speech)
    if choice is None and (said := _spoken_key(heard)):
        choice = MENU_KEYS.get(said)
    if choice == "crisis":
        return crisis(state, facts)
    if choice is None and len(digits_of(heard)) == 5:  # a ZIP said straight away: read back, then searched
        return _zip(replace(state, misses=0), heard, facts)
    if choice is None:
        return _again(state, menu_ask(state.lang), _why(heard))
    if choice == "treatment" and _names_a_place(heard):  # "quiero tratamiento en Houston, Texas"
        return _zip(replace(state, misses=0), heard, facts)
    return choose(replace(state, misses=0), choice, facts, heard)


def _names_a_place(heard: Heard) -> bool:
    """Words that say where as well: a ZIP ("near 6 0 6 2 9") or a city and state."""
    if heard.digits.strip() or not heard.speech:
        return False
    return len(digits_of(heard)) == 5 or spoken_place.city_heard(heard.speech) is not None


def choose(state: CallState, choice: str, facts: CallFacts, heard: Heard | None = None) -> Turn:
    """A menu option, by key or by name; told first that we will not call, when the caller said not to."""
    turn = _choose(state, choice, facts, heard)
    if choice != "no_callback" and heard and heard.speech and spoken_answer.refuses_a_call(heard.speech):
        return replace(turn, say=(Speak("no_callback"), *turn.say))
    return turn


def _choose(state: CallState, choice: str, facts: CallFacts, heard: Heard | None) -> Turn:
    lang = state.lang
    if choice == "no_callback":
        return Turn(state, (Speak("no_callback"),), menu_ask(lang), intent="no_call")
    if choice == "language":
        named = _language_named(heard.speech) if heard and heard.speech else None
        lang = named or other_language(lang)
        state = replace(state, lang=lang)
        return Turn(state, (), menu_ask(lang), intent="spanish" if lang == "es" else "english")
    if choice == "menu":
        return Turn(state, (), menu_ask(lang), intent="menu")
    if choice == "goodbye":
        return Turn(state, (Speak("thanks_goodbye"),), then=Hangup(), intent="goodbye")
    if choice == "info":
        say = (Speak("oih"), Speak("disclaimer"), Speak("back_to_menu"))
        return Turn(state, say, menu_ask(lang), intent="info")
    if choice == "treatment":
        return Turn(state, (), zip_ask(), intent="treatment")
    if choice == "callback":
        if facts.caller:
            ask = confirm_ask(CALLBACK_CONFIRM, "callback_caller_id", {"last4": facts.caller[-4:]})
            return Turn(state, (), ask, intent="callback")
        return Turn(state, (Speak("callback_no_caller_id"),), number_ask(), intent="callback")
    if choice == "talk":
        return Turn(state, (), actions=(TalkNow(),), intent="talk")
    if choice == "emergency":
        return Turn(state, (Speak("emergency"),), emergency_ask(), intent="emergency")
    raise ValueError(f"unknown menu choice {choice!r}")


# "No hablo (bien) inglés", "I don't speak English": asking for the other language.
_NOT_SPOKEN = (
    r"\b(?:no hablo|no entiendo|no se|do ?n'?t speak|do not speak|can'?t speak|cannot speak|not speak)"
    r"\s+(?:\w+\s+)?"
)


def _language_named(speech: str) -> str | None:
    """The language a caller asks for by name ("español", "English please"); "no hablo inglés" and
    "I don't speak English" ask for the other one."""
    text = " ".join(kw.words(kw.normalise(speech)))
    for lang, names in (("en", "english|ingles"), ("es", "espanol|español|spanish")):
        if re.search(rf"\b(?:{names})\b", text):
            return other_language(lang) if re.search(_NOT_SPOKEN + rf"(?:{names})\b", text) else lang
    return None


def _language_heard(heard: Heard) -> str | None:
    """The language the caller's words are in, when they tell: a language named, or enough words
    common in one language ("quiero hablar con alguien", "tratamiento"); None for keys or a word
    both languages share ("ok", "menu", a ZIP)."""
    if heard.digits.strip() or not heard.speech:
        return None
    if named := _language_named(heard.speech):
        return named
    guessed = language_words.guess(heard.speech)
    said = set(kw.words(kw.normalise(heard.speech)))
    if guessed is None and said and said <= SPANISH_ONLY_WORDS:  # not a word of a place ("Cinco Ranch")
        return "es"
    return guessed


def _spoken_menu_choice(
    state: CallState, heard: Heard, facts: CallFacts, repeat: Ask | None = None
) -> Turn | None:
    """At any question, a spoken menu word ("callback", "talk to someone") goes straight there; at a
    read-back (`repeat`), "say that again" reads it again rather than going back to the menu."""
    if heard.digits.strip() or not heard.speech:
        return None
    choice = spoken_choice(heard.speech)
    if choice in (None, "crisis"):
        return None
    if (
        choice == "menu"
        and repeat
        and not re.search(r"\b(?:menu|options|opciones)\b", kw.normalise(heard.speech))
    ):
        return Turn(state, (), repeat, intent="repeat")
    return choose(replace(state, misses=0), choice, facts, heard)


def _zip(state: CallState, heard: Heard, facts: CallFacts) -> Turn:
    if key_of(heard) == "*":
        return Turn(replace(state, misses=0), (), menu_ask(state.lang), intent="menu")
    if key_of(heard) in ("4", "0"):  # no ZIP to give: someone from our team, as at the emergency options
        return Turn(replace(state, misses=0), (), actions=(TalkNow(),), intent="talk")
    digits = digits_of(heard)
    if len(digits) != 5:
        words = "" if heard.digits.strip() else heard.speech
        # "Chicago, Illinois", and "Two Rivers, Wisconsin" or "123 Main Street in Springfield, Illinois"
        # too: a place is looked for before the number words in it are read as a ZIP. Read back first.
        # After "Which state is Dallas in?", the state alone ("Texas") says where.
        city = words and (
            spoken_place.city_heard(words)
            or (state.city and spoken_place.city_in_state_said(state.city, words))
        )
        if city:
            return _city_read_back(state, city)
        if words and not digits and (jump := _spoken_menu_choice(state, heard, facts)):
            return jump
        if words and (alone := spoken_place.city_alone(words)):  # "Dallas", "I live in Brooklyn"
            name, biggest = alone
            if city := spoken_place.city_heard(name):  # one state has a city of that name
                return _city_read_back(state, city)
            return Turn(replace(state, misses=0, city=name), (), state_ask(name, biggest), intent="ask_state")
        why = _why(heard, "zip_not_valid")
        if words and why == "zip_not_valid" and not _only_digits(words):
            why = "zip_not_known" if spoken_place.not_known(words) else "zip_or_city_not_heard"
        return _again(state, zip_ask(again=True), why)
    state = replace(state, misses=0, zip=digits)
    if heard.digits.strip():
        # Keys are exact: read the ZIP back while looking, no extra question for someone in a hurry.
        return Turn(
            state, (Speak("looking_up_zip", {"zip": digits}),), actions=(FindProviders(digits),), intent="zip"
        )
    # Speech can be misheard: a spoken ZIP is read back and confirmed first.
    return Turn(state, (), confirm_ask(ZIP_CONFIRM, "zip_confirm", {"zip": digits}), intent="zip_spoken")


def _city_read_back(state: CallState, city: str) -> Turn:
    """A city and state said for the ZIP ("chicago, il"): read back, then searched on a yes."""
    ask = confirm_ask(ZIP_CONFIRM, "zip_confirm", {"zip": city})
    return Turn(replace(state, misses=0, zip=city, city=None), (), ask, intent="city_spoken")


def _yes_no(heard: Heard) -> bool | None:
    """1 or 2 pressed, or a spoken answer: any "no" in it is a no ("no, that's not right"), and one
    that says both ("yes, no", "one… no, two") or neither is None, to be asked again."""
    if heard.digits.strip():
        key = key_of(heard)
        return True if key == "1" else False if key == "2" else None
    if not heard.speech:
        return None
    said = {spoken_answer.yes_no(heard.speech), {"1": True, "2": False}.get(_spoken_key(heard))} - {None}
    return said.pop() if len(said) == 1 else None


# "Connect me", "988", "la línea": asking for the crisis line in words; "don't connect me" refuses it.
_ASKS_FOR_CRISIS_LINE = re.compile(r"\b(?:connect|conect|comuni|988|lifeline|linea)")
_REFUSES_CRISIS_LINE = re.compile(
    r"\b(?:no|not|never|don'?t|do not|dont)\s+(?:me\s+|la\s+|lo\s+)?"
    r"(?:connect|conect|comuni|call|llam|988|lifeline|linea)"
)


def _crisis_line_answer(heard: Heard) -> bool | None:
    """At "to be connected to 988, press 1 or say yes": True for 1, yes, "988", "connect me" or crisis
    words again; False for a no ("no, I'm okay now", "don't connect me"); None for anything else,
    and for an answer that both asks and refuses."""
    if heard.digits.strip():
        return True if key_of(heard) == "1" else None
    if not heard.speech:
        return None
    if crisis_words.is_crisis(heard.speech):
        return True
    text = " ".join(kw.words(kw.normalise(heard.speech)))
    answer = _yes_no(heard)
    asks = digits_of(heard) == "988" or bool(_ASKS_FOR_CRISIS_LINE.search(text))
    if _REFUSES_CRISIS_LINE.search(text):
        return False
    if answer is False:
        return None if asks else False  # "no, just connect me": asked again
    return True if answer or asks else None


def _wants_crisis_line(heard: Heard) -> bool:
    return _crisis_line_answer(heard) is True


def _connect_crisis_line(state: CallState) -> Turn:
    return Turn(
        replace(state, misses=0), (Speak("connecting_988"),), then=DialCrisisLine(), intent="dial_988"
    )


def _zip_confirm(state: CallState, heard: Heard, facts: CallFacts) -> Turn:
    yes = _yes_no(heard)
    if yes is None:
        ask = confirm_ask(ZIP_CONFIRM, "zip_confirm", {"zip": state.zip or ""})
        if jump := _spoken_menu_choice(state, heard, facts, repeat=ask):
            return jump
        return _again(state, ask, _why(heard))
    if not yes or not state.zip:
        return Turn(replace(state, misses=0, zip=None), (), zip_ask(), intent="zip_misheard")
    return Turn(replace(state, misses=0), (Speak("looking_up"),), actions=(FindProviders(state.zip),))


def providers_found(state: CallState, providers: list[dict], facts: CallFacts) -> Turn:
    """Read the nearest providers slowly, then offer them by text when the number takes texts."""
    state = replace(state, providers=tuple(providers))
    if not providers:
        say = (Speak("providers_none", {"zip": state.zip or ""}),)
        return Turn(state, say, menu_ask(state.lang), intent="search_empty")
    say = (Speak("providers_intro", {"count": len(providers)}),)
    say += tuple(_provider_said(p, state.lang) for p in providers)
    if not all(p.get("phone") for p in providers):  # someone who can help reach a listing with no phone
        say += (Speak("providers_no_phone_help"),)
    return Turn(state, say, _providers_ask(facts), intent="search")


def _provider_said(provider: dict, lang: str) -> Speak:
    """A listing as read out: name, distance, the street to go to (when it has one), its phone."""
    params = {k: provider.get(k, "") for k in ("name", "miles", "phone")}
    params["address"] = spoken.street(provider.get("address", ""), provider.get("city", ""), lang)
    key = "provider_at" if params["address"] else "provider"
    return Speak(key if params["phone"] else f"{key}_no_phone", params)


def providers_unavailable(state: CallState) -> Turn:
    return Turn(state, (Speak("providers_unavailable"),), menu_ask(state.lang), intent="search_failed")


def _providers_ask(facts: CallFacts) -> Ask:
    key = "providers_options_text" if facts.can_text else "providers_options"
    return Ask(PROVIDERS, (Speak(key),))


def _providers(state: CallState, heard: Heard, facts: CallFacts) -> Turn:
    key = key_of(heard)
    if key == "1" and facts.can_text and state.providers:
        say = (Speak("providers_texted"), Speak("back_to_menu"))
        state = replace(state, misses=0)
        return Turn(state, say, menu_ask(state.lang), actions=(TextProviders(),), intent="text_providers")
    if key == "2" and state.providers:
        return providers_found(replace(state, misses=0), list(state.providers), facts)
    if key == "*":
        return Turn(replace(state, misses=0), (), menu_ask(state.lang), intent="menu")
    if jump := _spoken_menu_choice(state, heard, facts):
        return jump
    return _again(state, _providers_ask(facts), _why(heard))


def _refused_call(state: CallState, heard: Heard, facts: CallFacts) -> Turn | None:
    """At the callback questions, "no, don't call me" takes the caller off them: no call is booked."""
    if heard.digits.strip() or not heard.speech or not spoken_answer.refuses_a_call(heard.speech):
        return None
    return _spoken_menu_choice(state, heard, facts)


def _callback_confirm(state: CallState, heard: Heard, facts: CallFacts) -> Turn:
    if refused := _refused_call(state, heard, facts):
        return refused
    yes = _yes_no(heard)
    if yes is None or (yes and not facts.caller):
        last4 = facts.caller[-4:] if facts.caller else ""
        ask = (
            confirm_ask(CALLBACK_CONFIRM, "callback_caller_id", {"last4": last4})
            if facts.caller
            else number_ask()
        )
        if jump := _spoken_menu_choice(state, heard, facts, repeat=ask):
            return jump
        return _again(state, ask, _why(heard))
    if yes:
        return _request(replace(state, misses=0, number=facts.caller), facts.caller)
    return Turn(replace(state, misses=0), (), number_ask(), intent="callback_number")


def _callback_number(state: CallState, heard: Heard, facts: CallFacts) -> Turn:
    if refused := _refused_call(state, heard, facts):
        return refused
    if key_of(heard) == "*":
        return Turn(replace(state, misses=0), (), menu_ask(state.lang), intent="menu")
    digits = digits_of(heard)
    number = callback_number(digits)
    if number is None:
        if not digits and (jump := _spoken_menu_choice(state, heard, facts)):
            return jump
        # "I don't know" has no number in it: not understood, rather than "not a US phone number"
        return _again(state, number_ask(), _why(heard, "number_not_valid" if digits else "not_understood"))
    state = replace(state, misses=0, number=number)
    return Turn(state, (), confirm_ask(NUMBER_CONFIRM, "number_confirm", {"number": number}), intent="number")


def _number_confirm(state: CallState, heard: Heard, facts: CallFacts) -> Turn:
    if refused := _refused_call(state, heard, facts):
        return refused
    yes = _yes_no(heard)
    if yes is None:
        ask = confirm_ask(NUMBER_CONFIRM, "number_confirm", {"number": state.number or ""})
        if jump := _spoken_menu_choice(state, heard, facts, repeat=ask):
            return jump
        return _again(state, ask, _why(heard))
    if not yes or not state.number:
        return Turn(replace(state, misses=0, number=None), (), number_ask(), intent="callback_number")
    return _request(replace(state, misses=0), state.number)


def _request(state: CallState, phone: str) -> Turn:
    return Turn(state, actions=(RequestCallback(phone, "callback", False),), intent="callback_requested")


def callback_recorded(state: CallState, created: bool, when: Speak, *, voicemail: bool = False) -> Turn:
    """After a callback request is on the queue: say when staff call back, then end the call kindly."""
    key = "voicemail_saved" if voicemail else "callback_confirmed" if created else "callback_already"
    return Turn(state, (Speak(key), when, Speak("thanks_goodbye")), then=Hangup(), intent="callback_done")


def talk_now(state: CallState, open_now: bool, phones: list[str]) -> Turn:
    """Ring every on-duty phone at once, at any hour (duty, not office hours, decides who is rung);
    with nobody on duty, straight to voicemail, which becomes a callback in business hours."""
    if phones:
        return Turn(state, (Speak("connecting"),), then=DialStaff(tuple(phones)), intent="talk_ring")
    why = "voicemail_closed" if not open_now else "voicemail_nobody"
    return voicemail(state, why)


def voicemail(state: CallState, why: str) -> Turn:
    return Turn(
        state, (Speak(why), Speak("voicemail_instructions")), then=RecordVoicemail(), intent="voicemail"
    )


def dial_finished(state: CallState, dial_status: str, bridged: bool, facts: CallFacts | None = None) -> Turn:
    """After ringing staff: a call a person took ends politely; anything else goes to voicemail, or,
    when there is no number to call back (a withheld caller ID), asks for one first.

    "completed" alone is not enough: a staff phone's own voicemail also answers, then hangs up at
    the whisper; only a bridged call (a person pressed 1) counts.
    """
    if dial_status == "completed" and (bridged or state.staff_accepted):
        return Turn(state, (Speak("thanks_goodbye"),), then=Hangup(), intent="talk_answered")
    if facts is not None and not facts.caller and not state.number:
        said = (Speak("voicemail_nobody"), Speak("callback_no_caller_id"))
        return Turn(state, said, number_ask(), intent="callback_number")
    return voicemail(state, "voicemail_nobody")


def _emergency(state: CallState, heard: Heard, facts: CallFacts) -> Turn:
    key = key_of(heard) or _spoken_key(heard)
    wants = _crisis_line_answer(heard)
    if wants:
        return _connect_crisis_line(state)
    if wants is False:  # "no, I'm okay now": not put through; what they ask for next, else the menu
        jump = _spoken_menu_choice(state, heard, facts)
        if jump and jump.intent != "emergency":
            return jump
        return Turn(replace(state, misses=0), (Speak("back_to_menu"),), menu_ask(state.lang), intent="menu")
    if key in ("4", "0"):  # someone from our team, now
        return Turn(replace(state, misses=0), (), actions=(TalkNow(),), intent="talk")
    if key == "*":
        return Turn(replace(state, misses=0), (), menu_ask(state.lang), intent="menu")
    if jump := _spoken_menu_choice(state, heard, facts):
        return jump
    return _again(state, emergency_ask(), _why(heard))


_STEP_HANDLERS = {
    MENU: _menu,
    ZIP: _zip,
    ZIP_CONFIRM: _zip_confirm,
    PROVIDERS: _providers,
    CALLBACK_CONFIRM: _callback_confirm,
    CALLBACK_NUMBER: _callback_number,
    NUMBER_CONFIRM: _number_confirm,
    EMERGENCY: _emergency,
}
