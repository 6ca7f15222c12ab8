"""Find treatment near a place: one interface over the imported directory and the live locator.

Callable from web, voice and worker code with just the app:

    from helpline.services.provider_search import find_providers
    result = find_providers(app, place, service="methadone", check_outcome="oud", limit=3, offset=0)
    result.providers   # list[Provider], nearest first, `miles` set
    result.radius_miles, result.source ("directory" | "locator" | "none"), result.more

Rules: nearest first; the radius widens 10 -> 25 -> 50 -> 100 miles until at least `offset + limit`
listings fit; `service` (an explicit word: methadone, bupe, pain...) wins over `check_outcome`
(oud -> methadone/buprenorphine/naltrexone, oih -> pain care, both -> either). The imported
directory answers when it has something within 100 miles; otherwise the FindTreatment locator
does; when it is down too, the result is empty with source "none" (never an exception).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, current_app

from helpline.domain import treatment_services as svc
from helpline.domain.places import Place
from helpline.domain.providers import Provider
from helpline.infra.locator import Locator, ProviderSourceUnavailable
from helpline.store import directory as repository

log = logging.getLogger(__name__)

RADII_MILES = (10, 25, 50, 100)


@dataclass(frozen=True)
class SearchResult:
    providers: list[Provider]
    radius_miles: int
    source: str  # "directory" | "locator" | "none"
    more: bool  # there are listings after these (for MORE)


def locator_of(app: Flask) -> Locator:
    """The app's locator client, made once (it holds an HTTP session)."""
    return app.extensions["helpline"].locator


def find_providers(
    app: Flask | None,
    place: Place,
    *,
    service: str | None = None,
    check_outcome: str | None = None,
    limit: int = 3,
    offset: int = 0,
) -> SearchResult:
    """The `limit` providers after `offset` nearest to `place` that fit the filters."""
    app = app or current_app._get_current_object()
    r = app.extensions["helpline"].store.r
    try:
        wanted = svc.wanted_services(service, check_outcome)
    except svc.UnknownService:
        log.warning("event=search.unknown_service service=%s", service)
        wanted = svc.wanted_services(None, check_outcome)  # still answer, by the CHECK outcome
    need = offset + limit
    found = repository.nearby(r, place.lat, place.lng, repository.facet_for(wanted), RADII_MILES, need)
    if found.providers:
        return _page(found.providers, found.radius_miles, "directory", offset, limit)
    locator = locator_of(app)
    if not locator.enabled:
        return SearchResult([], RADII_MILES[-1], "none", False)
    try:
        providers, radius = locator.nearest(place, wanted, need + 1, RADII_MILES, _hidden_ids(r))
    except ProviderSourceUnavailable as exc:
        log.warning("event=search.no_source reason=%s", exc)
        return SearchResult([], RADII_MILES[-1], "none", False)
    if not providers:
        return SearchResult([], radius, "locator", False)
    farthest = providers[:need][-1].miles  # the radius that holds this page, not the look-ahead
    radius = next((r for r in RADII_MILES if farthest <= r), RADII_MILES[-1])
    return _page(providers, radius, "locator", offset, limit)


def _page(providers: list[Provider], radius: int, source: str, offset: int, limit: int) -> SearchResult:
    return SearchResult(providers[offset : offset + limit], radius, source, len(providers) > offset + limit)


def _hidden_ids(r) -> set[str]:
    return set(repository.hidden(r))
