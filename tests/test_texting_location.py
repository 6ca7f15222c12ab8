"""A ZIP code or "city, ST" is recognised and kept as the texter's location."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.domain import keywords as kw
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
        ("Boston,MA", "boston, ma", "Boston, MA"),
        ("100011234", "10001", "10001"),
        # A misspelt city of the state they name, and the short forms of state names people use.
        ("houstn tx", "houston, tx", "Houston, TX"),
        ("Albequerque, NM", "albuquerque, nm", "Albuquerque, NM"),
        ("cincinatti oh", "cincinnati, oh", "Cincinnati, OH"),
        ("pittsburg pa", "pittsburgh, pa", "Pittsburgh, PA"),
        ("san fransisco ca", "san francisco, ca", "San Francisco, CA"),
        ("miami fla", "miami, fl", "Miami, FL"),
        ("fresno calif", "fresno, ca", "Fresno, CA"),
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


@pytest.mark.parametrize(
    "typed, location, label, service",
    [
        ("my zip is 10001", "10001", "near 10001", None),
        ("near 02115 please", "02115", "02115", None),
        ("estoy en 78701", "78701", "cerca de 78701", None),  # answered in Spanish
        ("10001 👍", "10001", "10001", None),
        ("treatment in 90210", "90210", "90210", None),
        ("bupe near 10001", "10001", "10001", "buprenorphine"),
        ("methadone clinic near 60614", "60614", "60614", "methadone"),
        ("Im in Austin TX", "austin, tx", "Austin, TX", None),
        ("i live in chicago il", "chicago, il", "Chicago, IL", None),
        ("where can i get help in denver colorado", "denver, co", "Denver, CO", None),
        ("st louis missouri", "st louis, mo", "Saint Louis, MO", None),
    ],
)
def test_a_place_inside_a_sentence_starts_a_search(text, store, typed, location, label, service):
    """People write where they are in their own words; the place (and a service they name) is read out."""
    text("hi")
    (reply,) = text(typed)
    assert label in reply and ("Looking up" in reply or "Buscando" in reply)
    state = store.load_state(store.vault.phone_id(TEXTER))
    assert state["location"] == location and state.get("search_filter") == service


@pytest.mark.parametrize(
    "typed",
    [
        "is this ok",
        "i am in pain ok",
        "I took 10000 mg",
        "my pain is 10000 times worse",
        "feeling better ok",
        "im fine ok",
        "need help ok",
    ],
)
def test_words_that_only_look_like_a_place_start_no_search(text, store, typed):
    text("hi")
    replies = text(typed)
    assert not any("Looking up" in reply or "couldn't find that place" in reply for reply in replies)
    assert not store.load_state(store.vault.phone_id(TEXTER)).get("location")


@pytest.mark.parametrize(
    "asked, service",
    [("i need suboxone", "buprenorphine"), ("methadone clinics?", "methadone"), ("naltrexona", "naltrexone")],
)
def test_a_service_named_without_a_place_asks_where_and_the_next_place_searches_for_it(
    text, store, asked, service
):
    text("hi")
    (reply,) = text(asked)
    assert "10001" in reply and ("ZIP" in reply or "codigo postal" in reply)  # asked where, with an example
    (looking,) = text("Austin, TX")
    assert "Austin, TX" in looking
    state = store.load_state(store.vault.phone_id(TEXTER))
    assert state["search_filter"] == service and not state.get("wanted_service")
    text("10001")  # a later search without a service word is not filtered by that old wish
    assert store.load_state(store.vault.phone_id(TEXTER)).get("search_filter") is None


@pytest.mark.parametrize(
    "typed, label",
    [
        ("123 Main St, Springfield IL", "Springfield, IL"),
        ("500 Congress Ave, Austin, TX", "Austin, TX"),
        ("im at the walmart on 5th st in tulsa ok", "Tulsa, OK"),
        ("450 W 33rd St New York NY", "New York, NY"),
        ("im at 1600 pennsylvania ave washington dc", "Washington, DC"),
    ],
)
def test_a_street_address_searches_the_city_and_state_it_names(text, typed, label):
    (welcome, looking) = text(typed)
    assert "Reply OIH" in welcome
    assert f"Looking up treatment providers near {label}" in looking


@pytest.mark.parametrize("typed", ["123 Main St", "12 Elm Street, Smallville KS"])
def test_a_street_address_without_a_known_city_is_asked_for_a_zip_or_city(text, typed):
    text("hi")
    (reply,) = text(typed)
    assert "street address" in reply and "ZIP code" in reply and "Austin, TX" in reply


@pytest.mark.parametrize("typed", ["i got 30 off the street", "i got 2 from the street"])
def test_pills_from_the_street_are_no_street_address(text, typed):
    text("hi")
    (reply,) = text(typed)
    assert "street address" not in reply


@pytest.mark.parametrize(
    "typed, words",
    [
        ("i dont know my zip", "city and state instead (like Austin, TX)"),
        ("idk my zip", "city and state instead (like Austin, TX)"),
        ("no se mi codigo postal", "su ciudad y estado (como Austin, TX)"),
    ],
)
def test_not_knowing_the_zip_is_told_a_city_and_state_will_do(text, typed, words):
    (welcome, reply) = text(typed)
    assert words in reply
    (looking,) = text("Austin, TX")
    assert "Austin, TX" in looking


@pytest.mark.parametrize(
    "word, service", [("vivitrol", "naltrexone"), ("what about methadone?", "methadone")]
)
def test_a_service_word_after_a_search_searches_the_same_place_for_it(text, store, word, service):
    text("naltrexone in baltimore md")
    (reply,) = text(word)
    assert "Looking up treatment providers near Baltimore, MD" in reply and "reply your ZIP" not in reply
    assert store.load_state(store.vault.phone_id(TEXTER))["search_filter"] == service


@given(
    st.text(alphabet=" ,.'-abcdefghijklmnopqrstuvwxyz\n", max_size=30),
    st.sampled_from(["", " ", ",", ", ", " ,", "\n"]),
    st.sampled_from(kw.STATE_NAMES_LONGEST_FIRST),
    st.sampled_from(["", " ", "\n", "x"]),
)
def test_the_state_a_text_ends_in_is_the_longest_name_it_ends_in(head, before, name, after):
    """ "... west virginia" is West Virginia, not Virginia; a name inside a word ("mass" in "xmass") or
    followed by anything is no state."""
    written = head + before + name + after
    longest = next(
        (n for n in kw.STATE_NAMES_LONGEST_FIRST if written.endswith(" " + n) or written.endswith("," + n)),
        None,
    )
    found = kw.STATE_NAME_AT_END.search(written)
    assert (found.group(1) if found else None) == longest
