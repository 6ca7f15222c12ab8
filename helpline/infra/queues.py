"""RQ queues by urgency, and the one way the service hands work to the workers."""

from __future__ import annotations

from rq import Queue

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

    def depths(self) -> dict[str, int]:
        return {name: q.count for name, q in self._queues.items()}
