"""Understanding what a texter typed: normalising, menu keywords with typo tolerance, places.

Pure functions; the conversation module decides what to do with the result. Crisis and opt-out
words have their own lexicons (domain/crisis.py, domain/opt_out.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA

# Carrier help words (whole message only). Opt-out and opt-in words are in config/opt_out.yaml.
HELP_WORDS = {"help", "info", "ayuda"}

# Menu intents and the words (both languages) that ask for them; numbers follow the menu.
MENU_WORDS = {
    "oih": {"oih", "hio", "hyperalgesia", "hiperalgesia"},
    "signs": {"signs", "sign", "symptoms", "señales", "senales", "sintomas", "signos"},
    "tolerance": {"tolerance", "tolerancia"},
    "treat": {
        "treat",
        "treated",
        "treating",
        "treatment",
        "treatments",
        "tratar",
        "tratamiento",
        "tratamientos",
        "trata",
    },
    "check": {"check", "chek", "chk", "selfcheck", "test", "quiz", "prueba", "evaluar"},
    "call": {"call", "callback", "llamar", "llamada", "llamame", "llameme"},
    "more": {"more", "mas", "next", "nxt", "siguiente", "siguientes"},
    "menu": {"menu", "menue", "options", "opciones", "hi", "hey", "hello", "hola", "inicio"},
    "spanish": {"español", "espanol", "spanish", "espaol"},
    "english": {"english", "ingles", "inglés"},
}
# Greetings are menu words on their own ("hi"), not in front of a question ("hi my pain keeps getting worse").
GREETINGS = frozenset({"hi", "hey", "hello", "hola"})
_MENU_NOT_GREETING = frozenset(MENU_WORDS["menu"] - GREETINGS)
_GREETING_IN_FRONT = re.compile(r"^(?:(?:hi|hey|hello|hola)\b[\s,.!:;-]*)+")
MENU_NUMBERS = {"1": "oih", "2": "signs", "3": "tolerance", "4": "treat", "5": "check", "6": "call"}
# "option 1", "#2", "number 3", "opcion 4": the menu number with the word people put before it.
MENU_NUMBER_RE = re.compile(
    r"^(?:(?:option|opt|number|num|no|opcion|numero|#)\s*#?\s*)?([1-6])(?:\s+(?:please|pls|plz|por favor))?$"
)
# Menu words that, inside a longer sentence, are everyday words rather than a choice from the menu:
# "it hurts more every day", "i failed a drug test", "can you check on my dad", "me duele mas".
WEAK_IN_A_SENTENCE = frozenset({"more", "mas", "next", "nxt", "siguiente", "test", "check", "prueba"})
# "i was treated at the er" is no question about treatment; "how is oih treated" is.
ABOUT_OIH_ONLY = frozenset({"treated", "treating", "trata"})
# ...unless the rest of the text only dresses the choice up: "more please", "show me more", "take the test".
MENU_FILLER = frozenset(
    (
        "please pls plz show send give me the a some any results providers clinics places options page list "
        "por favor ver otros otras i want to can you u take do start self lets let's let us ok okay sure "
        "quiero hacer la el hi hey hello hola"
    ).split()
)

YES_WORDS = {
    "yes", "y", "yeah", "yea", "yah", "ya", "yep", "yup", "yas", "ye", "si", "sí", "s", "claro", "ok",
    "okay", "sure", "definitely", "absolutely", "correct", "true", "exactly", "affirmative",
    "totally", "cierto", "correcto", "exacto", "efectivamente",
}  # fmt: skip
NO_WORDS = {"no", "n", "nope", "nah", "not", "never", "false", "nop", "nunca", "negative", "nel"}
# Unsure, not an answer: "not sure" and "no se" start like NO but say "I don't know".
_UNSURE = re.compile(
    r"^(?:not sure|no se|no lo se|no estoy segur[oa]|no idea|no clue|not certain|no tengo idea|"
    r"nose|idk|dunno|i do ?n'?t know|maybe|tal vez|quizas?|a veces|sometimes)\b"
)
_STRETCHED = re.compile(r"(.)\1+")  # "yesss", "nooo"
_THUMBS_UP, _THUMBS_DOWN = "\U0001f44d", "\U0001f44e"
# Saying they do not read English ("no hablo ingles", "no entiendo ingles"): the Spanish menu, not ENGLISH.
_NO_ENGLISH = re.compile(
    r"\bno (?:hablo|hablamos|habla|entiendo|entendemos|entiende|comprendo|leo|se|sabe|se hablar)"
    r"(?: (?:mucho|bien|nada de|el))? (?:ingles|english)\b"
    # and in the little English they write: "no english", "I no speak english", "not much english"
    r"|\bno (?:english|ingles)\b|\bnot (?:much |good |very good )?english\b"
    r"|\b(?:no|don'?t|do not|can'?t|cannot) (?:speak|read|understand|talk|speek|spik)"
    r"(?: (?:much|good|well|any))? english\b"
)


def reads_no_english(normalised: str) -> bool:
    """Whether a text says its writer does not speak or read English, in Spanish or in a little English."""
    return bool(_NO_ENGLISH.search(normalised))


# Not understanding what we asked ("no entiendo", "i dont understand", "what do you mean"): say it again.
_NOT_UNDERSTOOD = re.compile(
    r"^(?:(?:sorry|perdon|lo siento|no),? )?(?:no (?:entiendo|comprendo|le entiendo|entendi)"
    r"|i do ?n'?t understand|i do not understand|what do (?:you|u) mean|que quiere decir)\b"
)


def not_understood(normalised: str) -> bool:
    """Whether a text says they did not understand us, or do not read English."""
    return bool(_NOT_UNDERSTOOD.match(normalised) or _NO_ENGLISH.search(normalised))


# "10001", "10001-1234", "100011234" (ZIP+4 without its hyphen), each maybe with a service word after it.
ZIP_RE = re.compile(r"^\s*(\d{5})(?:-?\d{4})?(?:\s+([a-z]+))?\s*$")
CITY_STATE_RE = re.compile(r"^\s*([a-z][a-z .'-]{1,40}?)(?:\s*,\s*|\s+)([a-z]{2})\s*$")  # "boston,ma" too
US_STATES = frozenset(
    (
        "al ak az ar ca co ct de dc fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj "
        "nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy pr"
    ).split()
)


# Full state names people write instead of the abbreviation ("denver colorado"), longest first.
STATE_NAMES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
    "colorado": "co", "connecticut": "ct", "delaware": "de", "district of columbia": "dc",
    "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in",
    "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md",
    "massachusetts": "ma", "michigan": "mi", "minnesota": "mn", "mississippi": "ms", "missouri": "mo",
    "montana": "mt", "nebraska": "ne", "nevada": "nv", "new hampshire": "nh", "new jersey": "nj",
    "new mexico": "nm", "new york": "ny", "north carolina": "nc", "north dakota": "nd", "ohio": "oh",
    "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa", "rhode island": "ri",
    "south carolina": "sc", "south dakota": "sd", "tennessee": "tn", "texas": "tx", "utah": "ut",
    "vermont": "vt", "virginia": "va", "washington": "wa", "west virginia": "wv", "wisconsin": "wi",
    "wyoming": "wy", "puerto rico": "pr",
}  # fmt: skip
# How people shorten them: "miami fla", "fresno calif", "n carolina".
STATE_SHORT_NAMES = {
    "fla": "fl", "calif": "ca", "cali": "ca", "ariz": "az", "colo": "co", "conn": "ct", "mass": "ma",
    "mich": "mi", "minn": "mn", "penn": "pa", "tenn": "tn", "wisc": "wi", "okla": "ok", "wash": "wa",
    "n carolina": "nc", "s carolina": "sc", "n dakota": "nd", "s dakota": "sd", "w virginia": "wv",
}  # fmt: skip
STATE_FULL_NAMES = frozenset(STATE_NAMES)
STATE_NAMES.update(STATE_SHORT_NAMES)
STATE_NAMES_LONGEST_FIRST = tuple(
    sorted(STATE_NAMES, key=len, reverse=True)
)  # "west virginia" before "virginia"
# The state name a text ends with, after a space or a comma: the one found first is the longest (it starts
# earliest), "west virginia" rather than "virginia". One search instead of an endswith per name.
STATE_NAME_AT_END = re.compile("[ ,](" + "|".join(map(re.escape, STATE_NAMES_LONGEST_FIRST)) + r")\Z")
# A ZIP typed with a slip ("zip 6o629" with the letter O, "6062 9" with a space): the whole text, maybe
# after "zip".
# What people put before a ZIP they send alone: "zip", "my zip is", "codigo postal:".
ZIP_LEAD = r"(?:(?:my )?(?:zip|zipcode|zip code|codigo postal|cp)(?: is| es)?:?\s*)?"
_SLIPPED_ZIP = re.compile(rf"^{ZIP_LEAD}(\d[\do]{{0,4}}(?: [\do]{{1,4}})?)$")


def slipped_zip(normalised: str) -> str | None:
    """`zip 6o629` or `6062 9` -> `60629`: five characters that are digits but for an O and one space."""
    match = _SLIPPED_ZIP.match(normalised.strip(" .!"))
    code = match.group(1).replace(" ", "").replace("o", "0") if match else ""
    return code if len(code) == 5 and code != match.group(1) else None


# A 5-digit number inside a sentence ("my zip is 10001", "estoy en 78701"), not an amount or a dose.
ZIP_IN_TEXT_RE = re.compile(
    r"(?<![\d$#.,-])(\d{5})(?:-\d{4})?(?![\d,.]?\d)(?!\s*(?:mg|mcg|ml|milligrams?|micrograms?|pills?|"
    r"tabs?|tablets?|pastillas?|dollars?|dolares|usd|times|veces|x\b|%|percent|por ciento|mme|units?))"
)

# What people put after a place: "I'm in Houston, Texas.", "denver co please", "austin tx thanks!".
_PLACE_TAIL = re.compile(
    r"(?:[\s,.!?;:)]+|\s+(?:please|pls|plz|thanks|thank you|thx|ty|por favor|gracias))+$"
)
# What people call a few big cities, for the "city, st" the ZIP data knows; the short ones only with
# their state ("LA, CA": "la" alone is a Spanish word).
CITY_NICKNAMES = {
    "nyc": ("new york, ny", False),
    "new york city": ("new york, ny", False),
    "philly": ("philadelphia, pa", False),
    "la": ("los angeles, ca", True),
    "sf": ("san francisco, ca", True),
}
_NICKNAME_AT_END = re.compile(
    r"(?:^|\s)(" + "|".join(re.escape(n) for n in CITY_NICKNAMES) + r")(?:,?\s*([a-z]{2}))?$"
)
# A 5-digit number said to be where they are ("my zip is 00000", "i live in 99999", "cp 00000").
_ZIP_CUE = (
    r"(?:zip|zipcode|zip code|postal|postal code|codigo postal|codigo|cp"
    r"|live in|i am in|im in|i'm in|near|en)"
)


# A street address ("123 Main St", "1600 pennsylvania ave", "on 5th st"): a house or street number and a
# street word. The city and state may follow it; a street alone is no place we can search.
_STREET = re.compile(
    r"\b\d+(?:st|nd|rd|th)?\s+(?:[nsew]\.?\s+)?"
    r"(?:(?!(?:the|a|an|on|off|in|from|of|to|and|my|his|her|for|at|min|mins|minutes?|hours?|hrs?|miles?|mi"
    r"|blocks?|kms?|days?|weeks?|months?|years?|yrs?|times|pills?|tabs?|mg|kids|boys|girls|sons|daughters"
    r"|children|grandkids|sisters|brothers)\s)[a-z0-9.'-]+\s+){0,2}"
    r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|drive|ln|lane|hwy|highway|pkwy|parkway)\b"
    # "calle olmo 450", "av. juarez #12", "450 calle olmo": a Spanish street with its number ("vivo en la
    # calle" is no address).
    r"|\b(?:calle|avenida|av|carretera)\.?\s+(?:[a-z.'-]+\s+){0,3}#?\d+\b"
    r"|\b\d+\s+(?:calle|avenida|carretera)\b"
)


def names_a_street(normalised: str) -> bool:
    """Whether a text gives a street address ("123 main st", "im at the walmart on 5th st")."""
    return bool(_STREET.search(normalised))


# Not knowing their ZIP ("i dont know my zip", "idk the zip code", "no se mi codigo postal"): a city will do.
_ZIP_NOT_KNOWN = re.compile(
    r"\b(?:don'?t know|do not know|idk|dunno|not sure|no idea|forgot|forget|can'?t remember|do not remember"
    r"|don'?t remember|no se|no lo se|no recuerdo|no me acuerdo)\b.{0,20}?"
    r"\b(?:zip|zipcode|zip code|postal code|codigo postal|cp)\b"
    # "whats my zip", "cual es mi codigo postal"; not "whats the zip for the clinic"
    r"|\b(?:what'?s|what is|cual es) (?:my|our|mi|nuestro) "
    r"\b(?:zip|zipcode|zip code|postal code|codigo postal|cp)\b"
)


def zip_not_known(normalised: str) -> bool:
    """Whether a text says they do not know their ZIP code."""
    return bool(_ZIP_NOT_KNOWN.search(normalised))


def greets_before_more(whole: str) -> bool:
    """Whether a text greets and then says more ("hello, my pain keeps getting worse"), without asking
    for the menu by name."""
    said = whole.split()
    return (
        any(word in GREETINGS for word in said)
        and not all(word in GREETINGS for word in said)
        and not any(word in _MENU_NOT_GREETING for word in said)
    )


def without_greeting(normalised: str) -> str:
    """`hi, my pain keeps getting worse` -> `my pain keeps getting worse`."""
    return _GREETING_IN_FRONT.sub("", normalised)


def trim_place_text(normalised: str) -> str:
    """A place as typed, less the punctuation and the please/thanks people end a text with."""
    return _PLACE_TAIL.sub("", normalised)


def city_nickname(text: str) -> str:
    """`im in nyc` -> `im in new york, ny`: a city's nickname at the end becomes its city and state."""
    match = _NICKNAME_AT_END.search(text)
    if not match:
        return text
    city, needs_state = CITY_NICKNAMES[match.group(1)]
    if match.group(2) != city[-2:] and (needs_state or match.group(2)):
        return text
    return f"{text[: match.start(1)]}{city}"


