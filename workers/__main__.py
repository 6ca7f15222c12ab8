"""`python -m workers`: a worker host of RQ workers on the helpline's queues, most urgent first.

Each worker is RQ's `SimpleWorker` (jobs run in the worker process, no fork per job): every job is a
short Twilio or Redis call, so forking would cost more than the job, and a worker killed with SIGKILL
takes its job with it instead of leaving an orphaned work horse still sending. A worker runs up to
`HELPLINE_WORKER_JOB_SLOTS` jobs at once, each in a thread (a send mostly waits on Twilio), and the
host runs `HELPLINE_WORKER_PROCESSES` workers (workers/host.py); each also runs RQ's scheduler, whose
lock lets one of them at a time move due jobs, and which stops with its worker (workers/scheduler.py).
Nothing a dead worker held is lost: see workers/claiming.py. Started while Redis cannot be reached (or the
embedded one is there but silent: paused, hung), it waits for Redis (workers/redis_wait.py); stopped while it
starts, it stops cleanly (workers/early_stop.py).
"""

from __future__ import annotations

import logging
import os
import sys

from config.settings import load_settings
from helpline import create_app
from helpline.container import Helpline, connect_redis, development_secrets
from helpline.domain import places
from helpline.infra import queues
from helpline.store.health import ServerHealth
from workers import early_stop
from workers.claiming import ClaimingWorker, recover_abandoned
from workers.host import WorkerHost
from workers.redis_wait import wait_for_redis

# As `create_app` sets it up in each worker: the host's own lines (waiting for Redis) look the same.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


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
    """One worker process: waits for Redis, gives back dead workers' jobs, then works until stopped (or the
    queues empty). Stopped before Redis answers, it ends having written nothing there."""
    early = early_stop.keep()  # a stop asked for before the worker's own handlers are in place is kept
    app = create_app(waits_for_redis=True)  # a silent embedded Redis too: waited for below
    with app.app_context():
        helpline = app.extensions["helpline"]
        if not wait_for_redis(helpline.store.health, early_stop.requested):
            return
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
    early_stop.keep()  # until the worker's (or the pool's) own handlers are in place
    burst = "--burst" in (sys.argv[1:] if argv is None else argv)
    settings = development_secrets(load_settings())
    if settings.worker_processes <= 1:
        run_worker(burst=burst)
        return
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    connection = connect_redis(settings, waits_for_redis=True)
    # The host waits for Redis (saying so once), not each worker it would start.
    if not wait_for_redis(ServerHealth(connection), early_stop.requested, who="worker host"):
        return
    places.warm()  # loaded once here, shared by the forked workers
    supervisor = os.getpid()
    host = WorkerHost(
        connection,
        settings.worker_processes,
        lambda name, burst: run_worker(name, burst, supervisor),
    )
    host.start(burst=burst, logging_level=settings.log_level)


if __name__ == "__main__":
    main()
