"""A worker host: `HELPLINE_WORKER_PROCESSES` worker processes under one supervisor, RQ's `WorkerPool`.

One Python process runs Python code on one core at a time, and a worker's job threads spend much of a
send in Python (RQ's bookkeeping, the SDK, the scripts): two processes use two cores, and each has
fewer threads waiting on the other's lock. RQ's pool forks the workers, starts a new one when one dies
(its jobs are taken back by `recover_abandoned`, as for any dead worker of this host), and on SIGTERM or
SIGINT asks each for a warm shutdown (the jobs in hand end) before it exits; a stop asked for while it
was starting its workers, before its own handlers were in place, is acted on once they are. A worker
whose supervisor died (killed with SIGKILL) stops taking jobs on its own: nothing would start a new one,
nor stop it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from multiprocessing import get_context

from rq.worker_pool import WorkerPool

from helpline.infra import queues
from workers import early_stop

# The workers are forked: they share the supervisor's loaded code and ZIP data until they write to it.
_fork = get_context("fork")


class WorkerHost(WorkerPool):
    """RQ's pool, starting `run_worker(name, burst)` in each process instead of RQ's stock worker."""

    def __init__(self, connection, processes: int, run_worker: Callable[[str, bool], None]):
        super().__init__(queues.ALL_QUEUES, connection=connection, num_workers=processes)
        self._run_worker = run_worker

    def get_worker_process(self, name: str, burst: bool, _sleep: float = 0, logging_level: str = "INFO"):
        return _fork.Process(target=self._run_worker, args=(name, burst), name=f"helpline worker {name}")

    def _install_signal_handlers(self):
        super()._install_signal_handlers()
        if early_stop.requested():  # stopped while starting its workers: they stop as soon as they can
            self.request_stop()

    def start(self, burst: bool = False, logging_level: str = "INFO"):
        gc.freeze()  # what is loaded now stays shared with the workers: their collections leave it alone
        super().start(burst=burst, logging_level=logging_level)
