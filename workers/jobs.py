"""RQ jobs: thin, importable functions taking plain arguments (ids, ciphertext), safe to run twice."""

from __future__ import annotations

import uuid

from flask import current_app

from helpline.infra import sender


def _helpline():
    """The worker's container (`python -m workers` builds the app, and jobs run inside it)."""
    return current_app.extensions["helpline"]


def _store():
    return _helpline().store


def send_text(phone_enc: str, body_enc: str, idempotency_key: str) -> str:
    return sender.deliver_text(_helpline(), phone_enc, body_enc, idempotency_key)


def send_texts(phone_enc: str, sealed: list) -> list[str]:
    """Texts for one number, in order: `[[idempotency key, body ciphertext], ...]`."""
    return sender.deliver_texts(_helpline(), phone_enc, sealed)


def place_call(to_enc: str, url: str, idempotency_key: str, caller_id: str | None = None) -> str:
    return sender.deliver_call(_helpline(), to_enc, url, idempotency_key, caller_id)


def send_gave_up(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback of `send_text` / `place_call`: counts a send that ran out of retries."""
    sender.on_send_failure(_store(), job, exc_type)


def search_providers(phone_enc: str, lang: str, search_enc: str, *legacy) -> list[str]:
    """Find providers near the sealed place and text them (helpline.services.search_results)."""
    from rq import get_current_job

    from helpline.services.search_results import SearchRequest, text_search_results

    helpline = _helpline()
    request = SearchRequest.unseal(helpline.store.vault, search_enc, legacy)
    job = get_current_job()
    job_key = job.id if job else uuid.uuid4().hex  # outside RQ nothing re-runs it: any unique key
    can_retry = bool(job and job.retries_left)
    # A retry runs minutes later: the texter may have switched language meanwhile (ESPAÑOL, ENGLISH).
    retried = bool(job and job.retry_intervals and (job.retries_left or 0) < len(job.retry_intervals))
    return text_search_results(
        helpline, phone_enc, lang, request, job_key, can_retry=can_retry, texter_language=retried
    )


def callback_follow_up(callback_id: str) -> str:
    """48 h after a referral: "Did you reach <provider>?" (helpline.services.callbacks)."""
    from helpline.services import callbacks

    return callbacks.send_follow_up(_helpline(), callback_id)


def callback_follow_up_expired(callback_id: str) -> str | None:
    """No answer to the check-in: a new callback request, linked to the first."""
    from helpline.services import callbacks

    request = callbacks.expire_follow_up(_store(), callback_id)
    return request.id if request else None
