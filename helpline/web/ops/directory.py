"""Directory freshness for operators: sources and their age, the locator, listings to review.

A listing needs review when staff reported its phone as a wrong number, or when its source data
is older than the configured age. Hiding one keeps it out of searches (helpline.directory).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import redis
from flask import current_app

from helpline.store import Keys, Store

DEFAULT_STALE_DAYS = 365  # a listing not refreshed in a year may have moved or closed
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
    version: str | None = None
    sources: dict = field(default_factory=dict)
    locator: dict = field(default_factory=dict)
    total: int = 0
    wrong_number: list[Listing] = field(default_factory=list)
    stale: list[Listing] = field(default_factory=list)
    stale_count: int = 0
    hidden: list[Listing] = field(default_factory=list)
    stale_days: int = DEFAULT_STALE_DAYS


def report_wrong_number(r: redis.Redis, provider_id: str) -> None:
    """Staff reached a wrong number through this listing: count it for the operators' review."""
    r.zincrby(Keys.directory_wrong_numbers, 1, provider_id)


def stale_days() -> int:
    return int(current_app.config["SETTINGS"].directory_stale_days or DEFAULT_STALE_DAYS)


def review(r: redis.Redis, store: Store, now: float | None = None) -> DirectoryReview:
    now = time.time() if now is None else now
    try:
        from helpline.store import directory as repository
    except ImportError:
        return DirectoryReview()
    result = DirectoryReview(stale_days=stale_days())
    result.version = repository.current_version(r)
    meta = repository.meta(r, result.version) if result.version else {}
    result.sources = meta.get("sources", {}) if isinstance(meta.get("sources"), dict) else {}
    result.locator = {k.decode(): v.decode() for k, v in r.hgetall(Keys.locator_health).items()}
    hidden = repository.hidden(r)
    wrong = {k.decode(): int(v) for k, v in r.zrevrange(Keys.directory_wrong_numbers, 0, -1, withscores=True)}
    cutoff = now - result.stale_days * 86400
    if result.version:
        for _, raw in r.hscan_iter(Keys.directory_providers(result.version), count=1000):
            data = json.loads(raw)
            listing = Listing(
                data["id"],
                data.get("name", ""),
                data.get("city", ""),
                data.get("state", ""),
                data.get("zip", ""),
                float(data.get("updated") or 0),
                wrong.get(data["id"], 0),
                hidden.get(data["id"]),
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


def set_hidden(r: redis.Redis, provider_id: str, hide: bool, reason: str, by: str) -> bool:
    from helpline.store import directory as repository

    if hide:
        if repository.get_provider(r, provider_id) is None:
            return False
        repository.hide(r, provider_id, reason.strip()[:200] or "hidden by an operator", by=by)
        return True
    return repository.unhide(r, provider_id)
