"""The search in one round trip finds exactly what widening step by step, skipping hidden listings and ranking
callable ones first, finds: over a city, a town and listings scattered for hundreds of miles."""

from __future__ import annotations

import random

import pytest

from helpline.domain.places import Place
from helpline.domain.providers import Provider, ranking_miles
from helpline.services.provider_search import RADII_MILES, find_providers
from helpline.store import Keys
from helpline.store import directory as repository

# Around Kansas City: a dense city, a town, and listings scattered over a few hundred miles.
CITY, TOWN = (39.0997, -94.5786), (38.0, -97.0)


def listing(n: int, lat: float, lng: float, rng: random.Random) -> Provider:
    services = ("methadone",) if rng.random() < 0.1 else ("buprenorphine",) if rng.random() < 0.4 else ()
    phone = None if rng.random() < 0.3 else f"+1816555{n:04d}"
    return Provider(
        f"p{n:04d}", f"Listing {n}", phone, f"{n} Main St", "Town", "MO", "64101", lat, lng, services
    )


@pytest.fixture
def spread_directory(helpline):
    rng = random.Random(11)
    providers = []
    for center, count, spread in ((CITY, 300, 0.15), (TOWN, 40, 0.3), (CITY, 200, 2.5)):
        for _ in range(count):
            lat, lng = center[0] + rng.gauss(0, spread), center[1] + rng.gauss(0, spread)
            providers.append(listing(len(providers), lat, lng, rng))
    r = helpline.store._r
    repository.replace_source(r, "spread", providers, "spread.csv")
    for p in rng.sample(providers, 25):
        repository.hide(r, p.id, "closed")
    return {p.id: p for p in providers}


def stepwise(r, facet: str, lat: float, lng: float, need: int, phones: dict[str, bool]) -> tuple:
    """What a search widening through every step returns: ids with miles, radius, more."""
    version = repository.current_version(r)
    hidden = {k.decode() for k in r.hkeys(Keys.directory_hidden)}
    fetch = need + 1 + repository.LOOK_AHEAD
    for radius in RADII_MILES:
        hits = r.geosearch(
            Keys.directory_geo(version, facet), longitude=lng, latitude=lat, radius=radius, unit="mi",
            sort="ASC", count=fetch + len(hidden), withdist=True,
        )  # fmt: skip
        found = [(m.decode(), d) for m, d in hits if m.decode() not in hidden][:fetch]
        if len(found) > need:
            break
    ranked = sorted(found, key=lambda h: (ranking_miles(h[1], phones[h[0]]), not phones[h[0]]))
    page = ranked[:need]
    reached = RADII_MILES[-1]
    if len(ranked) >= need:
        reached = min(x for x in RADII_MILES if x >= max(d for _, d in page))
    return [(i, round(d, 1)) for i, d in page], reached, len(ranked) > need


@pytest.mark.parametrize("facet", ["all", "buprenorphine", "methadone", "oud"])
def test_one_round_trip_finds_what_widening_step_by_step_finds(helpline, spread_directory, facet):
    r, rng = helpline.store._r, random.Random(facet)
    phones = {i: p.phone is not None for i, p in spread_directory.items()}
    for _ in range(150):
        center = rng.choice((CITY, TOWN, (37.0, -99.5), (41.5, -91.0)))
        lat, lng = center[0] + rng.uniform(-1, 1), center[1] + rng.uniform(-1, 1)
        need = rng.choice((1, 3, 4, 6, 9, 15))
        found = repository.nearby(r, lat, lng, facet, RADII_MILES, need)
        got = [(p.id, p.miles) for p in found.providers], found.radius_miles, found.more
        assert got == stepwise(r, facet, lat, lng, need, phones), (lat, lng, need)


def test_a_city_search_stops_at_the_smallest_circle_that_holds_enough(helpline, spread_directory):
    result = find_providers(helpline, Place("KC", None, *CITY), limit=3)
    assert result.radius_miles == 5 and len(result.providers) == 3 and result.more


def test_a_widened_search_still_finds_the_nearest_with_the_service(helpline):
    # Out on the plains: a town's clinics close by, the methadone programs 22 to 120 miles away.
    lat, lng = 37.0, -99.5
    rng = random.Random(3)
    near = [
        Provider(f"t{n}", f"Town Clinic {n}", "+16205550100", "", "", "KS", "67801",
                 lat + rng.uniform(-0.03, 0.03), lng + rng.uniform(-0.03, 0.03), ("outpatient",))
        for n in range(30)
    ]  # fmt: skip
    programs = [
        Provider(f"m{miles}", f"Methadone {miles}", "+16205550199", "", "", "KS", "67801",
                 lat + miles / 69.05, lng, ("methadone",))
        for miles in (40, 22, 120, 65)
    ]  # fmt: skip
    repository.replace_source(helpline.store._r, "plains", near + programs, "plains.csv")
    result = find_providers(helpline, Place("plains", None, lat, lng), service="methadone", limit=3)
    assert [p.name for p in result.providers] == ["Methadone 22", "Methadone 40", "Methadone 65"]
    assert result.radius_miles == 70 and not result.fallback
    assert not result.more  # the fourth is past the widest circle


