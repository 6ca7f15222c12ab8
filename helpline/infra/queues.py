"""RQ queues by urgency, and the one way the service hands work to the workers."""

from __future__ import annotations

from rq import Queue
from rq.utils import now

from helpline.store.jobs import JobRecord

URGENT = "urgent"  # crisis follow-up and every outbound text or call
SEARCH = "search"  # provider searches
HOUSEKEEPING = "housekeeping"  # expiry, reports, scheduled clean-up
ALL_QUEUES = (URGENT, SEARCH, HOUSEKEEPING)  # a worker listens in this order


def queue(name: str, connection) -> Queue:
    return Queue(name, connection=connection)


class Queues:
    """The service's RQ queues on one connection (the store hands RQ its client)."""

    def __init__(self, connection):
        self.connection = connection
        self._queues = {name: Queue(name, connection=connection) for name in ALL_QUEUES}

    def __getitem__(self, name: str) -> Queue:
        return self._queues[name]

    def enqueue(self, name: str, func: str, *args, job_id: str | None = None, **options):
        """Enqueue `func` (a dotted path, so the web app never imports worker code)."""
        return self._queues[name].enqueue(func, *args, job_id=job_id, **options)

    def job_record(self, name: str, func: str, *args, job_id: str | None = None, **options) -> JobRecord:
        """`func` as RQ enqueues it on `name`, made by RQ, for a store script to queue in the same step as
        what asks for it (`enqueue` queues it at once)."""
        queue = self._queues[name]
        job = queue.create_job(func, args=args, job_id=job_id, **options)
        job.enqueued_at = now()  # what RQ's enqueue stamps on a job as it queues it
        return JobRecord(job.id, job.key, queue.key, queue.redis_queues_keys, tuple(job.to_dict().items()))

    def depths(self) -> dict[str, int]:
        return {name: q.count for name, q in self._queues.items()}
