"""Search over the imported directory: callable listings first, widening, filters, fallback, hiding."""

from __future__ import annotations

import pytest

from helpline.domain import places
from helpline.domain.providers import Provider, callable_first
from helpline.services import directory_import as importer
from helpline.services.provider_search import find_providers
from helpline.store import directory as repository
from tests.directory_fixtures import write_csv

NYC = places.zip_centroid("10001")


def names(result) -> list[str]:
    return [p.name for p in result.providers]


def test_nearest_first_but_a_listing_without_a_phone_never_above_a_callable_one_nearly_as_close(
    helpline, small_directory
):
    result = find_providers(helpline, NYC)
    assert result.source == "directory" and result.radius_miles == 5
    # Hudson Recovery (no phone) is a little nearer than Chelsea, which can be called: Chelsea first.
    assert names(result) == ["Midtown Pain Care", "Chelsea Methadone Clinic", "Hudson Recovery"]
    hudson, chelsea = result.providers[2], result.providers[1]
    assert hudson.phone is None and hudson.miles < chelsea.miles < hudson.miles + 1
    assert result.more and not result.fallback


def test_a_listing_without_a_phone_still_comes_first_when_it_is_much_nearer(helpline, tmp_path):
    rows = [
        ("Near No Phone", "1 A St", "10001", 40.7484, -73.9967, "", "outpatient"),
        ("Far Callable", "1 B St", "10001", 40.7790, -73.9967, "212-555-0110", "outpatient"),  # ~2.1 mi
    ]
    found = importer.read_directory_file(write_csv(tmp_path / "two.csv", rows))
    repository.replace_source(helpline.store._r, "two", found.providers)
    assert names(find_providers(helpline, NYC)) == ["Near No Phone", "Far Callable"]


def test_the_same_ranking_rule_orders_live_answers():
    def at(name, miles, phone):
        return Provider(name, name, phone, "", "", "", "", 0, 0, miles=miles)

    ranked = callable_first([at("a", 0.2, None), at("b", 0.9, "+1"), at("c", 5.0, "+1"), at("d", 1.1, None)])
    assert [p.name for p in ranked] == ["b", "a", "d", "c"]


def test_paging_gives_the_next_ones_without_repeats(helpline, small_directory):
    first = find_providers(helpline, NYC)
    second = find_providers(helpline, NYC, offset=3)
    assert not set(names(first)) & set(names(second))
    assert names(second)[0] == "Village Bupe Program"


def test_radius_widens_until_three_fit(helpline, small_directory):
    result = find_providers(helpline, NYC, service="methadone")
    assert names(result) == ["Chelsea Methadone Clinic", "Newark Treatment"]
    assert result.radius_miles == 100  # only two methadone programs within 100 miles
    assert not result.more and not result.fallback
    pain = find_providers(helpline, NYC, service="pain")
    assert names(pain) == ["Midtown Pain Care", "Philadelphia Pain Clinic"]


NEAREST = ["Midtown Pain Care", "Chelsea Methadone Clinic", "Hudson Recovery"]


@pytest.mark.parametrize(
    "outcome, expected",
    [
        ("oud", ["Chelsea Methadone Clinic", "Village Bupe Program", "Harlem Naltrexone Center"]),
        ("oih", NEAREST),  # no source tags pain care: the nearest providers of any kind
        ("both", ["Chelsea Methadone Clinic", "Village Bupe Program", "Harlem Naltrexone Center"]),
        ("none", NEAREST),
        (None, NEAREST),
    ],
)
def test_check_outcome_chooses_the_kind_of_care(helpline, small_directory, outcome, expected):
    result = find_providers(helpline, NYC, check_outcome=outcome)
    assert names(result) == expected and not result.fallback


def test_a_service_word_wins_over_the_check_outcome(helpline, small_directory):
    result = find_providers(helpline, NYC, service="bupe", check_outcome="oih")
    assert names(result) == ["Village Bupe Program"]


def test_a_service_nobody_near_offers_falls_back_to_the_nearest_providers(helpline, small_directory):
    result = find_providers(helpline, NYC, service="telehealth")
    assert names(result) == NEAREST
    assert result.fallback == ("telehealth",) and result.source == "directory" and result.more


def test_hidden_listings_are_not_offered_until_shown_again(helpline, small_directory):
    r = helpline.store._r
    chelsea = next(p for p in small_directory if p.name == "Chelsea Methadone Clinic")
    repository.hide(r, chelsea.id, "closed")
    assert "Chelsea Methadone Clinic" not in names(find_providers(helpline, NYC, limit=8))
    assert repository.get_provider(r, chelsea.id).name == "Chelsea Methadone Clinic"  # staff may still see it
    assert repository.unhide(r, chelsea.id)
    assert "Chelsea Methadone Clinic" in names(find_providers(helpline, NYC))


def test_get_provider_returns_the_listing_with_its_services(helpline, small_directory):
    r = helpline.store._r
    village = next(p for p in small_directory if p.name == "Village Bupe Program")
    found = repository.get_provider(r, village.id)
    assert found.services == ("buprenorphine", "outpatient")
    assert found.phone == "+12125550104"
    assert repository.get_provider(r, "no-such-id") is None


def test_the_directory_in_use_never_expires_and_the_old_one_does(helpline, small_directory):
    from helpline.store import Keys

    r = helpline.store._r
    old = repository.current_version(r)
    repository.replace_source(r, "test", small_directory[:3], "again.csv")
    new = repository.current_version(r)
    assert new != old
    assert all(r.ttl(key) == -1 for key in repository.meta(r, new)["keys"])  # kept for good
    assert 0 < r.ttl(Keys.directory_providers(old)) <= repository.OLD_VERSION_GRACE_SECONDS


def test_an_unknown_service_word_still_gets_an_answer(helpline, small_directory):
    result = find_providers(helpline, NYC, service="yoga", check_outcome="oud")
    assert names(result) == ["Chelsea Methadone Clinic", "Village Bupe Program", "Harlem Naltrexone Center"]
