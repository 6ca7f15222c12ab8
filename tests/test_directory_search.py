"""Search over the imported directory: nearest first, widening, CHECK and service filters, hiding."""

from __future__ import annotations

import pytest

from helpline.domain import places
from helpline.services.provider_search import find_providers
from helpline.store import directory as repository

NYC = places.zip_centroid("10001")


def names(result) -> list[str]:
    return [p.name for p in result.providers]


def test_nearest_first_within_ten_miles(app, small_directory):
    result = find_providers(app, NYC)
    assert result.source == "directory"
    assert result.radius_miles == 10
    assert names(result) == ["Midtown Pain Care", "Hudson Recovery", "Chelsea Methadone Clinic"]
    miles = [p.miles for p in result.providers]
    assert miles == sorted(miles) and miles[0] < 1
    assert result.more


def test_paging_gives_the_next_ones_without_repeats(app, small_directory):
    first = find_providers(app, NYC)
    second = find_providers(app, NYC, offset=3)
    assert not set(names(first)) & set(names(second))
    assert names(second)[0] == "Village Bupe Program"


def test_radius_widens_until_three_fit(app, small_directory):
    result = find_providers(app, NYC, service="methadone")
    assert names(result) == ["Chelsea Methadone Clinic", "Newark Treatment"]
    assert result.radius_miles == 100  # only two methadone programs within 100 miles
    assert not result.more
    pain = find_providers(app, NYC, service="pain")
    assert names(pain) == ["Midtown Pain Care", "Philadelphia Pain Clinic"]


@pytest.mark.parametrize(
    "outcome, expected",
    [
        ("oud", ["Chelsea Methadone Clinic", "Village Bupe Program", "Harlem Naltrexone Center"]),
        ("oih", ["Midtown Pain Care", "Philadelphia Pain Clinic"]),
        ("both", ["Midtown Pain Care", "Chelsea Methadone Clinic", "Village Bupe Program"]),
        ("none", ["Midtown Pain Care", "Hudson Recovery", "Chelsea Methadone Clinic"]),
        (None, ["Midtown Pain Care", "Hudson Recovery", "Chelsea Methadone Clinic"]),
    ],
)
def test_check_outcome_chooses_the_kind_of_care(app, small_directory, outcome, expected):
    assert names(find_providers(app, NYC, check_outcome=outcome)) == expected


def test_a_service_word_wins_over_the_check_outcome(app, small_directory):
    result = find_providers(app, NYC, service="bupe", check_outcome="oih")
    assert names(result) == ["Village Bupe Program"]


def test_hidden_listings_are_not_offered_until_shown_again(app, small_directory):
    r = app.extensions["helpline"].store.r
    chelsea = next(p for p in small_directory if p.name == "Chelsea Methadone Clinic")
    repository.hide(r, chelsea.id, "closed")
    assert "Chelsea Methadone Clinic" not in names(find_providers(app, NYC, limit=8))
    assert repository.get_provider(r, chelsea.id).name == "Chelsea Methadone Clinic"  # staff may still see it
    assert repository.unhide(r, chelsea.id)
    assert "Chelsea Methadone Clinic" in names(find_providers(app, NYC))


def test_get_provider_returns_the_listing_with_its_services(app, small_directory):
    r = app.extensions["helpline"].store.r
    village = next(p for p in small_directory if p.name == "Village Bupe Program")
    found = repository.get_provider(r, village.id)
    assert found.services == ("buprenorphine", "outpatient")
    assert found.phone == "+12125550104"
    assert repository.get_provider(r, "no-such-id") is None


def test_the_directory_in_use_never_expires_and_the_old_one_does(app, small_directory):
    from helpline.store import Keys

    r = app.extensions["helpline"].store.r
    old = repository.current_version(r)
    repository.replace_source(r, "test", small_directory[:3], "again.csv")
    new = repository.current_version(r)
    assert new != old
    assert all(r.ttl(key) == -1 for key in repository.meta(r, new)["keys"])  # kept for good
    assert 0 < r.ttl(Keys.directory_providers(old)) <= repository.OLD_VERSION_GRACE_SECONDS


def test_an_unknown_service_word_still_gets_an_answer(app, small_directory):
    result = find_providers(app, NYC, service="yoga", check_outcome="oih")
    assert names(result) == ["Midtown Pain Care", "Philadelphia Pain Clinic"]
