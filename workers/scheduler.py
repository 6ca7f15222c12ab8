"""Each worker's RQ scheduler: it stops when its worker is gone, and waits out a Redis that is away.

RQ forks the scheduler from its worker. Should the worker be killed (SIGKILL, the OOM killer), RQ's
scheduler would go on alone, holding the scheduler locks, so the worker started in its place could
never schedule; here it notices at its next pass (every second) that its worker is gone and stops as
on SIGTERM, giving the locks back for a living worker to take at its next maintenance pass. RQ's
scheduler also ends on the first Redis error (a restart, a failover, a blip), with a traceback; here a
pass that meets one is tried again a second later, and the log says once that Redis is away and once
that it is back.
"""

from __future__ import annotations

import logging
import os
import time

from rq.scheduler import RQScheduler

from helpline.store import StoreUnavailable

log = logging.getLogger("workers")


class WorkerScheduler(RQScheduler):
    """RQ's scheduler, bound to the life of the worker process that starts it."""

    _worker_pid: int | None = None

    def start(self):
        self._worker_pid = os.getpid()  # the worker: the scheduler process is forked from it
        return super().start()

    def _worker_gone(self) -> bool:
        return self._worker_pid is not None and os.getppid() != self._worker_pid

    def work(self):
        """RQ's loop (stop when asked, take the locks, heartbeat, move the jobs that are due), stopping
        too when the worker is gone, and going on after a pass Redis could not answer."""
        self._install_signal_handlers()
        away = False
        born = False
        while True:
            if self._stop_requested or self._worker_gone():
                if not self._stop_requested:
                    log.warning("event=scheduler.worker_gone worker_pid=%s", self._worker_pid)
                self._stop_quietly()
                return
            try:
                if not born:
                    self.register_birth()
                    born = True
                if self.should_reacquire_locks:
                    self.acquire_locks()
                self.heartbeat()
                self.enqueue_scheduled_jobs()
            except StoreUnavailable as exc:
                self._status = self.Status.STARTED
                if not away:
                    log.warning("event=scheduler.redis_unavailable error=%s", type(exc).__name__)
                away = True
            else:
                if away:
                    log.info("event=scheduler.redis_back")
                away = False
            time.sleep(self.interval)

    def _stop_quietly(self) -> None:
        """RQ's stop (the locks given back, the record deleted); with Redis away the locks expire alone."""
        try:
            self.stop()
        except StoreUnavailable as exc:
            log.warning("event=scheduler.stopped_without_redis error=%s", type(exc).__name__)
