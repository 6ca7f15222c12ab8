"""What the directory holds and whether its sources answer: the one reader behind `flask providers
status`, /ops/directory and the ops health page."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field

from helpline.domain import treatment_services as svc

log = logging.getLogger(__name__)

NATIONAL_HELPLINE = "SAMHSA, 1-800-662-4357"  # what a listing without a phone is answered with


@dataclass
class SourceStatus:
    """One imported source: what its last import read, left out, placed roughly and merged."""

    name: str
    count: int = 0  # its listings (one per site)
    file: str = ""
    age_seconds: float | None = None  # since its last import
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    approximate: int = 0  # placed at their ZIP's or city's centre
    no_phone: int = 0
    merged: int = 0  # listings that are the same clinic as another source's listing
    duplicates: int = 0  # rows naming a site another row of the file names
    services: dict = field(default_factory=dict)
    imported_at: float | None = None
    problems: list = field(default_factory=list)  # [line, field, reason] of skipped rows, the first ones
    unit: str = "line"


@dataclass
class DirectoryStatus:
    version: str | None = None  # None: nothing imported
    sources: list[SourceStatus] = field(default_factory=list)
    locator: dict = field(default_factory=dict)  # url, breaker (closed|open|half-open|disabled), last_ok…
    stale_days: int = 365
    error: str | None = None  # the directory could not be read (the page still shows)
    total: int = 0  # listings across sources, each clinic once
    without_phone: int = (
        0  # of those, listings with no phone: a text naming one points to the national helpline
    )
    merged: int = 0  # source listings that went into another source's listing of the same clinic
    hidden: int = 0
    services: dict = field(default_factory=dict)  # service -> listings offering it

    @property
    def oldest_import_age_seconds(self) -> float | None:
        return max((s.age_seconds for s in self.sources if s.age_seconds is not None), default=None)

    @property
    def mostly_without_phone(self) -> bool:
        return self.without_phone * 2 > self.total

    def without_phone_said(self) -> str | None:
        """`13,763 of 14,240 listings have no phone number: …`, or None when every listing has one."""
        missing, listed = self.without_phone, self.total
        if not missing:
            return None
        verb, them = ("has", "it") if missing == 1 else ("have", "these")
        return (
            f"{missing:,} of {listed:,} listings {verb} no phone number: texters are pointed to the national "
            f"helpline ({NATIONAL_HELPLINE}) for {them}."
        )

    def to_json(self) -> dict:
        """For `providers status --json`: sources keyed by name."""
        data = asdict(self)
        data["sources"] = {s["name"]: s for s in data["sources"]}
        data["oldest_import_age_seconds"] = self.oldest_import_age_seconds
        return data


def directory_status(helpline, now: float | None = None) -> DirectoryStatus:
    """Counts by source and service, data age and source health; never raises (says `error`)."""
    now = time.time() if now is None else now
    directory = helpline.store.directory
    status = DirectoryStatus(stale_days=helpline.settings.directory_stale_days)
    try:
        status.version = directory.current_version()
        meta = directory.meta(status.version) if status.version else {}
        known = set(SourceStatus.__dataclass_fields__)
        for name, info in sorted((meta.get("sources") or {}).items()):
            source = SourceStatus(name, **{k: v for k, v in info.items() if k in known and k != "name"})
            if source.imported_at:
                source.age_seconds = now - float(source.imported_at)
            if not source.rows:  # imported before rows were counted
                source.rows = source.imported = source.count
            status.sources.append(source)
        counted = meta.get("services", {})
        status.services = {s: counted.get(s, 0) for s in svc.SERVICES}
        if status.version:  # what the version holds: a source's own figures count clinics in two files twice
            status.total, status.without_phone = directory.counts(status.version)
        status.merged = meta.get("merged", 0)
        status.hidden = len(directory.hidden_listings())
    except Exception as exc:  # noqa: BLE001 - a directory problem must not take a status page down
        log.warning("event=directory.status_failed error=%s", type(exc).__name__)
        status.error = type(exc).__name__
    try:
        status.locator = helpline.locator.health()
    except Exception as exc:  # noqa: BLE001
        log.warning("event=directory.locator_status_failed error=%s", type(exc).__name__)
        status.error = status.error or type(exc).__name__
    return status
