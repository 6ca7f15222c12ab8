"""One line per site: programs at one door (or one clinic under two names) take one line of a texter's
results, with every service they offer, and MORE pages through every site exactly once."""

from __future__ import annotations

import re

import pytest

from helpline.domain import places
from helpline.domain.providers import Provider
from helpline.domain.same_site import Door, door, one_line_per_site, same_site, sites
from helpline.infra.burst import drain
from helpline.services import directory_import as importer
from helpline.services import referrals
from helpline.services.provider_search import find_providers
from helpline.store import Keys
from helpline.store import directory as repository
from tests.conftest import TEXTER
from tests.directory_fixtures import OTP, SUT, real_rows, write_csv, zip_of

NYC = places.zip_centroid("10001")  # 40.7506, -73.9972

# Three programs at one door, two practices in one building (different suites), one clinic listed
# under its old and its new name, and clinics of their own around them.
ONE_DOOR = ("Chelsea Methadone Program", "Chelsea Bupe Clinic", "Chelsea Detox Services")
RENAMED = ("Harlem Naltrexone Center", "Harlem Recovery Center")
ROWS = [
    # name, street, zip, lat, lng, phone, services
    (ONE_DOOR[0], "1 W 29th St", "10001", 40.7490, -73.9960, "212-555-0201", "methadone"),
    (ONE_DOOR[1], "1 West 29th Street", "10001", 40.7491, -73.9961, "212-555-0202", "bupe"),
    (ONE_DOOR[2], "1 W. 29th St., 2nd Floor", "10001", 40.7490, -73.9959, "212-555-0203", "detox"),
    ("Midtown Pain Care", "200 W 34th St, Suite 300", "10001", 40.7510, -73.9900, "212-555-0102", "pain"),
    ("Garment Care", "200 W 34th St, Suite 500", "10001", 40.7520, -73.9890, "212-555-0110", "outpatient"),
    ("Hudson Recovery", "30 Hudson Yards", "10001", 40.7540, -74.0010, "", "outpatient"),
    ("Village Bupe Program", "10 Bleecker St", "10012", 40.7260, -73.9950, "212-555-0104", "bupe"),
    (RENAMED[0], "100 W 125th St", "10027", 40.8090, -73.9470, "212-555-0105", "naltrexone"),
    (RENAMED[1], "100 West 125th Street", "10027", 40.8091, -73.9471, "212-555-0107", "outpatient"),
    ("Newark Treatment", "1 Broad St", "07102", 40.7360, -74.1720, "973-555-0106", "methadone, detox"),
]  # fmt: skip
SITES = 7  # the door of three, the two suites, Hudson, Village, Harlem (two names), Newark


def site_of(name: str) -> str:
    """Which site a listing's name belongs to (the door of three and the renamed clinic are one each)."""
    return "one door" if name in ONE_DOOR else "harlem" if name in RENAMED else name


@pytest.fixture
def settings(settings, findtreatment_fake):
    """Searches that miss the directory go to the local fake locator, never the internet."""
    return settings.with_overrides(findtreatment_api_url=findtreatment_fake.url, locator_read_timeout=1.0)


@pytest.fixture
def one_door_directory(app, tmp_path):
    path = write_csv(tmp_path / "one-door.csv", ROWS)
    providers = importer.read_directory_file(path, source="test").providers
    assert len(providers) == len(ROWS)  # every program is its own listing in the directory
    repository.replace_source(app.extensions["helpline"].store._r, "test", providers, path.name)
    return providers


def every_page(helpline, place, per_page: int, **filters) -> list[tuple[list[Provider], bool]]:
    """Each page as MORE gives it (providers, whether MORE offers another), up to the first empty one."""
    pages = []
    for page in range(20):
        result = find_providers(helpline, place, limit=per_page, offset=page * per_page, **filters)
        pages.append((result.providers, result.more))
        if not result.providers:
            return pages
    raise AssertionError("paging never ended")


def test_programs_at_one_door_take_one_line_with_all_their_services(helpline, one_door_directory):
    result = find_providers(helpline, NYC)
    first, *others = result.providers
    assert first.name in ONE_DOOR
    assert set(first.services) == {"methadone", "buprenorphine", "detox"}  # what the door offers
    # The next lines are the other clinics, the two practices of one building each with its own.
    assert [p.name for p in others] == ["Midtown Pain Care", "Garment Care"]
    assert result.more and result.radius_miles == 5


