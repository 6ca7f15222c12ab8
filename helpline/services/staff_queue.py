"""The callback queue as staff work it: filters, pages with true counts, who holds what, a preview of
each conversation, the crisis bar on every page, and "take the next request".

Open pages poll; `unchanged` answers "nothing new" from one digest (records' version and each shown
request's latest message) so an idle tab costs a few hundred bytes a poll.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from helpline.domain.call_times import CallTime
from helpline.domain.callback_rules import CallbackRequest, ClaimRefused, effective_status, holder, is_due
from helpline.services import blocklist, callbacks
from helpline.store import Store

if TYPE_CHECKING:
    from helpline.container import Helpline

PER_PAGE = 50
LATER_SHOWN = 20  # scheduled retries listed under the queue; the count says how many more
RECHECK_SECONDS = 600  # a page re-reads the queue at least this often, even when nothing changed
TEXTED_AGAIN_AFTER = 5  # seconds: the text that raised a request arrives with it, not after it
SEARCH_LIMIT = 20
FINISHED_SHOWN = 10  # closed or done requests a search lists after the open ones
FINISHED_SEARCHED = 1000  # how many of the latest requests a search looks through for finished ones
FILTERS = ("mine", "unclaimed", "crisis", "spanish", "voicemail")


@dataclass(frozen=True)
class QueueFilters:
    """What a staff member narrowed the queue to (all off: the whole queue)."""

    mine: bool = False
    unclaimed: bool = False
    crisis: bool = False
    spanish: bool = False
    voicemail: bool = False
    channel: str = ""  # "" | "sms" | "voice"
    search: str = ""  # last digits of the number, or a request id

    @classmethod
    def from_args(cls, args) -> QueueFilters:
        channel = args.get("channel", "")
        return cls(
            **{name: args.get(name) == "on" for name in FILTERS},
            channel=channel if channel in ("sms", "voice") else "",
            search=(args.get("search") or "").strip()[:SEARCH_LIMIT],
        )

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in FILTERS) or bool(self.channel or self.search)

    def query(self) -> dict[str, str]:
        """The filters as URL parameters (paging links keep them)."""
        found = {name: "on" for name in FILTERS if getattr(self, name)}
        if self.channel:
            found["channel"] = self.channel
        if self.search:
            found["search"] = self.search
        return found


@dataclass(frozen=True)
class QueueRow:
    request: CallbackRequest
    last4: str
    holder: str | None
    held_since: float | None
    preview: dict | None  # the latest line of the conversation: {"dir", "text", "at"}
    texted_again: bool  # they texted after asking
    voicemail: bool
    alerted_again: bool  # a crisis request whose person wrote alarming words again
    texts_off: bool  # they opted out of texts: call only
    blocked: bool = False  # the number is on the blocklist: nothing is sent to it
    state: str = ""  # what the row shows of the request (`request_state`): its Claim sends it back
    call_time: CallTime | None = None  # what they texted about when to call, in their words


@dataclass(frozen=True)
class QueueView:
    rows: list[QueueRow]  # to call now, this page
    later: list[QueueRow]  # scheduled retries (the first few)
    later_total: int
    page: int
    pages: int
    total: int  # requests to call now that match the filters
    counts: dict[str, int]  # the whole open queue: waiting, held, scheduled, open, and per filter
    arrived: int  # requests newer than the newest the page had seen
    newest: str
    fingerprint: str
    filtered: bool
    query: dict[str, str]
    ids: list[str] = field(default_factory=list)
    finished: list[QueueRow] = field(default_factory=list)  # closed or done requests a search found

    @property
    def first(self) -> int:
        return (self.page - 1) * PER_PAGE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _seq(callback_id: str) -> int:
    digits = re.sub(r"\D", "", callback_id or "")
    return int(digits) if digits else 0


def _matches(request: CallbackRequest, filters: QueueFilters, who_holds: str | None, me: str) -> bool:
    if filters.mine and who_holds != me:
        return False
    if filters.unclaimed and who_holds:
        return False
    if filters.crisis and not request.is_crisis:
        return False
    if filters.spanish and request.lang != "es":
        return False
    if filters.voicemail and not request.has_voicemail:
        return False
    return not (filters.channel and request.channel != filters.channel)


def _searched(store: Store, requests: list[CallbackRequest], text: str) -> list[CallbackRequest]:
    """Requests whose id is `text` (cb000123), or whose number ends in its digits (0001)."""
    wanted = text.lower().replace(" ", "")
    if wanted.startswith("cb"):
        return [r for r in requests if wanted in r.id]
    digits = re.sub(r"\D", "", wanted)
    if not digits:
        return []
    return [r for r in requests if store.callbacks.shown_phone(r).endswith(digits)]


def _finished(store: Store, filters: QueueFilters, me: str) -> list[CallbackRequest]:
    """Closed or done requests the search finds, last finished first: someone calling back after a call
    ("someone just called me") is found by their number or the request id, never on the queue itself."""
    recent = store.callbacks.latest(FINISHED_SEARCHED)
    wanted = filters.search.lower().replace(" ", "")
    if re.fullmatch(r"cb\d{1,12}", wanted) and wanted not in {r.id for r in recent}:
        recent += store.callbacks.many([wanted])  # an older one, asked for by its id
    finished = [r for r in recent if not r.is_open and _matches(r, filters, None, me)]
    found = _searched(store, finished, filters.search)
    return sorted(found, key=lambda r: r.updated, reverse=True)[:FINISHED_SHOWN]


def request_state(request: CallbackRequest, now: float) -> str:
    """What a page shows of a request's state, as one short string: a click that sends back another one
    comes from a page showing an older state (a colleague claimed it, or recorded a call, since)."""
    who = holder(request, now) or ""
    due = "due" if is_due(request, now) else "later"
    status = effective_status(request, now)
    return f"{status}.{due}.{request.attempts}.{int(request.next_attempt_at or 0)}.{who}"


def last_line(exchanges: list[list[dict]] | None) -> dict | None:
    """What a queue row previews: their latest words when the latest exchange has them, else our reply."""
    if not exchanges:
        return None
    theirs = [line for line in exchanges[-1] if line.get("dir") == "in"]
    return theirs[-1] if theirs else exchanges[-1][-1]


def _voicemail_words(store: Store, requests: list[CallbackRequest]) -> dict[str, dict]:
    """What callers said in their voicemails (the transcripts), by request id, read in one round trip:
    a call's row previews that, not the menu steps of the call."""
    calls = [r.id for r in requests if r.channel == "voice" or r.has_voicemail]
    said = {}
    for full in store.callbacks.many(calls) if calls else ():
        if transcript := store.callbacks.extra_of(full).get("voicemail_transcript"):
            at = full.voicemail_at or full.updated
            said[full.id] = {"dir": "in", "text": transcript, "at": at, "channel": "voicemail"}
    return said


