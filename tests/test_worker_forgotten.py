"""A worker host killed whole (nothing of it left to recover its own jobs): once RQ has forgotten its
workers, the jobs they had started go back at the next recovery pass of any live worker, instead of
waiting minutes for their entries in RQ's started registry to run out."""

from __future__ import annotations

import logging

from rq import Retry, Worker
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from helpline.infra import queues
from workers.claiming import recover_abandoned


def started_elsewhere(redis, name: str):
    """A job that a worker of another host took and started, as RQ records it."""
    queue = queues.queue(queues.SEARCH, redis)
    job = queue.enqueue("os.getpid", retry=Retry(max=2, interval=[1, 1]))
    worker = Worker([queue], connection=redis, name=name)
    worker.register_birth()
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    return queue, job, worker


def test_the_started_jobs_of_a_worker_rq_forgot_go_back_at_once(store, redis, caplog):
    queue, job, worker = started_elsewhere(redis, "other-host.1234")
    registry = StartedJobRegistry(queue=queue)
    assert registry.get_job_ids() == [job.id] and job.get_status() == JobStatus.STARTED

    with caplog.at_level(logging.WARNING, logger="workers"):
        assert recover_abandoned(store, [queues.SEARCH]) == 0  # alive (listed): its job is its own
    assert "worker.recovered" not in caplog.text  # nothing recovered, nothing said
    assert registry.get_job_ids() == [job.id]

    redis.delete(worker.key)  # no heartbeat for its TTL: RQ forgets it
    assert recover_abandoned(store, [queues.SEARCH]) == 1
    assert registry.get_job_ids() == []
    assert job.get_status() in (JobStatus.SCHEDULED, JobStatus.QUEUED)  # tried again, by RQ's own retry
    job.refresh()
    assert job.retries_left == 1
