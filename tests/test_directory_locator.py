"""The live FindTreatment locator through the real HTTP client, against the local fake server."""

from __future__ import annotations

import time

import pytest

from helpline.domain import places
from helpline.infra.locator import Locator, ProviderSourceUnavailable
from helpline.services import directory_import as importer
from helpline.services.provider_search import RADII_MILES, find_providers
from helpline.store import Keys
from helpline.store import directory as repository
from helpline.store.locator_state import LocatorState
from tests.directory_fixtures import write_csv

CHARLOTTESVILLE = places.zip_centroid("22902")


@pytest.fixture
def settings(settings, findtreatment_fake):
    # A local fake answers in milliseconds, but a loaded test machine can stall it for a few hundred: only
    # the test of a hanging locator uses a short read timeout (HANG_TIMEOUT).
    return settings.with_overrides(
        findtreatment_api_url=findtreatment_fake.url, locator_read_timeout=3.0, locator_breaker_threshold=3
    )


HANG_TIMEOUT = 0.3


@pytest.fixture
def locator(app, redis):
    return Locator.from_settings(app.config["SETTINGS"], LocatorState(redis))


def test_results_come_nearest_first_with_miles(helpline, findtreatment_fake):
    result = find_providers(helpline, CHARLOTTESVILLE)
    assert result.source == "locator" and result.radius_miles == 5
    assert len(result.providers) == 3 and result.more
    miles = [p.miles for p in result.providers]
    assert miles == sorted(miles)
    call = findtreatment_fake.calls[0]
    assert call["sAddr"].startswith('"38.') and call["limitType"] == "2" and call["sort"] == "0"
    assert call["limitValue"] == str(round(100 * 1609.344))  # one call: nearest first up to 100 miles
    assert len(findtreatment_fake.calls) == 1


def test_a_service_word_is_sent_as_a_code_and_checked_on_the_rows(helpline, findtreatment_fake):
    result = find_providers(helpline, CHARLOTTESVILLE, service="bupe")
    assert result.providers and all("buprenorphine" in p.services for p in result.providers)
    assert findtreatment_fake.calls[0]["sCodes"] == "BU"


def test_one_area_asks_the_locator_once(locator, redis, findtreatment_fake):
    first, _ = locator.nearest(CHARLOTTESVILLE, (), 3, RADII_MILES)
    second, _ = locator.nearest(CHARLOTTESVILLE, (), 3, RADII_MILES)
    assert [p.id for p in first] == [p.id for p in second]
    assert len(findtreatment_fake.calls) == 1
    keys = redis.keys(Keys.locator_cache("*"))
    assert len(keys) == 1 and 0 < redis.ttl(keys[0]) <= locator.cache_seconds  # the cache expires


def test_a_hanging_locator_times_out_fast(app, redis, findtreatment_fake):
    settings = app.config["SETTINGS"].with_overrides(locator_read_timeout=HANG_TIMEOUT)
    locator = Locator.from_settings(settings, LocatorState(redis))
    findtreatment_fake.delay = 1.5
    started = time.monotonic()
    with pytest.raises(ProviderSourceUnavailable):
        locator.rows(CHARLOTTESVILLE, 10, (), 20)
    assert time.monotonic() - started < 1.2
    assert locator.health()["last_error"] == "ReadTimeout"


@pytest.mark.parametrize("failure", ["status", "garbage"])
def test_repeated_failures_open_the_breaker_and_stop_calling(locator, findtreatment_fake, failure):
    if failure == "status":
        findtreatment_fake.fail_with = 503
    else:
        findtreatment_fake.garbage = True
    for _ in range(3):
        with pytest.raises(ProviderSourceUnavailable):
            locator.rows(CHARLOTTESVILLE, 10, (), 20)
    assert locator.health()["breaker"] == "open"
    calls = len(findtreatment_fake.calls)
    with pytest.raises(ProviderSourceUnavailable, match="breaker open"):
        locator.rows(CHARLOTTESVILLE, 25, (), 20)
    assert len(findtreatment_fake.calls) == calls  # skipped: no request while open


