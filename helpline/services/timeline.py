"""One request's whole story in order: every text in and out (the one that raised it, the replies, the
workers' and staff's texts), calls, the voicemail, call attempts, notes and what staff did.

The conversation is read live (it keeps growing after the request), merged with the copy taken when
the request was made, so nothing is missing when one of them has expired or was trimmed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from helpline.domain.callback_rules import OUTCOME_LABELS, AuditEntry, CallbackRequest
from helpline.store import Store

SHOWN_EVENTS = {
    "claim": "claimed it",
    "release": "released it",
    "lease lapsed": "claim lapsed (page closed)",
    "call": "rang their own phone to call",
    "connect": "connected the call",
    "follow-up text": "sent the check-in text",
    "follow-up answer": "answered the check-in",
    "queued": "queued it",
    "listing phone wrong": "reported a listing's phone as wrong",
}
TRAIL_WORDS = SHOWN_EVENTS | {
    "view": "opened the request",
    "note": "added a note",
    "text": "texted them",
    "closed": "closed it",
    "outcome": "recorded the call",
}
TRAIL_WHO = {"system": "Helpline", "texter": "The person", "staff phone": "Staff phone"}
REQUEST_LABELS = {
    "crisis": "Crisis words: a priority callback was requested",
    "voicemail": "Left a voicemail: a callback was requested",
    "callback": "Asked for a callback",
    "follow-up": "Did not reach the provider: a callback was requested",
}
RAISED_WITHIN = 5.0  # seconds: the text that raised the request is written just after it
NOT_SENT_AFTER = 600.0  # a staff text neither held nor seen in the conversation this long after: say so
ORDER = {"in": 0, "call": 0, "request": 1, "out": 2, "staff": 2}  # within one exchange


@dataclass(frozen=True)
class TimelineItem:
    at: float
    kind: str  # in | out | staff | call | voicemail | attempt | note | event | request
    who: str
    text: str = ""
    status: str = ""
    status_kind: str = ""  # sent | held | refused
    direction: str = ""  # in | out: which side of the conversation
    audio: str = ""  # where the page plays the voicemail from
    transcript: str = ""
    seconds: int = 0
    lang: str = ""
    key: str = ""  # stable across refreshes: the page keeps what did not change


@dataclass(frozen=True)
class Timeline:
    items: list[TimelineItem]
    incoming: int  # texts and calls from them: the page announces a new one
    fingerprint: str


def _lines(store: Store, request: CallbackRequest) -> list[dict]:
    live = store.conversation(request.phone_id)
    seen = {(round(line["at"], 3), line["dir"], line["text"]) for line in live}
    kept = [
        line
        for line in store.callbacks.conversation_of(request)
        if (round(line["at"], 3), line["dir"], line["text"]) not in seen
    ]
    return sorted(kept + live, key=lambda line: line["at"])


def _conversation(lines: list[dict]) -> list[TimelineItem]:
    items = []
    for line in lines:
        voice = line.get("channel") == "voice"
        incoming = line["dir"] == "in"
        if voice:
            kind, who = "call", "Phone call" if incoming else "Helpline (spoken)"
        else:
            kind, who = ("in", "They texted") if incoming else ("out", "Helpline")
        items.append(TimelineItem(line["at"], kind, who, line["text"], direction="in" if incoming else "out"))
    return items


def _staff_texts(
    entries: list[dict], items: list[TimelineItem], zone_label, now: float
) -> list[TimelineItem]:
    """Staff texts, each matched to its line in the conversation once it went (that line is dropped)."""
    result = []
    for entry in entries:
        match = next(
            (
                i
                for i in items
                if i.kind == "out" and i.text == entry["body"] and i.at >= entry["at"] - 1 and not i.status
            ),
            None,
        )
        status, status_kind = "queued to send", ""
        if match is not None:
            items.remove(match)
            status, status_kind = f"sent {zone_label(match.at)}", "sent"
        elif entry.get("send_at") and entry["send_at"] > now:
            status, status_kind = (
                f"held until {entry.get('send_at_label') or zone_label(entry['send_at'])}",
                "held",
            )
        elif now - max(entry["at"], entry.get("send_at") or 0) > NOT_SENT_AFTER:
            status, status_kind = "not sent (opted out, or the number refused it)", "refused"
        who = f"{entry['by']} (staff)" + (f" · {entry['label']}" if entry.get("label") else "")
        result.append(TimelineItem(entry["at"], "staff", who, entry["body"], status, status_kind, "out"))
    return result


def _request_marker(request: CallbackRequest, items: list[TimelineItem]) -> TimelineItem:
    label = REQUEST_LABELS.get(request.reason) or (
        "A self-check suggested a callback" if request.reason.startswith("check:") else "Asked for a callback"
    )
    if request.is_crisis and request.reason != "crisis":
        label += " (now a crisis)"
    at = request.created
    for item in items:  # right after the text or call that raised it
        if item.direction == "in" and request.created <= item.at <= request.created + RAISED_WITHIN:
            at = item.at
            break
    return TimelineItem(at, "request", "Request " + request.id, label)


def build(
    store: Store, request: CallbackRequest, *, zone_label, audio_url: str = "", now: float | None = None
) -> Timeline:
    """The items in order, oldest first. `zone_label(ts)` shows a moment in the helpline's zone."""
    now = now or time.time()
    conversation = _conversation(_lines(store, request))
    items = _staff_texts(store.staff_texts.of(request.id), conversation, zone_label, now) + conversation
    items.append(_request_marker(request, conversation))
    extra = store.callbacks.extra_of(request)
    if extra.get("voicemail_url"):
        items.append(
            TimelineItem(
                request.voicemail_at or request.created,  # left later on a request made earlier
                "voicemail",
                "Voicemail"
                + (f" ({extra['voicemail_seconds']} s)" if extra.get("voicemail_seconds") else ""),
                audio=audio_url,
                transcript=extra.get("voicemail_transcript", ""),
                seconds=int(extra.get("voicemail_seconds") or 0),
                lang=request.lang,
                direction="in",
            )
        )
    for attempt in store.callbacks.attempts(request.id):
        text = "Call: " + OUTCOME_LABELS.get(attempt["outcome"], attempt["outcome"])
        if attempt.get("provider"):
            text += f" · referred to {attempt['provider']['name']}"
        items.append(TimelineItem(attempt["at"], "attempt", attempt["by"], text))
    for note in store.callbacks.notes(request.id):
        items.append(TimelineItem(note["at"], "note", f"Note by {note['by']}", note["text"]))
    for entry in store.audit.trail(request.id):
        if entry.action in SHOWN_EVENTS:
            detail = f" ({entry.detail})" if entry.detail and entry.action in ("follow-up answer",) else ""
            items.append(TimelineItem(entry.at, "event", entry.who, SHOWN_EVENTS[entry.action] + detail))
    items.sort(key=lambda i: (round(i.at, 3), ORDER.get(i.kind, 3)))
    keyed, seen = [], {}
    for item in items:
        base = f"{item.kind}-{int(item.at * 1000)}"
        seen[base] = seen.get(base, 0) + 1
        keyed.append(replace(item, key=f"{base}-{seen[base]}"))
    return Timeline(
        items=keyed,
        incoming=sum(1 for i in keyed if i.direction == "in" and i.kind in ("in", "call", "voicemail")),
        fingerprint=fingerprint(store, request.id),
    )


