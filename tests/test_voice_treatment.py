"""Option 2 by phone: ZIP by keypad (read back while looking; a spoken one is confirmed first), the three
nearest providers read slowly, then by text."""

import pytest

from helpline.infra.burst import drain
from tests.twiml_check import check_voice
from tests.voice_fixtures import CALLER


@pytest.fixture
def settings(settings, findtreatment_fake):
    """Searches that miss the directory go to the local fake locator, never the internet."""
    return settings.with_overrides(findtreatment_api_url=findtreatment_fake.url, locator_read_timeout=1.0)


def said(lines) -> str:
    return " ".join(lines)


def test_zip_is_read_back_digit_by_digit_then_the_three_nearest_are_read(phone_call, small_directory):
    call = phone_call()
    call.start()
    asked = said(call.press("2"))
    assert "5 digit ZIP code on the keypad, then press the pound key, or say it" in asked  # speech works too
    heard = said(call.press("10001#"))  # no extra question: the keys are read back while it looks
    assert "providers near 1 0 0 0 1" in heard
    assert "3 nearest treatment providers" in heard
    assert heard.index("Midtown Pain Care") < heard.index("Chelsea Methadone Clinic")
    assert "2 1 2, 5 5 5, 0 1 0 2" in heard  # phone numbers read slowly, in groups
    assert (
        "Hudson Recovery, about 0.4 miles away, at 30 Hudson Yards, New York. No phone number is listed."
        in heard
    )
    assert "Village Bupe" not in heard
    assert "press 1" in said(call.waiting.itertext())
    slow = [p for p in check_voice(call.responses[-1]).iter("prosody") if "Midtown" in p.text]
    assert slow and slow[0].get("rate") == "85%"  # names and numbers read slowly


def test_each_provider_is_read_with_its_street_and_one_without_a_phone_with_the_national_helpline(
    phone_call, small_directory
):
    call = phone_call()
    call.start()
    call.press("2")
    heard = said(call.press("10001"))
    # Where to go, said as a person says it ("200 W 34th St" in the directory), and the phone.
    assert "Midtown Pain Care, about 0.4 miles away, at 200 West 34th Street, New York." in heard
    # A landline caller can still act on a listing without a phone: the national helpline, slowly.
    assert "the national helpline can help you reach them" in heard
    assert heard.count("8 0 0, 6 6 2, 4 3 5 7") == 1
    slow = [p for p in check_voice(call.responses[-1]).iter("prosody") if "national helpline" in p.text]
    assert slow and slow[0].get("rate") == "85%"


def test_providers_all_with_a_phone_are_read_without_the_national_helpline(phone_call, small_directory):
    call = phone_call()
    call.start()
    call.press("2")
    heard = said(call.press("10027"))  # Harlem: the three nearest all list a phone
    assert "Harlem Naltrexone Center, about" in heard and "at 100 West 125th Street, New York" in heard
    assert "No phone number" not in heard and "national helpline" not in heard


def test_providers_are_texted_on_request_the_way_texters_get_them(phone_call, small_directory, store, redis):
    call = phone_call()
    call.start()
    call.press("2")
    call.press("10001")
    assert "sending them to you by text" in said(call.press("1"))
    drain(redis)
    texts = [m["body"] for m in store.delivery.outbox() if m["to"] == CALLER]
    assert texts and any("Midtown Pain Care" in t for t in texts)


def test_no_text_offer_for_a_number_that_opted_out(phone_call, small_directory, store, redis):
    store.set_opted_out(store.vault.phone_id(CALLER), True)
    call = phone_call()
    call.start()
    call.press("2")
    call.press("10001")
    assert "by text" not in said(call.waiting.itertext())
    call.press("1")  # not offered: nothing is sent
    drain(redis)
    assert store.delivery.outbox() == []


def test_spanish_callers_hear_providers_in_spanish(phone_call, small_directory):
    call = phone_call()
    call.start()
    call.press("9")
    assert "código postal" in said(call.press("2"))
    heard = said(call.press("10001"))
    assert "cerca de 1 0 0 0 1" in heard
    assert "centros de tratamiento más cercanos" in heard and "Teléfono" in heard


def test_said_treatment_then_a_spoken_zip(phone_call, small_directory):
    call = phone_call()
    call.start()
    call.say("I need to find treatment")
    assert "1 0 0 0 1" in said(call.say("one zero zero zero one"))


def test_a_bad_zip_is_asked_again_and_a_misheard_spoken_one_can_be_entered_again(phone_call, small_directory):
    call = phone_call()
    call.start()
    call.press("2")
    assert "not a 5 digit ZIP code" in said(call.press("123"))
    assert "You said 1 0 0 0 2" in said(call.say("one zero zero zero two"))  # not "entered"
    assert "5 digit ZIP code" in said(call.press("2"))  # not what they said: asked again
    assert "providers near 1 0 0 0 1" in said(call.press("10001"))


def test_no_provider_near_says_so_and_offers_the_national_line(phone_call, findtreatment_fake):
    call = phone_call()
    call.start()
    call.press("2")
    heard = said(call.press("99950"))  # Ketchikan, AK: nothing imported, and the locator knows nothing near
    assert "could not find treatment providers" in heard and "8 0 0, 6 6 2, 4 3 5 7" in heard
    assert call.waiting.get("action").split("?")[0].endswith("/step/menu")