def names_a_zip(normalised: str, code: str) -> bool:
    """Whether a text says the 5-digit number is where they are, real ZIP or not."""
    return bool(re.search(rf"\b{_ZIP_CUE}(?: is| es|:|#)?\s*{code}\b", normalised))


# Asking for a person in plain words ("can I talk to someone", "quiero hablar con alguien"): a callback.
_PERSON = (
    r"(?:someone|somebody|anyone|anybody|a person|a human|(?:a|an) (?:real|actual|live) (?:person|human)"
    r"|staff|a counsell?or)"
)
_ASKS_FOR_A_PERSON = re.compile(
    "|".join(
        (
            rf"\b(?:talk|speak|chat)(?:ing)? (?:to|with) {_PERSON}\b",
            rf"\bneeds? {_PERSON} to talk to\b",
            rf"\b(?:is there|are there|do you have|can i get|i want|i need) {_PERSON} (?:i|we) (?:can|could) "
            r"(?:talk|speak|chat)\b",
            r"\b(?:talk|speak|chat)(?:ing)? (?:to|with) (?:a|an) "
            r"(?:nurse|doctor|counsell?or|live agent|agent)\b",
            r"\b(?:call|ring) me back\b",
            # "just call me", "phone me", "can someone ring me" -- not "don't call me", "never call me"
            r"(?<!not )(?<!no )(?<!dont )(?<!don't )(?<!never )(?<!wont )(?<!won't )(?<!didnt )(?<!didn't )"
            r"(?<!doesnt )(?<!doesn't )\b(?:call|phone|ring) me\b",
            rf"\b(?:need|want|get|give me) {_PERSON}\b",
            r"\bnot (?:a )?(?:ro)?bot\b",
            rf"\bhave {_PERSON} call\b",
            r"\bhablar con (?:alguien|una persona|un humano|una consejera|un consejero|el personal)\b",
            r"\bllamenme\b|\bllamarme\b|\bque me llamen\b",
            r"\bme (?:pueden|puede|podrian|podria) llamar\b",
            r"\b(?:pueden|puede|podrian|podria) llamarme\b|\bllamame\b|\bllameme\b",
        )
    )
)


