"""What a caller's spoken answer means: yes or no to a read-back, and whether they refuse a call.
Pure: no I/O.

A read-back ("We will call you back at…", "You said 6 0 6 2 9") is acted on only on a clear yes: any
"no", "not", "wrong" or "no es" makes the answer a no ("no, that's not right", "okay no",
"no está bien"), and an answer holding a yes and a no, or neither, is asked again.
"""

from __future__ import annotations

import re

from helpline.domain import keywords as kw

# Words that say yes alone, in either language.
YES_WORDS = frozenset(
    "yes yeah yea yep yup ya sure right correct okay ok alright exactly perfect affirmative "
    "si correcto claro exacto perfecto bien vale cierto".split()
)
# Words that say no, or turn what follows into a no ("not right", "no es correcto").
NO_WORDS = frozenset(
    "no nope nah not never wrong incorrect negative mistake mistaken "
    "nunca incorrecto incorrecta equivocado equivocada equivocaste falso mal negativo".split()
)
# "isn't", "don't", "that ain't it": a negated verb, with or without its apostrophe.
_NEGATED = re.compile(
    r"^(?:\w+n't|aint|dont|doesnt|didnt|isnt|wasnt|arent|werent|cant|cannot|wont|havent|hasnt)$"
)
_NO_PHRASES = re.compile(r"\b(?:uh uh|nuh uh)\b")
# Phrases that hold a "no" without saying no, and answers that are neither.
_NOT_A_NO = re.compile(r"\b(?:no problem|no worries|no doubt|sin problema|no hay problema)\b")
_UNSURE = re.compile(
    r"\b(?:not sure|no se|no lo se|do ?n'?t know|do not know|maybe|i think|i guess|quizas|tal vez"
    r"|creo que|no estoy segur[oa]|wait|espera)\b"
)
# "uh huh", "that's it", "eso es": yes said in more than one word.
_YES_PHRASES = re.compile(
    r"\b(?:uh huh|mm hmm|mhm|that'?s it|that is it|eso es|asi es|de acuerdo|you got it)\b"
)


def yes_no(speech: str) -> bool | None:
    """True for a clear yes, False for any no, None when unclear (both, neither, or unsure)."""
    text = " ".join(kw.words(kw.normalise(speech)))
    text = _NOT_A_NO.sub(" ", text)
    unsure = bool(_UNSURE.search(text))
    text = _UNSURE.sub(" ", text)  # "I'm not sure" is no answer yet, not a no
    tokens = text.split()
    said_no = any(t in NO_WORDS or _NEGATED.match(t) for t in tokens) or bool(_NO_PHRASES.search(text))
    said_yes = any(t in YES_WORDS for t in tokens) or bool(_YES_PHRASES.search(text))
    strong_yes = any(t in ("yes", "yeah", "yep", "yup", "si") for t in tokens)
    if said_no:
        # "no, that's not right" is a no; "yes… no, wait" says both and is asked again.
        return None if strong_yes else False
    return True if said_yes and not unsure else None


# "Don't call me back", "I don't want anyone to call me", "stop calling me", "no me llamen": a caller
# refusing a call. Words between the "don't" and the "call" are only those of such a sentence, so
# "I don't know, just call me back" still asks for one; "why don't you call me" asks too.
_BETWEEN = (
    r"(?:(?:want|wanna|need|have|to|anyone|anybody|someone|somebody|you|any|a|me|us|please|pls|guys)\s+){0,4}"
)
_REFUSES_A_CALL = re.compile(
    r"(?<!why )\b(?:do ?n'?t|do not|does ?n'?t|never|no need to|stop|not to)\s+"
    + _BETWEEN
    + r"(?:call|calls|calling|callback|callbacks|phone|ring)\b"
    r"|\bno (?:callback|callbacks|calls|phone calls)\b"
    r"|\bno (?:me |nos )(?:llam\w*|devuelv\w*)|\bno (?:llamen|llamar|llames)\b"
    r"|\bno (?:quiero|necesito)\s+(?:(?:que|me|una|un|ninguna)\s+){0,3}(?:llam\w*|devuelv\w*)"
)


def refuses_a_call(speech: str) -> bool:
    """Whether a caller says not to call them ("don't call me back, I just want information")."""
    return _refusal_removed(speech) is not None


def rest_of_a_refusal(speech: str) -> str:
    """What a caller said around their refusal (`don't call me back, I just want information` ->
    `me back , i just want information`), to hear what they want instead; all of it without one."""
    rest = _refusal_removed(speech)
    return speech if rest is None else rest


def _refusal_removed(speech: str) -> str | None:
    """A comma keeps its meaning: "no, quiero una llamada" asks for a call."""
    text = re.sub(r"[^a-zñ0-9',.?!]+", " ", kw.normalise(speech))
    text = re.sub(r"\s*([,.?!])\s*", r" \1 ", text)
    rest, found = _REFUSES_A_CALL.subn(" ", text)
    return rest if found else None
