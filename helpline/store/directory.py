"""The imported directory in Redis: a GEO set per service, a hash of providers, a version pointer.

Readers follow `Keys.directory_current` to one complete version; an import builds a new version
under new keys and switches the pointer in one step, so a search never sees half a directory.
Each source (one imported file) is replaced as a whole; the other sources carry over.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from helpline.domain import treatment_services as svc
from helpline.domain.providers import Provider
from helpline.store import Keys

log = logging.getLogger(__name__)

ALL = "all"
FACETS = (ALL, *svc.SERVICES, *svc.OUTCOME_SERVICES)  # one GEO set each: a search reads exactly one
OLD_VERSION_GRACE_SECONDS = 300  # searches that read the old pointer still find its keys
UNFINISHED_BUILD_SECONDS = 3600  # a version never switched to disappears on its own
_VERSION = "{v}"  # placeholder the search script fills with the current version

# One round trip: follow the pointer, widen the radius, skip hidden listings, fetch the rows.
_SEARCH_SCRIPT = """
local v = redis.call('GET', KEYS[1])
if not v then return {-1} end
local geo = string.gsub(ARGV[1], '{v}', v)
local rows_key = string.gsub(ARGV[2], '{v}', v)
local need = tonumber(ARGV[5])
local hidden = redis.call('HLEN', KEYS[2])
local function search(radius)
  local hits = redis.call('GEOSEARCH', geo, 'FROMLONLAT', ARGV[3], ARGV[4], 'BYRADIUS', radius, 'mi',
                          'ASC', 'COUNT', need + 1 + hidden, 'WITHDIST')
  local kept = {}
  for _, hit in ipairs(hits) do
    if hidden == 0 or redis.call('HEXISTS', KEYS[2], hit[1]) == 0 then
      kept[#kept + 1] = hit
      if #kept > need then break end
    end
  end
  return kept
end
-- Widen step by step: a small circle in a city is far cheaper than the widest one.
local found = {}
for i = 6, #ARGV do
  found = search(ARGV[i])
  if #found > need then break end
end
local reached = nil
if #found >= need then
  local far = tonumber(found[need][2])
  for i = 6, #ARGV do
    if reached == nil and far <= tonumber(ARGV[i]) then reached = ARGV[i] end
  end
end
local out = {v, reached or ARGV[#ARGV]}
if #found > 0 then
  local ids = {}
  for i, hit in ipairs(found) do ids[i] = hit[1] end
  local rows = redis.call('HMGET', rows_key, unpack(ids))
  for i, hit in ipairs(found) do
    out[#out + 1] = hit[2]
    out[#out + 1] = rows[i] or ''
  end
end
return out
"""


_scripts: dict = {}  # the script object keeps its SHA: one EVALSHA round trip per search


class DirectoryChanged(Exception):
    """Another import switched the directory while this one was being built."""


@dataclass(frozen=True)
class Nearby:
    """What the directory holds near a place: nearest first, at most `need + 1` of them."""

    version: str | None  # None: nothing was ever imported
    radius_miles: int
    providers: list[Provider]


def facet_for(wanted: tuple[str, ...]) -> str:
    """The GEO set that answers a filter: one service, a CHECK outcome's group, or all."""
    if not wanted:
        return ALL
    if len(wanted) == 1:
        return wanted[0]
    for outcome, group in svc.OUTCOME_SERVICES.items():
        if set(group) == set(wanted):
            return outcome
    raise ValueError(f"no facet for {wanted}")


def current_version(r: redis.Redis) -> str | None:
    raw = r.get(Keys.directory_current)
    return raw.decode() if raw else None


def nearby(r: redis.Redis, lat: float, lng: float, facet: str, radii: Iterable[int], need: int) -> Nearby:
    """Providers in `facet` nearest to (lat, lng): widen through `radii` until more than `need`."""
    radii = [int(x) for x in radii]
    if "search" not in _scripts:
        _scripts["search"] = r.register_script(_SEARCH_SCRIPT)
    script = _scripts["search"]
    out = script(
        client=r,
        keys=[Keys.directory_current, Keys.directory_hidden],
        args=[
            Keys.directory_geo(_VERSION, facet),
            Keys.directory_providers(_VERSION),
            repr(float(lng)),
            repr(float(lat)),
            int(need),
            *radii,
        ],
    )
    if out[0] == -1:
        return Nearby(None, radii[-1], [])
    version, reached = out[0].decode(), int(out[1])
    providers = [
        Provider.from_json(raw, round(float(dist), 1))
        for dist, raw in zip(out[2::2], out[3::2], strict=True)
        if raw
    ]
    return Nearby(version, reached, providers)


def get_provider(r: redis.Redis, provider_id: str) -> Provider | None:
    """One listing of the current directory by id (hidden ones too: staff may have referred to it)."""
    version = current_version(r)
    raw = r.hget(Keys.directory_providers(version), provider_id) if version else None
    return Provider.from_json(raw) if raw else None


def hide(r: redis.Redis, provider_id: str, reason: str, by: str = "operator") -> None:
    """Stop offering a listing (closed, wrong number…); kept across re-imports until shown again."""
    r.hset(Keys.directory_hidden, provider_id, json.dumps({"reason": reason, "by": by, "at": time.time()}))
    log.info("event=directory.hidden provider=%s by=%s", provider_id, by)


def unhide(r: redis.Redis, provider_id: str) -> bool:
    return bool(r.hdel(Keys.directory_hidden, provider_id))


def hidden(r: redis.Redis) -> dict[str, dict]:
    return {k.decode(): json.loads(v) for k, v in r.hgetall(Keys.directory_hidden).items()}


def meta(r: redis.Redis, version: str | None = None) -> dict:
    """What the current directory holds: sources (counts, services, age), facets, build time."""
    version = version or current_version(r)
    if not version:
        return {}
    raw = r.hgetall(Keys.directory_meta(version))
    return {k.decode(): json.loads(v) for k, v in raw.items()}


def _source_summary(providers: list[Provider], file_name: str, imported_at: float) -> dict:
    counts = Counter(s for p in providers for s in p.services)
    return {
        "count": len(providers),
        "services": {s: counts[s] for s in svc.SERVICES if counts[s]},
        "approximate": sum(p.approximate for p in providers),
        "no_phone": sum(p.phone is None for p in providers),
        "file": file_name,
        "imported_at": imported_at,
    }


def _merge(a: Provider, b: Provider) -> Provider:
    """The same clinic in two sources: one listing, every service either names."""
    services = tuple(s for s in svc.SERVICES if s in a.services or s in b.services)
    best = a if not a.approximate or b.approximate else b
    return Provider(
        **{
            **best.__dict__,
            "services": services,
            "phone": a.phone or b.phone,
            "website": a.website or b.website,
        }
    )


def replace_source(
    r: redis.Redis, source: str, providers: list[Provider], file_name: str = "", attempts: int = 3
) -> str:
    """Make `providers` the whole of `source` in a new directory version; returns that version."""
    for _ in range(attempts):
        try:
            return _build_and_switch(r, source, providers, file_name)
        except DirectoryChanged:
            log.info("event=directory.import_retry source=%s", source)
    raise DirectoryChanged("the directory kept changing during the import; try again")


def _build_and_switch(r: redis.Redis, source: str, providers: list[Provider], file_name: str) -> str:
    old = current_version(r)
    old_meta = meta(r, old) if old else {}
    sources: dict = dict(old_meta.get("sources", {}))
    version = f"{int(time.time() * 1000):x}{secrets.token_hex(3)}"
    now = time.time()

    unique: dict[str, Provider] = {}
    for p in providers:  # one site listed twice in a file (e.g. as SA and as MH) is one listing
        unique[p.id] = _merge(unique[p.id], p) if p.id in unique else p
    providers = list(unique.values())
    by_source: dict[str, list[Provider]] = {source: providers}
    for other in sources:
        if other != source:
            rows = r.hvals(Keys.directory_source(old, other))
            by_source[other] = [Provider.from_json(raw) for raw in rows]
    sources[source] = _source_summary(providers, file_name, now)

    merged: dict[str, Provider] = {}
    for name in sorted(by_source):
        for p in by_source[name]:
            merged[p.id] = _merge(merged[p.id], p) if p.id in merged else p

    facets: dict[str, list] = {f: [] for f in FACETS}
    for p in merged.values():
        point = (p.lng, p.lat, p.id)
        facets[ALL].extend(point)
        for s in p.services:
            facets[s].extend(point)
        for outcome, group in svc.OUTCOME_SERVICES.items():
            if any(s in group for s in p.services):
                facets[outcome].extend(point)

    written = [Keys.directory_providers(version), Keys.directory_meta(version)]
    pipe = r.pipeline(transaction=False)
    for name, rows in by_source.items():
        key = Keys.directory_source(version, name)
        written.append(key)
        for chunk in _chunks([(p.id, p.to_json()) for p in rows], 2000):
            pipe.hset(key, mapping=dict(chunk))
    for chunk in _chunks([(p.id, p.to_json()) for p in merged.values()], 2000):
        pipe.hset(Keys.directory_providers(version), mapping=dict(chunk))
    for facet, points in facets.items():
        if points:
            key = Keys.directory_geo(version, facet)
            written.append(key)
            for i in range(0, len(points), 3 * 2000):
                pipe.geoadd(key, points[i : i + 3 * 2000])
    new_meta = {
        "sources": sources,
        "built_at": now,
        "total": len(merged),
        "services": {f: len(points) // 3 for f, points in facets.items() if f in svc.SERVICES and points},
        "keys": written,
    }
    pipe.hset(Keys.directory_meta(version), mapping={k: json.dumps(v) for k, v in new_meta.items()})
    for key in written:
        pipe.expire(key, UNFINISHED_BUILD_SECONDS)  # an import killed half-way leaves nothing behind
    pipe.execute()

    with r.pipeline() as switch:
        try:
            switch.watch(Keys.directory_current)
            if current_version(switch) != old:
                raise DirectoryChanged(source)
            switch.multi()
            switch.set(Keys.directory_current, version)
            for key in written:
                switch.persist(key)
            for key in old_meta.get("keys", []):
                switch.expire(key, OLD_VERSION_GRACE_SECONDS)
            switch.execute()
        except (redis.WatchError, DirectoryChanged):
            r.delete(*written)
            raise DirectoryChanged(source) from None
    log.info("event=directory.switched version=%s source=%s providers=%d", version, source, len(merged))
    return version


def remove_source(r: redis.Redis, source: str) -> str | None:
    """Drop one source from the directory (a new version without it)."""
    if source not in meta(r).get("sources", {}):
        return None
    return replace_source(r, source, [], "")


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
