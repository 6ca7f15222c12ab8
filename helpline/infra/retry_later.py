"""Failures the helpline expects and RQ retries: one log line each, not a traceback.

A job raises `RetryLater` when it could not do its work now in a way that is expected at times and
RQ will run it again after its backoff: a search that no provider source could answer (the locator
down, nothing imported near; the texter was told) is how a locator outage looks, not a bug. RQ logs
every exception a job raises with its traceback (`Worker.handle_exception`) before it calls any
exception handler, so a handler cannot shorten that: the mixin's `handle_exception` says one line
instead when RQ is going to retry the job. Any other exception, or the last try, keeps RQ's full
report. Both the worker process (`python -m workers`) and the in-process drain (tests, the simulator
with no service running) use it.
"""

from __future__ import annotations

import logging

from rq.job import Job

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """A job could not do its work now, as is expected at times; RQ runs it again after its backoff."""


class OneLineRetries:
    """Worker mixin: an expected failure with a retry to come is logged in one line."""

    def handle_exception(self, job: Job, *exc_info) -> None:
        error = exc_info[1]
        if isinstance(error, RetryLater) and job.should_retry:
            log.warning(
                "event=job.retry_later job=%s function=%s error=%s retries_left=%s reason=%s",
                job.id,
                job.func_name,
                type(error).__name__,
                job.retries_left - 1,  # after this one, as RQ's "scheduled for retry ..., N remaining" says
                error,
            )
            return
        super().handle_exception(job, *exc_info)
