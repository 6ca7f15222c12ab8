"""Text a texter the providers near them: the search job queued here and run by the workers.

The job carries only ciphertext (the phone, and the place, service word and self-check outcome
sealed together), so no ZIP or service word sits readable in Redis or RQ's job listings. The job
sends its texts itself, in order (`sender.send_texts_now`: no second trip through the queue; what
Twilio cannot take now is queued), each with an idempotency key made from the job's id and the
text's position, so a job that runs twice never texts twice. When no source could be asked (the
locator down, nothing imported near), the texter hears so plainly at once, with the national
helpline and CALL, and the job raises `SearchUnavailable` so RQ tries again later (an expected
failure: the worker logs it in one line, not a traceback).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields

from rq import Retry

from helpline.domain import places
from helpline.domain import result_texts as replies
from helpline.domain.conversation import TexterState
from helpline.domain.phones import mask_phone
from helpline.domain.providers import SearchResult
from helpline.infra import queues, sender
from helpline.infra.retry_later import RetryLater
from helpline.services.provider_search import find_providers
from helpline.store.jobs import JobRecord

log = logging.getLogger(__name__)

PER_PAGE = 3
# Long enough apart for the locator's breaker to cool down (a minute) between tries.
RETRY_SECONDS = [30, 120, 600]


class SearchUnavailable(RetryLater):
    """No source could be asked; the texter was told, and the search should run again later."""


@dataclass(frozen=True)
class SearchRequest:
    """What a texter searched for: sealed into the job, since a place and a service word are personal."""

    location: str
    service: str | None = None
    page: int = 0
    check_outcome: str | None = None
    counted: bool = False  # already counted as a search (a caller's, texted to them as well): not again

    def seal(self, vault) -> str:
        # The fields as `dataclasses.asdict` gives them (plain values), without its deep copy of each.
        said = {f.name: getattr(self, f.name) for f in dataclass_fields(self)}
        return vault.encrypt(json.dumps(said)).decode()

    @classmethod
    def unseal(cls, vault, sealed: str, legacy: tuple = ()) -> SearchRequest:
        """The request in a job; `legacy`: the clear arguments of a job queued by an older release."""
        if legacy:
            service, page, check_outcome = (*legacy, None, 0, None)[:3]
            return cls(sealed, service, int(page or 0), check_outcome)
        data = json.loads(vault.decrypt(sealed))
        page = int(data.get("page") or 0)
        return cls(
            data["location"], data.get("service"), page, data.get("check_outcome"), bool(data.get("counted"))
        )


def search_job_id(source: str) -> str:
    """The job id of the search asked for by `source` (a MessageSid, a CallSid and step): Twilio's retry
    of that request queues the same job, whose texts go once however often it runs."""
    return f"search-h{hashlib.sha256(source.encode()).hexdigest()[:32]}"


SEARCH_JOB = "workers.jobs.search_providers"


def queue_search(
    parts, phone: str, lang: str, request: SearchRequest, *, retry: bool = True, job_id: str | None = None
) -> None:
    """Hand a search to the workers now (`parts`: anything with `store` and `queues`)."""
    args, options = _search_job(parts, phone, lang, request, retry)
    parts.queues.enqueue(queues.SEARCH, SEARCH_JOB, *args, job_id=job_id, **options)


def search_job_record(parts, phone: str, lang: str, request: SearchRequest, job_id: str | None) -> JobRecord:
    """The search's job, for the store to queue with the text that asked for it (the texting finish)."""
    args, options = _search_job(parts, phone, lang, request, retry=True)
    return parts.queues.job_record(queues.SEARCH, SEARCH_JOB, *args, job_id=job_id, **options)


def _search_job(parts, phone: str, lang: str, request: SearchRequest, retry: bool) -> tuple[tuple, dict]:
    """The job's arguments (ciphertext only) and its RQ options."""
    vault = parts.store.vault
    args = (vault.encrypt(phone).decode(), lang, request.seal(vault))
    return args, {
        # The job texts each result once however often it runs, so retrying is always safe.
        "retry": Retry(max=len(RETRY_SECONDS), interval=RETRY_SECONDS) if retry else None,
        # What RQ's listings show: the arguments are ciphertext, and RQ would spend time quoting it.
        "description": f"{SEARCH_JOB}(sealed)",
    }


def text_search_results(
    helpline,
    phone_enc: str,
    lang: str,
    request: SearchRequest,
    job_key: str,
    *,
    can_retry: bool = False,
    texter_language: bool = False,
) -> list[str]:
    """Search, then queue the result texts; returns the idempotency keys used. `texter_language`:
    in the language the texter uses now, when they have texted (`lang` was theirs when it was queued).

    Raises SearchUnavailable (after telling the texter) when no source answered and `can_retry`.
    """
    store = helpline.store
    line = helpline.texting
    phone = store.vault.decrypt(phone_enc)
    if texter_language:
        state = store.load_state(store.vault.phone_id(phone))
        lang = TexterState.from_dict(state).lang if state else lang
    started = time.perf_counter()
    place = places.locate(request.location or "")
    page = max(0, request.page)
    if place is None:
        result, label = SearchResult([], 0, "none", False), request.location or "?"
    else:
        label = place.label
        result = find_providers(
            helpline,
            place,
            service=request.service,
            check_outcome=request.check_outcome,
            limit=PER_PAGE,
            offset=page * PER_PAGE,
        )

    def render(key: str, **params) -> str:
        params.setdefault("helpline", line.national_helpline)
        return line.catalog.render(lang, key, **params)

    outcome = None if request.service else request.check_outcome  # a word they sent outranks the self-check
    texts = replies.result_texts(render, label, result, page, PER_PAGE, outcome=outcome)
    # The "can't look them up, we'll keep trying" text keeps its key across retries: said once, however
    # many tries. When the last try fails too, they are told so, once, and where to turn.
    keys = [f"search-{job_key}-{'unavailable' if result.unavailable else n}" for n in range(len(texts))]
    if result.unavailable and not can_retry:
        texts, keys = (
            [render("results_gave_up", place=replies.gsm_safe(label))],
            [f"search-{job_key}-gave-up"],
        )
    sender.send_texts_now(helpline, phone, list(zip(keys, texts, strict=True)))
    log.info(
        "event=search.answered to=%s source=%s radius=%s found=%d fallback=%s unavailable=%s page=%d ms=%.1f",
        mask_phone(phone),
        result.source,
        result.radius_miles,
        len(result.providers),
        bool(result.fallback),
        result.unavailable,
        page,
        (time.perf_counter() - started) * 1000,
    )
    if result.unavailable and can_retry:
        raise SearchUnavailable("no provider source answered; trying again later")
    # Each search is counted once, when it is answered: found, empty or failed (no source answered). A
    # caller's search texted to them as well was counted when the call read it out.
    if not request.counted:
        answer = "failed" if result.unavailable else "found" if result.providers else "empty"
        store.count(f"search.{answer}")
        store.count(f"search.source.{result.source}")
    return keys
