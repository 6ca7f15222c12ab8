"""A place said on the phone instead of a ZIP ("Chicago, Illinois", "I live in Dayton Ohio"), and a place
as a voice reads it back. Pure: no I/O.

Looked up in the same ZIP data and state names as a texter's "city, ST", so a city found by text is
found by phone too, and searched as the same "chicago, il".
"""

from __future__ import annotations

import re

from helpline.domain import keywords as kw
from helpline.domain import places, spoken

MOST_CITY_WORDS = 4  # "rancho santa margarita": the longest city names said before a state
BIG_CITY_ZIPS = 5  # a city said alone, with no "I live in", is taken as one only with this many ZIP codes
_STATE_SAID = {code: name.title().replace(" Of ", " of ") for name, code in kw.STATE_NAMES.items()
               if name in kw.STATE_FULL_NAMES}  # fmt: skip
# Said alone before a city: "I'm in Chicago", "vivo en Houston".
_LEAD_IN = re.compile(
    r"^(?:(?:i'?m|i am|we'?re|we are|i live|we live|estoy|vivo|vivimos|estamos) )?(?:in |en )?"
)
# "I don't know it", "no sé": a caller who does not know their ZIP.
_NOT_KNOWN = re.compile(
    r"\b(?:do ?n'?t know|do not know|not sure|no idea|forgot|forget|can'?t remember|no se|no lo se"
    r"|no me acuerdo|no recuerdo|no tengo idea|olvide)\b"
)


def city_heard(speech: str) -> str | None:
    """`Chicago, Illinois.` -> `chicago, il`, the city and state as the texts search them; a city said
    alone (`Chicago`) when one state has a city of that name. None when no known city was said."""
    said = " ".join(kw.words(kw.trim_place_text(kw.normalise(speech))))
    ends = [(name, kw.STATE_NAMES[name]) for name in kw.STATE_NAMES_LONGEST_FIRST]
    ends += [(code, code) for code in sorted(kw.US_STATES)]  # "Washington DC", "Portland OR"
    for name, state in ends:
        if said.endswith(" " + name) and (city := _city_before(said[: -len(name)].split(), state)):
            return city
    city = _LEAD_IN.sub("", said)  # the whole answer as a city, not a word in a sentence ("why")
    states = places.states_with_city(city) if city else ()
    return f"{city}, {states[0][0].lower()}" if len(states) == 1 else None


def city_alone(speech: str) -> tuple[str, str] | None:
    """`Dallas` or `I'm not sure, I live in Brooklyn` -> (`dallas`, `TX`): a known city said without its
    state, with the state that has the most of it (for "like Dallas, Texas"). A city named alone
    must be a big one ("why" and "hope" are towns too); one said after "in" ("I live in…") may be
    any. None when no city was said."""
    said = " ".join(kw.words(kw.trim_place_text(kw.normalise(speech))))
    after_in = re.search(r"\b(?:in|en) ((?:[a-zñ]+ ?){1,3})$", said)
    for name, least in ((_LEAD_IN.sub("", said), BIG_CITY_ZIPS), (after_in and after_in.group(1), 1)):
        name = (name or "").strip()
        if name and len(name.split()) <= 3 and name.replace(" ", "").isalpha():
            states = places.states_with_city(name)
            if states and states[0][1] >= least:
                return name, states[0][0]
    return None


def state_alone(speech: str) -> str | None:
    """`Texas`, `it's in Texas`, `en Texas` -> `tx`: an answer naming only a state; None otherwise."""
    said = " ".join(kw.words(kw.trim_place_text(kw.normalise(speech))))
    said = re.sub(
        r"^(?:(?:it'?s|it is|that'?s|that is|esta|es) )?(?:in |en )?(?:the state of |el estado de )?",
        "",
        said,
    )
    return kw.STATE_NAMES.get(said) if said in kw.STATE_FULL_NAMES else None


def city_in_state_said(city: str, speech: str) -> str | None:
    """`dallas` and `Texas` -> `dallas, tx`: a city said earlier, and now its state; None when the
    answer is not a state alone, or that state has no city of that name."""
    state = state_alone(speech)
    return _city_before([city], state) if state else None


def _city_before(words: list[str], state: str) -> str | None:
    """The longest known city of `state` the words end with (`i live in dayton` -> `dayton, oh`)."""
    for start in range(max(0, len(words) - MOST_CITY_WORDS), len(words)):
        city = " ".join(words[start:])
        if places.city_centroid(city, state):
            return f"{city}, {state}"
    return None


def not_known(speech: str) -> bool:
    """The caller says they do not know (their ZIP)."""
    return bool(_NOT_KNOWN.search(" ".join(kw.words(kw.normalise(speech)))))


def place_said(location: str) -> str:
    """What a voice reads back: a ZIP digit by digit (`1 0 0 0 1`), a city with its state in full
    (`chicago, il` -> `Chicago, Illinois`)."""
    if "," not in location:
        return spoken.digits(location)
    city, _, state = location.rpartition(",")
    place = places.city_centroid(city, state)
    named = place.label.rpartition(",")[0] if place else city.strip().title()
    return f"{named}, {_STATE_SAID.get(state.strip().lower(), state.strip().upper())}"
