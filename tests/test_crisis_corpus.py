"""The crisis detector over every labelled corpus: every crisis caught, few false alarms, right reply.

tests/data/crisis_messages.tsv is the corpus the lexicon was tuned on; crisis_unseen*.tsv are
batches written without looking at the lexicon and measured before it was tuned on them.
"""

from collections import Counter

import pytest
import yaml

from helpline.domain import crisis
from helpline.domain.conversation import crisis_reply
from tests.corpus import CRISIS_MESSAGES, DATA, read_labelled

FILES = sorted(DATA.glob("crisis_*.tsv"))
ROWS = [(path.name, row) for path in FILES for row in read_labelled(path)]
LANGUAGES = sorted({row.lang for _, row in ROWS})


def test_the_corpus_is_big_enough_in_both_languages():
    tuned = Counter((row.lang, row.label == "ordinary") for row in read_labelled(CRISIS_MESSAGES))
    assert sum(tuned.values()) >= 400
    for lang in ("en", "es"):
        assert tuned[(lang, False)] >= 100, f"{lang}: too few crisis messages"
        assert tuned[(lang, True)] >= 80, f"{lang}: too few ordinary messages"


def test_held_out_batches_are_kept():
    held_out = [row for name, row in ROWS if name.startswith("crisis_unseen")]
    assert len({name for name, _ in ROWS if name.startswith("crisis_unseen")}) >= 2
    assert len(held_out) >= 350
    assert {row.lang for row in held_out} == {"en", "es"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_crisis_message_is_caught(lang):
    missed = [
        f"{name}:{r.line}: {r.text}"
        for name, r in ROWS
        if r.lang == lang and r.label != "ordinary" and not crisis.detect(r.text)
    ]
    assert missed == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_false_alarms_stay_under_five_percent(lang):
    ordinary = [(name, r) for name, r in ROWS if r.lang == lang and r.label == "ordinary"]
    alarms = [f"{name}:{r.line}: {r.text}" for name, r in ordinary if crisis.detect(r.text)]
    assert len(alarms) < 0.05 * len(ordinary), alarms


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_no_file_is_mostly_false_alarms(path):
    """Per file and language too: a batch of look-alikes must not hide behind the big corpus."""
    for lang in LANGUAGES:
        ordinary = [r for r in read_labelled(path) if r.lang == lang and r.label == "ordinary"]
        alarms = [r.text for r in ordinary if crisis.detect(r.text)]
        assert len(alarms) <= max(2, 0.05 * len(ordinary)), alarms


def test_each_crisis_gets_the_reply_of_its_kind():
    wrong = []
    for name, row in ((n, r) for n, r in ROWS if r.label != "ordinary"):
        signal = crisis.detect(row.text)
        if signal and crisis_reply(signal.kind) not in (f"crisis_{row.label}", "crisis"):
            wrong.append(f"{name}:{row.line} ({row.label}, got {signal.kind}): {row.text}")
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


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("mysonisnotbreathing", "my son is not breathing"),
        ("NORESPIRA", "no respira"),
        ("iwannadie", "i want to die"),
        ("k1ll myself", "kill myself"),
        ("my sister ODd", "my sister overdosed"),
        ("better off w/o me", "better off without me"),
        ("hes not wakin up", "he is not waking up"),
        ("my brother's blue", "my brother is blue"),
        ("thinking about sewer slide", "thinking about suicide"),
    ],
)
def test_texted_shapes_are_read_as_words(text, words):
    assert crisis.default_lexicon().words(text) == tuple(words.split())


@pytest.mark.parametrize("text", ["my son needs a needle exchange", "that is odd", "together we can do it"])
def test_ordinary_words_are_not_taken_apart_into_a_crisis(text):
    assert crisis.detect(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "how are you doing",  # "doing" is not "oding"
        "i was cooking dinner and my back hurt",  # "cooking" is not "choking"
        "i am not taking my meds",  # "taking" is not "waking"
        "he is conscious and talking",  # "conscious" is not "unconscious"
        "desayuno a las 8",  # "desayuno" is not "desmayo"
        "el dolor no desaparece",  # the pain, not the texter, disappearing
        "puedes contarme mas",  # "contarme" is not "cortarme"
    ],
)
def test_an_everyday_word_is_not_read_as_a_typo_of_a_crisis_word(text):
    assert crisis.detect(text) is None


@pytest.mark.parametrize(
    "text", ["im sucidal", "he overdoesd", "se desmallo", "cant breth", "hes unconcious", "not wakeing up"]
)
def test_a_misspelt_crisis_word_is_still_read(text):
    assert crisis.detect(text) is not None


def test_every_word_that_must_be_spelt_right_is_a_lexicon_word():
    """An exact_only entry that names no lexicon word or stem (a stem without its star) does nothing."""
    data = yaml.safe_load(crisis.LEXICON_FILE.read_text(encoding="utf-8"))
    lexicon = crisis.default_lexicon()
    known = lexicon.crisis.exact_words | lexicon.crisis.stems
    known |= lexicon.ordinary.exact_words | lexicon.ordinary.stems
    assert [word for word in data["exact_only"] if str(word) not in known] == []


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
