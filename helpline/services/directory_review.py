"""Listings operators should look at, and what they and staff do with one: find, hide, show, report;
and taking out a source imported by mistake.

A listing needs review when staff reported its phone as a wrong number, or when its source data
is older than the configured age. Hiding one keeps it out of searches until it is shown again.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

from helpline.domain.providers import Provider
from helpline.domain.same_clinic import search_words
from helpline.services import audit
from helpline.services.directory_status import DirectoryStatus, directory_status
from helpline.store.directory import UnknownSource

log = logging.getLogger(__name__)

SHOWN = 50  # listings listed per group on the page, and matches of a search
_ZIP = re.compile(r"\d{5}")
_ID = re.compile(r"[0-9a-f]{16}")

__all__ = ["Found", "Listing", "UnknownSource", "find", "record", "remove_source", "review", "set_hidden"]


@dataclass
class Listing:
    id: str
    name: str
    city: str
    state: str
    zip: str
    updated: float
    wrong_numbers: int = 0
    hidden: dict | None = None
    address: str = ""
    phone: str | None = None
    services: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    record_ids: tuple[str, ...] = ()  # its own id and those of every record merged into it

    @classmethod
    def of(cls, p: Provider, hidden: dict[str, dict], wrong: dict[str, int]) -> Listing:
        ids = tuple(p.extra.get("ids") or (p.id,))  # a report may name any record merged into the listing
        return cls(
            p.id,
            p.name,
            p.city,
            p.state,
            p.zip,
            float(p.updated or 0),
            sum(wrong.get(i, 0) for i in ids),
            hidden.get(p.id),
            p.address,
            p.phone,
            tuple(p.services),
            tuple(p.extra.get("sources") or (p.source,)),
            ids,
        )


@dataclass
class Found:
    """The listings a search by name, address, ZIP or id found (the first `SHOWN` of `count`)."""

    query: str
    listings: list[Listing] = field(default_factory=list)
    count: int = 0


@dataclass
class DirectoryReview:
    status: DirectoryStatus = field(default_factory=DirectoryStatus)
    total: int = 0
    wrong_number: list[Listing] = field(default_factory=list)
    stale: list[Listing] = field(default_factory=list)
    stale_count: int = 0
    hidden: list[Listing] = field(default_factory=list)

    @property
    def version(self) -> str | None:
        return self.status.version

    @property
    def stale_days(self) -> int:
        return self.status.stale_days


def review(helpline, now: float | None = None) -> DirectoryReview:
    """Sources and their figures, then the listings with wrong numbers, the stale and the hidden."""
    now = time.time() if now is None else now
    result = DirectoryReview(directory_status(helpline, now))
    if not result.version:
        return result
    directory = helpline.store.directory
    hidden = directory.hidden()
    wrong = directory.wrong_numbers()
    cutoff = now - result.stale_days * 86400
    for p in directory.listings(result.version):
        listing = Listing.of(p, hidden, wrong)
        result.total += 1
        if listing.hidden:
            result.hidden.append(listing)
        elif listing.wrong_numbers:
            result.wrong_number.append(listing)
        elif listing.updated < cutoff:
            result.stale_count += 1
            if len(result.stale) < SHOWN:
                result.stale.append(listing)
    result.wrong_number.sort(key=lambda x: -x.wrong_numbers)
    result.wrong_number = result.wrong_number[:SHOWN]
    return result


def set_hidden(helpline, provider_id: str, hide: bool, reason: str, by: str) -> bool:
    """Hide a listing from searches (or show it again); False when there is no such listing."""
    directory = helpline.store.directory
    if hide:
        if directory.get_provider(provider_id) is None:
            return False
        directory.hide(provider_id, reason.strip()[:200] or "hidden by an operator", by=by)
        return True
    return directory.unhide(provider_id)


def report_wrong_number(helpline, provider_id: str) -> None:
    """Staff reached a wrong number through this listing: counted for the operators' review."""
    helpline.store.directory.report_wrong_number(provider_id)


def find(helpline, query: str, limit: int = SHOWN) -> Found:
    """Listings whose id, ZIP, or name and address words (each the start of one) match `query`,
    hidden ones included, by name."""
    query = " ".join(query.split())[:200]
    found = Found(query)
    directory = helpline.store.directory
    version = directory.current_version()
    words = search_words(query)
    if not version or not words:
        return found
    hidden, wrong = directory.hidden(), directory.wrong_numbers()
    if _ID.fullmatch(query.lower()):
        p = directory.get_provider(query.lower())  # a merged record's id finds its listing
        if p is not None:
            found.listings, found.count = [Listing.of(p, hidden, wrong)], 1
        return found
    matches = []
    for p in directory.listings(version):
        if _ZIP.fullmatch(query):
            if p.zip == query:
                matches.append(p)
            continue
        own = search_words(f"{p.name} {p.address} {p.city} {p.state} {p.zip}")
        if all(any(w.startswith(q) for w in own) for q in words):
            matches.append(p)
    matches.sort(key=lambda p: (p.name.lower(), p.zip, p.id))
    found.count = len(matches)
    found.listings = [Listing.of(p, hidden, wrong) for p in matches[:limit]]
    return found


def remove_source(helpline, source: str, by: str) -> int:
    """Take a source (one imported file) out of the directory in one step, on the operators' audit
    trail; returns how many of its listings went. UnknownSource when there is none of that name."""
    directory = helpline.store.directory
    version = directory.current_version()
    info = (directory.meta(version).get("sources") or {}).get(source) if version else None
    if info is None:
        raise UnknownSource(source)
    new_version = directory.remove_source(source)
    count = int(info.get("count", 0))
    record(helpline, by, "remove_source", source=source, listings=count, version=new_version)
    return count


def record(helpline, by: str, action: str, **detail) -> None:
    """A change to the directory made outside /ops (the command line): on the operators' audit trail
    and in the log."""
    text = " ".join(f"{k}={v}" for k, v in detail.items())
    trail = audit.OPS_TRAIL
    audit.record(helpline.store, trail, by, f"ops.directory.{action}", text, keep=audit.RECENT_LIMIT)
    log.info("event=ops.directory.%s by=%s %s", action, by, text)
