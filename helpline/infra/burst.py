"""Work the queues in this process until they are empty: tests, and the simulator when no worker runs."""

from __future__ import annotations

from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

from helpline.infra import queues
from helpline.infra.retry_later import OneLineRetries


class _BurstWorker(OneLineRetries, SimpleWorker):
    # A burst worker takes no commands; joining the pub/sub thread costs 1 s per run.
    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


def drain(connection, *, scheduled_now: bool = False, rounds: int = 20) -> None:
    """Run every queued job (RQ SimpleWorker, burst), and the scheduled ones that are due, until none is left.

    `scheduled_now` also runs jobs scheduled for later (a retry's backoff) at once, so a test need
    not wait for them. `connection` is the store's `rq_connection`.
    """
    qs = [queues.queue(name, connection) for name in queues.ALL_QUEUES]
    for _ in range(rounds):
        _BurstWorker(qs, connection=connection).work(burst=True, logging_level="WARNING")
        scheduled = [ScheduledJobRegistry(queue=q) for q in qs]
        waiting = [
            (registry, job_id)
            for registry in scheduled
            for job_id in (registry.get_job_ids() if scheduled_now else registry.get_jobs_to_schedule())
        ]
        if not waiting:
            return
        for registry, job_id in waiting:
            registry.requeue(job_id)
    raise RuntimeError(f"jobs were still being retried after {rounds} rounds")