def test_more_pages_through_every_site_exactly_once_with_more_offered_until_the_last(
    helpline, one_door_directory
):
    pages = every_page(helpline, NYC, 3)
    shown = [p.name for providers, _ in pages for p in providers]
    assert len(shown) == SITES and len({site_of(n) for n in shown}) == SITES  # none lost, none twice
    assert [len(providers) for providers, _ in pages] == [3, 3, 1, 0]
    assert [more for _, more in pages] == [True, True, False, False]  # MORE only when a site is left
    harlem = next(p for providers, _ in pages for p in providers if site_of(p.name) == "harlem")
    assert set(harlem.services) == {"naltrexone", "outpatient"}


@pytest.mark.parametrize("per_page", [1, 2, 4, 5])
def test_any_page_size_gives_the_same_sites_in_the_same_order(helpline, one_door_directory, per_page):
    every = [p.name for p in find_providers(helpline, NYC, limit=20).providers]
    assert len(every) == SITES
    pages = every_page(helpline, NYC, per_page)
    assert [p.name for providers, _ in pages for p in providers] == every
    assert all(more for _, more in pages[:-2]) and not pages[-2][1]


def test_a_filter_counts_sites_too(helpline, one_door_directory):
    oud = find_providers(helpline, NYC, check_outcome="oud", limit=10)
    names = [p.name for p in oud.providers]
    # The door offers methadone and buprenorphine (two listings): one line. Then Village, Harlem, Newark.
    assert [site_of(n) for n in names] == ["one door", "Village Bupe Program", "harlem", "Newark Treatment"]
    assert not oud.more


def test_a_site_is_never_split_by_a_page_it_begins_on(helpline, one_door_directory):
    # Pages of one: the door's three listings are the nearest three, yet page 2 is already another site.
    assert find_providers(helpline, NYC, limit=1).providers[0].name in ONE_DOOR
    second = find_providers(helpline, NYC, limit=1, offset=1)
    assert second.providers[0].name == "Midtown Pain Care" and second.more


def test_a_hospital_with_more_programs_than_a_search_reads_past_the_page_is_still_one_line(
    helpline, tmp_path
):
    programs = [
        (f"Bellevue Program {n}", "462 First Avenue" if n % 2 else "462 1st Ave.", "10016",
         40.7390 + n * 0.00001, -73.9760, f"212-555-03{n:02d}", "methadone" if n == 7 else "outpatient")
        for n in range(8)
    ]  # fmt: skip
    clinics = [
        (f"Clinic {n}", f"{n}0 E 20th St", "10003", 40.7380 - n * 0.003, -73.9880, f"212-555-04{n:02d}", "")
        for n in range(1, 4)
    ]
    found = importer.read_directory_file(write_csv(tmp_path / "hospital.csv", programs + clinics))
    repository.replace_source(helpline.store._r, "hospital", found.providers)
    here = places.zip_centroid("10016")
    first = find_providers(helpline, here)
    assert [p.name.split(" ")[0] for p in first.providers] == ["Bellevue", "Clinic", "Clinic"]
    assert "methadone" in first.providers[0].services and first.more
    second = find_providers(helpline, here, offset=3)
    assert [p.name for p in second.providers] == ["Clinic 3"] and not second.more


def test_the_import_groups_the_listings_at_one_door_and_searches_rely_on_it(helpline, one_door_directory):
    r = helpline.store._r
    version = repository.current_version(r)
    site = {p.name: p.extra.get(repository.SITE) for p in repository.listings(r, version)}
    assert len({site[name] for name in ONE_DOOR}) == 1 and site[ONE_DOOR[0]]
    assert site[RENAMED[0]] == site[RENAMED[1]] != site[ONE_DOOR[0]]
    assert site["Midtown Pain Care"] is None and site["Garment Care"] is None  # two suites: two doors
    assert site["Hudson Recovery"] is None and site["Newark Treatment"] is None
    # Each listing keeps its own services in the directory; only a line of results folds them.
    own = {p.name: p.services for p in repository.listings(r, version)}
    assert own[ONE_DOOR[1]] == ("buprenorphine",)
    # A directory imported before sites were made (its GEO members plain ids) answers a line per listing.
    for facet in repository.FACETS:
        key = Keys.directory_geo(version, facet)
        for member in [m.decode() for m in r.zrange(key, 0, -1) if b"|" in m]:
            r.geoadd(key, (*r.geopos(key, member)[0], member.split("|")[0]))
            r.zrem(key, member)
    names = [p.name for p in find_providers(helpline, NYC, limit=10).providers]
    assert len(names) == len(ROWS) and set(names) >= set(ONE_DOOR)


