"""One clinic, one listing: records of two sources with the same provider id (name, street and ZIP)
are one clinic even when their coordinates disagree, and every count says the same number."""

from __future__ import annotations

import json

import pytest

from helpline.domain import places
from helpline.domain.providers import Provider, miles_between, provider_id
from helpline.domain.same_clinic import merge_sources
from helpline.services import directory_review
from helpline.services.provider_search import find_providers
from helpline.store import Keys
from tests.directory_fixtures import OTP, SUT, real_rows, zip_of

# Wheeling (26059), Habit Opco in Brockton (02302), Strive to Serenity (60707), Tarzana (91356):
# the same name at the same street in both SAMHSA files, geocoded from 0.3 to 16 miles apart.
NEAR = ("260", "023", "607", "913")


def run(app, *args):
    return app.test_cli_runner().invoke(args=["providers", *args])


@pytest.fixture
def both_real_files(app, tmp_path):
    """Real rows of both SAMHSA files around those ZIPs, imported as the README says."""
    keep = lambda row: zip_of(row).startswith(NEAR)  # noqa: E731
    facilities = real_rows(SUT, tmp_path / "substance-use-treatment-near.csv", keep)
    programs = real_rows(OTP, tmp_path / "opioid-treatment-programs-near.csv", keep)
    outputs = []
    for path in (facilities, programs):
        result = run(app, "import", str(path))
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return outputs


def test_a_clinic_in_both_files_keeps_its_methadone_however_far_apart_its_two_points(
    helpline, both_real_files
):
    found = find_providers(helpline, places.zip_centroid("26059"), service="methadone")
    wheeling = [p for p in found.providers if p.name.startswith("Wheeling Treatment Center")]
    assert len(wheeling) == 1 and "methadone" in wheeling[0].services
    assert not found.fallback


def test_every_count_of_the_directory_is_the_number_of_listings_it_holds(app, helpline, both_real_files):
    r = helpline.store._r
    version = r.get(Keys.directory_current).decode()
    held = r.hlen(Keys.directory_providers(version))
    status = json.loads(run(app, "status", "--json").output)
    assert status["total"] == held
    assert f"The directory now holds {held:,} listings" in both_real_files[-1]
    assert f"Directory: {held:,} listings" in run(app, "status").output
    review = directory_review.review(helpline)
    assert review.total == held
    assert review.status.without_phone_said().startswith(f"{held:,} of {held:,} listings have no phone")
    ids = [p.id for p in helpline.store.directory.listings(version)]
    assert len(ids) == len(set(ids)) == held


def test_records_with_one_id_are_one_listing_with_every_service_phone_and_the_freshest_record():
    def record(source, lat, lng, *, name="Habit Opco, LLC", phone=None, services=(), updated=1.0):
        pid = provider_id(name, "180 Centre Street", "02302")
        return Provider(
            pid, name, phone, "180 Centre Street", "Brockton", "MA", "02302", lat, lng,
            services=services, source=source, updated=updated,
        )  # fmt: skip

    program = record("otp", 42.08447, -71.01381, services=("methadone",))
    # Fresher, with a phone, but geocoded in Quincy, 12 miles from the door in Brockton.
    facility = record("samhsa", 42.25588, -70.99430, name="Habit OPCO", phone="+15085550100", updated=2.0)
    assert program.id == facility.id
    centre = places.zip_centroid("02302")
    for order in ({"otp": [program], "samhsa": [facility]}, {"a": [facility], "b": [program]}):
        (listing,) = merge_sources(order).listings
        assert listing.id == program.id
        assert listing.services == ("methadone",) and listing.phone == "+15085550100"
        assert listing.name == "Habit OPCO"  # the freshest record
        assert miles_between(listing.lat, listing.lng, centre.lat, centre.lng) < 1  # the point in Brockton


def test_a_record_pairs_with_its_twin_in_the_other_file_before_a_near_name_at_that_door():
    def record(source, name, street, lat, lng):
        return Provider(
            provider_id(name, street, "62959"),
            name,
            None,
            street,
            "Marion",
            "IL",
            "62959",
            lat,
            lng,
            source=source,
        )

    program = record("otp", "Centerstone of Illinois, Inc.", "202 S Bentley St", 37.7298757, -88.93876296)
    twin = record("samhsa", "Centerstone of Illinois", "202 South Bentley Street", 37.7296125, -88.9390126)
    main_street = record(
        "samhsa", "Centerstone of Illinois", "1307 West Main Street", 37.7305241, -88.9399275
    )
    assert main_street.id < twin.id == program.id  # the near name comes first in the file
    listings = merge_sources({"otp": [program], "samhsa": [main_street, twin]}).listings
    assert sorted(p.extra.get("ids", [p.id]) for p in listings) == [[main_street.id], [program.id]]
    assert len({p.id for p in listings}) == 2
