"""RQ queues by urgency, and the one way the web app hands work to the workers."""

from __future__ import annotations

from rq import Queue

from helpline.redis_client import get_redis

URGENT = "urgent"  # crisis follow-up and every outbound text or call
SEARCH = "search"  # provider searches
HOUSEKEEPING = "housekeeping"  # expiry, reports, scheduled clean-up
ALL_QUEUES = (URGENT, SEARCH, HOUSEKEEPING)  # a worker listens in this order


def queue(name: str, connection=None) -> Queue:
    return Queue(name, connection=connection or get_redis())


def enqueue(name: str, func: str, *args, job_id: str | None = None, **options):
    """Enqueue `func` (a dotted path, so the web app never imports worker code)."""
    return queue(name).enqueue(func, *args, job_id=job_id, **options)


def depths(connection=None) -> dict[str, int]:
    return {name: queue(name, connection).count for name in ALL_QUEUES}


def init_app(app) -> None:
    app.extensions.setdefault("queues", ALL_QUEUES)