def test_a_hidden_listing_leaves_its_door_to_the_others_there(helpline, one_door_directory):
    first = find_providers(helpline, NYC).providers[0]
    assert first.name in ONE_DOOR
    helpline.store.directory.hide(first.id, "closed")
    now = find_providers(helpline, NYC).providers
    assert now[0].name in ONE_DOOR and now[0].name != first.name  # the door still has its programs
    assert [site_of(p.name) for p in now].count("one door") == 1
    r = helpline.store._r
    geo = Keys.directory_geo(repository.current_version(r), "all")
    assert not [m for m in r.zrange(geo, 0, -1) if m.decode().startswith(first.id)]
    r.zadd(geo, {f"{first.id}|{first.extra[repository.SITE]}": 0})  # as an earlier release left them in
    assert repository.take_out_hidden(r) == 1
    assert first.name not in [p.name for p in find_providers(helpline, NYC).providers]
    assert helpline.store.directory.unhide(first.id)
    again = find_providers(helpline, NYC).providers
    assert again[0].name == first.name and [site_of(p.name) for p in again].count("one door") == 1


def test_sites_group_every_listing_at_one_door_and_keep_suites_apart():
    listings = [listing_at(street, zip_code, lat, lng) for _, street, zip_code, lat, lng, *_ in ROWS]
    ids = {p.address: p.id for p in listings}
    grouped = sites(listings)
    door_of_three = {grouped.get(ids[street]) for _, street, *_ in ROWS[:3]}
    assert len(door_of_three) == 1 and None not in door_of_three
    assert grouped.get(ids["100 W 125th St"]) == grouped.get(ids["100 West 125th Street"]) is not None
    assert ids["200 W 34th St, Suite 300"] not in grouped and ids["30 Hudson Yards"] not in grouped
    # A listing without a suite is at the door of either suite: it joins one, the two suites stay apart.
    building = [listing_at(a, "10001") for a in ("5 Main St, Suite 2", "5 Main St", "5 Main St, Suite 3")]
    grouped = sites(building)
    assert len(set(grouped.values())) == 1 and len(grouped) == 2
    assert sites(building) == sites(list(reversed(building)))  # the same sites whatever the order


def test_texter_gets_each_site_once_across_more(app, store, text, one_door_directory):
    text("10001")
    drain(store.rq_connection)
    for _ in range(3):
        text("more")
        drain(store.rq_connection)
    joined = "\n".join(m["body"] for m in store.delivery.outbox() if m["to"] == TEXTER)
    numbers = [int(n) for n in re.findall(r"^(\d+)\) ", joined, re.M)]
    assert numbers == list(range(1, SITES + 1))  # numbered on across pages, none twice
    assert sum(joined.count(name) for name in ONE_DOOR) == 1
    assert sum(joined.count(name) for name in RENAMED) == 1
    assert joined.count("Garment Care") == 1 and joined.count("Midtown Pain Care") == 1


def test_a_caller_hears_the_door_once(phone_call, one_door_directory):
    call = phone_call()
    call.start()
    call.press("2")
    heard = " ".join(call.press("10001#"))
    assert "3 nearest treatment providers" in heard
    assert sum(heard.count(name) for name in ONE_DOOR) == 1
    assert "Midtown Pain Care" in heard and "Garment Care" in heard


def test_staff_search_lists_the_door_once(helpline, one_door_directory):
    found = referrals.search(helpline, "10001").providers
    assert [site_of(p.name) for p in found].count("one door") == 1
    assert len(found) == SITES


def test_a_site_without_a_phone_first_is_answered_by_its_listing_with_one():
    def listing(name, phone, miles, services, address="1 Main St"):
        return Provider(name, name, phone, address, "Town", "NY", "10001", 40.0, -74.0, services, miles)

    quiet = listing("Old Name Clinic", None, 0.4, ("detox",))
    callable_ = listing("New Name Clinic", "+12125550100", 0.5, ("methadone",))
    other = listing("Elsewhere", "+12125550101", 0.9, (), address="2 Main St")
    site, rest = one_line_per_site([quiet, callable_, other])
    assert site.name == "New Name Clinic" and site.miles == 0.4  # as near as the site's nearest listing
    assert site.services == ("methadone", "detox") and rest is other
    assert callable_.services == ("methadone",)  # the listing itself is left as it was
    assert one_line_per_site([callable_, other]) == [callable_, other]


