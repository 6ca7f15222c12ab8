"""Message catalogs (one per language) and SMS segment counting. Pure: no Redis, no Flask."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from helpline.domain import yaml_files

LANGUAGES = ("en", "es")

# GSM 03.38 basic character set; anything else forces UCS-2.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + char).
GSM7_EXTENDED = set("^{}\\[~]|€\f")

# Placeholders a template must keep when operators edit it.
REQUIRED_PLACEHOLDERS = {
    "call_confirm_open": {"hours"},
    "call_confirm_closed": {"next_open", "hours"},
    "call_already_queued": {"when"},
    "call_from": {"moment"},
    "call_cannot": {"helpline"},
    "looking_up": {"place"},
    "no_search_yet": {"place", "helpline"},
    "help": {"helpline"},
    "results_header": {"place"},
    "results_header_more": {"place"},
    "results_none": {"place", "helpline"},
    "results_no_more": {"place", "helpline"},
    "results_fallback": {"place", "service"},
    "results_header_oih": {"place"},
    "results_no_phone": {"helpline"},
    "results_no_phone_one": {"helpline"},
    "results_unavailable": {"helpline"},
    "follow_up_check_in": {"provider"},
    "ask_state": {"city", "example"},
}


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    count: int


def count_segments(text: str) -> Segments:
    """How many SMS segments a text takes (GSM-7 160/153 per segment, UCS-2 70/67)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return Segments(encoding, units, 1 if units else 0)
    return Segments(encoding, units, -(-units // multi))


@lru_cache(maxsize=1024)  # a handful of templates, rendered on every reply
def placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def fill(template: str, params: dict) -> str:
    """A template with its placeholders filled: the text that is sent (and read back from a reference)."""
    return template.format_map(params) if params or placeholders(template) else template


class Catalog:
    """Templates per language; `render` fills placeholders."""

    def __init__(self, templates: dict[str, dict[str, str]]):
        self.templates = templates

    @classmethod
    def load(cls, directory: Path) -> Catalog:
        templates = {}
        for lang in LANGUAGES:
            with open(directory / f"messages.{lang}.yaml", encoding="utf-8") as fh:
                templates[lang] = {k: str(v) for k, v in yaml_files.load(fh).items()}
        missing = set(templates["en"]) ^ set(templates["es"])
        if missing:
            raise ValueError(f"catalogs differ in templates: {sorted(missing)}")
        return cls(templates)

    def with_overrides(self, overrides: dict[str, dict[str, str]]) -> Catalog:
        merged = {lang: {**t, **overrides.get(lang, {})} for lang, t in self.templates.items()}
        return Catalog(merged)

    def keys(self) -> list[str]:
        return sorted(self.templates["en"])

    def template(self, lang: str, key: str) -> str:
        """The template a reply in `lang` is made from (English when the language lacks it)."""
        templates = self.templates  # read once: a live catalog may change between two reads
        return templates.get(lang, templates["en"]).get(key) or templates["en"][key]

    def render(self, lang: str, key: str, **params) -> str:
        return fill(self.template(lang, key), params)
