"""`python -m workers`: a worker host of RQ workers on the helpline's queues, most urgent first.

Each worker is RQ's `SimpleWorker` (jobs run in the worker process, no fork per job): every job is a
short Twilio or Redis call, so forking would cost more than the job, and a worker killed with SIGKILL
takes its job with it instead of leaving an orphaned work horse still sending. A worker runs up to
`HELPLINE_WORKER_JOB_SLOTS` jobs at once, each in a thread (a send mostly waits on Twilio), and the
host runs `HELPLINE_WORKER_PROCESSES` workers (workers/host.py); each also runs RQ's scheduler, whose
lock lets one of them at a time move due jobs, and which stops with its worker (workers/scheduler.py).
Nothing a dead worker held is lost: see workers/claiming.py.
"""

from __future__ import annotations

import os
import signal
import sys

from config.settings import load_settings
from helpline import create_app
from helpline.container import Helpline, connect_redis, development_secrets
from helpline.domain import places
from helpline.infra import queues
from workers.claiming import ClaimingWorker, recover_abandoned
from workers.host import WorkerHost


def make_worker(
    helpline: Helpline,
    queue_names=queues.ALL_QUEUES,
    *,
    job_slots: int = 1,
    job_context=None,
    name: str | None = None,
    supervisor: int | None = None,
    early_signals: list[int] | None = None,
) -> ClaimingWorker:
    """A claiming worker on the container's store, with the heartbeat and maintenance settings.

    `job_slots` jobs at once, each run inside `job_context()` (the app context the jobs read);
    `supervisor`: the pid of the worker host that started it (it stops when that process is gone);
    `early_signals`: stop signals that came while it was starting (it stops as soon as it can).
    """
    connection, settings = helpline.store.rq_connection, helpline.settings
    return ClaimingWorker(
        [queues.queue(name, connection) for name in queue_names],
        connection=connection,
        name=name,
        store=helpline.store,
        job_slots=job_slots,
        job_context=job_context,
        supervisor=supervisor,
        early_signals=early_signals,
        worker_ttl=settings.worker_ttl,
        maintenance_interval=settings.worker_maintenance_seconds,
    )


def run_worker(name: str | None = None, burst: bool = False, supervisor: int | None = None) -> None:
    """One worker process: gives back dead workers' jobs, then works until stopped (or the queues empty)."""
    # A stop asked for before the worker's own handlers are in place (it is starting) is kept, not lost.
    early: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, frame: early.append(signum))
    app = create_app()
    with app.app_context():
        helpline = app.extensions["helpline"]
        # Before our scheduler tries to take the locks.
        recover_abandoned(helpline.store, lock_seconds=helpline.settings.worker_maintenance_seconds)
        helpline.store.directory.take_out_hidden()  # listings hidden by an earlier release: out of searches
        worker = make_worker(
            helpline,
            job_slots=helpline.settings.worker_job_slots,
            job_context=app.app_context,
            name=name,
            supervisor=supervisor,
            early_signals=early,
        )
        places.warm()  # the ZIP and city data, loaded before the first search job waits on it
        worker.work(
            burst=burst,
            with_scheduler=not burst,
            logging_level=helpline.settings.log_level,
        )


def main(argv: list[str] | None = None) -> None:
    """`python -m workers` runs until stopped; `--burst` drains the queues and exits (for batch runs)."""
    burst = "--burst" in (sys.argv[1:] if argv is None else argv)
    settings = development_secrets(load_settings())
    if settings.worker_processes <= 1:
        run_worker(burst=burst)
        return
    places.warm()  # loaded once here, shared by the forked workers
    supervisor = os.getpid()
    host = WorkerHost(
        connect_redis(settings),
        settings.worker_processes,
        lambda name, burst: run_worker(name, burst, supervisor),
    )
    host.start(burst=burst, logging_level=settings.log_level)


if __name__ == "__main__":
    main()