def listing_at(address: str, zip_code: str = "90011", lat=33.99816, lng=-118.26521, approximate=False):
    return Provider(address, "x", None, address, "", "CA", zip_code, lat, lng, approximate=approximate)


def test_a_live_list_takes_one_line_per_site_too():
    here, there = listing_at("4920 Avalon Blvd"), listing_at("4920 S. Avalon Boulevard")
    elsewhere = listing_at("100 Main St")
    assert one_line_per_site([here, there, elsewhere]) == [here, elsewhere]
    assert one_line_per_site([here, elsewhere]) == [here, elsewhere]


@pytest.mark.parametrize(
    "a, b",
    [
        ("4920 Avalon Blvd", "4920 Avalon Boulevard"),
        ("4920 Avalon Boulevard", "4920 S Avalon Blvd."),
        ("4920 South Avalon Blvd.", "4920 S. Avalon Blvd., Suite 2"),  # a suite said on one only
        ("1631-A East Second St.", "1631 East 2nd Street, Building A"),
        ("600 Saint Clair Avenue", "600 St. Clair Ave"),
        ("One Elizabeth Place", "1 Elizabeth Pl"),
        ("127-131 West 25th Street, 3rd Floor", "127 West 25th Street, 3rd Floor"),
        ("Rachel Upjohn Building, 4250 Plymouth Road", "4250 Plymouth Rd"),
        ("5400 Gibson Boulevard SE, 3rd Floor", "5400 Gibson Blvd SE"),
    ],
)
def test_one_door_in_different_spellings(a, b):
    assert same_site(listing_at(a), listing_at(b)) and same_site(listing_at(b), listing_at(a))


@pytest.mark.parametrize(
    "a, b",
    [
        ("200 W 34th St, Suite 300", "200 W 34th St, Suite 500"),  # two practices in one building
        ("28 East Main Street, 4th Floor", "28 East Main Street, 1st Floor"),
        ("1631 East 2nd Street", "1631 West 2nd Street"),
        ("100 Main St", "102 Main St"),
        ("PO Box 12", "PO Box 12"),  # no door at all
        ("Carretera 2 Km 5.5", "Carretera 2 Km 5.5"),
    ],
)
def test_different_doors(a, b):
    assert not same_site(listing_at(a), listing_at(b))


def test_the_same_number_a_few_steps_apart_is_one_door_even_spelled_otherwise():
    here = listing_at("9283 W. U.S. 84", "36352", 31.2240, -85.3905)
    there = listing_at("9283 U.S. Highway 84 West", "36352", 31.2243, -85.3909)  # ~0.03 mi
    assert same_site(here, there)
    far = listing_at("9283 U.S. Highway 84 West", "36352", 31.2300, -85.3909)  # ~0.4 mi
    assert not same_site(here, far)
    placed_by_zip = listing_at("9283 U.S. Highway 84 West", "36352", 31.2243, -85.3909, approximate=True)
    assert not same_site(here, placed_by_zip)  # a ZIP centre says nothing about the door
    avenue = listing_at("100 Main Ave", lat=34.0030)  # ~0.3 mi from 100 Main St
    assert not same_site(listing_at("100 Main St"), avenue)
    assert same_site(listing_at("100 Main St"), listing_at("100 Main Ave"))  # one door, misspelt


def test_an_address_is_read_into_its_door():
    assert door("4920 S. Avalon Blvd.") == Door("4920", ("avalon",), "blvd", "s", "", frozenset())
    assert door("150 North Street, Suite 250").street == ("n",)  # "North Street" is a name, not a direction
    assert door("106 S Lincolnway, Suites A, B, D, E and F").part == frozenset("abdef")
    assert door("1022 E. Main St., P.O. Box 929").part == frozenset()  # a mailbox is no part of a building
    assert door("") is None and door("Carretera 2 Km 5.5") is None


# Real SAMHSA files: the programs at one door are the nearest three to 90011 (BAART at 4920 Avalon),
# and five organisations share a hospital campus at 365 East Street, Tewksbury (01876).


