"""What makes an operator's template edit acceptable. Pure: no Redis, no Flask.

A template must keep its required placeholders, use no placeholder the service cannot fill, and fit
in two SMS segments with the longest values the placeholders take in practice: every text it is part
of as sent (with a sentence added at its end, filled into another reply: see sent_texts).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from helpline.domain.content import REQUIRED_PLACEHOLDERS, Segments, count_segments
from helpline.domain.sent_texts import APPENDED, WHEN_APPENDED, SentText, affected, filled_by

MAX_SEGMENTS = 2
MAX_LENGTH = 1000  # far over two segments: anything longer is a paste accident
# The longest values each placeholder takes in practice (what the catalog test also checks against).
WORST_CASE = {
    "hours": "Mon-Fri 9:30am-7:30pm, Sat 10:30am-2:30pm EST",
    "next_open": "Mon 10:30am",
    "moment": "Mon 10:30am",
    "when": "desde el mie 10:30",
    "place": "Rancho Santa Margarita, CA",
    "city": "Rancho Santa Margarita",
    "state": "South Carolina",
    "example": "Rancho Santa Margarita, CA",
    "helpline": "1-800-662-4357",
    "service": "methadone/buprenorphine/naltrexone",
    "provider": "Comprehensive Behavioral Health Center of Rancho Santa Margar",  # 60 chars, cut
}
# The same, in each language's own words: a preview shows one language, never a mix.
WORST_CASE_BY_LANG = {
    "en": WORST_CASE
    | {"next_open": "tomorrow 10:30am", "moment": "tomorrow 10:30am", "when": "from tomorrow 10:30am"},
    "es": WORST_CASE
    | {
        "hours": "lun-vie 9:30-19:30, sab 10:30-14:30 hora EST",
        "next_open": "el miercoles a las 10:30",
        "moment": "el miercoles a las 10:30",
        "when": "el miercoles a las 10:30",
        "service": "metadona/buprenorfina/naltrexona",
    },
}
# What fits in MAX_SEGMENTS, per encoding: one segment holds more than each of several.
ROOM = {
    "GSM-7": 160 if MAX_SEGMENTS == 1 else 153 * MAX_SEGMENTS,
    "UCS-2": 70 if MAX_SEGMENTS == 1 else 67 * MAX_SEGMENTS,
}
UNITS = {"GSM-7": "characters", "UCS-2": "UTF-16 units"}


@dataclass(frozen=True)
class TemplateCheck:
    """The verdict on one template: what it costs to send and why it may not be saved."""

    preview: str
    segments: Segments
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_template(
    key: str,
    text: str,
    default: str,
    lang: str = "en",
    current: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> TemplateCheck:
    """Check `text` as the new template `key` in `lang` (whose shipped version is `default`).

    `current`: the language's templates in use, which texts are sent with (a sentence added at the
    end, a template filled in); `values`: the line's own values (its hours), counted where they are
    longer than the examples. The preview and the count are those of the longest text it is part of.
    """
    errors: list[str] = []
    text = as_saved(text, default)
    if not text.strip():
        errors.append("The template is empty.")
    if len(text) > MAX_LENGTH:
        errors.append(f"The template is longer than {MAX_LENGTH} characters.")
    try:
        names = {name for _, name, spec, conv in string.Formatter().parse(text) if name is not None}
    except ValueError:
        names = set()
        errors.append("Braces { } must enclose a placeholder such as {hours}; write no other braces.")
    allowed = _placeholders(default) | set(REQUIRED_PLACEHOLDERS.get(key, ()))
    if "" in names or any(not n.isidentifier() for n in names if n):
        errors.append("Empty or malformed placeholder: write placeholders as {name}.")
    unknown = sorted(n for n in names if n and n.isidentifier() and n not in allowed)
    if unknown:
        errors.append("Unknown placeholder: " + ", ".join("{" + n + "}" for n in unknown) + ".")
    missing = sorted(REQUIRED_PLACEHOLDERS.get(key, set()) - names)
    if missing:
        errors.append("Missing required placeholder: " + ", ".join("{" + n + "}" for n in missing) + ".")
    shown = {name: "{" + name + "}" for name in unknown}  # shown as typed, to be put right
    sent = affected(key, {**(current or {}), key: text}, _longest(lang, values) | shown)
    worst = max(sent, key=_cost)
    over = [s for s in sent if count_segments(s.text).count > MAX_SEGMENTS]
    if over:
        errors.append(_too_long(key, max(over, key=_cost), {s.reply for s in over}))
    return TemplateCheck(worst.text, count_segments(worst.text), tuple(errors))


def too_long_with_hours(
    hours: str, lang: str, current: Mapping[str, str], defaults: Mapping[str, str]
) -> list[str]:
    """Why the line's hours, said as `hours` in `lang`, would make a template of that language that
    says them too long to text (`current`: the templates in use; `defaults`: as shipped). Hours said
    in no more than the example's length change nothing: every template was checked with it."""
    example = WORST_CASE_BY_LANG.get(lang, WORST_CASE)["hours"]
    if count_segments(hours).units <= count_segments(example).units:
        return []
    return [
        f"Said as “{hours}”, these hours make {lang}/{key} too long to text. {error}"
        for key, text in sorted(current.items())
        if "hours" in _placeholders(text)
        for error in check_template(
            key, text, defaults.get(key, text), lang, current, {"hours": hours}
        ).errors
    ]


def as_saved(text: str, default: str) -> str:
    """The text as kept: line ends and outer spaces tidied, but a sentence added at the end of other
    replies keeps the space its shipped text starts with (" This is not medical advice.")."""
    lead = default[: len(default) - len(default.lstrip())]
    return lead + text.replace("\r\n", "\n").strip()


def _longest(lang: str, values: Mapping[str, str] | None) -> dict[str, str]:
    """The longest value each placeholder takes: the example, or the line's own when it is longer."""
    longest = dict(WORST_CASE_BY_LANG.get(lang, WORST_CASE))
    for name, value in (values or {}).items():
        if count_segments(value).units > count_segments(longest.get(name, "")).units:
            longest[name] = value
    return longest


def _cost(sent: SentText) -> tuple[int, int]:
    segments = count_segments(sent.text)
    return segments.count, segments.units


def _too_long(key: str, worst: SentText, replies: set[str]) -> str:
    """What is too long (the template alone, or a text it is part of) and by how much."""
    segments = count_segments(worst.text)
    cost = (
        f"{segments.count} SMS segments ({segments.encoding}) with the longest values; the limit is "
        f"{MAX_SEGMENTS}: {segments.units - ROOM[segments.encoding]} {UNITS[segments.encoding]} too long."
    )
    sentence = worst.sentence
    if worst.reply == key:
        if sentence:
            return f"With {sentence} added at its end ({WHEN_APPENDED[sentence]}), it takes {cost}"
        return f"Takes {cost}"
    if key in APPENDED:
        others = sorted(replies - {worst.reply})
        also = f" Also too long with it: {', '.join(others)}." if others else ""
        return (
            f"Added at the end of {worst.reply} ({WHEN_APPENDED[key]}), it makes that text take {cost}{also}"
        )
    (name,) = (name for reply, name in filled_by(key) if reply == worst.reply)
    with_sentence = f", with {sentence} added at its end ({WHEN_APPENDED[sentence]})" if sentence else ""
    return f"Filled into {worst.reply} as {{{name}}}{with_sentence}, it makes that text take {cost}"


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return set()
