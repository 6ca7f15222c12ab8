"""`python -m workers`: an RQ worker on the helpline's queues, most urgent first, with the scheduler.

It is RQ's `SimpleWorker` (jobs run in the worker process, no fork per job): every job is a short
Twilio or Redis call, so forking would cost more than the job, and a worker killed with SIGKILL
takes its job with it instead of leaving an orphaned work horse still sending. It runs up to
`HELPLINE_WORKER_JOB_SLOTS` jobs at once, each in a thread (a send mostly waits on Twilio). Nothing
a dead worker held is lost: see workers/claiming.py.
"""

from __future__ import annotations

import sys

from helpline import create_app
from helpline.container import Helpline
from helpline.domain import places
from helpline.infra import queues
from workers.claiming import ClaimingWorker, recover_abandoned


def make_worker(
    helpline: Helpline, queue_names=queues.ALL_QUEUES, *, job_slots: int = 1, job_context=None
) -> ClaimingWorker:
    """A claiming worker on the container's store, with the heartbeat and maintenance settings.

    `job_slots` jobs at once, each run inside `job_context()` (the app context the jobs read).
    """
    connection, settings = helpline.store.rq_connection, helpline.settings
    return ClaimingWorker(
        [queues.queue(name, connection) for name in queue_names],
        connection=connection,
        store=helpline.store,
        job_slots=job_slots,
        job_context=job_context,
        worker_ttl=settings.worker_ttl,
        maintenance_interval=settings.worker_maintenance_seconds,
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m workers` runs until stopped; `--burst` drains the queues and exits (for batch runs)."""
    burst = "--burst" in (sys.argv[1:] if argv is None else argv)
    app = create_app()
    with app.app_context():
        helpline = app.extensions["helpline"]
        # Before our scheduler tries to take the locks.
        recover_abandoned(helpline.store, lock_seconds=helpline.settings.worker_maintenance_seconds)
        helpline.store.directory.take_out_hidden()  # listings hidden by an earlier release: out of searches
        worker = make_worker(
            helpline, job_slots=helpline.settings.worker_job_slots, job_context=app.app_context
        )
        places.warm()  # the ZIP and city data, loaded before the first search job waits on it
        worker.work(
            burst=burst,
            with_scheduler=not burst,
            logging_level=helpline.settings.log_level,
        )


if __name__ == "__main__":
    main()