def texted_again_at(request: CallbackRequest, exchanges: list[list[dict]] | None) -> float | None:
    """When they last texted, if that was after the text that made the request (an open crisis
    writing again): a later exchange of theirs, or one well after the request was made."""
    theirs = [
        (n, line["at"])
        for n, exchange in enumerate(exchanges or ())
        for line in exchange
        if line.get("dir") == "in" and line.get("channel", "sms") == "sms" and line["at"] >= request.created
    ]
    if not theirs:
        return None
    latest = max(at for _, at in theirs)
    if len({n for n, _ in theirs}) > 1 or latest > request.created + TEXTED_AGAIN_AFTER:
        return latest
    return None


def _rows(store: Store, requests: list[CallbackRequest], now: float) -> list[QueueRow]:
    tails = store.callbacks.last_exchanges([r.phone_id for r in requests])
    blocked = blocklist.blocked_ids(store, [r.phone_id for r in requests])
    voicemails = _voicemail_words(store, requests)
    rows = []
    for r in requests:
        who = holder(r, now)
        exchange = tails.get(r.phone_id)
        rows.append(
            QueueRow(
                request=r,
                last4=store.callbacks.shown_phone(r)[-4:],
                holder=who,
                held_since=(r.claimed_at or r.updated) if who else None,
                preview=voicemails.get(r.id) or last_line(exchange),
                texted_again=texted_again_at(r, exchange) is not None,
                voicemail=r.has_voicemail,
                alerted_again=bool(r.realerted_at),
                texts_off=r.texts_off,
                blocked=r.phone_id in blocked,
                state=request_state(r, now),
                call_time=store.callbacks.call_time_of(r),
            )
        )
    return rows


def _next_change(requests: list[CallbackRequest], now: float) -> float:
    """When the queue changes by the clock alone: a claim lapses, or a retry falls due."""
    moments = [now + RECHECK_SECONDS]
    for r in requests:
        if holder(r, now) and r.lease_until:
            moments.append(r.lease_until)
        if r.next_attempt_at and r.next_attempt_at > now:
            moments.append(r.next_attempt_at)
    return min(moments)


