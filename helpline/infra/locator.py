"""The FindTreatment.gov locator over HTTP: timeouts, a per-area cache, and a circuit breaker.

`GET {FINDTREATMENT_API_URL}/locator/exportsAsJson/v2?sAddr="lat,lng"&limitType=2&limitValue=<metres>
&sCodes=..&pageSize=..&page=1&sort=0` answers `{page, totalPages, recordCount, rows[]}`, nearest first.
Answers are cached per area (the place rounded to ~1 km) so a neighbourhood's texters share one
call; after `breaker_threshold` failures in a row the breaker opens and searches skip the locator
for `breaker_cooldown` seconds, then one trial request decides whether it closes again.
The breaker lives in Redis, so every worker process agrees on it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import redis
import requests

from helpline.domain import treatment_services as svc
from helpline.domain.places import Place
from helpline.domain.providers import Provider, miles_between
from helpline.services.directory_import import provider_from_locator_row
from helpline.store import Keys

log = logging.getLogger(__name__)

METRES_PER_MILE = 1609.344
DISABLED = ("", "off", "none", "disabled")


class ProviderSourceUnavailable(Exception):
    """The locator failed, timed out, answered nonsense, or its breaker is open."""


@dataclass
class Locator:
    r: redis.Redis
    base_url: str
    timeout: tuple[float, float] = (2.0, 5.0)  # connect, read
    cache_seconds: int = 6 * 3600
    breaker_threshold: int = 3
    breaker_cooldown: int = 60

    def __post_init__(self):
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "helpline/1.0 (treatment referral line)"

    @classmethod
    def from_settings(cls, settings, r: redis.Redis) -> Locator:
        return cls(
            r,
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
        """Up to `need` providers offering one of `wanted`, and the first of `radii` that holds them.

        One call at the widest radius: the locator answers nearest first, so its first page holds
        every nearer answer, and the area's cache entry serves any radius.
        """
        rows = self.rows(place, radii[-1], wanted, page_size=max(20, need * 2))
        fits: list[Provider] = []
        for row in rows:
            provider = provider_from_locator_row(row, source="locator", updated=time.time())
            if provider is None or provider.id in hidden:
                continue
            if wanted and not set(wanted) & set(provider.services):
                continue
            miles = row.get("miles")
            if not isinstance(miles, int | float):
                miles = miles_between(place.lat, place.lng, provider.lat, provider.lng)
            fits.append(provider.at(float(miles)))
        fits.sort(key=lambda p: p.miles)
        fits = fits[:need]
        farthest = fits[-1].miles if fits else float("inf")
        radius = next((r for r in radii if farthest <= r), radii[-1])
        return fits, radius

    def rows(self, place: Place, radius_miles: int, wanted: tuple[str, ...], page_size: int) -> list[dict]:
        """One locator page near `place` (cached per area), or ProviderSourceUnavailable."""
        codes = ",".join(sorted({svc.LOCATOR_CODES[s] for s in wanted if s in svc.LOCATOR_CODES}))
        area = f"{place.lat:.2f},{place.lng:.2f}:{radius_miles}:{codes}:{page_size}"
        cached = self.r.get(Keys.locator_cache(area))
        if cached is not None:
            return json.loads(cached)
        self._allow()
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
            self._failed(exc)
            raise ProviderSourceUnavailable(f"locator: {type(exc).__name__}") from exc
        self._succeeded()
        self.r.set(Keys.locator_cache(area), json.dumps(rows), ex=self.cache_seconds)
        return rows

    # -- circuit breaker -----------------------------------------------------------------
    def _allow(self) -> None:
        open_until = float(self.r.hget(Keys.locator_breaker, "open_until") or 0)
        if not open_until:
            return
        if time.time() < open_until:
            raise ProviderSourceUnavailable("locator: breaker open")
        # Half-open: one process tries; the rest keep skipping until it reports back.
        trial_seconds = int(sum(self.timeout)) + 1
        if not self.r.set(Keys.locator_probe(), b"1", nx=True, ex=trial_seconds):
            raise ProviderSourceUnavailable("locator: breaker half-open, trial in flight")

    def _failed(self, exc: Exception) -> None:
        now = time.time()
        pipe = self.r.pipeline()
        pipe.hincrby(Keys.locator_breaker, "failures", 1)
        pipe.hset(Keys.locator_health, mapping={"last_error": type(exc).__name__, "last_error_at": now})
        failures = int(pipe.execute()[0])
        if failures >= self.breaker_threshold:
            self.r.hset(Keys.locator_breaker, "open_until", now + self.breaker_cooldown)
            log.warning("event=locator.breaker_open failures=%d cooldown=%d", failures, self.breaker_cooldown)
        self.r.delete(Keys.locator_probe())
        log.warning("event=locator.failed error=%s failures=%d", type(exc).__name__, failures)

    def _succeeded(self) -> None:
        pipe = self.r.pipeline()
        pipe.delete(Keys.locator_breaker, Keys.locator_probe())
        pipe.hset(Keys.locator_health, "last_ok", time.time())
        pipe.execute()

    def health(self) -> dict:
        """For `flask providers status` and the ops page: configured, breaker, last ok / error."""
        breaker = {k.decode(): v.decode() for k, v in self.r.hgetall(Keys.locator_breaker).items()}
        health = {k.decode(): v.decode() for k, v in self.r.hgetall(Keys.locator_health).items()}
        open_until = float(breaker.get("open_until") or 0)
        if not self.enabled:
            state = "disabled"
        elif open_until and time.time() < open_until:
            state = "open"
        elif open_until:
            state = "half-open"
        else:
            state = "closed"
        return {
            "url": self.base_url,
            "breaker": state,
            "failures": int(breaker.get("failures") or 0),
            "last_ok": float(health["last_ok"]) if "last_ok" in health else None,
            "last_error": health.get("last_error"),
            "last_error_at": float(health["last_error_at"]) if "last_error_at" in health else None,
        }
