"""What makes an operator's template edit acceptable. Pure: no Redis, no Flask.

A template must keep its required placeholders, use no placeholder the service cannot fill, and fit
in two SMS segments with the longest values the placeholders take in practice.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from helpline.domain.content import REQUIRED_PLACEHOLDERS, Segments, count_segments

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
# These replies get the "not medical advice" line appended when sent.
WITH_DISCLAIMER = ("oih", "signs", "tolerance", "treat")


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
    key: str, text: str, default: str, disclaimer: str = "", lang: str = "en"
) -> TemplateCheck:
    """Check `text` as the new template `key` in `lang` (whose shipped version is `default`)."""
    values = WORST_CASE_BY_LANG.get(lang, WORST_CASE)
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
    preview = text
    if not errors:
        preview = text.format_map({n: values.get(n, n) for n in names}) if names else text
    if key in WITH_DISCLAIMER:
        preview += disclaimer
    segments = count_segments(preview)
    if segments.count > MAX_SEGMENTS:
        errors.append(
            f"Takes {segments.count} SMS segments ({segments.encoding}) with the longest values; "
            f"the limit is {MAX_SEGMENTS}."
        )
    return TemplateCheck(preview, segments, tuple(errors))


def as_saved(text: str, default: str) -> str:
    """The text as kept: line ends and outer spaces tidied, but a sentence added at the end of other
    replies keeps the space its shipped text starts with (" This is not medical advice.")."""
    lead = default[: len(default) - len(default.lstrip())]
    return lead + text.replace("\r\n", "\n").strip()


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return set()
