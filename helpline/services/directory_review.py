"""Listings operators should look at, and what they and staff do with one: hide, show, report.

A listing needs review when staff reported its phone as a wrong number, or when its source data
is older than the configured age. Hiding one keeps it out of searches until it is shown again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from helpline.services.directory_status import DirectoryStatus, directory_status

SHOWN = 50  # listings listed per group on the page


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
        ids = p.extra.get("ids") or (p.id,)  # a report may name any record merged into the listing
        listing = Listing(
            p.id,
            p.name,
            p.city,
            p.state,
            p.zip,
            float(p.updated or 0),
            sum(wrong.get(i, 0) for i in ids),
            hidden.get(p.id),
        )
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
