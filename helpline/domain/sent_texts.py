"""Texts as they are sent when a template is not sent alone. Pure: no Redis, no Flask.

Some replies end with a sentence that is a template of its own: the not-medical-advice line (the
first information reply of a conversation), "We'll pass on to staff what you said about when to call"
(a reply that confirms a call, when the text said when). Templates fill another's placeholder: the
"already on our callback list" reply says `{when}` with call_soon (open now) or call_from (closed);
the results that found none of the treatment asked for name it, `{service}`, with the service names
(the three medications joined by "/" after a self-check). An edit of any of these changes every text
it is part of.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from helpline.domain.treatment_services import OUTCOME_SERVICES, SERVICES

# A sentence's template, and the replies it is added at the end of (services.texting `_reply`).
APPENDED = {
    "disclaimer": ("oih", "signs", "tolerance", "treat", "stopped_suddenly"),
    "call_time_noted": (
        "call_confirm_open",
        "call_confirm_closed",
        "call_already_queued",
        "call_queued_crisis",
        "optout_call_confirm",
        "follow_up_callback",
    ),
}
# When each sentence is added, in operators' words.
WHEN_APPENDED = {
    "disclaimer": "to the first information reply of a conversation",
    "call_time_noted": "when the texter said when to call",
}
# A reply's placeholder filled with other templates: (reply, placeholder) -> each way it is filled,
# as the templates joined by "/" (one, mostly).
FILLED_WITH = {
    ("call_already_queued", "when"): (("call_soon",), ("call_from",)),
    ("results_fallback", "service"): (
        *((f"service_{service}",) for service in SERVICES),
        *dict.fromkeys(
            tuple(f"service_{s}" for s in wanted) for wanted in OUTCOME_SERVICES.values() if wanted
        ),
    ),
}


@dataclass(frozen=True)
class SentText:
    """One text as sent: the reply it answers as, every template in it (the reply first), the text."""

    reply: str
    parts: tuple[str, ...]
    text: str

    @property
    def sentence(self) -> str | None:
        """The sentence added at its end, if any."""
        return next((part for part in self.parts if part in APPENDED), None)


def affected(key: str, templates: Mapping[str, str], values: Mapping[str, str]) -> list[SentText]:
    """Every text that template `key` is part of, as `templates` stand, with `values` in their
    placeholders: the reply itself (alone and with each sentence added at its end); for a sentence,
    the replies it ends; for a template filled into a reply, that reply."""
    replies = [reply for reply in APPENDED.get(key, ()) if reply in templates]
    replies += [reply for reply, _ in filled_by(key) if reply in templates]
    texts = [sent for reply in replies or [key] for sent in _texts(reply, templates, values)]
    return [sent for sent in texts if key in sent.parts]


def filled_by(key: str) -> list[tuple[str, str]]:
    """The (reply, placeholder) pairs template `key` fills, alone or joined with others."""
    return [pair for pair, fills in FILLED_WITH.items() if any(key in joined for joined in fills)]


def _texts(reply: str, templates: Mapping[str, str], values: Mapping[str, str]) -> list[SentText]:
    """The texts a reply is sent as: each way its placeholders are filled, alone and with a sentence."""
    ways: list[tuple[tuple[str, ...], dict[str, str]]] = [((), dict(values))]
    for (filled, name), fills in FILLED_WITH.items():
        if filled == reply:
            ways = [
                (parts + joined, {**vals, name: "/".join(filled_in(templates[k], vals) for k in joined)})
                for parts, vals in ways
                for joined in fills
                if all(k in templates for k in joined)
            ] or ways
    texts = []
    for parts, vals in ways:
        body = filled_in(templates[reply], vals)
        texts.append(SentText(reply, (reply, *parts), body))
        for sentence, ends in APPENDED.items():
            if reply in ends and sentence in templates:
                added = filled_in(templates[sentence], vals)
                texts.append(SentText(reply, (reply, *parts, sentence), body + added))
    return texts


def filled_in(template: str, values: Mapping[str, str]) -> str:
    """`template` with each placeholder filled from `values` (by its own name when `values` lack it);
    as it stands when it cannot be filled (a stray brace: the checks say so)."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        return template.format_map({name: values.get(name, name) for name in names}) if names else template
    except (ValueError, KeyError, IndexError, AttributeError):
        return template
