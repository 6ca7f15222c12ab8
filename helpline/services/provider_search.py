"""Find treatment near a place: one interface over the imported directory and the live locator.

    result = find_providers(helpline, place, service="methadone", check_outcome="oud", limit=3, offset=0)
    result.providers   # list[Provider], callable ones first among those nearly as close, `miles` set
    result.fallback    # the services asked for, when nothing nearby offers them (these are any kind)

`helpline` is the app's container (anything with `store` and `locator`). Rules: each site is one
result (domain.same_site: programs at one door take one line, with all their services), so pages
count sites and MORE never repeats or skips one; the radius widens in small steps from 5 to 100
miles until at least `offset + limit` sites fit; `service` (an
explicit word: methadone, bupe...) wins over `check_outcome` (oud -> the medication programs;
oih -> no filter, since no source tags pain care reliably). The imported directory answers when
it has the service asked for within 100 miles; otherwise the locator is asked for it; when
neither has it, the nearest treatment providers of any kind answer, marked `fallback`. When
nothing can be asked the result is empty with source "none", and `unavailable` when a source
failed (worth trying again shortly); never an exception.
"""

from __future__ import annotations

import logging

from helpline.domain import treatment_services as svc
from helpline.domain.places import Place
from helpline.domain.providers import Provider, SearchResult
from helpline.domain.same_site import one_line_per_site
from helpline.infra.locator import ProviderSourceUnavailable
from helpline.store import directory as repository

log = logging.getLogger(__name__)

# Small steps: each widening reads a circle at most about twice the area that was needed, so a
# rural search is not one sorted read of every listing within 100 miles.
RADII_MILES = (5, 10, 15, 25, 35, 50, 70, 100)
LIVE_PAST = 3  # the locator's listings read past the page: programs at one door may fill some places


def find_providers(
    helpline,
    place: Place,
    *,
    service: str | None = None,
    check_outcome: str | None = None,
    limit: int = 3,
    offset: int = 0,
) -> SearchResult:
    """The `limit` providers after `offset` nearest to `place` that fit the filters."""
    directory = helpline.store.directory
    try:
        wanted = svc.wanted_services(service, check_outcome)
    except svc.UnknownService:
        log.warning("event=search.unknown_service")
        wanted = svc.wanted_services(None, check_outcome)  # still answer, by the CHECK outcome
    need = offset + limit
    found = directory.nearby(
        place.lat, place.lng, repository.facet_for(wanted), RADII_MILES, need, fallback=bool(wanted)
    )
    if found.providers and not found.fallback:
        return _page(found.providers, found.radius_miles, "directory", offset, limit, found.more)

    locator, failed = helpline.locator, False
    if locator is not None and locator.enabled:
        hidden = set(directory.hidden())
        try:
            if wanted:  # the locator may know the service where the imported files do not
                sites, radius, more = _live_sites(locator, place, wanted, need, hidden)
                if sites:
                    return _page(sites, radius, "locator", offset, limit, more)
            if not found.providers:
                sites, radius, more = _live_sites(locator, place, (), need, hidden)
                if sites:
                    return _page(sites, radius, "locator", offset, limit, more, wanted)
        except ProviderSourceUnavailable as exc:
            log.warning("event=search.source_failed reason=%s", exc)
            failed = True
    if found.providers:
        return _page(found.providers, found.radius_miles, "directory", offset, limit, found.more, wanted)
    if failed:
        return SearchResult([], RADII_MILES[-1], "none", False, wanted, unavailable=True)
    if found.version is None and (locator is None or not locator.enabled):
        return SearchResult([], RADII_MILES[-1], "none", False, wanted)  # nothing imported, nothing to ask
    return SearchResult([], RADII_MILES[-1], "locator" if found.version is None else "directory", False)


def _live_sites(locator, place: Place, wanted: tuple[str, ...], need: int, hidden: set[str]) -> tuple:
    """The locator's sites nearest first, the radius they were found in, and whether more follow."""
    ask = need + 1 + LIVE_PAST
    providers, radius = locator.nearest(place, wanted, ask, RADII_MILES, hidden)
    sites = one_line_per_site(providers)
    return sites, radius, len(sites) > need or len(providers) >= ask


def _page(
    providers: list[Provider], radius: int, source: str, offset: int, limit: int, more: bool, fallback=()
) -> SearchResult:
    return SearchResult(providers[offset : offset + limit], radius, source, more, tuple(fallback))