# How people text a call or a person: "calll me", "plz cll me", "talk 2 som1".
_PERSON_SPELLINGS = {
    "cal": "call", "cll": "call", "kall": "call", "caal": "call", "tlk": "talk", "som1": "someone",
    "sum1": "someone", "some1": "someone", "sumone": "someone", "smone": "someone", "any1": "anyone",
    "ne1": "anyone",
}  # fmt: skip
_PERSON_SPELLED = re.compile(
    r"\b(?:" + "|".join(_PERSON_SPELLINGS) + r"|cal{3,})\b|(?:(?<=talk )|(?<=chat )|(?<=speak ))2\b"
)


def _person_words(normalised: str) -> str:
    """`plz cll me` -> `plz call me`, `talk 2 som1` -> `talk to someone`."""
    return _PERSON_SPELLED.sub(
        lambda m: _PERSON_SPELLINGS.get(m.group(), "to" if m.group() == "2" else "call"), normalised
    )


# Calling someone else ("should i call my doctor", "i called 911"): not a request for our callback.
_CALLS_SOMEONE_ELSE = re.compile(
    r"\bcall(?:ed|ing)? (?:my (?!cell|phone|number|mobile|celular|home)\w+|the (?!number)|his|her|him|them"
    r"|911|988|an? (?!call)\w+)\b|\b(?:llamar|llamo|llame) (?:a mi|al|a la|a el)\b"
)
# Asking about stopping or cutting down an opioid ("how do i get off oxy", "can i stop suddenly"): the
# treatment directions (a slow taper with the prescriber, never stop suddenly) answer it. Only when a
# medicine is named or nothing else is ("can i stop?"): "i want to stop living" is a crisis, not this.
_ASKS_ABOUT_STOPPING = re.compile(
    r"\b(?:how (?:do|can|should|would) (?:i|we|you|she|he|they)|how to|can i|should i|could i|want to|wanna|"
    r"need to|trying to|try to|help me|is it safe to|quiero|necesito|como (?:puedo|dejo|se)|puedo|debo) "
    r"(?:(?:just|simply|safely|suddenly) )?(?:stop|quit|get off|come off|wean|taper|cut down|cut back|dejar|"
    r"bajar|reducir)\b"
)
# Asking about taking more ("so shud i up my dose", "should my dad take more pills"): the prescriber decides.
_ASKS_ABOUT_MORE = re.compile(
    r"\b(?:should|shud|shuld|shld|can|could|do|may|must|is it (?:ok|okay|safe) to|ok to|want to|wanna|"
    r"need to|puedo|debo|deberia|podria)(?: (?:i|we|he|she|they|u|you|my \w+))?(?: just)? "
    r"(?:up|raise|increase|double|bump up|bump|take more|take extra|take another|take a higher|take a bigger"
    r"|go up on|subir|aumentar|doblar|tomar mas)\b"
)
_NALOXONE = re.compile(r"\b(?:narcan|naloxone|naloxona|nalaxone|narcon)\b")
# Having stopped already ("i stopped my methadone yesterday", "she ran out of her pills", "dejé la metadona").
_STOPPED_ALREADY = re.compile(
    r"\b(?:i|we|he|she|they|my \w+) (?:just |suddenly |already )?(?:stopped|quit|came off|got off|went off"
    r"|ran out of)\b|\bwent cold turkey\b"
    r"|\b(?:deje|dejo|dejamos) (?:de tomar|de usar|la|el|las|los)\b"
)
_MEDICINE_OR_NOTHING = re.compile(
    r"^\W*(?:(?:it|them|safely|suddenly|now|please|pls)\W*)*$"
    r"|\b(?:taking|using|opioid|opiate|oxy|oxycodone|oxycontin|percocets?|percs|hydrocodone|norco|vicodin|"
    r"morphine|fentanyl|methadone|suboxone|bupe|buprenorphine|tramadol|dilaudid|codeine|meds|medicines?|"
    r"medications?|pills|painkillers?|pain killers?|patch|patches|dose|doses|cold turkey|"
    r"opioides?|opiaceos|pastillas|medicinas?|medicamentos?|metadona|la dosis|tomar|tomarlas?|usar)"
)


