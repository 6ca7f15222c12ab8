"""GET /healthz tells a monitor whether the line is working: 503, with the reasons in words, when Redis
does not answer, when no worker is alive, or when queued work is plainly not being taken."""

import datetime as dt

import pytest
from rq import Queue, Worker

from config.settings import load_settings
from helpline import create_app
from helpline.store import new_data_key

QUEUES = ["urgent", "search", "housekeeping"]


@pytest.fixture
def live_worker(redis):
    """A worker registered as RQ registers one, its heartbeat alive."""
    worker = Worker(QUEUES, connection=redis, name="live-worker")
    worker.register_birth()
    return worker


def test_healthz_reports_redis_workers_and_queues(client, live_worker):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["redis"] is True
    assert body["workers"] == 1
    assert set(body["queues"]) == set(QUEUES) and body["queue_depth"] == 0
    assert body["problems"] == []


def test_healthz_is_503_when_no_worker_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["ok"] is False and body["redis"] is True and body["workers"] == 0
    assert set(body["queues"]) == set(QUEUES)  # the same shape as when healthy
    [problem] = body["problems"]
    assert problem == "No worker is running: outbound texts and provider searches are not being sent."


def test_healthz_is_503_when_a_worker_whose_heartbeat_stopped_is_all_there_is(client, redis, live_worker):
    """A stopped worker's key expires (its process frozen, or killed without a goodbye): not alive."""
    assert client.get("/healthz").status_code == 200
    redis.delete(live_worker.key)  # what its TTL does once the heartbeats stop
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["workers"] == 0


def test_healthz_is_503_when_queued_work_is_not_being_taken(client, redis, live_worker):
    queue = Queue("search", connection=redis)
    job = queue.enqueue("os.getpid")
    assert client.get("/healthz").status_code == 200  # just queued: a worker takes it in a moment
    job.enqueued_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=7)
    job.save()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["ok"] is False and body["workers"] == 1 and body["queues"]["search"] == 1
    assert 410 < body["oldest_waiting_seconds"]["search"] < 430
    [problem] = body["problems"]
    assert problem.startswith("Queue search: 1 job waiting, the oldest for 7 min: the workers are not taking")


def test_healthz_is_503_when_redis_is_unreachable(tmp_path, hours_file):
    settings = load_settings(
        redis_url="redis://127.0.0.1:1/0",
        var_dir=tmp_path,
        data_key=new_data_key(),
        hours_file=hours_file,
    )
    app = create_app(settings)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["redis"] is False and body["ok"] is False
    assert body["problems"] == ["Redis is not answering: texts and calls cannot be handled."]


def test_healthz_is_503_when_jobs_due_are_not_moved_to_their_queue(
    client, operator_client, redis, live_worker
):
    """A text held for the morning or a retry waits in RQ's scheduled jobs until a worker's scheduler
    moves it: with no scheduler running (all of them gone) nothing goes out, although workers are alive."""
    queue = Queue("urgent", connection=redis)
    job = queue.enqueue_in(dt.timedelta(seconds=30), "os.getpid")
    assert client.get("/healthz").status_code == 200  # due later: nothing wrong
    registry_key = queue.scheduled_job_registry.key
    redis.zadd(registry_key, {job.id: (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)).timestamp()})
    response = client.get("/healthz")
    assert response.status_code == 503
    [problem] = response.get_json()["problems"]
    assert problem.startswith("Queue urgent: 1 job due 6 min ago is still not queued: no worker's scheduler")
    page = operator_client.get("/ops/health").get_data(as_text=True)
    assert "1 job due 6 min ago is still not queued" in page
