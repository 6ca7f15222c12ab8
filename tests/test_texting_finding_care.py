"""Texts that look for care without naming a place, or ask for more in other words: where to look, a ZIP a
digit off, paying for treatment, and after results "any others?" or "what about chicago"."""

import pytest

from helpline.domain.conversation import Context, FindProviders, Inbound, TexterState, decide

WELCOMED = TexterState(welcomed=True, disclaimed=True)
AFTER_SEARCH = TexterState(welcomed=True, disclaimed=True, location="60629")
CRISIS_OPEN = Context(has_open_callback=True, open_crisis=True)


def keys(decision):
    return [say.key for say in decision.replies]


# -- a ZIP a digit off, and "near me" without a place ----------------------------------------------------
@pytest.mark.parametrize("body", ["2134", "zip 2134", "my zip is 902101", "Zip code: 1000", "100012"])
def test_a_zip_with_a_digit_too_few_or_too_many_is_told_a_zip_has_five(body):
    decision = decide(WELCOMED, Inbound(body), Context())
    assert keys(decision) == ["zip_five_digits"] and decision.actions == ()


@pytest.mark.parametrize("body", ["5", "911", "10001", "5551234567", "1234 main st"])
def test_a_menu_number_a_zip_a_phone_number_or_a_street_is_not_a_zip_a_digit_off(body):
    assert keys(decide(WELCOMED, Inbound(body), Context())) != ["zip_five_digits"]


@pytest.mark.parametrize(
    "body",
    ["near me", "any clinics near me?", "treatment near me", "whats the closest place", "help in my area",
     "clinicas cerca de mi", "el lugar mas cercano"],
)  # fmt: skip
def test_asking_what_is_near_without_a_place_asks_where(body):
    decision = decide(WELCOMED, Inbound(body), Context())
    assert keys(decision) == ["ask_place_near"] and decision.actions == ()


def test_near_me_with_a_place_searches_that_place():
    (action,) = decide(WELCOMED, Inbound("clinics near 10001"), Context()).actions
    assert isinstance(action, FindProviders) and action.location == "10001"


def test_near_me_while_a_crisis_is_open_gets_staff_are_coming():
    assert keys(decide(WELCOMED, Inbound("whats the nearest hospital"), CRISIS_OPEN)) == ["crisis_still_here"]


def test_near_me_then_a_zip_finds_providers(text):
    text("hi")
    (reply,) = text("any clinics near me")
    assert "5-digit ZIP code" in reply
    (looking,) = text("10001")
    assert "Looking up treatment providers near 10001" in looking


# -- paying for treatment --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    ["do you take medicaid", "i have no insurance", "cant afford rehab", "no tengo seguro", "free treatment"],
)
def test_asking_about_paying_for_treatment_asks_where_to_look_for_low_cost_care(body):
    decision = decide(WELCOMED, Inbound(body), Context())
    assert keys(decision) == ["ask_place_for_low_cost"] and decision.state.wanted_service == "payment"


@pytest.mark.parametrize("body, key", [("is this free", "about"), ("how much does it cost", "about")])
def test_asking_what_the_line_costs_is_about_the_line_not_a_search(body, key):
    assert keys(decide(WELCOMED, Inbound(body), Context())) == [key]


@pytest.mark.parametrize(
    "body, state", [("medicaid 10001", WELCOMED), ("do any take medicaid", AFTER_SEARCH)]
)
def test_asking_about_paying_with_a_place_searches_for_low_cost_care_there(body, state):
    (action,) = decide(state, Inbound(body), Context()).actions
    assert isinstance(action, FindProviders) and action.service == "payment"


@pytest.mark.parametrize(
    "body, key",
    [("my mom hurts all over on her oxycontin", "oih"),
     ("my skin hurts to the touch since my dose went up", "oih"), ("me duele todo el cuerpo", "oih"),
     ("who am i talking to", "about"), ("con quien hablo", "about")],
)  # fmt: skip
def test_pain_spreading_is_oih_and_who_answers_is_about_the_line(body, key):
    assert keys(decide(WELCOMED, Inbound(body), Context())) == [key]