def test_over_a_thousand_hidden_listings_around_a_place_are_all_skipped(helpline):
    rng = random.Random(5)
    providers = [
        listing(n, CITY[0] + rng.gauss(0, 0.02), CITY[1] + rng.gauss(0, 0.02), rng) for n in range(1300)
    ]
    r = helpline.store._r
    repository.replace_source(r, "crowded", providers, "crowded.csv")
    hidden = {p.id for p in providers[:1200]}
    r.hset(Keys.directory_hidden, mapping={i: '{"reason": "closed"}' for i in hidden})  # as earlier releases
    assert repository.take_out_hidden(r) == 1200  # kept them: searches still read them until taken out
    phones = {p.id: p.phone is not None for p in providers}
    found = repository.nearby(r, *CITY, "all", RADII_MILES, 12)
    assert len(found.providers) == 12 and not {p.id for p in found.providers} & hidden
    got = [(p.id, p.miles) for p in found.providers], found.radius_miles, found.more
    assert got == stepwise(r, "all", *CITY, 12, phones)


def test_a_search_waits_on_redis_once_on_the_threads_kept_connection(helpline, spread_directory, round_trips):
    pool = helpline.store._r.connection_pool
    find_providers(helpline, Place("KC", None, *CITY), limit=3)  # the thread takes its connection
    taken = []
    original = pool.get_connection

    def counted(*args, **kwargs):
        taken.append(1)
        return original(*args, **kwargs)

    pool.get_connection = counted
    try:
        result, trips = round_trips(lambda: find_providers(helpline, Place("KC", None, *CITY), limit=3))
    finally:
        del pool.get_connection
    assert len(result.providers) == 3 and result.radius_miles == 5
    assert trips == 1 and not taken  # no connection checked out of the pool and back per search


def test_a_search_after_redis_forgot_its_scripts_still_finds_the_listings(helpline, spread_directory):
    before = find_providers(helpline, Place("KC", None, *CITY), limit=3)
    helpline.store._r.script_flush()
    after = find_providers(helpline, Place("KC", None, *CITY), limit=3)
    assert [p.id for p in after.providers] == [p.id for p in before.providers] and len(after.providers) == 3


def test_a_hidden_listing_is_out_of_every_search_and_comes_back_with_its_services(helpline):
    rng = random.Random(8)
    clinics = [listing(n, CITY[0] + rng.gauss(0, 0.01), CITY[1] + rng.gauss(0, 0.01), rng) for n in range(40)]
    program = Provider("prog", "KC Methadone Program", "+18165550100", "", "", "MO", "64101", *CITY,
                       ("methadone",))  # fmt: skip
    r = helpline.store._r
    repository.replace_source(r, "kc", [*clinics, program], "kc.csv")
    here = Place("KC", None, *CITY)

    def offered(**filters) -> list[str]:
        return [p.id for p in find_providers(helpline, here, limit=40, **filters).providers]

    assert offered(service="methadone")[0] == "prog" and "prog" in offered(check_outcome="oud")
    repository.hide(r, "prog", "closed")
    assert "prog" not in offered() + offered(service="methadone") + offered(check_outcome="oud")
    version = repository.current_version(r)
    assert not any(r.zscore(Keys.directory_geo(version, f), "prog") for f in repository.FACETS)
    assert repository.get_provider(r, "prog").name == "KC Methadone Program"  # staff still see it
    assert repository.unhide(r, "prog")
    assert offered(service="methadone")[0] == "prog" and "prog" in offered(check_outcome="oud")
    assert "prog" in offered()


def test_a_listing_hidden_while_an_import_is_being_built_stays_out_of_searches(helpline, monkeypatch):
    rng = random.Random(9)
    clinics = [listing(n, CITY[0] + rng.gauss(0, 0.01), CITY[1] + rng.gauss(0, 0.01), rng) for n in range(30)]
    r = helpline.store._r
    repository.replace_source(r, "kc", clinics, "kc.csv")
    merge = repository.merge_sources

    def hidden_meanwhile(by_source):
        if not repository.hidden(r):
            repository.hide(r, "p0003", "closed")  # an operator, while the new file is read
        return merge(by_source)

    monkeypatch.setattr(repository, "merge_sources", hidden_meanwhile)
    repository.replace_source(r, "kc", clinics, "kc-again.csv")
    found = find_providers(helpline, Place("KC", None, *CITY), limit=30).providers
    assert len(found) == 29 and "p0003" not in {p.id for p in found}
    assert "p0003" in repository.hidden(r)


def test_a_hidden_listing_stays_out_of_searches_when_its_file_is_imported_again(helpline):
    rng = random.Random(10)
    clinics = [listing(n, CITY[0] + rng.gauss(0, 0.01), CITY[1] + rng.gauss(0, 0.01), rng) for n in range(20)]
    r = helpline.store._r
    repository.replace_source(r, "kc", clinics, "kc.csv")
    repository.hide(r, "p0007", "wrong number")
    repository.replace_source(r, "kc", clinics, "kc-next-month.csv")
    found = {p.id for p in find_providers(helpline, Place("KC", None, *CITY), limit=20).providers}
    assert len(found) == 19 and "p0007" not in found
    assert repository.unhide(r, "p0007")
    assert "p0007" in {p.id for p in find_providers(helpline, Place("KC", None, *CITY), limit=20).providers}