# Asking what the line is ("who is this", "is this free", "¿es confidencial?"): told, and how to reach
# a person.
_ASKS_ABOUT_THE_LINE = re.compile(
    "|".join(
        (
            r"^(?:hi |hello |hey )?(?:what|who) (?:is|are) (?:this|you|u)\b",
            r"\bwho (?:am i|are we) (?:talking|texting|speaking) (?:to|with)\b",
            r"\bwho (?:is|s) (?:texting|answering)\b",
            r"\bcon quien (?:hablo|estoy hablando)\b",
            r"\bis (?:this|it) (?:a bot|a robot|automated|a real person|free|confidential|private)\b",
            r"\bis (?:this|it) anonymous\b",
            r"\bare (?:you|u) (?:a bot|a robot|a real person|real|human|a person)\b",
            r"\bhow much (?:does (?:this|it) cost|is it)\b|\bdoes (?:this|it) cost\b",
            r"\b(?:do|will) you (?:share|sell|keep) my\b",
            r"^(?:que|quien|quienes) (?:es esto|es|son|eres)\b",
            r"\bes (?:gratis|confidencial|privado|anonimo|un robot)\b|\beres (?:un robot|una persona|real)\b",
            r"\bcuanto cuesta\b",
        )
    )
)
# A whole text that only thanks or acknowledges ("thanks", "ok thank you", "gracias", "👍").
THANKING = {
    "thanks", "thank", "thanx", "thnx", "thx", "ty", "tysm", "gracias", "ok", "okay", "k", "kk", "cool",
    "great", "bye", "goodbye", "byebye", "cya", "adios", "chao", "chau", "bendiciones",
}  # fmt: skip
THANKS_WORDS = THANKING | {
    "you", "u", "ya", "got", "it", "so", "much", "muchas", "vale", "bueno", "perfecto", "listo", "no",
    "very", "for", "now", "and", "good", "night", "take", "care", "see", "later", "god", "bless",
    "have", "a", "day", "nice", "buenas", "noches", "y", "hasta", "luego", "pronto", "dios", "le",
    "te", "bendiga",
}  # fmt: skip
# A whole text that only acknowledges ("ok", "k", "got it"): no thanks to answer "you're welcome" to.
ACKNOWLEDGING = frozenset(
    "ok okay k kk oki okey cool great got it alright vale bueno perfecto listo entendido".split()
)
# Emoji that thank or acknowledge; any other emoji alone ("😭", "?") gets the menu, not "You're welcome".
_THANKING_EMOJI = set(
    "\U0001f44d\U0001f64f\u2764\U0001f60a\U0001f642\U0001f44c\u2705\U0001f4af"
    "\U0001f917\u2665\u263a\U0001f44f\U0001f495\U0001f496\U0001f49c\U0001f499"
    "\U0001f49a\U0001f49b\U0001f9e1\U0001f970\U0001f60d\U0001f618\U0001f607\U0001f64c"
)


