"""Text a texter the providers near them: the work behind `workers.jobs.search_providers`.

Runs in a worker. Every text goes out through `sender.queue_text` with an idempotency key made
from the job's id and the text's position, so a job that runs twice never texts twice. Whatever
fails (unknown place, locator down, empty directory), the texter gets the same graceful answer:
nothing found, the national helpline, and CALL.
"""

from __future__ import annotations

import logging
import time

from flask import Flask

from helpline.domain import places
from helpline.domain import result_texts as replies
from helpline.domain.phones import mask_phone
from helpline.infra import sender
from helpline.services.provider_search import SearchResult, find_providers

log = logging.getLogger(__name__)

PER_PAGE = 3


def text_search_results(
    app: Flask,
    phone_enc: str,
    lang: str,
    location: str,
    service: str | None,
    page: int,
    check_outcome: str | None,
    job_key: str,
) -> list[str]:
    """Search, then queue the result texts; returns the idempotency keys used."""
    store = app.extensions["helpline"].store
    line = app.extensions["helpline"].texting
    phone = store.vault.decrypt(phone_enc)
    started = time.perf_counter()
    place = places.locate(location or "")
    page = max(0, int(page or 0))
    if place is None:
        result = SearchResult([], 0, "none", False)
        label = location or "?"
    else:
        label = place.label
        result = find_providers(
            app, place, service=service, check_outcome=check_outcome, limit=PER_PAGE, offset=page * PER_PAGE
        )

    def render(key: str, **params) -> str:
        params.setdefault("helpline", line.national_helpline)
        return line.catalog.render(lang, key, **params)

    keys = []
    for index, body in enumerate(replies.result_texts(render, label, result, page, PER_PAGE)):
        key = f"search-{job_key}-{index}"
        sender.queue_text(app.extensions["helpline"], phone, body, key)
        keys.append(key)
    store.count("search.found" if result.providers else "search.empty")
    store.count(f"search.source.{result.source}")
    log.info(
        "event=search.answered to=%s source=%s radius=%s found=%d page=%d ms=%.1f",
        mask_phone(phone),
        result.source,
        result.radius_miles,
        len(result.providers),
        page,
        (time.perf_counter() - started) * 1000,
    )
    return keys
