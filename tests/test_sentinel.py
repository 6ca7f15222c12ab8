"""Production Redis behind Sentinel (HELPLINE_REDIS_SENTINELS, or a redis+sentinel:// REDIS_URL): the
master is killed with SIGKILL, the sentinel promotes the replica, and the web app, a real worker
process and its RQ scheduler all follow to the new master without being restarted."""

from __future__ import annotations

import datetime as dt

import pytest
from rq import Queue
from rq.job import Job

from config.settings import load_settings
from helpline import create_app
from helpline.devtools import simulator
from helpline.web.twilio_signature import twilio_auth_token
from tests import worker_process
from tests.conftest import HELPLINE_NUMBER, TEXTER
from tests.redis_servers import binaries_missing, sentinel_setup
from tests.worker_process import running_worker, texts_to

pytestmark = pytest.mark.skipif(bool(binaries_missing()), reason=binaries_missing() or "")

DEADLINE = 60.0


def wait_for(condition, what: str, timeout: float = DEADLINE):
    return worker_process.wait_for(condition, what, timeout)


@pytest.fixture(scope="module")
def cluster():
    """One primary, replica and sentinel for the module: whichever is master, the tests find it."""
    with sentinel_setup() as setup:
        yield setup


@pytest.fixture
def sentinel_settings(settings, cluster):
    return settings.with_overrides(redis_url=None, redis_sentinels=cluster.sentinels)


@pytest.fixture
def app(sentinel_settings):
    app = create_app(sentinel_settings, flask={"TESTING": True})
    with app.app_context():
        yield app


@pytest.fixture
def worker(sentinel_settings, tmp_path):
    env = {
        "HELPLINE_REDIS_SENTINELS": sentinel_settings.redis_sentinels,
        "HELPLINE_VAR_DIR": str(sentinel_settings.var_dir),
        "HELPLINE_DATA_KEY": sentinel_settings.data_key,
        "SECRET_KEY": sentinel_settings.secret_key,
        "FINDTREATMENT_API_URL": sentinel_settings.findtreatment_api_url,
        "TWILIO_PHONE_NUMBER": HELPLINE_NUMBER,
        "LOG_LEVEL": "WARNING",
    }
    with running_worker(env, tmp_path / "worker.log") as process:
        yield process


def test_a_redis_sentinel_url_in_redis_url_reaches_the_master(cluster, settings, monkeypatch):
    monkeypatch.setenv("REDIS_URL", f"redis+sentinel://{cluster.sentinels}/mymaster/0")
    own = load_settings(
        var_dir=settings.var_dir,
        data_key=settings.data_key,
        secret_key="test",
        hours_file=settings.hours_file,
    )
    app = create_app(own, flask={"TESTING": True})
    params = simulator.sms_params("+15551239876", "hi", HELPLINE_NUMBER)
    token = twilio_auth_token(own)
    response = app.test_client().post(
        "/twilio/sms",
        data=params,
        headers={"X-Twilio-Signature": simulator.sign(token, "http://localhost/twilio/sms", params)},
    )
    # Answered: the writes a text needs went to the master (a replica would have refused them).
    assert response.status_code == 200 and simulator.twiml_messages(response.data)


def test_web_worker_and_scheduler_follow_a_failover(cluster, app, client, text, worker):
    processes = app.extensions["helpline"].settings.worker_processes  # `python -m workers` runs this many
    wait_for(lambda: client.get("/healthz").get_json()["workers"] == processes, "the workers to start")
    text("hi")
    text("ESPAÑOL")
    wait_for(cluster.replica_in_sync, "the replica to have the conversation")

    cluster.kill(cluster.primary_port)
    # Sent while the sentinel is still noticing: the store's client retries until the new master answers.
    (answer,) = text("oih")
    assert "hiperalgesia inducida por opioides" in answer  # the conversation survived, in Spanish
    assert cluster.master_port() == cluster.replica_port

    replies = text("10001")  # a search: the worker, now on the new master, texts what it found
    assert any(reply.startswith("Buscando") for reply in replies)
    wait_for(lambda: texts_to(app, TEXTER), "the worker to text the search results")

    # A job due in a second: the worker's scheduler process moves it to the queue on the new master.
    queue = Queue("housekeeping", connection=app.extensions["helpline"].store.rq_connection)
    job = queue.enqueue_in(dt.timedelta(seconds=1), "os.getpid")
    wait_for(lambda: Job.fetch(job.id, connection=queue.connection).is_finished, "the scheduled job to run")

    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json()["workers"] == processes
    assert worker.poll() is None  # the same worker host throughout