def asks_about_the_line(normalised: str) -> bool:
    """Whether a text asks what this line is: who answers, what it costs, whether it is confidential."""
    return bool(_ASKS_ABOUT_THE_LINE.search(normalised))


def only_thanks(normalised: str) -> bool:
    """Whether a text only thanks or acknowledges (an emoji alone counts: nothing to answer but kindly)."""
    said = words(normalised)
    if not said:
        return any(c in _THANKING_EMOJI for c in normalised) and len(normalised) <= 8
    return all(word in THANKS_WORDS for word in said) and any(word in THANKING for word in said)


def only_acknowledges(normalised: str) -> bool:
    """Whether a text only says OK ("ok", "k", "got it", "vale"), with no word of thanks."""
    said = words(normalised)
    return bool(said) and all(word in ACKNOWLEDGING for word in said)


# "call" that asks nothing of us: a game ("call of duty"), or them calling us ("can i call you", "i'll call
# you later", "whats the number to call").
_CALL_OF_DUTY = re.compile(r"\bcall of duty\b")
_THEY_WOULD_CALL = re.compile(
    r"\b(?:i|we) ?(?:'ll|ll| will| can| could| may| might| should| want to| wanna)? call (?:you|u|y'?all|this"
    r"|later|back later|tomorrow)\b"
    r"|\b(?:can|could|may|should|do) (?:i|we) (?:just )?call\b(?! me\b)"
    r"|\b(?:number|phone|who|where|when) (?:to|do i|should i|can i|could i) call\b"
)


def calls_a_game(normalised: str) -> bool:
    """Whether "call" in a text is the name of a game ("my son plays call of duty all night")."""
    return bool(_CALL_OF_DUTY.search(normalised))


def would_call_us(normalised: str) -> bool:
    """Whether a text speaks of calling us, not of our calling them ("can i call you")."""
    return bool(_THEY_WOULD_CALL.search(normalised))


def calls_someone_else(normalised: str) -> bool:
    """Whether "call" in a text is about calling someone else (a doctor, 911), not asking us to call."""
    return bool(_CALLS_SOMEONE_ELSE.search(normalised))


# The helpline's own story, told in a sentence: pain that keeps growing ("my mom's pain keeps getting
# worse on her oxycodone", "why does it hurt more", "me duele mas cada dia"). What OIH is answers it.
_PAIN = r"(?:pain|pains|painful|hurts?|hurting|aches?|aching|sore|dolor|dolores|duele|duelen|adolorid[oa])"
_WORSE = (
    r"(?:worse|worst|worsening|more|increas\w*|grow\w*|spread\w*|getting bad|gets bad|peor|mas|aumenta\w*|"
    r"empeora\w*|crece\w*|all over|everywhere|to (?:the )?touch|todo el cuerpo|en todas partes"
    r"|por todos lados)"
)
_DESCRIBES_WORSENING_PAIN = re.compile(
    rf"\b{_PAIN}\b(?:\W+\w+){{0,6}}?\W+{_WORSE}\b|\b{_WORSE}\b(?:\W+\w+){{0,3}}?\W+{_PAIN}\b"
)


# Or of a pain medicine that no longer helps: "her pain meds arent working anymore", "oxy stopped helping".
_MEDS_NOT_HELPING = re.compile(
    r"\b(?:meds|medicines?|medications?|pills|painkillers?|opioids?|oxy\w*|percocets?|hydrocodone|morphine|"
    r"fentanyl|dose|medicina|medicamentos?|pastillas)\b(?:\W+\w+){0,3}?\W+"
    r"(?:(?:are|is|do|does)(?: not|nt)|arent|isnt|dont|doesnt|not|no longer|stopped|quit"
    r"|ya no|no (?:me |le )?)"
    r"\W*(?:working|work|helping|help|hacen efecto|funcionan?|ayudan?|sirven?)\b"
)


