"""A real `python -m workers` stopped (SIGSTOP) for longer than RQ remembers it, then resumed (SIGCONT):
while stopped /healthz says no worker is alive, and once resumed the worker is seen again within its
heartbeat interval, on /healthz and on the operators' health page. Every wait polls with a deadline."""

from __future__ import annotations

import psutil
import pytest
from rq import Queue, Worker
from rq.job import Job

from tests import worker_process

WORKER_TTL = 20  # idle, a worker heartbeats every TTL - 15 = 5 s (RQ's dequeue timeout)
STARTED_WITHIN = 90.0  # a worker starting on a loaded 2-core machine can take a while
SEEN_AGAIN_WITHIN = 3 * (WORKER_TTL - 15)  # a heartbeat interval, twice over, and some


@pytest.fixture
def worker_env(settings, redis_url):
    return worker_process.worker_env(
        settings, redis_url, HELPLINE_WORKER_PROCESSES="1", HELPLINE_WORKER_TTL=str(WORKER_TTL)
    )


def test_a_worker_stopped_past_its_ttl_is_seen_again_once_it_resumes(
    worker_env, client, operator_client, redis, tmp_path
):
    log = tmp_path / "worker.log"

    def worker_log() -> str:
        return "\n--- worker log\n" + log.read_text(errors="replace")[-3000:] if log.exists() else ""

    def health():
        return client.get("/healthz")

    with worker_process.running_worker(worker_env, log) as process:
        worker_process.wait_for(
            lambda: health().status_code == 200, "the worker to start", STARTED_WITHIN, worker_log
        )
        [key] = Worker.all_keys(connection=redis)
        family = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
        for member in family:
            member.suspend()  # SIGSTOP: the worker and its scheduler
        try:
            redis.delete(key)  # what its TTL does while it is stopped (two minutes in production)
            stopped = health()
            assert stopped.status_code == 503 and stopped.get_json()["workers"] == 0
            assert "No worker is running" in operator_client.get("/ops/health").get_data(as_text=True)
        finally:
            for member in family:
                member.resume()  # SIGCONT

        resumed = worker_process.wait_for(
            lambda: (answer := health()).status_code == 200 and answer,
            "the resumed worker to be seen again",
            SEEN_AGAIN_WITHIN,
            worker_log,
        )
        assert resumed.get_json()["workers"] == 1
        page = operator_client.get("/ops/health").get_data(as_text=True)
        assert "No worker is running" not in page and 'data-testid="workers"' in page
        [worker] = Worker.all(connection=redis)
        assert worker.birth_date is not None and worker.pid == process.pid  # its whole record, as born

        # And it works as before: a job queued now is done.
        job = Queue("housekeeping", connection=redis).enqueue("os.getpid")
        worker_process.wait_for(
            lambda: Job.fetch(job.id, connection=redis).is_finished, "the job to run", 30, worker_log
        )
        assert "event=worker.registered_again" in log.read_text()
