"""CHECK: a three-question OIH self-check that points a direction and is never a diagnosis."""

import pytest

from tests.conftest import TEXTER


@pytest.mark.parametrize(
    "answers, direction, outcome",
    [
        (("yes", "yes", "no"), "pattern seen with OIH", "oih"),
        (("no", "yes", "no"), "pattern seen with OIH", "oih"),
        (("no", "no", "yes"), "hard to control", "oud"),
        (("yes", "no", "yes"), "OIH and opioid use", "both"),
        (("no", "no", "no"), "don't point to OIH", "none"),
    ],
)
def test_self_check_points_a_direction_and_says_it_is_not_a_diagnosis(
    text, store, answers, direction, outcome
):
    text("hi")
    (q1,) = text("check")
    assert "(1/3)" in q1 and "YES or NO" in q1
    (q2,) = text(answers[0])
    assert "(2/3)" in q2
    (q3,) = text(answers[1])
    assert "(3/3)" in q3
    (result,) = text(answers[2])
    assert direction in result
    assert "not a diagnosis" in result.lower() or "Not a diagnosis" in result
    assert "medical advice" in result
    state = store.load_state(store.vault.phone_id(TEXTER))
    assert state["check_outcome"] == outcome


def test_self_check_reasks_on_an_unclear_answer(text):
    text("hi")
    text("check")
    (reply,) = text("maybe")
    assert "YES or NO" in reply
    (q2,) = text("y")
    assert "(2/3)" in q2


def test_menu_word_leaves_the_self_check(text):
    text("hi")
    text("check")
    (reply,) = text("signs")
    assert "Possible OIH signs" in reply
    (after,) = text("yes")
    assert "(2/3)" not in after


def test_self_check_in_spanish_accepts_si(text, store):
    text("hola")
    (q1,) = text("prueba")
    assert "Prueba (1/3)" in q1
    text("si")
    text("no")
    (result,) = text("no")
    assert "OIH" in result and "No es diagnostico" in result


@pytest.mark.parametrize(("place", "label"), [("10001", "10001"), ("Austin, TX", "Austin")])
def test_a_zip_or_city_sent_during_the_self_check_leaves_it_and_searches(text, store, place, label):
    text("hi")
    text("check")
    (reply,) = text(place)
    assert "Looking up" in reply and label in reply
    (after,) = text("yes")
    assert "(2/3)" not in after


def test_the_first_question_does_not_assume_a_dose_increase(text):
    text("hi")
    (q1,) = text("check")
    assert "dose went up" not in q1 and "cause stayed the same" in q1


@pytest.mark.parametrize("typed", ["no entiendo", "no hablo ingles", "No, I dont understand"])
def test_not_understanding_a_question_is_no_no_the_question_comes_again(text, typed):
    text("hi")
    text("check")
    text("yes")
    (again,) = text(typed)
    assert "(2/3)" in again  # the same question, in Spanish when they wrote in Spanish
    assert ("Responda SI o NO" in again) == (typed != "No, I dont understand")
    (q3,) = text("si")
    assert "(3/3)" in q3