# "how do i know if i have oih", "could this be oih", "como se si tengo hiperalgesia": the signs answer that.
_ASKS_IF_THEY_HAVE_IT = re.compile(
    r"\b(?:how (?:do|can|would|will) (?:i|you|we) (?:know|tell)|(?:do|could|might|can) (?:i|he|she|they) have"
    r"|(?:is|could) (?:it|this|that) (?:be )?(?:oih|hyperalgesia)|am i|como (?:se|saber|puedo saber) si"
    r"|(?:tengo|tiene) (?:oih|hiperalgesia))\b"
)


# "he's ok now", "ok what now", "she is breathing", "ya esta bien": the danger has passed, for now.
_REASSURED = re.compile(
    r"^(?:ok|okay|k|kk|oki|alright|thanks|thank you|gracias)\b"
    r"|\b(?:he|she|they|i|we|hes|shes|theyre|im|mom|dad|son|daughter|husband|wife)"
    r"(?: is| s|'s| am|'m| are|'re)? (?:ok|okay|fine|better|safe|alright|awake|breathing|up)\b"
    r"|\b(?:esta|estoy|estamos|ya esta) (?:bien|mejor|despierto|despierta|respirando)\b"
)


def sounds_reassured(normalised: str) -> bool:
    """Whether a text says things are all right now ("he's ok now", "ok thanks", "ya esta bien")."""
    return bool(_REASSURED.search(normalised))


# Nothing more is needed: "no need", "all good", "im fine", "no hace falta", "ya no lo necesito".
_NEEDS_NOTHING = re.compile(
    r"\b(?:no need|not needed|do ?n'?t need (?:it|one|a call|anything)|all good|all set|no hace falta"
    r"|no es necesario|ya no (?:lo |la )?necesito)\b"
)


def needs_nothing(normalised: str) -> bool:
    """Whether a text says nothing more is needed, or that they are all right ("no thanks, im fine")."""
    return bool(_NEEDS_NOTHING.search(normalised)) or sounds_reassured(normalised)


# "cancel my callback", "i dont need the call anymore", "never mind the call", "ya no necesito la llamada".
_WITHDRAWS_CALLBACK = re.compile(
    r"\b(?:cancel|withdraw|stop|forget)(?: the| my| that)? (?:call|callback|call back|request)\b"
    r"|\b(?:take|remove) me off (?:the|your) (?:call|callback|call back)? ?list\b"
    r"|\b(?:dont|do not|don't|no longer|no more) (?:need|want)(?: a| the| that| your)?"
    r" (?:call|callback|call back)\b"
    r"|\bnever ?mind (?:the|about the|my) (?:call|callback)\b"
    r"|\bya no (?:necesito|quiero) (?:la llamada|que me llamen)\b|\bcancel(?:ar|en|e) la llamada\b"
    # Only that, with a call asked for: "nevermind", "actually never mind", "olvidalo".
    r"|^\W*(?:(?:oh|ok|okay|actually|sorry|um|hmm|lol|no)\W+)*(?:never ?mind|nvm|forget it"
    r"|olvidalo|olvidelo|olviden(?:lo)?)"
    r"(?:\W+(?:thx|thanks|thank you|ty|please|pls|porfa|por favor|gracias))?\W*$"
)


# Saying not to call ("do not call me, my husband will see", "i dont want anyone to call me", "dnt call",
# "no calls, text only", "no me llamen"): read with what follows it, below.
_NOT_CALLING = re.compile(
    r"\b(?:(?:please |pls |plz )?(?:do not|dont|don't|dnt|dun|never|no need to|stop)"
    r"|(?:do not|dont|don't|dnt|no) (?:want|need)(?: (?:anyone|anybody|someone|somebody|you|u|staff|people"
    r"|a person|y'?all|nobody))? to) (?:call|phone|ring)(?:ing)?\b"
    r"|\b(?:do not|dont|don't|dnt) (?:want|need)(?: a| any| the| your| no)? (?:phone )?(?:calls?|callbacks?"
    r"|call backs?)\b"
    r"|\bno (?:phone )?calls\b|\btext(?:s|ing)? only\b|\bno (?:me )?llamen\b|\bno me llamen?\b"
)
# Who is called or when, right after it: someone else ("dont call the cops", "i dont call my doctor
# anymore") or a time ("no calls after 5", "dont call me before noon"), so no refusal of our call.
_SOMEONE_ELSE_OR_A_TIME = re.compile(
    r"^ (?:(?:me|us) )?(?:before|after|until|till|til|between|during|at (?:night|work|\d)|in the (?:morning"
    r"|evening|afternoon|day)|on (?:weekends?|\w+days?)|today|tonight|tomorrow|this (?:morning|afternoon"
    r"|evening|week)|right now|now|yet|antes|despues|hasta|en la (?:manana|tarde|noche)"
    r"|por la (?:manana|tarde|noche)|hoy|manana)\b"
    r"|^ (?:the (?!number|phone|cell)|my (?!cell|phone|number|mobile|celular|home|house)|his\b|her\b|him\b"
    r"|them\b|their\b|911|988|police|cops|an? (?!call)|a la|al\b|a mi|a el|anymore|any more)"
)
# The whole text only takes it back: "cancel that", "ok cancel it please".
_CANCEL_THAT = re.compile(
    r"^\W*(?:(?:ok|okay|please|pls|actually|no|oh|never ?mind|nvm|sorry|wait|um|hmm)\W+)*"
    r"cancel (?:that|it)(?:\W+(?:please|pls|thanks|thx))*\W*$"
)
# "i changed my mind", "dont need it anymore": maybe the call, maybe not; the request stays.
_MENTIONS_NOT_CALLING = re.compile(
    r"\bcancel (?:that|it)\b|\bchanged my mind\b|\b(?:dont|don't|do not|no longer) need (?:it|that|this)"
    r"(?: anymore| any more| now)?\W*$|\bcambie de opinion\b"
)


