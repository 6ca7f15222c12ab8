"""How a conversation is kept in Redis: one sealed entry per exchange (a text and its replies).

A reply made from catalog templates is kept as each template's digest and its parameters, not as its
text. Each template is kept once for all conversations (`Keys.templates_sent`, never expires), so a
line reads back exactly as it was sent, also after an operator has edited the template since.
Entries written before this encoding (a list of `{"at", "dir", "text", "channel"}`) read as they are.

An entry is compact JSON, then sealed: `[at in ms, channel, turn, ...]`, the channel `s` (text) or
`v` (voice), each turn `["i", text]` (from them), `["o", text]` (to them, as sent) or
`["t", [[digest], [digest, {params}], ...]]` (to them, from templates joined in order).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from hashlib import sha256

from helpline.domain.content import fill

CHANNELS = {"sms": "s", "voice": "v"}
_CHANNEL_NAMES = {code: name for name, code in CHANNELS.items()}


@dataclass(frozen=True)
class FromTemplates:
    """A reply made of catalog templates and their parameters, joined in order: kept as references."""

    parts: tuple[tuple[str, dict], ...]  # (template, params)

    @property
    def text(self) -> str:
        return "".join(fill(template, params) for template, params in self.parts)


Turn = tuple[str, "str | FromTemplates"]  # ("in" | "out", what was said)


def digest(template: str) -> str:
    """A template's name in conversation entries: its content, so an edited template is a new one."""
    return sha256(template.encode()).hexdigest()[:16]


def encode(turns: Iterable[Turn], at: float, channel: str = "sms") -> tuple[bytes, dict[str, str]]:
    """The entry of an exchange (not yet sealed), and the templates it refers to (digest -> template)."""
    entry: list = [round(at * 1000), CHANNELS.get(channel, channel)]
    templates: dict[str, str] = {}
    for direction, said in turns:
        if isinstance(said, FromTemplates):
            refs = []
            for template, params in said.parts:
                name = digest(template)
                templates[name] = template
                refs.append([name, params] if params else [name])
            entry.append(["t", refs])
        else:
            entry.append(["i" if direction == "in" else "o", said])
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode(), templates


def referenced(data: list) -> set[str]:
    """The template digests a decoded entry refers to."""
    if not data or isinstance(data[0], dict):
        return set()
    return {ref[0] for turn in data[2:] if turn[0] == "t" for ref in turn[1]}


def lines(data, templates: Callable[[str], str]) -> list[dict]:
    """A decoded entry as conversation lines `{"at", "dir", "text", "channel"}`, texts exactly as sent."""
    if isinstance(data, dict):  # one line, as the first releases kept it
        return [data]
    if not data or isinstance(data[0], dict):  # full texts, as releases before references kept them
        return list(data)
    at, channel = data[0] / 1000, _CHANNEL_NAMES.get(data[1], data[1])
    out = []
    for kind, said in data[2:]:
        if kind == "t":
            said = "".join(fill(templates(ref[0]), ref[1] if len(ref) > 1 else {}) for ref in said)
        out.append({"at": at, "dir": "in" if kind == "i" else "out", "text": said, "channel": channel})
    return out
