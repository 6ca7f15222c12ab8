"""Texts that look for care without naming a place, or ask for more of it in other words: where to
look ("clinics near me", "i need rehab"), a ZIP a digit off ("2134"), how to pay ("i have no insurance"),
and, after results, "any others?". Pure functions of a normalised text (lower case, see `keywords`)."""

from __future__ import annotations

import re

from helpline.domain.keywords import ZIP_LEAD, trim_place_text, words

# A ZIP with a digit too few or too many ("2134", "zip 902101"): the whole text, maybe after "zip".
_ZIP_WRONG_LENGTH = re.compile(rf"^{ZIP_LEAD}(\d{{4}}|\d{{6,8}})$")

# Asking for what is near without saying where: "clinics near me", "whats closest", "cerca de mi".
_NEAR_ME = re.compile(
    r"\b(?:near|close to|around|by) (?:me|us|here|my (?:house|home|place|area))\b|\bnear ?by\b"
    r"|\b(?:closest|nearest)\b|\bin my (?:area|town|city)\b"
    r"|\bcerca de (?:mi|aqui|nosotros|mi casa)\b|\bmas cercan[oa]s?\b|\ben mi (?:area|zona|ciudad)\b"
    r"|\b(?:clinicas?|centros?|lugares|doctores|medicos|tratamientos?|programas?) (?:por aqui |)cerca\W*$"
)


# Asking how to pay for treatment, or to have it free ("i have no insurance", "do you take medicaid",
# "cant afford rehab", "no tengo seguro"); not the line's own cost ("is this free": what the line is).
_ASKS_ABOUT_PAYING = re.compile(
    r"\b(?:medicaid|medicare|medi-cal|uninsured|insurance|sliding (?:fee|scale)|low[ -]cost|afford\w*"
    r"|no (?:money|income)|free (?:treatment|clinics?|rehab|detox|care|programs?|methadone|suboxone)"
    r"|sin seguro|no tengo (?:seguro|dinero)|no puedo pagar|bajo costo|tratamiento gratis)\b"
)


def asks_about_paying(normalised: str) -> bool:
    """Whether a text asks about paying for treatment: insurance, Medicaid, free or low-cost care."""
    return bool(_ASKS_ABOUT_PAYING.search(normalised))


# After results, asking for the next ones in other words: "any others?", "other options", "otros lugares".
_ASKS_FOR_OTHERS = re.compile(
    r"^(?:are there |is there |got |show me |send |give me |do you have |what about |hay )?"
    r"(?:any |some |mas |more )?"
    r"(?:others?|other (?:ones|places|options|clinics|providers|choices)|anything else|anymore|any more|else"
    r"|otros|otras|otras opciones|otros lugares|algo mas|alguno mas|alguna mas)"
    r"(?: (?:please|pls|near me|nearby|close by|por favor))?$"
)


def asks_for_others(normalised: str) -> bool:
    """Whether a text asks for more of what was found, in other words than MORE ("any others?")."""
    return bool(_ASKS_FOR_OTHERS.match(" ".join(words(normalised))))


# Looking for somewhere to go ("find a clinic", "i need rehab", "where can i get treatment", "busco una
# clinica"): where, then the search. Not the TREAT keyword alone, which asks what treatment is.
_CARE = (
    r"(?:clinics?|doctors?|dr|providers?|rehabs?|programs?|facilit(?:y|ies)|centers?|specialists?|treatment"
    r"|therapists?|counsell?ors?|clinicas?|doctora?s?|medicos?|centros?|tratamientos?|programas?"
    r"|rehabilitacion|lugar|lugares)"
)
_SEEKS_CARE = re.compile(
    rf"\b(?:find|finding|look(?:ing)? for|search(?:ing)? for|need|needs|want|get|recommend"
    rf"|busco|buscando|necesito|necesitamos|quiero|encontrar)\b(?:\W+\w+){{0,3}}?\W+{_CARE}\b"
    rf"|\b(?:where|donde)\b(?:\W+\w+){{0,5}}?\W+(?:{_CARE}|help|ayuda)\b"
    r"|\bwhere (?:can|do|should|could) (?:i|we|he|she|they) go\b|\bdonde (?:puedo|podemos|puede|debo) ir\b"
)


# Their own doctor or clinic ("i want my doctor to lower my dose") is not somewhere new to go.
_THEIR_OWN_CARE = re.compile(r"\b(?:my|his|her|their|our|mi|mis|su|sus)\s+(?:\w+\s+)?" + _CARE + r"\b")


def seeks_care(normalised: str) -> bool:
    """Whether a text looks for a clinic, a doctor, rehab or treatment (somewhere to go)."""
    return bool(_SEEKS_CARE.search(_THEIR_OWN_CARE.sub(" ", normalised)))


def zip_wrong_length(normalised: str) -> bool:
    """Whether a text is a ZIP code with a digit too few or too many ("2134", "my zip is 902101")."""
    return bool(_ZIP_WRONG_LENGTH.match(trim_place_text(normalised).strip(" .!")))


def asks_what_is_near(normalised: str) -> bool:
    """Whether a text asks for what is near them without saying where ("any clinics near me")."""
    return bool(_NEAR_ME.search(normalised))