def refuses_a_call(normalised: str) -> bool:
    """Whether a text says not to call ("don't call me, text only"): never a callback request. Not when
    it only says whom not to call or when ("dont call the cops", "no calls after 5")."""
    text = _person_words(normalised)
    if _CANCEL_THAT.match(text):
        return True
    return any(
        not _SOMEONE_ELSE_OR_A_TIME.match(text[match.end() :]) for match in _NOT_CALLING.finditer(text)
    )


def mentions_not_calling(normalised: str) -> bool:
    """Whether a text speaks of not calling without refusing our call ("no calls after 5", "dont call
    the cops on him", "i had to cancel it"): a request stays, and they are told how to take it back."""
    text = _person_words(normalised)
    return bool(_NOT_CALLING.search(text) or _MENTIONS_NOT_CALLING.search(text)) and not refuses_a_call(
        normalised
    )


def withdraws_callback(normalised: str) -> bool:
    """Whether a text takes back its request for a callback."""
    return bool(_WITHDRAWS_CALLBACK.search(normalised))


def turns_down(normalised: str, service: str) -> bool:
    """Whether a text says no to the service it names ("no methadone", "i dont want to go on methadone",
    "sin metadona", "no quiero metadona"): no search for it."""
    word = re.escape(service)
    return bool(
        re.search(
            rf"\b(?:no|not|without|sin|ni|no more|nada de)(?: more| any| the| la| el)? {word}\b"
            rf"|\b(?:do not|dont|don't|dnt|does not|doesnt|doesn't|no) (?:want|need|like|quiero|necesito"
            rf"|wants|needs|likes)(?: \w+){{0,3}} {word}\b",
            normalised,
        )
    )


# A question about what a treatment is ("is methadone safe", "what is detox like", "is vivitrol a shot").
_ASKS_WHAT_IT_IS = re.compile(
    r"^(?:is(?! there)|are(?! there)|does|what is|whats|what's|what are|how does|how long|how is|will|que es"
    r"|que son|es|como funciona)"
    r"\b"
)

# "whats the closest methadone clinic", "is the detox near me open": where, not what.
_ASKS_WHERE = re.compile(
    r"\b(?:near|nearest|closest|close|nearby|where|around|area|open|address|number|phone|location|hours"
    r"|donde|cerca|cercano|cercana)\b"
)


def asks_what_it_is(normalised: str) -> bool:
    """Whether a text asks what a treatment is or does, rather than where to get it."""
    return bool(_ASKS_WHAT_IT_IS.match(normalised)) and not _ASKS_WHERE.search(normalised)


def withdraws_a_call_by_name(normalised: str) -> bool:
    """Whether a text takes back a call it names ("cancel my callback", "nevermind the call"), not only
    "nevermind"."""
    return withdraws_callback(normalised) and bool(re.search(r"\bcall|\bllam", normalised))


def already_takes(normalised: str, medicine: str) -> bool:
    """Whether a text says someone is on the medicine it names ("my son is on suboxone", "she takes
    methadone"), rather than asking where to get it."""
    return bool(
        re.search(
            rf"\b(?:on|taking|takes|take|took|using|uses|prescribed|gets|getting|toma|tomando|usa)"
            rf"(?: (?:his|her|my|their|the|su|mi|la|el))? {re.escape(medicine)}\b",
            normalised,
        )
    )


def asks_if_they_have_it(normalised: str) -> bool:
    """Whether a text asks how to tell if they (or someone) have it."""
    return bool(_ASKS_IF_THEY_HAVE_IT.search(normalised))


def describes_worsening_pain(normalised: str) -> bool:
    """Whether a text tells of pain that keeps getting worse, or of a pain medicine that no longer helps
    (in English or Spanish)."""
    return bool(_DESCRIBES_WORSENING_PAIN.search(normalised) or _MEDS_NOT_HELPING.search(normalised))


# A plea with nothing else in it ("i need help", "can someone help me", "necesito ayuda"): what the line is
# and how to reach a person, not the menu's list of words.
_ASKS_FOR_HELP = re.compile(
    r"^(?:please |pls |plz )?(?:i |we )?(?:really |just )?(?:need|want|neeed|nee) (?:some |your )?help"
    r"(?: me| us| please| pls| now| asap)*$"
    r"|^(?:please |pls )?help (?:me|us)(?: please| pls| now)*$"
    r"|^(?:can|could|will) (?:you|someone|somebody|anyone|anybody) (?:please )?help(?: me| us)?(?: please)?$"
    r"|^(?:por favor )?(?:necesito|necesitamos|quiero) (?:ayuda|que me ayuden)(?: por favor)?$"
    r"|^(?:por favor )?(?:ayudame|ayudenme|ayudeme)(?: por favor)?$"
)


def asks_for_help(normalised: str) -> bool:
    """Whether a text only asks for help, in English or Spanish."""
    return bool(_ASKS_FOR_HELP.match(" ".join(words(normalised))))