@dataclass(frozen=True)
class TrailLine:
    at: float
    who: str
    what: str


def trail_words(entry: AuditEntry, zone_label) -> TrailLine:
    """One audit entry as staff read it: `ana@…: recorded the call: No answer; next try tomorrow 9:00am
    EST`, never the stored codes (`outcome (no_answer next=1796133600)`)."""
    what = TRAIL_WORDS.get(entry.action, entry.action.replace("_", " ").replace(".", " "))
    detail = entry.detail or ""
    if entry.action == "outcome":
        code, _, rest = detail.partition(" ")
        what += ": " + OUTCOME_LABELS.get(code, code.replace("_", " "))
        next_at = rest.removeprefix("next=")
        if rest.startswith("next=") and next_at.isdigit():
            what += f"; next try {zone_label(float(next_at))}"
    elif entry.action == "lease lapsed" and detail:
        what = f"the claim of {detail} lapsed (its page was closed)"
    elif detail:
        what += f" ({detail})"
    return TrailLine(entry.at, TRAIL_WHO.get(entry.who, entry.who), what)


def trail(store: Store, callback_id: str, zone_label) -> list[TrailLine]:
    """Everything done to the request, oldest first, in words."""
    return [trail_words(entry, zone_label) for entry in store.audit.trail(callback_id)]


def fingerprint(store: Store, callback_id: str) -> str:
    """Changes whenever the request's timeline would: its record, its conversation, notes, the trail."""
    return store.callbacks.marks([callback_id]) + "." + store.callbacks.sizes(callback_id)


def unchanged(store: Store, callback_id: str, seen: str) -> bool:
    return bool(seen) and fingerprint(store, callback_id) == seen