def test_directory_empty_and_locator_down_is_said_kindly(phone_call, findtreatment_fake):
    findtreatment_fake.fail_with = 503
    call = phone_call()
    call.start()
    call.press("2")
    heard = said(call.press("10001"))
    assert "can't look up providers right now" in heard and "8 0 0, 6 6 2, 4 3 5 7" in heard


def test_a_caller_who_does_not_know_their_zip_says_their_city_and_hears_and_gets_providers_there(
    phone_call, small_directory, store, redis
):
    call = phone_call()
    call.start()
    assert "If you don't know it, say the city and state" in said(call.press("2"))
    heard = said(call.say("i dont know it"))
    assert "That's all right" in heard and "not a 5 digit ZIP" not in heard
    assert "say the city and state you are in" in heard and "talk to someone from our team, press 4" in heard
    assert "New York, New York" in said(call.say("New York, New York."))  # read back to confirm
    heard = said(call.press("1"))
    assert "Midtown Pain Care" in heard and "at 200 West 34th Street" in heard
    call.press("1")  # and by text, as a texter who sent "new york, ny" gets them
    drain(redis)
    texts = [m["body"] for m in store.delivery.outbox() if m["to"] == CALLER]
    assert any("New York, NY" in t and "Midtown Pain Care" in t for t in texts)


def test_a_city_said_in_spanish_is_read_back_in_spanish(phone_call, small_directory):
    call = phone_call()
    call.start()
    call.press("9")
    assert "diga la ciudad y el estado" in said(call.press("2"))
    assert "No se preocupe" in said(call.say("no sé"))
    assert "Usted dijo New York, New York" in said(call.say("estoy en new york new york"))


def test_a_caller_without_a_zip_presses_4_and_is_put_through_to_the_team(phone_call, staff_on_duty):
    call = phone_call(dial_outcome="completed")
    call.start()
    call.press("2")
    assert "press 4" in said(call.say("hmm hold on"))
    assert "Please hold" in said(call.press("4"))
    assert call.dialed == [list(staff_on_duty)]


def test_crisis_words_at_the_zip_question_outrank_a_city(phone_call, small_directory):
    call = phone_call()
    call.start()
    call.press("2")
    heard = said(call.say("i dont know, i just want to die, im in new york new york"))
    assert "9 8 8" in heard and "New York, New York" not in heard
    assert call.waiting.get("action").split("?")[0].endswith("/step/emergency")


@pytest.mark.parametrize(
    ("words", "read_back"),
    [
        ("Two Rivers, Wisconsin", "You said Two Rivers, Wisconsin"),
        ("Dos Palos, California", "You said Dos Palos, California"),
        ("Three Rivers Michigan", "You said Three Rivers, Michigan"),
        ("I'm at 123 Main Street in Springfield Illinois", "You said Springfield, Illinois"),
    ],
)
def test_a_city_with_a_number_word_or_a_street_number_is_read_back_not_taken_for_a_zip(
    phone_call, words, read_back
):
    call = phone_call()
    call.start()
    call.press("2")
    heard = said(call.say(words))
    assert read_back in heard and "not a 5 digit ZIP" not in heard


def test_a_place_not_known_with_a_number_word_is_asked_for_a_zip_or_city_not_told_the_zip_is_short(
    phone_call,
):
    call = phone_call()
    call.start()
    call.press("2")
    heard = said(call.say("Cinco Ranch, Texas"))
    assert "I didn't get a ZIP code or a city and state" in heard and "not a 5 digit ZIP" not in heard


def test_a_zip_said_too_short_is_still_told_so(phone_call):
    call = phone_call()
    call.start()
    call.press("2")
    assert "not a 5 digit ZIP" in said(call.say("six zero six two"))


def test_a_city_said_without_its_state_is_asked_which_state_then_read_back(phone_call):
    call = phone_call()
    call.start()
    call.press("2")
    heard = said(call.say("Dallas"))
    assert "Which state is Dallas in?" in heard and "for example Dallas, Texas" in heard
    assert "not a 5 digit ZIP" not in heard and "I didn't get" not in heard
    assert "You said Dallas, Texas" in said(call.say("Texas"))


def test_a_caller_not_sure_of_the_zip_who_names_their_city_is_asked_its_state(phone_call):
    call = phone_call()
    call.start()
    call.press("2")
    assert "Which state is Brooklyn in?" in said(call.say("I'm not sure, I live in Brooklyn"))
    assert "You said Brooklyn, New York" in said(call.say("it's in New York"))


def test_a_city_asked_its_state_in_spanish_is_asked_in_spanish(phone_call):
    call = phone_call()
    call.start()
    call.press("9")
    call.press("2")
    assert "¿En qué estado está Dallas?" in said(call.say("Dallas"))
    assert "Usted dijo Dallas, Texas" in said(call.say("Texas"))


@pytest.mark.parametrize(
    ("words", "read_back"),
    [
        ("quiero tratamiento en Houston Texas", "Usted dijo Houston, Texas"),
        ("I need treatment in Chicago, Illinois", "You said Chicago, Illinois"),
        ("find a clinic near six zero six two nine", "You said 6 0 6 2 9"),
    ],
)
def test_asking_for_treatment_and_saying_where_in_one_breath_reads_the_place_back(
    phone_call, words, read_back
):
    call = phone_call()
    call.start()
    heard = said(call.say(words))
    assert read_back in heard and "ZIP code on the keypad" not in heard and "código postal de 5" not in heard
