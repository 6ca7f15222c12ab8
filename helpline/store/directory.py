"""The imported directory in Redis: a GEO set per service, a hash of listings, a version pointer.

Readers follow `Keys.directory_current` to one complete version; an import builds a new version
under new keys and switches the pointer in one step, so a search never sees half a directory.
Each source (one imported file) is replaced as a whole; the other sources carry over, and the
same clinic in several sources is one listing (domain.same_clinic).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

import redis

from helpline.domain import same_site
from helpline.domain import treatment_services as svc
from helpline.domain.providers import (
    NO_PHONE_EXTRA_MILES,
    NO_PHONE_EXTRA_SHARE,
    Provider,
    serves_only_people_held_there,
)
from helpline.domain.same_clinic import merge_sources
from helpline.store import Keys
from helpline.store.client import HeldConnection

log = logging.getLogger(__name__)

ALL = "all"
# One GEO set each: a search reads exactly one (a CHECK outcome's group is a set of its own).
FACETS = (ALL, *svc.SERVICES, *(o for o, group in svc.OUTCOME_SERVICES.items() if group))
OLD_VERSION_GRACE_SECONDS = 300  # searches that read the old pointer still find its keys
UNFINISHED_BUILD_SECONDS = 3600  # a version never switched to disappears on its own
LOOK_AHEAD = 4  # listings read past the page, so a callable one a little farther can move up
MOST_READS = 3  # further reads of one search when listings of one site took the places the page needed
# Parsed listing rows kept per process (~2.5 KB each, ~20 MB when full), keyed by the row itself, so a
# row an import changed is parsed afresh. Searches near one place keep finding the same listings.
ROWS_KEPT_PARSED = 8192
SITE, SITE_SERVICES = "door", "door_services"  # in a listing's extra: its site's id, what that offers
_VERSION = "{v}"  # placeholders the search script fills with the current version and a facet
_FACET = "{f}"

# One round trip: follow the pointer, widen the radius, fall back to every kind of listing when the
# filter finds none, rank callable listings first, keep the first of each site (domain.same_site:
# listings at one door take one line; reading on when they took places the page needed), fetch the
# rows. Hidden listings are not in the GEO
# sets (hiding takes them out, an import leaves them out), so a search never reads past them.
# Key templates, radii and ranking figures are written into the script (one script per set of
# radii), so a search sends only what differs: the facets, the place and how many.
_SEARCH_SCRIPT = """
local v = redis.call('GET', KEYS[1])
if not v then return {-1} end
local function at(template, facet) return (string.gsub(string.gsub(template, '{v}', v), '{f}', facet)) end
local RADII, RADII_TEXT = {@RADII@}, {@RADII_TEXT@}
local need = tonumber(ARGV[4])
local lng, lat = ARGV[2], ARGV[3]
local function search(geo, radius, want)
  return redis.call('GEOSEARCH', geo, 'FROMLONLAT', lng, lat, 'BYRADIUS', radius, 'mi', 'ASC',
                    'COUNT', want + 1 + @LOOK_AHEAD@, 'WITHDIST')
