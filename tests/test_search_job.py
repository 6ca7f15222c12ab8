"""A ZIP text's search is queued by the script that records the text's answer: the same RQ job that RQ's
own enqueue would queue, there only when the answer is, and once."""

from __future__ import annotations

import pytest
from rq import Queue, Retry
from rq.job import Job

from helpline.infra import queues
from helpline.infra.burst import drain
from helpline.services.search_results import (
    RETRY_SECONDS,
    SEARCH_JOB,
    SearchRequest,
    search_job_id,
    search_job_record,
)
from helpline.store import Keys
from helpline.store.webhooks import LeaseLost, new_lease
from tests.conftest import TEXTER

# What differs between two jobs by nature: when each was made and queued.
MOMENTS = {b"created_at", b"enqueued_at"}


@pytest.fixture
def search_queue(store):
    return Queue(queues.SEARCH, connection=store.rq_connection)


def test_the_search_a_zip_text_queues_is_the_job_rq_itself_would_queue(text, store, search_queue, redis):
    (*_, reply) = text("10001", sid="SMsearch0001")
    assert "Looking up" in reply
    job_id = search_job_id("sms:SMsearch0001")
    assert search_queue.job_ids == [job_id]
    assert redis.sismember(Queue.redis_queues_keys, search_queue.key)
    ours = Job.fetch(job_id, connection=store.rq_connection)
    assert ours.func_name == SEARCH_JOB and ours.origin == queues.SEARCH and ours.get_status() == "queued"
    assert ours.retries_left == 3 and ours.retry_intervals == [30, 120, 600]  # RQ's retries still apply
    request = SearchRequest.unseal(store.vault, ours.args[2])
    assert store.vault.decrypt(ours.args[0]) == TEXTER and request.location == "10001"

    # The same job queued by RQ's own enqueue: the same hash, field by field.
    retry = Retry(max=len(RETRY_SECONDS), interval=RETRY_SECONDS)
    theirs = search_queue.enqueue(
        SEARCH_JOB, *ours.args, job_id="rq-own", retry=retry, description=ours.description
    )
    saved = {k: v for k, v in redis.hgetall(ours.key).items() if k not in MOMENTS}
    expected = {k: v for k, v in redis.hgetall(theirs.key).items() if k not in MOMENTS}
    assert saved == expected
    assert search_queue.job_ids == [job_id, "rq-own"]
    assert ours.enqueued_at is not None


def test_a_zip_texted_again_by_twilio_queues_its_search_once(text, search_queue):
    first = text("10001", sid="SMsearch0002")
    assert text("10001", sid="SMsearch0002") == first  # Twilio's retry: the answer it missed, nothing redone
    assert search_queue.job_ids == [search_job_id("sms:SMsearch0002")]


def test_a_text_whose_answer_is_not_recorded_queues_no_search(store, helpline, search_queue):
    """Another delivery of the same text answered it first: this one's effects, its search among them,
    are not written."""
    phone_id = store.vault.phone_id(TEXTER)
    first, second = new_lease("sms", "SMsearch0003"), new_lease("sms", "SMsearch0003")
    job = search_job_record(helpline, TEXTER, "en", SearchRequest("10001"), "search-first")
    store.record_exchange(first, phone_id, None, [], ["sms.in"], 0, done_seconds=60, job=job)
    late = search_job_record(helpline, TEXTER, "en", SearchRequest("10001"), "search-second")
    with pytest.raises(LeaseLost):
        store.record_exchange(second, phone_id, None, [], ["sms.in"], 0, done_seconds=60, job=late)
    assert search_queue.job_ids == ["search-first"]
    assert not store.rq_connection.exists(Keys.texter(phone_id))  # nothing else of the late one either
    assert not Job.exists("search-second", connection=store.rq_connection)


def test_a_worker_runs_the_search_queued_with_the_text(app, text, store, search_queue, small_directory):
    text("10001")
    drain(store.rq_connection)
    assert search_queue.job_ids == []
    texts = [m["body"] for m in store.delivery.outbox() if m["to"] == TEXTER]
    assert any("Midtown Pain Care" in body for body in texts)
