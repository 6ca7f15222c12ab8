"""Texts for one number from one job go in order, each once; what Twilio cannot take now goes on in
order later; and a number never gets more texts in 30 seconds than Twilio accepts (15)."""

from __future__ import annotations

import pytest
from rq.registry import ScheduledJobRegistry

from helpline.infra import queues, sender
from helpline.infra.burst import drain
from helpline.store import Keys
from tests.conftest import TEXTER


@pytest.fixture
def app(live_twilio_app):
    return live_twilio_app


def test_a_jobs_texts_go_in_order_and_the_rest_follows_in_order_after_a_429(helpline, redis, twilio_fake):
    texts = [("order-1", "one"), ("order-2", "two"), ("order-3", "three")]
    sender.send_texts_now(helpline, TEXTER, texts[:1])
    twilio_fake.fail_next(1, 429)
    outcomes = sender.send_texts_now(helpline, TEXTER, texts)  # a retried job: the first went already

    assert outcomes == ["duplicate"]  # then Twilio said "not now": two and three wait, in order
    drain(redis, scheduled_now=True)
    assert [m["Body"] for m in twilio_fake.to(TEXTER)] == ["one", "two", "three"]


def test_a_number_gets_at_most_15_texts_in_30_seconds(helpline, store, redis, twilio_fake):
    texts = [(f"pace-{n}", f"Text {n}") for n in range(16)]
    outcomes = sender.send_texts_now(helpline, TEXTER, texts)

    assert outcomes == ["sent"] * 15
    assert len(twilio_fake.to(TEXTER)) == 15
    scheduled = ScheduledJobRegistry(queue=queues.queue(queues.URGENT, redis))
    assert scheduled.get_job_ids() == ["texts-pace-15"]  # the 16th waits for the window to move on

    pace = Keys.send_pace(store.vault.phone_id(TEXTER))
    for key, when in redis.zrange(pace, 0, -1, withscores=True):
        redis.zadd(pace, {key: when - 31})  # half a minute later
    drain(redis, scheduled_now=True)
    assert [m["Body"] for m in twilio_fake.to(TEXTER)] == [f"Text {n}" for n in range(16)]


def test_other_numbers_are_not_held_by_one_numbers_pace(helpline, twilio_fake):
    sender.send_texts_now(helpline, TEXTER, [(f"busy-{n}", f"Text {n}") for n in range(15)])
    assert sender.send_texts_now(helpline, "+15551230002", [("other-1", "Hello")]) == ["sent"]
