"""Texts staff write to a person from the request's page, through the one sender.

Never to a number that texted STOP or is on the blocklist; never while someone else holds the
request. Outside a live exchange (they have not texted in the last half hour, no call was just
connected) a text waits for 8 am–9 pm in the person's own time zone. Every text is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from helpline.domain.callback_rules import CallbackRequest, holder
from helpline.domain.content import Segments, count_segments
from helpline.domain.phones import mask_phone
from helpline.domain.providers import Provider
from helpline.domain.result_texts import gsm_safe, provider_line
from helpline.infra import sender
from helpline.services import audit, callbacks, daytime

if TYPE_CHECKING:
    from helpline.container import Helpline

log = logging.getLogger(__name__)

MAX_LENGTH = 1600  # Twilio's limit for one message
LONG_SEGMENTS = 3  # more than this many segments: say so while they type
# Starting points staff edit before sending, in the person's language; each opens with the name the
# automatic texts use (config/messages.*.yaml), "Helpline:" in every language.
TEMPLATES = {
    "en": (
        (
            "We tried to call",
            "Helpline: we tried to call you back just now. Reply with a good time to call, "
            "or text CALL. Emergency: 911. Crisis: call/text 988.",
        ),
        (
            "When is a good time?",
            "Helpline: when is a good time for us to call you back? Reply with a day and time.",
        ),
    ),
    "es": (
        (
            "We tried to call",
            "Helpline: intentamos llamarle hace un momento. Responda con una buena hora para "
            "llamarle, o escriba LLAMAR. Emergencia: 911. Crisis: llame/escriba al 988.",
        ),
        (
            "When is a good time?",
            "Helpline: cuando es buena hora para llamarle? Responda con un dia y una hora.",
        ),
    ),
}
REFERRAL_INTRO = {
    "en": "Helpline: the provider we talked about:",
    "es": "Helpline: el centro del que hablamos:",
}


class TextRefused(Exception):
    """The text cannot go (STOP, blocklist, someone else holds the request, empty or too long)."""


@dataclass(frozen=True)
class TextCheck:
    characters: int
    segments: Segments
    note: str = ""


@dataclass(frozen=True)
class Composer:
    """What the text box on a request's page needs."""

    blocked: str | None  # why no text can be sent from here now
    templates: tuple[tuple[str, str], ...]
    quiet: str | None  # a text now would be held until morning: when
    max_length: int
    check: TextCheck
    body: str = ""


@dataclass(frozen=True)
class TextSent:
    message: str
    held_until: dt.datetime | None = None
    ok: bool = True


def check(body: str) -> TextCheck:
    """Characters and SMS segments as they type (GSM-7 160/153 per segment, UCS-2 70/67)."""
    segments = count_segments(body)
    note = ""
    if len(body) > MAX_LENGTH:
        note = f"too long: at most {MAX_LENGTH} characters"
    elif segments.count > LONG_SEGMENTS:
        note = "long: it arrives as several texts"
    elif segments.encoding == "UCS-2" and body:
        note = "an emoji or special character halves what fits in a segment"
    return TextCheck(len(body), segments, note)


def _why_not(hl: Helpline, request: CallbackRequest, who: str, now: float) -> str | None:
    store = hl.store
    if request.texts_off or store.is_opted_out(request.phone_id):
        return "They texted STOP: no text can be sent until they text START."
    if store.blocklist.has(request.phone_id):
        return "This number is on the blocklist: no texts are sent to it."
    if request.status == "closed" and any(
        a.get("outcome") == "wrong_number" for a in store.callbacks.attempts(request.id)
    ):
        return "Marked a wrong number: it is not theirs, so no text is sent to it."
    someone = holder(request, now)
    if someone and someone != who:
        return f"{someone} is working on this request: only they text from here until it is released."
    return None


def composer(
    hl: Helpline, request: CallbackRequest, who: str, body: str = "", now: float | None = None
) -> Composer:
    now = now or time.time()
    blocked = _why_not(hl, request, who, now)
    quiet = None
    if not blocked:
        phone = callbacks.phone_of(hl.store, request)
        go = daytime.hold_until(hl, request, phone, now)
        if go:
            zones = daytime.zones(hl, request, phone)
            local = dt.datetime.fromtimestamp(now, zones[0])
            held = daytime.describe(go, zones)
            quiet = f"It is {daytime.clock(local)} for them: a text sent now waits until {held}."
    return Composer(
        blocked=blocked,
        templates=TEMPLATES.get(request.lang, TEMPLATES["en"]),
        quiet=quiet,
        max_length=MAX_LENGTH,
        check=check(body),
        body=body,
    )


def send(
    hl: Helpline, request: CallbackRequest, who: str, body: str, *, label: str = "", now: float | None = None
) -> TextSent:
    """Queue one staff text to the person (held for quiet hours when needed); TextRefused otherwise."""
    now = now or time.time()
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise TextRefused("The text is empty.")
    if len(body) > MAX_LENGTH:
        raise TextRefused(f"The text is longer than {MAX_LENGTH} characters.")
    why = _why_not(hl, request, who, now)
    if why:
        raise TextRefused(why)
    store = hl.store
    phone = callbacks.phone_of(store, request)
    go = daytime.hold_until(hl, request, phone, now)
    digest = hashlib.sha256(body.encode()).hexdigest()[:12]
    key = f"staff-text-{request.id}-{digest}-{int(now // 60)}"  # a double click sends once
    if any(entry.get("key") == key for entry in store.staff_texts.of(request.id)[-5:]):
        return TextSent("Already sent.")
    when = daytime.describe(go, daytime.zones(hl, request, phone)) if go else ""
    store.staff_texts.add(
        request.id,
        {
            "at": now,
            "by": who,
            "body": body,
            "key": key,
            "label": label,
            "send_at": go.timestamp() if go else None,
            "send_at_label": when,
        },
    )
    sender.queue_text(hl, phone, body, idempotency_key=key, send_at=go)
    audit.record(
        store,
        request.id,
        who,
        "text",
        (label + "; " if label else "") + (f"held until {when}" if go else "queued to send"),
        now=now,
    )
    store.count("staff.text", now)
    if go:
        store.count("staff.text.held", now)
    log.info("event=staff.text id=%s to=%s held=%s", request.id, mask_phone(phone), bool(go))
    if go:
        return TextSent(f"Quiet hours where they are: your text goes at {when}.", go)
    # Queued for a worker to send: the conversation shows when Twilio has it, and when it is delivered.
    return TextSent("Text on its way: the conversation shows when it is sent and delivered.")


def referral_text(request: CallbackRequest, provider: Provider, render) -> str:
    """One provider's details as a text: name, phone, distance, address, services."""
    line = provider_line(1, provider, render).removeprefix("1) ")
    intro = REFERRAL_INTRO.get(request.lang, REFERRAL_INTRO["en"])
    text = gsm_safe(f"{intro}\n{line}")
    return text if count_segments(text).count <= 2 else line


def send_referral(
    hl: Helpline, request: CallbackRequest, who: str, provider: Provider, now: float | None = None
) -> TextSent:
    def render(key: str, **params) -> str:
        return hl.catalog.render(request.lang, key, **params)

    return send(hl, request, who, referral_text(request, provider, render), label="referral", now=now)
