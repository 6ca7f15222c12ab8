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
