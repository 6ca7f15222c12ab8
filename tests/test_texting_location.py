"""A ZIP code or "city, ST" is recognised and kept as the texter's location."""

import pytest

from tests.conftest import TEXTER


@pytest.mark.parametrize(
    "typed, location, label",
    [
        ("10001", "10001", "10001"),
        ("10001-1234", "10001", "10001"),
        (" 94110 ", "94110", "94110"),
        ("Austin, TX", "austin, tx", "Austin, TX"),
        ("austin tx", "austin, tx", "Austin, TX"),
        ("New York, NY", "new york, ny", "New York, NY"),
    ],
)
def test_zip_or_city_is_stored_and_a_search_is_promised(text, store, typed, location, label):
    text("hi")
    (reply,) = text(typed)
    assert f"near {label}" in reply
    state = store.load_state(store.vault.phone_id(TEXTER))
    assert state["location"] == location


def test_service_word_after_the_zip_is_kept_as_a_filter(text, store):
    text("hi")
    text("10001 bupe")
    state = store.load_state(store.vault.phone_id(TEXTER))
    assert state["search_filter"] == "buprenorphine"


@pytest.mark.parametrize("typed", ["00000", "Atlantis, TX"])
def test_unknown_place_is_asked_again_with_an_example(text, typed):
    text("hi")
    (reply,) = text(typed)
    assert "couldn't find that place" in reply and "10001" in reply
