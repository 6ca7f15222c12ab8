"""A search no source could answer is retried by RQ and logged in one line, no traceback: by the worker
process and by the in-process drain (tests, `flask simulate` with no service running)."""

from __future__ import annotations

import logging

import pytest
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from helpline.infra import queues
from helpline.infra.burst import drain
from helpline.services.search_results import search_job_id
from workers.__main__ import make_worker


@pytest.fixture
def settings(settings, findtreatment_fake):
    return settings.with_overrides(findtreatment_api_url=findtreatment_fake.url, locator_read_timeout=1.0)


def work(app, helpline) -> None:
    make_worker(helpline, job_slots=1, job_context=app.app_context).work(burst=True, logging_level="INFO")


def drain_here(app, helpline) -> None:
    drain(helpline.store.rq_connection)


@pytest.mark.parametrize("run", [work, drain_here], ids=["worker", "in-process drain"])
def test_an_unanswered_search_is_retried_with_one_log_line(
    app, helpline, text, findtreatment_fake, caplog, run
):
    findtreatment_fake.fail_with = 503  # the locator is down and nothing is imported
    text("22902", sid="SMretry0001")
    caplog.set_level(logging.INFO)
    run(app, helpline)
    said = [r for r in caplog.records if "SearchUnavailable" in r.getMessage()]
    assert len(said) == 1 and "event=job.retry_later" in said[0].getMessage()
    assert "retries_left=2" in said[0].getMessage()  # what is left after this retry, as RQ counts it
    assert said[0].getMessage().count("\n") == 0
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.exc_info]
    connection = helpline.store.rq_connection
    job = Job.fetch(search_job_id("sms:SMretry0001"), connection=connection)
    assert job.retries_left == 2  # RQ's retry still comes, after its backoff
    assert job.id in ScheduledJobRegistry(queues.SEARCH, connection=connection).get_job_ids()


@pytest.mark.parametrize("run", [work, drain_here], ids=["worker", "in-process drain"])
def test_any_other_failure_keeps_rqs_full_report(app, helpline, caplog, run):
    Queue(queues.SEARCH, connection=helpline.store.rq_connection).enqueue("builtins.int", "not a number")
    caplog.set_level(logging.INFO)
    run(app, helpline)
    assert "Traceback" in caplog.text and "ValueError" in caplog.text