def test_after_the_cooldown_one_good_trial_closes_the_breaker(locator, redis, findtreatment_fake):
    findtreatment_fake.fail_with = 500
    for _ in range(3):
        with pytest.raises(ProviderSourceUnavailable):
            locator.rows(CHARLOTTESVILLE, 10, (), 20)
    redis.hset(Keys.locator_breaker, "open_until", time.time() - 1)  # the cooldown has passed
    assert locator.health()["breaker"] == "half-open"
    findtreatment_fake.fail_with = None
    assert locator.rows(CHARLOTTESVILLE, 10, (), 20)
    health = locator.health()
    assert health["breaker"] == "closed" and health["failures"] == 0 and health["last_ok"]


def test_a_failed_trial_opens_the_breaker_again(locator, redis, findtreatment_fake):
    findtreatment_fake.fail_with = 500
    for _ in range(3):
        with pytest.raises(ProviderSourceUnavailable):
            locator.rows(CHARLOTTESVILLE, 10, (), 20)
    redis.hset(Keys.locator_breaker, "open_until", time.time() - 1)
    with pytest.raises(ProviderSourceUnavailable):
        locator.rows(CHARLOTTESVILLE, 10, (), 20)
    assert locator.health()["breaker"] == "open"


def test_locator_down_gives_an_empty_result_not_an_error(helpline, findtreatment_fake):
    findtreatment_fake.fail_with = 503
    result = find_providers(helpline, CHARLOTTESVILLE)
    assert result.providers == [] and result.source == "none" and not result.more
    assert result.unavailable  # worth asking again shortly


@pytest.fixture
def untagged_charlottesville(helpline, tmp_path):
    """Charlottesville clinics imported from a file that names no services (as SAMHSA CSVs do)."""
    rows = [
        ("Downtown Counseling", "1 Main St", "22902", 38.0293, -78.4767, "434-555-0100", ""),
        ("Rivanna Recovery", "2 High St", "22902", 38.0350, -78.4800, "434-555-0101", ""),
    ]
    found = importer.read_directory_file(write_csv(tmp_path / "cville.csv", rows))
    repository.replace_source(helpline.store._r, "cville", found.providers)


def test_a_service_the_imported_files_lack_is_asked_of_the_locator(
    helpline, untagged_charlottesville, findtreatment_fake
):
    result = find_providers(helpline, CHARLOTTESVILLE, service="suboxone")
    assert result.source == "locator" and not result.fallback
    assert result.providers and all("buprenorphine" in p.services for p in result.providers)
    assert findtreatment_fake.calls[0]["sCodes"] == "BU"


def test_a_service_no_source_has_near_falls_back_to_the_nearest_listings(
    helpline, untagged_charlottesville, findtreatment_fake
):
    result = find_providers(helpline, CHARLOTTESVILLE, service="detox")
    assert findtreatment_fake.calls[0]["sCodes"] == "DT"  # asked, and none of its rows offers detox
    assert result.source == "directory" and result.fallback == ("detox",)
    assert [p.name for p in result.providers] == ["Downtown Counseling", "Rivanna Recovery"]


def test_with_the_locator_down_a_filter_still_falls_back_to_the_directory(
    helpline, untagged_charlottesville, findtreatment_fake
):
    findtreatment_fake.fail_with = 503
    result = find_providers(helpline, CHARLOTTESVILLE, service="methadone")
    assert findtreatment_fake.calls[0]["sCodes"] == "METH"
    assert result.fallback == ("methadone",) and not result.unavailable
    assert len(result.providers) == 2


def test_the_imported_directory_answers_before_the_locator(helpline, small_directory, findtreatment_fake):
    result = find_providers(helpline, places.zip_centroid("10001"))
    assert result.source == "directory"
    assert findtreatment_fake.calls == []
