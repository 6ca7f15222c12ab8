"""How many times a text waits on Redis: each wait is a network round trip on a busy line.

Counted where redis-py sends a request and waits for its answer (a pipeline or a script is one), on
the app's real Redis (`round_trips` in conftest); the replies are checked too, so a text that did
less is not a pass.
"""

from __future__ import annotations

import threading

import redis as redis_lib

from helpline.devtools import simulator
from helpline.infra import queues
from helpline.services import callbacks
from helpline.services.texting import HINT_COOKIE
from helpline.store import Keys
from helpline.store.client import HeldConnection
from tests.conftest import HELPLINE_NUMBER, TEXTER

OTHER = "+14155550199"


def warm(text, *steps: str) -> None:
    """Another texter takes the same steps first: scripts and server facts are read once per process."""
    for step in ("hi", *steps):
        text(step, sender=OTHER)


def test_an_everyday_text_waits_on_redis_once_with_the_cookie_twilio_sends_back(text, round_trips):
    warm(text, "oih", "signs")
    text("hi")
    text("oih")
    replies, trips = round_trips(lambda: text("signs"))
    assert "OIH signs" in replies[0] and trips == 1
    replies, trips = round_trips(lambda: text("check"))  # the state that step kept is the next one's
    assert "1/" in replies[0] and trips == 1


def test_a_first_text_to_the_line_waits_on_redis_once(text, round_trips):
    warm(text)
    (welcome,), trips = round_trips(lambda: text("hi"))
    assert "Helpline" in welcome and trips == 1


def test_without_the_cookie_a_returning_texter_waits_twice_and_is_answered_from_redis(
    text, signed_post, client, round_trips
):
    """Twilio forgets its cookie after 4 hours: the texter mid self-check is still in it."""
    for sender in (OTHER, TEXTER):  # the other texter first: scripts are loaded once per process
        text("hi", sender=sender)
        text("check", sender=sender)
        client.delete_cookie(HINT_COOKIE, path="/twilio")
        params = simulator.sms_params(sender, "yes", HELPLINE_NUMBER)
        response, trips = round_trips(lambda params=params: signed_post("/twilio/sms", params))
    assert "2/" in simulator.twiml_messages(response.data)[0] and trips == 2


def test_a_zip_search_is_queued_in_the_same_single_round_trip(text, round_trips, helpline):
    warm(text, "10001")
    text("hi")
    text("oih")
    before = helpline.queues.depths()[queues.SEARCH]
    replies, trips = round_trips(lambda: text("10001"))
    assert "10001" in replies[0] or "New York" in replies[0]
    assert trips == 1 and helpline.queues.depths()[queues.SEARCH] == before + 1


def test_a_callback_request_costs_three_round_trips_and_is_queued_and_counted(
    text, round_trips, store, redis
):
    warm(text, "call")
    text("hi")
    text("oih")
    (reply,), trips = round_trips(lambda: text("call"))
    assert "call you back" in reply
    (request,) = [r for r in callbacks.waiting(store) if callbacks.phone_of(store, r) == TEXTER]
    said = [line["text"] for line in callbacks.conversation_of(store, request) if line["dir"] == "in"]
    assert request.id == "cb000002" and said == ["hi", "oih"]  # staff see what led to it
    assert trips == 3  # the screening reads what the request needs; the request; the answer
    (again,), trips = round_trips(lambda: text("call"))
    assert "already on our callback list" in again and trips == 2
    assert int(redis.get(Keys.stat("callback.created", "total"))) == 2  # two numbers, one request each


def test_a_crisis_text_reaches_the_staff_queue_in_three_round_trips(text, round_trips, store):
    warm(text, "I took too many pills")
    text("hi")
    (reply,), trips = round_trips(lambda: text("hes not breathing i think he overdosed"))
    assert "911" in reply
    (request,) = [r for r in callbacks.waiting(store) if callbacks.phone_of(store, r) == TEXTER]
    assert request.is_crisis and request.status == "waiting"
    assert trips == 3


def test_asking_for_a_person_in_plain_words_is_queued_in_three_round_trips_too(text, round_trips, store):
    warm(text, "can I talk to someone")
    text("hi")
    (reply,), trips = round_trips(lambda: text("can I talk to someone please"))
    assert "call you back" in reply
    assert [r for r in callbacks.waiting(store) if callbacks.phone_of(store, r) == TEXTER]
    assert trips == 3


def test_a_redis_that_forgot_its_scripts_still_answers_and_keeps_the_conversation(text, redis):
    """A restarted Redis without its scripts (or SCRIPT FLUSH): the text is answered, its state kept."""
    text("hi")
    (menu,) = text("ESPAÑOL")
    assert "Responda una palabra" in menu
    redis.script_flush()
    (answer,) = text("oih")  # the screening and the record load their scripts again
    assert "hiperalgesia inducida por opioides" in answer
    redis.script_flush()
    assert "hiperalgesia" in text("1")[0]  # the language chosen before the flush was kept


def test_threads_that_come_and_go_give_their_connection_back(redis_url):
    """A worker's job threads and a web process's threads may end: their kept connections go back to the
    pool, which would otherwise run out (redis-py allows 100) and refuse every later text."""
    client = redis_lib.Redis.from_url(redis_url)
    held = HeldConnection(client)
    script = client.register_script("return 7")
    answers: list[int] = []
    for _ in range(150):
        thread = threading.Thread(target=lambda: answers.append(held.run(script, [], [])))
        thread.start()
        thread.join()
    assert answers == [7] * 150
