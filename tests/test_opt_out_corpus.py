"""Opt-out in people's words: the labelled corpus is read right both ways, and START undoes it."""

import pytest

from helpline.domain import language, opt_out
from helpline.domain.conversation import Context, Inbound, SetOptOut, TexterState, decide
from tests.corpus import OPT_OUT_MESSAGES, read_labelled

ROWS = read_labelled(OPT_OUT_MESSAGES)
# Where a text may arrive: first contact, mid self-check (waiting for YES/NO), after a referral's
# check-in (waiting for YES/NO), and already in a conversation.
WHERE = {
    "first contact": (TexterState(), Context()),
    "self-check": (TexterState(welcomed=True, check_step=2, check_answers=(True,)), Context()),
    "check-in": (TexterState(welcomed=True), Context(awaiting_follow_up=True)),
    "conversation": (TexterState(welcomed=True, location="10001"), Context()),
}


def test_every_request_to_stop_the_texts_opts_out():
    missed = [
        f"line {r.line}: {r.text}" for r in ROWS if r.label == "opt_out" and not opt_out.is_opt_out(r.text)
    ]
    assert missed == []


def test_nobody_is_opted_out_for_asking_about_stopping_a_drug():
    wrong = [f"line {r.line}: {r.text}" for r in ROWS if r.label == "keep" and opt_out.is_opt_out(r.text)]
    assert wrong == []


@pytest.mark.parametrize("where", WHERE)
def test_the_corpus_is_read_the_same_wherever_a_text_arrives(where):
    state, ctx = WHERE[where]
    wrong = []
    for r in ROWS:
        opted_out = SetOptOut(True) in decide(state, Inbound(r.text), ctx).actions
        if opted_out != (r.label == "opt_out"):
            wrong.append(f"line {r.line}: {r.label}: {r.text}")
    assert wrong == []


@pytest.mark.parametrize(
    "text", ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE", "Stop", "stop"]
)
def test_carrier_keywords_opt_out_as_the_whole_message(text):
    assert opt_out.is_opt_out(text) and not opt_out.is_opt_in(text)


@pytest.mark.parametrize("text", ["START", "UNSTOP", "YES", "Unstop"])
def test_carrier_keywords_opt_back_in(text):
    assert opt_out.is_opt_in(text) and not opt_out.is_opt_out(text)


@pytest.mark.parametrize(
    "text", ["please stop msgs", "STOP  MSGS", "S T O P", "s-t-o-p", "k stop", "no thanks, stop", "unsub pls"]
)
def test_texting_shorthand_around_a_stop_opts_out(text):
    assert opt_out.is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "dont text me after 9pm",
        "please don't text me before 8 am",
        "stop texting me at work",
        "no me escriban en la noche",
        "my husband wont stop texting me",
        "tell my doctor to stop texting me",
        "I'm a nurse, how do i stop the pain",
        "i am going to stop my meds",
    ],
)
def test_a_time_to_text_or_someone_else_is_no_opt_out(text):
    assert not opt_out.is_opt_out(text)


def test_the_corpus_covers_both_languages_both_ways():
    for lang in ("en", "es"):
        for label in ("opt_out", "keep"):
            assert sum(r.lang == lang and r.label == label for r in ROWS) >= 20


@pytest.mark.parametrize("text", ["START", "start please", "Yes", "unstop"])
def test_opt_in_words(text):
    assert opt_out.is_opt_in(text)


@pytest.mark.parametrize("text", ["subscribe", "Subscribe", "resubscribe", "suscribirme", "suscribir"])
def test_subscribe_is_never_taken_for_unsubscribe(text):
    assert not opt_out.is_opt_out(text)


@pytest.mark.parametrize(
    "text", ["resume", "subscribe", "opt in", "start texting me again", "reanudar", "suscribirme", "volver"]
)
def test_coming_back_in_their_own_words_opts_in(text):
    """The confirmation says "Reply START to resume": RESUME, and the other ways people say it, work too."""
    assert opt_out.is_opt_in(text)


@pytest.mark.parametrize("text", ["stop this", "STOP THESE", "lose my number"])
def test_more_whole_texts_that_stop_the_texts(text):
    assert opt_out.is_opt_out(text)


@pytest.mark.parametrize("text", ["cancer", "and", "end it", "start the taper?"])
def test_near_misses_of_carrier_words_are_not_taken_for_them(text):
    assert not opt_out.is_opt_out(text) and not opt_out.is_opt_in(text)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("quiero morir", "es"),
        ("sobredosis", "es"),
        ("hola", "es"),
        ("my husband took too many pills", "en"),
        ("oih", None),
        ("10001", None),
        ("ok", None),
        ("el paso, tx", None),
    ],
)
def test_the_language_of_a_text_comes_from_its_words(text, lang):
    assert language.guess(text) == lang
