"""Crisis words win everywhere; opt-out silences every path until START."""

import time
from dataclasses import replace

import pytest

from helpline.services import callbacks
from tests.conftest import TEXTER

CRISIS_TEXTS = [
    "I think he overdosed",
    "my son OD'd",
    "she is not breathing",
    "I can't breathe",
    "thinking about suicide",
    "I want to kill myself",
    "i just want to die",
    "creo que es una sobredosis",
    "pienso en el suicidio",
    "no respira",
    # Misspellings, paraphrases and third-person reports that the exact phrase list missed.
    "cant breath",
    "overdoes",
    "took too many pills",
    "took too much",
    "me quiero matar",
    "tome demasiadas pastillas",
    "my dad wont wake up and his lips are blue",
]


@pytest.mark.parametrize("message", CRISIS_TEXTS)
def test_crisis_words_get_911_and_988_at_once_and_a_priority_callback(text, store, message):
    text("hi")
    replies = text(message)
    assert len(replies) == 1
    assert "911" in replies[0] and "988" in replies[0]
    (request,) = callbacks.waiting(store)
    assert request.priority == "crisis"
    assert callbacks.phone_of(store, request) == TEXTER


def test_crisis_on_first_contact_is_answered_without_a_menu_first(text):
    replies = text("overdose help")
    assert "911" in replies[-1]
    assert all("Reply a word or number" not in r for r in replies)


def test_crisis_wins_in_the_middle_of_the_self_check(text, store):
    text("hi")
    text("check")
    (reply,) = text("I want to die")
    assert "988" in reply
    (next_reply,) = text("yes")  # the self-check was left; YES is not taken as an answer
    assert "Self-check (2/3)" not in next_reply
    assert callbacks.waiting(store)[0].priority == "crisis"


def test_crisis_in_spanish_is_answered_in_spanish(text):
    text("hi")
    text("español")
    (reply,) = text("sobredosis")
    assert "llame al 911" in reply


def test_crisis_after_a_plain_callback_request_raises_its_priority(text, store):
    text("hi")
    text("call")
    assert callbacks.waiting(store)[0].priority == "normal"
    text("overdose")
    (request,) = callbacks.waiting(store)
    assert request.priority == "crisis"


def test_crisis_requests_are_queued_before_older_plain_ones(text, store):
    text("call", sender="+15551230002")
    text("suicide", sender="+15551230003")
    order = [callbacks.phone_of(store, r) for r in callbacks.waiting(store)]
    assert order == ["+15551230003", "+15551230002"]


@pytest.mark.parametrize("word", ["STOP", "stop", "StopAll", "UNSUBSCRIBE", "cancel", "END", "quit"])
def test_opt_out_words_silence_everything_until_start(text, store, word):
    text("hi")
    (confirm,) = text(word)
    assert "START" in confirm
    assert store.is_opted_out(store.vault.phone_id(TEXTER))
    assert text("oih") == []
    assert text("menu") == []
    (back,) = text("START")
    assert "subscribed" in back
    assert "hyperalgesia" in text("oih")[0]


@pytest.mark.parametrize("word", ["YES", "unstop"])
def test_yes_and_unstop_also_opt_back_in(text, word):
    text("stop")
    assert text("oih") == []
    assert text(word)
    assert text("oih")


def test_twilio_opt_out_type_opts_out_and_lets_twilio_confirm(text, store):
    assert text("please stop", OptOutType="STOP") == []
    assert store.is_opted_out(store.vault.phone_id(TEXTER))
    assert text("START", OptOutType="START") == []
    assert text("oih")


def test_opted_out_texter_in_crisis_gets_no_text_but_staff_call(text, store):
    text("stop")
    assert text("overdose") == []
    assert callbacks.waiting(store)[0].priority == "crisis"


def test_opt_out_never_expires(text, store, redis):
    text("stop")
    from helpline.store import Keys

    assert redis.ttl(Keys.optouts) == -1


def test_blocklisted_number_gets_an_empty_response(text, store):
    store.block(TEXTER, "abuse reported by staff")
    assert text("oih") == []
    assert text("call") == []
    assert callbacks.waiting(store) == []


def test_flood_from_one_number_gets_empty_responses_but_crisis_still_gets_through(app, text, store, caplog):
    helpline = app.extensions["helpline"]
    moment = time.time()
    helpline.texting = replace(helpline.texting, clock=lambda: moment)  # all within one minute's count
    limit = app.config["SETTINGS"].sms_rate_limit_per_minute
    answered = [bool(text(f"menu {i}")) for i in range(limit + 5)]
    assert answered[:limit] == [True] * limit
    assert answered[limit:] == [False] * 5
    assert sum("sms.rate_limited" in r.message for r in caplog.records) == 1  # logged once
    assert "911" in text("overdose")[0]


def test_a_misspelt_crisis_in_the_self_check_gets_crisis_guidance_and_a_priority_callback(text, store):
    text("hi")
    text("check")
    (reply,) = text("cant breath")
    assert "911" in reply and "YES or NO" not in reply
    (request,) = callbacks.waiting(store)
    assert request.priority == "crisis"


def test_a_first_text_in_spanish_gets_the_spanish_crisis_reply_and_the_request_says_spanish(text, store):
    (reply,) = text("quiero morir")
    assert "988" in reply and "oprima 2" in reply  # 988 has Spanish speakers
    (request,) = callbacks.waiting(store)
    assert request.lang == "es"


def test_the_crisis_reply_fits_what_was_said(text):
    (overdose,) = text("my son took a whole bottle of pills")
    assert "911" in overdose and "naloxone" in overdose
    (suicide,) = text("I want to kill myself", sender="+15551230009")
    assert suicide.startswith("If you or someone else may act on thoughts of suicide") and "988" in suicide


def test_a_second_alarming_text_alerts_staff_again_and_gets_the_guidance_again(text, store):
    text("I want to die", sender="+15551230002")  # someone else's crisis, queued first
    text("he overdosed")
    older, mine = callbacks.waiting(store)
    assert callbacks.phone_of(store, mine) == TEXTER and not mine.realerted_at
    (reply,) = text("hes not waking up")
    assert "911" in reply and "Reply a word or number" not in reply
    first, second = callbacks.waiting(store)  # still one request per number
    assert callbacks.phone_of(store, first) == TEXTER and first.realerted_at  # at the top again
    assert first.id == mine.id


def test_while_a_crisis_is_open_a_plea_for_help_alerts_staff_again(text, store):
    text("he overdosed")
    (reply,) = text("please hurry")
    assert "911" in reply
    assert callbacks.waiting(store)[0].realerted_at
    (menu,) = text("oih")  # an ordinary question still gets its answer
    assert "hyperalgesia" in menu


def test_a_crisis_from_an_opted_out_number_is_marked_texts_off(text, store):
    text("stop texting me")
    assert text("he is not breathing") == []
    (request,) = callbacks.waiting(store)
    assert request.priority == "crisis" and request.texts_off


def test_opting_out_marks_an_open_request_and_start_clears_it(text, store):
    text("overdose")
    assert not callbacks.waiting(store)[0].texts_off
    text("STOP please")
    assert callbacks.waiting(store)[0].texts_off
    text("START")
    assert not callbacks.waiting(store)[0].texts_off