@pytest.fixture
def real_with_programs(app, tmp_path):
    """Real SAMHSA facilities and opioid treatment programs around Los Angeles and Tewksbury."""
    near = ("900", "018")
    keep = lambda row: zip_of(row).startswith(near)  # noqa: E731
    r = app.extensions["helpline"].store._r
    facilities = importer.read_directory_file(real_rows(SUT, tmp_path / "samhsa-near.csv", keep))
    repository.replace_source(r, "samhsa", facilities.providers, "samhsa-near.csv")
    otp_path = real_rows(OTP, tmp_path / "opioid-treatment-programs-near.csv", keep)
    programs = importer.read_directory_file(otp_path, default_services=importer.guess_services(otp_path))
    repository.replace_source(r, "otp", programs.providers, otp_path.name)


def test_the_first_page_near_90011_names_three_different_addresses(helpline, real_with_programs):
    place = places.zip_centroid("90011")
    first = find_providers(helpline, place)
    assert len(first.providers) == 3 and first.more
    doors = [door(p.address) for p in first.providers]
    assert len({(d.number, d.street) for d in doors}) == 3
    assert not any(same_site(a, b) for i, a in enumerate(first.providers) for b in first.providers[i + 1 :])
    baart = next(p for p in first.providers if door(p.address).number == "4920")
    assert "methadone" in baart.services  # from the programs' file, folded into the door's line
    later = [p for page in range(1, 4) for p in find_providers(helpline, place, offset=3 * page).providers]
    assert not any(door(p.address).number == "4920" for p in later)  # not again after MORE


def test_organisations_sharing_a_campus_stay_lines_of_their_own(helpline, real_with_programs):
    place = places.zip_centroid("01876")
    shown = [p for page in range(5) for p in find_providers(helpline, place, offset=3 * page).providers]
    campus = [p for p in shown if p.address.startswith("365 East St")]
    names = {p.name for p in campus}
    assert len(campus) == len(names) >= 4  # each organisation there once, none folded into another
    assert {"Lowell House Inc", "Danvers Trt Center", "Lahey Health Behavioral Services"} <= names
    assert len({p.id for p in shown}) == len(shown) == 15


def test_one_door_is_one_site_only_for_one_organisation():
    def at(name: str, address: str) -> Provider:
        return Provider(name, name, None, address, "", "CA", "90011", 33.99816, -118.26521)

    art = at("Addiction Research and Treatment - Southeast Clinic", "4920 S. Avalon Blvd.")
    bhs = at("BAART Behavioral Health Services", "4920 South Avalon Blvd.")
    baart = at("BAART Programs Southeast", "4920 Avalon Boulevard")
    # The first two share no name word, but each shares one with the third: one organisation's door.
    for order in ([art, bhs, baart], [baart, bhs, art], [bhs, art, baart]):
        assert len(sites(order)) == 3 and len(set(sites(order).values())) == 1
    campus = [
        at("Lowell House Inc", "365 East Street, Building 34"),
        at("Danvers Trt Center", "365 East Street"),
        at("Community Healthcare Inc", "365 East Street"),
        at("Behavioral Health Services", "365 East Street"),
    ]
    assert sites(campus) == {}  # organisations of their own on one campus: a line each


def test_a_jails_own_program_is_never_offered_to_a_texter(helpline, tmp_path):
    rows = [
        ("Estrella Jail", "2939 W Durango", "85009", 33.4296, -112.1240, "602-555-0100", "methadone"),
        ("Towers Jail", "3127 W. Gibson Lane", "85009", 33.4271, -112.1236, "602-555-0101", "methadone"),
        ("Valley Methadone", "10 W Buckeye Rd", "85003", 33.4380, -112.0760, "602-555-0102", "methadone"),
    ]  # fmt: skip
    found = importer.read_directory_file(write_csv(tmp_path / "phoenix.csv", rows))
    repository.replace_source(helpline.store._r, "phoenix", found.providers)
    shown = find_providers(helpline, places.zip_centroid("85009"), service="methadone", limit=5).providers
    assert [p.name for p in shown] == ["Valley Methadone"]  # the jails are nearer, yet not listed
    jail = next(p for p in found.providers if p.name == "Estrella Jail")
    assert repository.get_provider(helpline.store._r, jail.id).name == "Estrella Jail"  # staff still see it
