"""What the directory holds and whether its sources answer: for `flask providers status` and /ops."""

from __future__ import annotations

import time

from helpline.domain import treatment_services as svc
from helpline.services.provider_search import locator_of
from helpline.store import directory as repository


def directory_status(app) -> dict:
    """Counts by source and service, data age and source health (also for the ops page)."""
    r = app.extensions["helpline"].store.r
    meta = repository.meta(r)
    sources = meta.get("sources", {})
    counted = meta.get("services", {})  # over the merged listings: a clinic in two files counts once
    by_service = {s: counted.get(s, 0) for s in svc.SERVICES}
    now = time.time()
    oldest = min((info["imported_at"] for info in sources.values()), default=None)
    return {
        "total": meta.get("total", 0),
        "sources": sources,
        "services": by_service,
        "oldest_import_age_seconds": (now - oldest) if oldest else None,
        "hidden": len(repository.hidden(r)),
        "locator": locator_of(app).health(),
    }