# -- after results: more in other words, another place ---------------------------------------------------
AFTER_RESULTS = TexterState(welcomed=True, disclaimed=True, location="60629", search_page=0)


@pytest.mark.parametrize(
    "body", ["any others?", "other options", "anything else?", "are there any others", "otras opciones",
             "hay otros?", "any other clinics near me"],
)  # fmt: skip
def test_after_results_asking_for_others_is_more(body):
    (action,) = decide(AFTER_RESULTS, Inbound(body), Context()).actions
    assert action == FindProviders("60629", None, 1)


def test_before_any_search_other_options_is_the_menu():
    assert keys(decide(WELCOMED, Inbound("other options"), Context())) == ["menu"]


@pytest.mark.parametrize(
    "body, location",
    [
        ("what about chicago", "chicago, il"),
        ("how about 60601", "60601"),
        ("what about austin tx", "austin, tx"),
    ],
)
def test_after_results_what_about_another_place_searches_there(body, location):
    (action,) = decide(AFTER_RESULTS, Inbound(body), Context()).actions
    assert action == FindProviders(location, None, 0)


# -- looking for somewhere to go -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    ["where can i get treatment", "find a clinic", "find treatment", "i need rehab", "i need a new doctor",
     "looking for a pain clinic", "where do i go for help", "donde hay tratamiento", "busco una clinica"],
)  # fmt: skip
def test_looking_for_somewhere_to_go_asks_where(body):
    decision = decide(WELCOMED, Inbound(body), Context())
    assert keys(decision) == ["ask_place_near"] and decision.actions == ()


@pytest.mark.parametrize(
    "body, key",
    [("treatment", "treat"), ("4", "treat"), ("what treatment options are there", "treat"),
     ("i want my doctor to lower my dose", "menu"), ("quiero que mi doctor me escuche", "menu"),
     ("i need a doctor my pain keeps getting worse", "oih"), ("i need help", "about")],
)  # fmt: skip
def test_the_treat_keyword_their_own_doctor_and_worsening_pain_are_not_a_search_for_somewhere(body, key):
    assert keys(decide(WELCOMED, Inbound(body), Context())) == [key]


@pytest.mark.parametrize(
    "body", ["hay clinicas cerca?", "donde puedo ir", "quiero rehabilitacion", "busco un lugar para mi hijo",
             "where can i go"],
)  # fmt: skip
def test_in_spanish_too_looking_for_somewhere_asks_where(body):
    assert keys(decide(WELCOMED, Inbound(body), Context())) == ["ask_place_near"]


@pytest.mark.parametrize("body", ["el lugar donde me duele", "my pain is close to unbearable"])
def test_a_place_on_the_body_or_close_to_unbearable_is_no_search(body):
    assert keys(decide(WELCOMED, Inbound(body), Context())) != ["ask_place_near"]


# -- "Which state is Portland in?" answered in a few words -------------------------------------------
@pytest.mark.parametrize(
    "answer, location",
    [("maine", "portland, me"), ("the one in maine", "portland, me"), ("its in OR", "portland, or"),
     ("oregon please", "portland, or")],
)  # fmt: skip
def test_the_state_of_a_city_named_alone_is_read_from_a_few_words(answer, location):
    asked = decide(WELCOMED, Inbound("portland"), Context())
    assert keys(asked) == ["ask_state"]
    (action,) = decide(asked.state, Inbound(answer), Context()).actions
    assert action == FindProviders(location, None, 0)


@pytest.mark.parametrize("answer", ["i need to wash", "ok"])
def test_a_word_that_is_also_a_state_code_or_short_name_is_no_answer_to_which_state(answer):
    asked = decide(WELCOMED, Inbound("portland"), Context())
    assert decide(asked.state, Inbound(answer), Context()).actions == ()