def asks_about_stopping(normalised: str) -> bool:
    """Whether a text asks how to stop, taper or cut down a medicine (not the texts: opt-out comes first)."""
    match = _ASKS_ABOUT_STOPPING.search(normalised)
    return bool(match) and bool(_MEDICINE_OR_NOTHING.search(normalised[match.end() :]))


def asks_about_more(normalised: str) -> bool:
    """Whether a text asks about raising a dose or taking more of a medicine."""
    match = _ASKS_ABOUT_MORE.search(normalised)
    if not match or _NALOXONE.search(normalised):  # more naloxone is never "ask your prescriber"
        return False
    return bool(_MEDICINE_OR_NOTHING.search(normalised[match.end() :]))


def stopped_already(normalised: str) -> bool:
    """Whether a text tells of having stopped a medicine (or run out of it), in English or Spanish."""
    match = _STOPPED_ALREADY.search(normalised)
    if not match:
        return False
    return match.group().endswith("turkey") or _medicine_next(normalised[match.end() :])


# What may stand between "stopped" and the medicine: "deje de tomar las pastillas".
_BEFORE_THE_MEDICINE = frozenset(
    "my his her their our your the all of those these some its just suddenly completely pain "
    "mi mis su sus la el las los de".split()
)


def _medicine_next(rest: str) -> bool:
    """Whether what follows "stopped" is the medicine ("my methadone", "taking them", "it") and not some
    other stopping with a medicine later ("smoking but my oxy", "by the pharmacy to pick up my meds")."""
    said = words(rest)
    if _MEDICINE_OR_NOTHING.match(rest.strip()) or said[:1] == ["them"]:
        return True
    for start, word in enumerate(said[:5]):
        if _MEDICINE_OR_NOTHING.match(" ".join(said[start:])):
            return True
        if word not in _BEFORE_THE_MEDICINE:
            return False
    return False


def asks_for_a_person(normalised: str) -> bool:
    """Whether a text asks to talk to a person (a callback), in English or Spanish."""
    return bool(_ASKS_FOR_A_PERSON.search(_person_words(normalised)))


@lru_cache(maxsize=64)  # the line reads a text more than once; only texts being answered now
def normalise(text: str) -> str:
    """Lower case, accents off (ñ kept), control characters and odd spacing gone."""
    text = unicodedata.normalize("NFKC", text).replace("ñ", "\0").replace("Ñ", "\0")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).replace(
        "\0", "ñ"
    )
    text = text.lower().replace("’", "'")
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    return re.findall(r"[a-zñ0-9']+", text)


def _allowed_typos(word: str) -> int:
    return 0 if len(word) <= 4 else 1 if len(word) <= 7 else 2


# Every menu word once, in the order of MENU_WORDS (the first intent naming a word wins), with the typos
# it tolerates: read once, not on every text.
_EXACT: dict[str, str] = dict(MENU_NUMBERS)
for _intent, _options in MENU_WORDS.items():
    for _option in sorted(_options):
        _EXACT.setdefault(_option, _intent)
_SQUEEZED = {_STRETCHED.sub(r"\1", o): i for o, i in _EXACT.items() if len(o) >= 4 and o not in MENU_NUMBERS}
_SHORT_OPTIONS = tuple((o, i) for o, i in _EXACT.items() if len(o) == 4)
_FUZZY = tuple(
    (option, intent, _allowed_typos(option))
    for option, intent in _EXACT.items()
    if option not in MENU_NUMBERS
)


@lru_cache(maxsize=8192)  # texters send the same few words again and again
def menu_intent(word: str, fuzzy: bool = True) -> str | None:
    """The menu intent a single word asks for, tolerating small typos in longer words.

    Typos are counted as optimal string alignment distance (insert, delete, substitute, transpose).
    """
    intent = _EXACT.get(word)
    if intent is not None or not fuzzy:
        return intent
    # Short words allow no typo, but a doubled letter ("calll", "cal") or two letters swapped ("meun")
    # is still the word.
    intent = _SQUEEZED.get(_STRETCHED.sub(r"\1", word))
    if intent is None and len(word) == 4:
        intent = next((i for option, i in _SHORT_OPTIONS if OSA.distance(word, option, score_cutoff=1) == 1
                       and sorted(word) == sorted(option)), None)  # fmt: skip
    if intent is not None:
        return intent
    word_typos = _allowed_typos(word)
    if not word_typos:
        return None
    best, best_distance = None, 99
    for option, option_intent, option_typos in _FUZZY:
        limit = min(option_typos, word_typos)
        if not limit or abs(len(option) - len(word)) > limit:
            continue
        distance = OSA.distance(word, option, score_cutoff=limit)  # in C; limit + 1 when further
        if distance <= limit and distance < best_distance:
            best, best_distance = option_intent, distance
    return best


def yes_no(normalised: str) -> bool | None:
    """YES or NO as people answer ("yeah", "yesss", "nope", "👍"); None when it is neither or unsure."""
    tokens = words(normalised)
    if not tokens:  # a thumb up or down answers too
        up, down = _THUMBS_UP in normalised, _THUMBS_DOWN in normalised
        return True if up and not down else False if down and not up else None
    if _UNSURE.match(" ".join(tokens)):
        return None
    if tokens[:2] == ["ya", "no"]:  # Spanish "no longer"
        return False
    first = tokens[0] if tokens[0] in YES_WORDS or tokens[0] in NO_WORDS else _STRETCHED.sub(r"\1", tokens[0])
    if first in YES_WORDS:
        return True
    if first in NO_WORDS:
        return False
    return None