def queue_view(
    store: Store,
    filters: QueueFilters,
    me: str,
    *,
    page: int = 1,
    newest_seen: str | None = None,
    now: float | None = None,
) -> QueueView:
    """One page of the queue (crisis first, then oldest), and counts over the whole open queue."""
    now = now or time.time()
    open_requests = store.callbacks.open_records()
    callbacks.return_lapsed_claims(store, open_requests, now)
    holders = {r.id: holder(r, now) for r in open_requests}
    due = [r for r in open_requests if is_due(r, now)]
    later = sorted((r for r in open_requests if not is_due(r, now)), key=lambda r: r.next_attempt_at or 0)
    counts = {
        "open": len(open_requests),
        "waiting": sum(1 for r in due if not holders[r.id]),
        "held": sum(1 for r in open_requests if holders[r.id]),
        "scheduled": sum(1 for r in later if not holders[r.id]),
        # Each filter chip counts what the list shows with it on: requests due now (retries scheduled for
        # later are listed apart, and counted in "scheduled").
        "mine": sum(1 for r in due if holders[r.id] == me),
        "unclaimed": sum(1 for r in due if not holders[r.id]),
        "crisis": sum(1 for r in due if r.is_crisis),
        "spanish": sum(1 for r in due if r.lang == "es"),
        "voicemail": sum(1 for r in due if r.has_voicemail),
    }
    if filters.search:
        found = {r.id for r in _searched(store, open_requests, filters.search)}
        due, later = [r for r in due if r.id in found], [r for r in later if r.id in found]
    due = [r for r in due if _matches(r, filters, holders[r.id], me)]
    later = [r for r in later if _matches(r, filters, holders[r.id], me)]
    pages = max(1, math.ceil(len(due) / PER_PAGE))
    page = min(max(1, page), pages)
    shown = due[(page - 1) * PER_PAGE : page * PER_PAGE]
    finished = _finished(store, filters, me) if filters.search else []
    rows = _rows(store, shown + later[:LATER_SHOWN] + finished, now)
    newest = max((r.id for r in open_requests), key=_seq, default="")
    seen = _seq(newest_seen) if newest_seen else None
    ids = [row.request.id for row in rows]
    listed = len(rows) - len(finished)
    return QueueView(
        rows=rows[: len(shown)],
        later=rows[len(shown) : listed],
        finished=rows[listed:],
        later_total=len(later),
        page=page,
        pages=pages,
        total=len(due),
        counts=counts,
        arrived=sum(1 for r in open_requests if _seq(r.id) > seen) if seen is not None else 0,
        newest=newest,
        fingerprint=f"{store.callbacks.marks(ids)}.{int(_next_change(open_requests, now))}",
        filtered=filters.active,
        query=filters.query(),
        ids=ids,
    )


def unchanged(store: Store, seen: str, callback_ids: list[str], now: float | None = None) -> bool:
    """True when a page that rendered `seen` (for these requests) would render the same again."""
    marks, _, until = (seen or "").partition(".")
    if not marks or not until.isdigit() or (now or time.time()) >= int(until):
        return False
    return store.callbacks.marks(callback_ids[:200]) == marks


# -- the crisis bar ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pulse:
    """Open crisis requests, for the bar on every staff page and its alerts."""

    waiting: list[CallbackRequest]  # nobody holds them and they are due: call now
    held: list[CallbackRequest]
    texted_again: set[str]  # ids of crisis requests whose person wrote after asking
    alert_keys: list[str]  # one per crisis and per text it sent since: a new key is a new alert
    fingerprint: str


def pulse(store: Store, now: float | None = None) -> Pulse:
    now = now or time.time()
    ids = store.callbacks.crisis_ids()
    crisis = store.callbacks.many(ids)
    tails = store.callbacks.last_exchanges([r.phone_id for r in crisis])
    again = {r.id: max(texted_again_at(r, tails.get(r.phone_id)) or 0, r.realerted_at or 0) for r in crisis}
    until = _next_change(crisis, now)
    return Pulse(
        waiting=[r for r in crisis if not holder(r, now) and is_due(r, now)],
        held=[r for r in crisis if holder(r, now)],
        texted_again={i for i, at in again.items() if at},
        alert_keys=[f"{r.id}.{int(again[r.id] or 0)}" for r in crisis],
        fingerprint=f"{store.callbacks.marks(ids)}.{int(until)}",
    )


def pulse_unchanged(store: Store, seen: str, now: float | None = None) -> bool:
    return unchanged(store, seen, store.callbacks.crisis_ids(), now)


# -- taking the next request -----------------------------------------------------------------


def take_next(hl: Helpline, who: str, now: float | None = None) -> CallbackRequest | None:
    """Claim the first request nobody holds (crisis first, then oldest); None when nobody waits."""
    now = now or time.time()
    for request in hl.store.callbacks.queued(None):
        if holder(request, now) or not is_due(request, now):
            continue
        try:
            return callbacks.claim(hl, request.id, who, now)
        except ClaimRefused:
            continue  # someone took it a moment ago: the next one
    return None
