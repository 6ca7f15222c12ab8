"""Failures the helpline expects and RQ retries: one log line each, not a traceback.

A search that no provider source could answer (`SearchUnavailable`: the texter was told, and RQ runs
it again after its backoff) is how a locator outage looks, not a bug. RQ logs every exception a job
raises with its traceback (`Worker.handle_exception`) before it calls any exception handler, so a
handler cannot shorten that: the worker's own `handle_exception` says one line instead when RQ is
going to retry the job. Any other exception, or the last try, keeps RQ's full report.
"""

from __future__ import annotations

import logging

from rq.job import Job

from helpline.services.search_results import SearchUnavailable

log = logging.getLogger("workers")

RETRIED_QUIETLY = (SearchUnavailable,)


class OneLineRetries:
    """Worker mixin: an expected failure with a retry to come is logged in one line."""

    def handle_exception(self, job: Job, *exc_info) -> None:
        error = exc_info[1]
        if isinstance(error, RETRIED_QUIETLY) and job.should_retry:
            log.warning(
                "event=job.retry_later job=%s function=%s error=%s retries_left=%s reason=%s",
                job.id,
                job.func_name,
                type(error).__name__,
                job.retries_left,
                error,
            )
            return
        super().handle_exception(job, *exc_info)