end
-- Widen step by step: a small circle in a city is far cheaper than the widest one. Where the circle
-- held few, skip the steps that could not hold enough at that density (each step read costs as much
-- as a short one), then keep what stepping through every one would have: its results are the
-- nearest first, so the first skipped step that held more than `want` is a prefix of them.
local function widen(facet, want)
  local geo, found, i, last = at(@GEO@, facet), {}, 1, 0
  while true do
    found = search(geo, RADII_TEXT[i], want)
    if #found > want then
      for m = last + 1, i - 1 do
        local within = 0
        while within < #found and tonumber(found[within + 1][2]) <= RADII[m] do within = within + 1 end
        if within > want then
          local kept = {}
          for h = 1, within do kept[h] = found[h] end
          return kept
        end
      end
      return found
    end
    if i == #RADII then return found end
    local target = RADII[i] * (#found == 0 and 2 or math.sqrt((want + 1) / #found))
    last, i = i, i + 1
    while i < #RADII and RADII[i] < target do i = i + 1 end
  end
end
local facet, fallback = ARGV[1], 0
local found = widen(facet, need)
if #found == 0 and ARGV[5] ~= '' then
  facet, fallback = ARGV[5], 1
  found = widen(facet, need)
end
if #found == 0 then return {v, RADII[#RADII], fallback, 0} end
-- domain.providers.ranking_miles: a listing without a phone ranks as if a little farther.
local function ranked(found)
  local n, ids, miles, site = #found, {}, {}, {}
  for i = 1, n do
    local member = found[i][1]
    local bar = string.find(member, '|', 1, true)  -- `id|site` for a listing at one door with others
    if bar then
      ids[i], site[i] = string.sub(member, 1, bar - 1), string.sub(member, bar + 1)
    else
      ids[i] = member
    end
    miles[i] = tonumber(found[i][2])
  end
  local no_phone = redis.call('SMISMEMBER', at(@NO_PHONE@, ''), unpack(ids))
  local silent = 0
  for i = 1, n do silent = silent + no_phone[i] end
  local order = {}
  if silent == 0 or silent == n then
    for i = 1, n do order[i] = i end  -- all alike: distance order is the ranking
  else
    -- Both kinds stay in distance order, so one merge ranks them (no sort); a tie goes to the callable one.
    local callable, quiet, rank = {}, {}, {}
    for i = 1, n do
      if no_phone[i] == 1 then
        rank[i] = miles[i] + math.max(@EXTRA@, @SHARE@ * miles[i])
        quiet[#quiet + 1] = i
      else
        rank[i] = miles[i]
        callable[#callable + 1] = i
      end
    end
    local a, b = 1, 1
    for k = 1, n do
      if b > #quiet or (a <= #callable and rank[callable[a]] <= rank[quiet[b]]) then
        order[k] = callable[a]
        a = a + 1
      else
        order[k] = quiet[b]
        b = b + 1
      end
    end
  end
  -- The first ranked listing of a site stands for it; the others at its door are left out.
  local kept, seen = {}, {}
  for k = 1, n do
    local s = site[order[k]]
    if not s then
      kept[#kept + 1] = order[k]
    elseif not seen[s] then
      seen[s] = true
      kept[#kept + 1] = order[k]
    end
  end
  return ids, miles, kept
end
local want = need
local ids, miles, order = ranked(found)
-- Listings of one site took places the page needed, and more may lie farther: read on (rarely twice).
for _ = 1, @MOST_READS@ do
  if #order > need or #found <= want or #order == #found then break end
  want = want + need + 1 - #order
  found = widen(facet, want)
  ids, miles, order = ranked(found)
end
local n = #order
local shown = math.min(n, need)
local reached = RADII[#RADII]
if n >= need then
  local far = 0
  for k = 1, shown do far = math.max(far, miles[order[k]]) end
  for i = #RADII, 1, -1 do
    if far <= RADII[i] then reached = RADII[i] end
  end
end
local page = {}
for k = 1, shown do page[k] = ids[order[k]] end
local rows = redis.call('HMGET', at(@ROWS@, ''), unpack(page))
local out = {v, reached, fallback, (n > need or #found > want) and 1 or 0}
for k = 1, shown do
  out[2 * k + 3] = found[order[k]][2]
  out[2 * k + 4] = rows[k] or ''
end
return out
"""


_scripts: dict = {}  # radii -> the registered search script


class DirectoryChanged(Exception):
    """Another import switched the directory while this one was being built."""


class UnknownSource(LookupError):
    """No source of that name is in the directory."""


@dataclass(frozen=True)
class Nearby:
    """What the directory holds near a place, callable ones first, at most `need` of them."""

    version: str | None  # None: nothing was ever imported
    radius_miles: int
    providers: list[Provider]
    fallback: bool = False  # the filter found nothing: these are listings of every kind
    more: bool = False  # there are more than `need`


def facet_for(wanted: tuple[str, ...]) -> str:
    """The GEO set that answers a filter: one service, a CHECK outcome's group, or all."""
    if not wanted:
        return ALL
    if len(wanted) == 1:
        return wanted[0]
    for outcome, group in svc.OUTCOME_SERVICES.items():
        if group and set(group) == set(wanted):
            return outcome
    raise ValueError(f"no facet for {wanted}")


def facets_of(listing: Provider) -> list[str]:
    """The GEO sets a listing is found in: every kind, each of its services, each CHECK outcome's group."""
    offered = set(listing.services)
    outcomes = [o for o, group in svc.OUTCOME_SERVICES.items() if group and offered & set(group)]
    return [ALL, *listing.services, *outcomes]


def current_version(r: redis.Redis) -> str | None:
    raw = r.get(Keys.directory_current)
    return raw.decode() if raw else None


def nearby(
    r: redis.Redis,
    lat: float,
    lng: float,
    facet: str,
    radii: Iterable[int],
    need: int,
    *,
    fallback: bool = False,
    held: HeldConnection | None = None,
) -> Nearby:
    """Listings in `facet` nearest to (lat, lng), widening through `radii` until more than `need`;
    with `fallback`, listings of every kind when the facet has none within the widest radius.
    With `held`, the script runs on the calling thread's kept connection."""
    radii = radii if type(radii) is tuple else tuple(radii)
    also = ALL if fallback and facet != ALL else ""
    script = _search_script(r, radii)
    args = (facet, repr(float(lng)), repr(float(lat)), int(need), also)
    out = held.run(script, _SEARCH_KEYS, args) if held else script(client=r, keys=_SEARCH_KEYS, args=args)
    if out[0] == -1:
        return Nearby(None, int(radii[-1]), [])
    providers = [_listing(raw).at(float(dist)) for dist, raw in zip(out[4::2], out[5::2], strict=True) if raw]
    return Nearby(out[0].decode(), int(out[1]), providers, bool(out[2]) and bool(providers), bool(out[3]))


_SEARCH_KEYS = (Keys.directory_current,)


def _search_script(r: redis.Redis, radii: tuple[int, ...]):
    """The search script for these radii, registered once per process (one EVALSHA a search)."""
    script = _scripts.get(radii)
    if script is None:
        radii = tuple(int(x) for x in radii)
        figures = {
            "@RADII@": ", ".join(str(x) for x in radii),
            "@RADII_TEXT@": ", ".join(f"'{x}'" for x in radii),
            "@LOOK_AHEAD@": str(LOOK_AHEAD),
            "@EXTRA@": repr(float(NO_PHONE_EXTRA_MILES)),
            "@SHARE@": repr(float(NO_PHONE_EXTRA_SHARE)),
            "@GEO@": json.dumps(Keys.directory_geo(_VERSION, _FACET)),
            "@NO_PHONE@": json.dumps(Keys.directory_no_phone(_VERSION)),
            "@ROWS@": json.dumps(Keys.directory_providers(_VERSION)),
            "@MOST_READS@": str(MOST_READS),
        }
        text = _SEARCH_SCRIPT
        for mark, value in figures.items():
            text = text.replace(mark, value)
        script = _scripts[radii] = r.register_script(text)
    return script


def geo_member(listing: Provider) -> str:
    """A listing's member in the GEO sets: its id, with its site's after a `|` when it shares a door
    (the search script reads the site from the member, with no lookup)."""
    site = listing.extra.get(SITE) if listing.extra else None
    return f"{listing.id}|{site}" if site else listing.id


def _members(r: redis.Redis, version: str, ids: list[str]) -> list[str]:
    """The GEO members of these listing ids in a version."""
    sites = r.hmget(Keys.directory_doors(version), ids) if ids else []
    return [i if site is None else f"{i}|{site.decode()}" for i, site in zip(ids, sites, strict=True)]


def _with_their_sites(listings: list[Provider], site_of: dict[str, str]) -> list[Provider]:
    """The listings, those at one door with others carrying their site and what it offers in all."""
    if not site_of:
        return listings
    members: dict[str, list[Provider]] = {}
    for p in listings:
        if p.id in site_of:
            members.setdefault(site_of[p.id], []).append(p)
    out = []
    for p in listings:
        if p.id in site_of:
            offered = same_site.site_services(members[site_of[p.id]])
            p = replace(p, extra={**p.extra, SITE: site_of[p.id], SITE_SERVICES: list(offered)})
        out.append(p)
    return out


@lru_cache(maxsize=ROWS_KEPT_PARSED)
def _listing(raw: bytes) -> Provider:
    """A listing row as a line of results (offering what every listing at its door offers): a row
    searches keep finding is parsed once per process, not per search."""
    p = Provider.from_json(raw)
    offered = p.extra.get(SITE_SERVICES) if p.extra else None
    return p.offering(tuple(offered)) if offered and len(offered) > len(p.services) else p


def get_provider(r: redis.Redis, provider_id: str) -> Provider | None:
    """One listing of the current directory by its id or a merged record's (hidden ones too)."""
    version = current_version(r)
    if not version:
        return None
    raw = r.hget(Keys.directory_providers(version), provider_id)
    if raw is None and (primary := r.hget(Keys.directory_aliases(version), provider_id)):
        raw = r.hget(Keys.directory_providers(version), primary)
    return Provider.from_json(raw) if raw else None


def listings(r: redis.Redis, version: str) -> Iterator[Provider]:
    """Every listing of a version (for the operators' review), in no order."""
    for _, raw in r.hscan_iter(Keys.directory_providers(version), count=1000):
        yield Provider.from_json(raw)


def counts(r: redis.Redis, version: str) -> tuple[int, int]:
    """Listings a version holds, and how many of them have no phone (each clinic once)."""
    with r.pipeline(transaction=False) as pipe:
        pipe.hlen(Keys.directory_providers(version))
        pipe.scard(Keys.directory_no_phone(version))
        held, no_phone = pipe.execute()
    return int(held), int(no_phone)


def _record_ids(r: redis.Redis, provider_id: str) -> list[str]:
    """The listing's id and the ids of every record merged into it (hiding covers them all)."""
    provider = get_provider(r, provider_id)
    ids = set(provider.extra.get("ids", ())) | {provider.id} if provider else set()
    return sorted(ids | {provider_id})


def hide(r: redis.Redis, provider_id: str, reason: str, by: str = "operator") -> None:
    """Stop offering a listing (closed, wrong number…); kept across re-imports until shown again.

    Noted and taken out of the current directory's GEO sets in one step (its row stays for staff)."""
    entry = json.dumps({"reason": reason, "by": by, "at": time.time()})
    ids = _record_ids(r, provider_id)

    def take_out(pipe) -> None:
        version = current_version(pipe)
        members = _members(pipe, version, ids) if version else []
        pipe.multi()
        pipe.hset(Keys.directory_hidden, mapping={i: entry for i in ids})
        if version:
            for facet in FACETS:
                pipe.zrem(Keys.directory_geo(version, facet), *members)

    r.transaction(take_out, Keys.directory_current)  # an import switched meanwhile: done on the new one
    log.info("event=directory.hidden provider=%s by=%s", provider_id, by)


def unhide(r: redis.Redis, provider_id: str) -> bool:
    """Offer a hidden listing again: back in the current directory's GEO sets, in one step."""
    ids = _record_ids(r, provider_id)

    def put_back(pipe) -> None:
        version = current_version(pipe)
        rows = pipe.hmget(Keys.directory_providers(version), ids) if version else []
        pipe.multi()
        pipe.hdel(Keys.directory_hidden, *ids)
        for raw in filter(None, rows):
            listing = Provider.from_json(raw)
            if serves_only_people_held_there(listing):
                continue  # never offered, hidden or not
            for facet in facets_of(listing):
                pipe.geoadd(
                    Keys.directory_geo(version, facet), (listing.lng, listing.lat, geo_member(listing))
                )

    return bool(r.transaction(put_back, Keys.directory_current)[0])


def take_out_hidden(r: redis.Redis) -> int:
    """Take every hidden listing out of the current directory's GEO sets: those hidden under an earlier
    release (which left them in and filtered each search) or written to the hash by hand. Idempotent;
    returns how many ids are hidden."""

    def take_out(pipe) -> int:
        version, ids = current_version(pipe), [i.decode() for i in pipe.hkeys(Keys.directory_hidden)]
        members = _members(pipe, version, ids) if version else []
        pipe.multi()
        if version:
            for facet in FACETS:
                for chunk in _chunks(members, 1000):
                    pipe.zrem(Keys.directory_geo(version, facet), *chunk)
        return len(ids)

    return r.transaction(take_out, Keys.directory_current, Keys.directory_hidden, value_from_callable=True)


def hidden(r: redis.Redis) -> dict[str, dict]:
    """Hidden ids (a merged listing's records each) -> why, by whom, when."""
    return {k.decode(): json.loads(v) for k, v in r.hgetall(Keys.directory_hidden).items()}


def hidden_listings(r: redis.Redis) -> dict[str, dict]:
    """The current directory's hidden listings (by listing id, not each merged record's)."""
    version, entries = current_version(r), hidden(r)
    if not version or not entries:
        return {}
    ids = list(entries)
    present = r.hmget(Keys.directory_providers(version), ids)
    return {i: entries[i] for i, raw in zip(ids, present, strict=True) if raw is not None}


def report_wrong_number(r: redis.Redis, provider_id: str) -> None:
    """Staff reached a wrong number through this listing: counted for the operators' review."""
    r.zincrby(Keys.directory_wrong_numbers, 1, provider_id)


def wrong_numbers(r: redis.Redis) -> dict[str, int]:
    return {k.decode(): int(v) for k, v in r.zrevrange(Keys.directory_wrong_numbers, 0, -1, withscores=True)}


def meta(r: redis.Redis, version: str | None = None) -> dict:
    """What a directory version holds: sources (figures, services, age), totals, build time."""
    version = version or current_version(r)
    if not version:
        return {}
    raw = r.hgetall(Keys.directory_meta(version))
    return {k.decode(): json.loads(v) for k, v in raw.items()}


def _source_summary(providers: list[Provider], file_name: str, imported_at: float, figures: dict) -> dict:
    counts = Counter(s for p in providers for s in p.services)
    return {
        **figures,
        "count": len(providers),
        "services": {s: counts[s] for s in svc.SERVICES if counts[s]},
        "approximate": sum(p.approximate for p in providers),
        "no_phone": sum(p.phone is None for p in providers),
        "file": file_name,
        "imported_at": imported_at,
    }


def replace_source(
    r: redis.Redis,
    source: str,
    providers: list[Provider],
    file_name: str = "",
    *,
    figures: dict | None = None,
    attempts: int = 3,
) -> str:
    """Make `providers` the whole of `source` in a new directory version; returns that version.

    `figures` (rows read, skipped, their lines…) are kept with the source for status pages.
    """
    for _ in range(attempts):
        try:
            return _build_and_switch(r, source, providers, file_name, figures or {})
        except DirectoryChanged:
            log.info("event=directory.import_retry source=%s", source)
    raise DirectoryChanged("the directory kept changing during the import; try again")


def remove_source(r: redis.Redis, source: str, *, attempts: int = 3) -> str:
    """Take `source` out in a new directory version (the other sources stay); returns that version.
    UnknownSource when no source of that name is in the directory."""
    for _ in range(attempts):
        try:
            return _build_and_switch(r, source, None, "", {})
        except DirectoryChanged:
            log.info("event=directory.remove_retry source=%s", source)
    raise DirectoryChanged("the directory kept changing during the removal; try again")


def _build_and_switch(
    r: redis.Redis, source: str, providers: list[Provider] | None, file_name: str, figures
) -> str:
    """A new version with `providers` as the whole of `source` (None: without `source`), switched to
    in one step when no other import switched the directory meanwhile."""
    old = current_version(r)
    old_meta = meta(r, old) if old else {}
    sources: dict = dict(old_meta.get("sources", {}))
    if providers is None and source not in sources:
        raise UnknownSource(source)
    version = f"{int(time.time() * 1000):x}{secrets.token_hex(3)}"
    now = time.time()

    by_source: dict[str, list[Provider]] = {} if providers is None else {source: providers}
    for other in sources:
        if other != source:
            by_source[other] = [Provider.from_json(raw) for raw in r.hvals(Keys.directory_source(old, other))]
    if providers is None:
        del sources[source]
    else:
        sources[source] = _source_summary(providers, file_name, now, figures)
    directory = merge_sources(by_source)
    for name in sources:
        sources[name]["merged"] = directory.merged.get(name, 0)
    site_of = same_site.sites(directory.listings)
    listings = _with_their_sites(directory.listings, site_of)

    facets: dict[str, list] = {f: [] for f in FACETS}
    held_there = 0
    for p in listings:
        if serves_only_people_held_there(p):  # kept for staff, never offered to a texter or caller
            held_there += 1
            continue
        point = (p.lng, p.lat, geo_member(p))
        for facet in facets_of(p):
            facets[facet].extend(point)
    no_phone = [p.id for p in listings if not p.phone]
    aliases = {i: p.id for p in listings for i in p.extra.get("ids", ()) if i != p.id}

    rows_key, no_phone_key = Keys.directory_providers(version), Keys.directory_no_phone(version)
    written = [rows_key, Keys.directory_meta(version)]
    pipe = r.pipeline(transaction=False)
    for name, rows in by_source.items():
        key = Keys.directory_source(version, name)
        written.append(key)
        for chunk in _chunks([(p.id, p.to_json()) for p in rows], 2000):
            pipe.hset(key, mapping=dict(chunk))
    for chunk in _chunks([(p.id, p.to_json()) for p in listings], 2000):
        pipe.hset(rows_key, mapping=dict(chunk))
    for chunk in _chunks(list(site_of.items()), 5000):
        pipe.hset(Keys.directory_doors(version), mapping=dict(chunk))
    if site_of:
        written.append(Keys.directory_doors(version))
    for chunk in _chunks(no_phone, 5000):
        pipe.sadd(no_phone_key, *chunk)
    if no_phone:
        written.append(no_phone_key)
    for chunk in _chunks(list(aliases.items()), 5000):
        pipe.hset(Keys.directory_aliases(version), mapping=dict(chunk))
    if aliases:
        written.append(Keys.directory_aliases(version))
    for facet, points in facets.items():
        if points:
            key = Keys.directory_geo(version, facet)
            written.append(key)
            for i in range(0, len(points), 3 * 2000):
                pipe.geoadd(key, points[i : i + 3 * 2000])
    new_meta = {
        "sources": sources,
        "built_at": now,
        "total": len(directory.listings),
        "merged": directory.folded,
        "shared_doors": len(site_of),
        "held_there": held_there,
        "services": {f: len(points) // 3 for f, points in facets.items() if f in svc.SERVICES and points},
        "keys": written,
    }
    pipe.hset(Keys.directory_meta(version), mapping={k: json.dumps(v) for k, v in new_meta.items()})
    for key in written:
        pipe.expire(key, UNFINISHED_BUILD_SECONDS)  # an import killed half-way leaves nothing behind
    pipe.execute()

    with r.pipeline() as switch:
        try:
            switch.watch(Keys.directory_current, Keys.directory_hidden)
            if current_version(switch) != old:
                raise DirectoryChanged(source)
            hidden_now = switch.hgetall(Keys.directory_hidden)
            still_hidden = _hidden_for_new_ids(hidden_now, directory.listings)
            switch.multi()
            switch.set(Keys.directory_current, version)
            if still_hidden:
                switch.hset(Keys.directory_hidden, mapping=still_hidden)
            # Hidden listings are left out of what searches read (their rows stay for staff).
            for p in directory.listings:
                if p.id.encode() in hidden_now or p.id in still_hidden:
                    for facet in facets_of(p):
                        switch.zrem(Keys.directory_geo(version, facet), geo_member(p))
            for key in written:
                switch.persist(key)
            for key in old_meta.get("keys", []):
                switch.expire(key, OLD_VERSION_GRACE_SECONDS)
            switch.execute()
        except (redis.WatchError, DirectoryChanged):
            r.delete(*written)
            raise DirectoryChanged(source) from None
    log.info(
        "event=directory.switched version=%s source=%s%s listings=%d merged=%d",
        version,
        source,
        " removed" if providers is None else "",
        len(directory.listings),
        directory.folded,
    )
    return version


def _hidden_for_new_ids(hidden_now: dict[bytes, bytes], listings: list[Provider]) -> dict[str, bytes]:
    """A hidden clinic stays hidden when a merge gives its listing another record's id."""
    if not hidden_now:
        return {}
    out = {}
    for p in listings:
        ids = p.extra.get("ids", ())
        if p.id.encode() not in hidden_now:
            entry = next((hidden_now[i.encode()] for i in ids if i.encode() in hidden_now), None)
            if entry is not None:
                out[p.id] = entry
    return out


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Directory:
    """The functions above on the store's own client, for services (which never hold the client)."""

    def __init__(self, r: redis.Redis, held: HeldConnection | None = None):
        self._r = r
        self._held = held  # searches run on the calling thread's kept connection

    def current_version(self) -> str | None:
        return current_version(self._r)

    def nearby(self, *args, **kwargs):
        return nearby(self._r, *args, held=self._held, **kwargs)

    def get_provider(self, provider_id: str) -> Provider | None:
        return get_provider(self._r, provider_id)

    def listings(self, version: str) -> Iterator[Provider]:
        return listings(self._r, version)

    def counts(self, version: str) -> tuple[int, int]:
        return counts(self._r, version)

    def hide(self, provider_id: str, reason: str, by: str = "operator") -> None:
        hide(self._r, provider_id, reason, by=by)

    def unhide(self, provider_id: str) -> bool:
        return unhide(self._r, provider_id)

    def take_out_hidden(self) -> int:
        return take_out_hidden(self._r)

    def hidden(self) -> dict[str, dict]:
        return hidden(self._r)

    def hidden_listings(self) -> dict[str, dict]:
        return hidden_listings(self._r)

    def report_wrong_number(self, provider_id: str) -> None:
        report_wrong_number(self._r, provider_id)

    def wrong_numbers(self) -> dict[str, int]:
        return wrong_numbers(self._r)

    def meta(self, version: str | None = None) -> dict:
        return meta(self._r, version)

    def replace_source(self, *args, **kwargs) -> str:
        return replace_source(self._r, *args, **kwargs)

    def remove_source(self, source: str) -> str:
        return remove_source(self._r, source)
