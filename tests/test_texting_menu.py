"""A texter's first contact and the menu, in English and Spanish."""

import pytest

from tests.conftest import TEXTER


def test_first_message_gets_the_welcome_with_stop_and_crisis_lines(text):
    (welcome,) = text("hello")
    assert "Reply STOP to opt out" in welcome
    assert "911" in welcome and "988" in welcome
    assert "OIH" in welcome and "CALL" in welcome


def test_first_message_that_asks_something_gets_welcome_then_answer(text):
    welcome, answer = text("oih")
    assert "STOP" in welcome
    assert "opioid-induced hyperalgesia" in answer


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("OIH", "opioid-induced hyperalgesia"),
        ("1", "opioid-induced hyperalgesia"),
        ("  Signs ", "Possible OIH signs"),
        ("sings", "Possible OIH signs"),
        ("2", "Possible OIH signs"),
        ("tolerence", "Tolerance: the same dose"),
        ("TOLERANCE", "Tolerance: the same dose"),
        ("treatmnet", "slow taper"),
        ("TREAT", "slow taper"),
        ("what about tolerance?", "Tolerance: the same dose"),
    ],
)
def test_menu_words_are_case_accent_and_typo_tolerant(text, typed, expected):
    text("hi")
    (reply,) = text(typed)
    assert expected in reply


def test_unknown_words_get_the_short_menu_not_the_welcome(text):
    text("hi")
    (reply,) = text("banana pancakes")
    assert reply.startswith("Reply a word or number")
    assert "STOP to opt out" not in reply


def test_not_medical_advice_comes_once_per_conversation(text):
    text("hi")
    first = text("oih")[0]
    second = text("signs")[0]
    assert "not medical advice" in first
    assert "not medical advice" not in second


@pytest.mark.parametrize("switch", ["ESPAÑOL", "espanol", "Spanish", "español"])
def test_spanish_switch_answers_in_spanish_from_then_on(text, switch):
    text("hi")
    (menu,) = text(switch)
    assert "Responda una palabra" in menu
    (answer,) = text("oih")
    assert "hiperalgesia inducida por opioides" in answer
    assert "Esto no es consejo medico" in answer
    (answer,) = text("señales")
    assert "Posibles señales" in answer
    (back,) = text("english")
    assert back.startswith("Reply a word or number")


def test_spanish_greeting_on_first_contact_gets_spanish_welcome(text):
    (welcome,) = text("Hola, necesito ayuda")
    assert "Responda" in welcome and "STOP" in welcome


def test_help_and_info_say_who_we_are_not_the_oih_explainer(text):
    for word in ("HELP", "info"):
        (reply,) = text(word, sender="+15551230077")
        assert "Helpline" in reply and "STOP" in reply and "1-800-662-4357" in reply
        assert "hyperalgesia" not in reply


def test_conversation_is_kept_for_staff(text, store):
    text("hi")
    text("oih")
    turns = store.conversation(store.vault.phone_id(TEXTER))
    assert [t["dir"] for t in turns] == ["in", "out", "in", "out"]
    assert turns[2]["text"] == "oih"


@pytest.mark.parametrize(
    "typed",
    [
        "who is this",
        "what is this?",
        "is this a bot",
        "are you a real person",
        "is this free",
        "is this confidential",
    ],
)
def test_asking_what_the_line_is_says_free_confidential_and_how_to_reach_a_person(text, typed):
    text("hi")
    (reply,) = text(typed)
    assert "free, confidential" in reply and "automatic" in reply and "CALL" in reply


@pytest.mark.parametrize("typed", ["thanks", "ok thank you", "ty", "👍"])
def test_a_thank_you_gets_a_kind_word_and_the_way_back_not_the_menu_again(text, typed):
    text("hi")
    (reply,) = text(typed)
    assert reply.startswith("You're welcome") and "CALL" in reply and "911" in reply


def test_thanks_and_questions_about_the_line_in_spanish(text):
    text("hola")
    text("español")
    (about,) = text("es gratis?")
    assert "gratis y confidencial" in about and "LLAMAR" in about
    (thanks,) = text("gracias")
    assert thanks.startswith("De nada")


def test_a_first_text_that_asks_who_we_are_gets_just_the_welcome(text):
    (welcome,) = text("who is this")
    assert "free, confidential 24/7" in welcome and "Reply STOP to opt out" in welcome


@pytest.mark.parametrize("body", ["necesito un doctor", "me duele"])
def test_a_short_spanish_text_with_a_word_both_languages_share_is_answered_in_spanish(text, body):
    text("hi")
    (reply,) = text(body)
    assert "Responda" in reply


def test_doctor_in_an_english_text_keeps_english(text):
    text("hola")
    (reply,) = text("i need a doctor")
    assert "Reply" in reply and "Responda" not in reply
