"""The crisis detector over the labelled corpus: every crisis caught, few false alarms, right reply."""

from collections import Counter

import pytest

from helpline.domain import crisis
from helpline.domain.conversation import crisis_reply
from tests.corpus import CRISIS_MESSAGES, read_labelled

ROWS = read_labelled(CRISIS_MESSAGES)
LANGUAGES = sorted({row.lang for row in ROWS})


def test_the_corpus_is_big_enough_in_both_languages():
    counts = Counter((row.lang, row.label == "ordinary") for row in ROWS)
    assert len(ROWS) >= 400
    for lang in ("en", "es"):
        assert counts[(lang, False)] >= 100, f"{lang}: too few crisis messages"
        assert counts[(lang, True)] >= 80, f"{lang}: too few ordinary messages"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_crisis_message_is_caught(lang):
    missed = [
        f"line {r.line}: {r.text}"
        for r in ROWS
        if r.lang == lang and r.label != "ordinary" and not crisis.detect(r.text)
    ]
    assert missed == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_false_alarms_stay_under_five_percent(lang):
    ordinary = [r for r in ROWS if r.lang == lang and r.label == "ordinary"]
    alarms = [f"line {r.line}: {r.text}" for r in ordinary if crisis.detect(r.text)]
    assert len(alarms) < 0.05 * len(ordinary), alarms


def test_each_crisis_gets_the_reply_of_its_kind():
    wrong = []
    for row in (r for r in ROWS if r.label != "ordinary"):
        signal = crisis.detect(row.text)
        if signal and crisis_reply(signal.kind) not in (f"crisis_{row.label}", "crisis"):
            wrong.append(f"line {row.line} ({row.label}, got {signal.kind}): {row.text}")
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("cant breath", "overdose"),
        ("he wont wake up", "overdose"),
        ("I want to kill myself", "suicide"),
        ("me quiero matar", "suicide"),
        ("took too many pills and now I want to die", "both"),
    ],
)
def test_the_reply_fits_what_was_said(text, kind):
    assert crisis.detect(text).kind == kind


def test_an_ordinary_phrase_only_hides_the_crisis_words_inside_it():
    assert crisis.detect("what is an overdose of tylenol?") is None
    assert crisis.detect("what is an overdose? he is not breathing") is not None


@pytest.mark.parametrize("text", ["please hurry", "he is still not moving", "ayuda por favor", "que hago"])
def test_while_a_crisis_is_open_pleas_for_help_are_alarming(text):
    assert crisis.alarming(text)


@pytest.mark.parametrize("text", ["ok", "thanks", "oih", "10001", "gracias"])
def test_while_a_crisis_is_open_plain_texts_are_not_alarming(text):
    assert not crisis.alarming(text)


def test_every_lexicon_phrase_reads(tmp_path):
    """A typo in the lexicon (an unknown set, a stray symbol) fails here, not on a texter."""
    bad = tmp_path / "crisis.yaml"
    bad.write_text("concepts:\n  x:\n    kind: overdose\n    en: ['took <no_such_set>']\n")
    with pytest.raises(ValueError, match="unknown set"):
        crisis.CrisisLexicon.load(bad)
    assert len(crisis.default_lexicon().crisis) > 100
