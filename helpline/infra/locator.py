"""The FindTreatment.gov locator over HTTP, with timeouts; its cache and breaker are store.locator_state.

`GET {FINDTREATMENT_API_URL}/locator/exportsAsJson/v2?sAddr="lat,lng"&limitType=2&limitValue=<metres>
&sCodes=..&pageSize=..&page=1&sort=0` answers `{page, totalPages, recordCount, rows[]}`, nearest first.
Answers are cached per area (the place rounded to ~1 km); after `breaker_threshold` failures in a
row the breaker opens and searches skip the locator for `breaker_cooldown` seconds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import requests

from helpline.domain import treatment_services as svc
from helpline.domain.listing_rows import RowProblem, provider_from_locator_row
from helpline.domain.places import Place
from helpline.domain.providers import Provider, callable_first, miles_between
from helpline.store.locator_state import BreakerOpen, LocatorState

log = logging.getLogger(__name__)

METRES_PER_MILE = 1609.344
DISABLED = ("", "off", "none", "disabled")


class ProviderSourceUnavailable(Exception):
    """The locator failed, timed out, answered nonsense, or its breaker is open."""


@dataclass
class Locator:
    state: LocatorState
    base_url: str
    timeout: tuple[float, float] = (2.0, 5.0)  # connect, read
    cache_seconds: int = 6 * 3600
    breaker_threshold: int = 3
    breaker_cooldown: int = 60

    def __post_init__(self):
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "helpline/1.0 (treatment referral line)"

    @classmethod
    def from_settings(cls, settings, state: LocatorState) -> Locator:
        """The locator of these settings, its cache and breaker shared through `state` (the store's)."""
        return cls(
            state,
            (settings.findtreatment_api_url or "").rstrip("/"),
            timeout=(settings.locator_connect_timeout, settings.locator_read_timeout),
            cache_seconds=settings.locator_cache_seconds,
            breaker_threshold=settings.locator_breaker_threshold,
            breaker_cooldown=settings.locator_breaker_cooldown,
        )

    @property
    def enabled(self) -> bool:
        return self.base_url.lower() not in DISABLED

    # -- searching -----------------------------------------------------------------------
    def nearest(
        self, place: Place, wanted: tuple[str, ...], need: int, radii, hidden: set[str] = frozenset()
    ) -> tuple[list[Provider], int]:
        """Up to `need` providers offering one of `wanted`, callable ones first, and the first of
        `radii` that holds them.

        One call at the widest radius: the locator answers nearest first, so its first page holds
        every nearer answer, and the area's cache entry serves any radius.
        """
        rows = self.rows(place, radii[-1], wanted, page_size=max(20, need * 2))
        fits: list[Provider] = []
        for row in rows:
            try:
                provider = provider_from_locator_row(row, source="locator", updated=time.time())
            except RowProblem:
                continue  # a live answer with one bad row still helps with the others
            if provider.id in hidden or (wanted and not set(wanted) & set(provider.services)):
                continue
            miles = row.get("miles")
            if not isinstance(miles, int | float):
                miles = miles_between(place.lat, place.lng, provider.lat, provider.lng)
            fits.append(provider.at(float(miles)))
        fits = callable_first(fits)[:need]
        farthest = max((p.miles for p in fits), default=float("inf"))
        radius = next((r for r in radii if farthest <= r), radii[-1])
        return fits, radius

    def rows(self, place: Place, radius_miles: int, wanted: tuple[str, ...], page_size: int) -> list[dict]:
        """One locator page near `place` (cached per area), or ProviderSourceUnavailable."""
        codes = ",".join(sorted({svc.LOCATOR_CODES[s] for s in wanted if s in svc.LOCATOR_CODES}))
        area = f"{place.lat:.2f},{place.lng:.2f}:{radius_miles}:{codes}:{page_size}"
        cached = self.state.cached_rows(area)
        if cached is not None:
            return cached
        try:
            self.state.allow(trial_seconds=int(sum(self.timeout)) + 1)
        except BreakerOpen as exc:
            raise ProviderSourceUnavailable(f"locator: {exc}") from None
        params = {
            "sAddr": f'"{place.lat:.6f},{place.lng:.6f}"',
            "limitType": 2,
            "limitValue": round(radius_miles * METRES_PER_MILE),
            "pageSize": page_size,
            "page": 1,
            "sort": 0,
        }
        if codes:
            params["sCodes"] = codes
        try:
            reply = self.session.get(
                f"{self.base_url}/locator/exportsAsJson/v2", params=params, timeout=self.timeout
            )
            reply.raise_for_status()
            rows = reply.json().get("rows")
            if not isinstance(rows, list):
                raise ValueError("no rows in the answer")
        except (requests.RequestException, ValueError, AttributeError) as exc:
            failures = self.state.failed(type(exc).__name__, self.breaker_threshold, self.breaker_cooldown)
            log.warning("event=locator.failed error=%s failures=%d", type(exc).__name__, failures)
            raise ProviderSourceUnavailable(f"locator: {type(exc).__name__}") from exc
        self.state.succeeded()
        self.state.cache_rows(area, rows, self.cache_seconds)
        return rows

    def health(self) -> dict:
        """For status pages: the URL, the breaker (closed, open, half-open, or disabled), last ok / error."""
        health = {"url": self.base_url, **self.state.health()}
        if not self.enabled:
            health["breaker"] = "disabled"
        return health
