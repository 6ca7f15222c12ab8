"""Opt-out in the texter's own words, through the signed webhook: one confirmation, then silence on
every path (replies, search results, any later text) until START."""

import pytest

from helpline.infra import sender
from helpline.infra.burst import drain
from tests.conftest import TEXTER

PHRASES = [
    "stop texting me",
    "STOP please",
    "please stop",
    "opt out",
    "unsubscribe me",
    "remove me",
    "no more texts",
    "don't text me",
    "stop all",
    "no más mensajes",
    "basta",
]


@pytest.mark.parametrize("phrase", PHRASES)
def test_each_opt_out_phrase_silences_every_later_text_until_start(helpline, store, redis, text, phrase):
    text("hi")
    text("10001")  # a search is queued: a worker would text its results
    (confirm,) = text(phrase)
    assert "START" in confirm  # confirmed once, as STOP is
    assert store.is_opted_out(store.vault.phone_id(TEXTER))
    for body in ("oih", "menu", "10001", "call", "help", "check", phrase):
        assert text(body) == []
    sender.queue_text(helpline, TEXTER, "Helpline: did you reach the clinic?", f"later-{phrase}")
    drain(redis, scheduled_now=True)  # the search and the later text both run now
    assert store.delivery.outbox() == []
    (back,) = text("START")
    assert "STOP" in back  # one confirmation, saying how to opt out again
    assert "OIH" in text("oih")[0]


@pytest.mark.parametrize("question", ["how do I stop methadone", "I want to quit oxy", "stop the pain"])
def test_asking_about_stopping_a_drug_keeps_the_texts_coming(store, text, question):
    text("hi")
    assert text(question)
    assert not store.is_opted_out(store.vault.phone_id(TEXTER))


def test_stop_texting_me_is_not_a_place_in_maine(store, text):
    text("hi")
    (reply,) = text("stop texting me")
    assert "Looking up" not in reply
    assert store.is_opted_out(store.vault.phone_id(TEXTER))


@pytest.mark.parametrize("phrase", ["no me manden mas mensajes", "dejen de escribirme", "cancelar"])
def test_a_first_text_opting_out_in_spanish_is_confirmed_once_in_spanish(store, text, phrase):
    (confirm,) = text(phrase)
    assert confirm.startswith("Ya no recibira mensajes de Helpline") and "START" in confirm
    assert store.is_opted_out(store.vault.phone_id(TEXTER))
    assert text("hola") == [] and text("no entiendo") == []


def test_a_carrier_stop_in_spanish_words_is_left_to_the_carrier(store, text):
    assert text("cancelar", OptOutType="STOP") == []  # the carrier confirms it; a reply would be blocked
    assert store.is_opted_out(store.vault.phone_id(TEXTER))
