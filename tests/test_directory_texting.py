"""The texter's journey: a ZIP text, the 'looking up' reply, then the results texted by a worker."""

from __future__ import annotations

import logging

import pytest
from rq.registry import FailedJobRegistry

from helpline.domain.content import count_segments
from helpline.infra import queues
from helpline.infra.burst import drain
from tests.conftest import TEXTER


@pytest.fixture
def settings(settings, findtreatment_fake):
    """Searches that miss the directory go to the local fake locator, never the internet."""
    return settings.with_overrides(findtreatment_api_url=findtreatment_fake.url, locator_read_timeout=1.0)


def run_workers(app, *, retries_now: bool = False) -> None:
    drain(app.extensions["helpline"].store.rq_connection, scheduled_now=retries_now)


def later_texts(store, start: int = 0) -> list[str]:
    return [m["body"] for m in store.delivery.outbox(start) if m["to"] == TEXTER]


def self_check(text, answers=("yes", "yes", "no")) -> str:
    text("hi")
    text("check")
    for answer in answers[:-1]:
        text(answer)
    (result,) = text(answers[-1])
    return result


def test_a_zip_gets_looking_up_then_the_three_nearest_callable_first(app, store, text, small_directory):
    replies = text("10001")
    assert "Looking up" in replies[-1] and "10001" in replies[-1]  # after the first-contact welcome
    assert later_texts(store) == []  # the webhook never waits for the search
    run_workers(app)
    texts = later_texts(store)
    assert texts, "the worker texted nothing"
    joined = "\n".join(texts)
    # Hudson Recovery is a little nearer than Chelsea but has no phone: the one they can call first.
    assert joined.index("Midtown Pain Care") < joined.index("Chelsea") < joined.index("Hudson Recovery")
    assert "212-555-0102" in joined and "0.4 mi" in joined
    assert "no phone listed" in joined  # Hudson Recovery has none: kept, and said so
    assert "Village Bupe" not in joined
    assert "MORE" in texts[-1]
    assert all(count_segments(t).count <= 2 for t in texts)


def test_after_a_self_check_pointing_to_oih_a_zip_gets_providers_not_none_found(
    app, store, text, real_directory
):
    result = self_check(text)
    assert "pattern seen with OIH" in result
    # No source tags pain care: the reply promises what the search brings, treatment providers.
    assert "ZIP for treatment providers" in result and "pain care near you" not in result
    text("02115")  # Boston: real SAMHSA listings, none of them tagged with pain care
    run_workers(app)
    joined = "\n".join(later_texts(store))
    assert "found no" not in joined
    assert joined.startswith("For pain that keeps getting worse, ask your prescriber about OIH")
    assert "1) " in joined and "2) " in joined and "3) " in joined and " mi - " in joined
    assert "help you reach them" in joined and "1-800-662-4357" in joined  # no phone on the page


def test_a_service_word_after_an_oih_self_check_gets_what_was_asked_for(app, store, text, small_directory):
    self_check(text)
    text("10001 methadone")
    run_workers(app)
    joined = "\n".join(later_texts(store))
    assert joined.startswith("Treatment near 10001:") and "Chelsea Methadone Clinic" in joined


@pytest.mark.parametrize("word", ["bupe", "suboxone"])
def test_a_service_word_no_listing_carries_gets_the_nearest_with_one_line_saying_so(
    app, store, text, real_directory, word
):
    text(f"10001 {word}")
    run_workers(app)
    texts = later_texts(store)
    assert texts[0].startswith(
        "No listing near 10001 says it offers buprenorphine; these are the nearest treatment providers"
    )
    assert "1) " in texts[0] and "found no" not in "\n".join(texts)


def test_san_juan_gets_its_nearest_providers(app, store, text, real_directory):
    text("00901")
    run_workers(app)
    joined = "\n".join(later_texts(store))
    assert joined.startswith("Treatment near 00901:") and "1) " in joined and " PR" in joined


def test_a_service_word_filters_the_results(app, store, text, small_directory):
    text("10001 methadone")
    run_workers(app)
    joined = "\n".join(later_texts(store))
    assert "Chelsea Methadone Clinic" in joined and "Newark Treatment" in joined
    assert "Midtown Pain Care" not in joined and "No listing near" not in joined
    assert "methadone" in joined


def test_more_gives_the_next_ones_numbered_on(app, store, text, small_directory):
    text("10001")
    run_workers(app)
    start = store.delivery.outbox_length()
    assert text("more") == []  # the next page arrives from the worker, no second 'looking up'
    run_workers(app)
    joined = "\n".join(later_texts(store, start))
    assert "4) Village Bupe Program" in joined
    assert "Midtown Pain Care" not in joined


def test_spanish_texters_get_results_in_spanish(app, store, text, small_directory):
    text("espanol")
    text("10001")
    run_workers(app)
    texts = later_texts(store)
    assert texts[0].startswith("Tratamiento cerca de 10001")
    assert "LLAMAR" in texts[-1]
    assert all(count_segments(t).encoding == "GSM-7" for t in texts)


def test_no_result_says_so_with_the_national_line_and_call(app, store, text, findtreatment_fake):
    text("99950")  # Ketchikan, AK: nothing imported, and the locator knows nothing near
    run_workers(app)
    texts = later_texts(store)
    assert len(texts) == 1
    assert "no treatment providers near 99950" in texts[0]
    assert "1-800-662-4357" in texts[0] and "CALL" in texts[0]


def test_locator_down_and_directory_empty_says_so_honestly_and_tries_again(
    app, store, text, findtreatment_fake
):
    findtreatment_fake.fail_with = 503
    text("22902")
    run_workers(app)  # the first try; the retry waits
    (honest,) = later_texts(store)
    assert "can't look up providers right now" in honest
    assert "1-800-662-4357" in honest and "CALL" in honest and "found no" not in honest
    findtreatment_fake.fail_with = None  # the locator is back before the retry
    store._r.delete("helpline:locator:breaker")
    run_workers(app, retries_now=True)
    texts = later_texts(store)
    assert texts[0] == honest and sum("can't look up" in t for t in texts) == 1  # said once
    assert "Region Ten Community Services Board" in "\n".join(texts[1:])


def test_a_search_tried_again_after_the_texter_switched_language_answers_in_the_new_one(
    app, store, text, findtreatment_fake
):
    findtreatment_fake.fail_with = 503
    text("22902")
    run_workers(app)  # the first try fails, in English; its retry waits
    assert "can't look up providers right now" in later_texts(store)[0]
    text("español")  # meanwhile the texter switches
    findtreatment_fake.fail_with = None
    store._r.delete("helpline:locator:breaker")
    run_workers(app, retries_now=True)
    results = later_texts(store)[1:]
    assert results and "Region Ten Community Services Board" in "\n".join(results)
    assert results[0].startswith("Tratamiento cerca de 22902")  # the header of the results, in Spanish


def test_a_search_that_never_finds_a_source_ends_after_its_retries_having_said_so_once(
    app, store, text, findtreatment_fake
):
    findtreatment_fake.fail_with = 503
    text("22902")
    run_workers(app, retries_now=True)
    texts = later_texts(store)
    assert len(texts) == 2 and "can't look up providers right now; we'll keep trying" in texts[0]
    # The last try failed too: said once, with where to turn, never left at "we'll keep trying".
    assert "still can't look up providers" in texts[1] and "1-800-662-4357" in texts[1] and "CALL" in texts[1]
    r = app.extensions["helpline"].store.rq_connection
    assert FailedJobRegistry(queues.SEARCH, connection=r).count == 0  # the last try answers, no failure


def test_a_zip_sent_during_the_self_check_leaves_it_and_searches(app, store, text, small_directory):
    text("hi")
    text("check")
    text("yes")
    replies = text("10001")
    assert "Looking up" in replies[-1]
    run_workers(app)
    assert "Midtown Pain Care" in "\n".join(later_texts(store))


def test_empty_directory_falls_back_to_the_live_locator(app, store, text, findtreatment_fake):
    text("22902")  # Charlottesville, VA: where the sample export's rows are
    run_workers(app)
    joined = "\n".join(later_texts(store))
    assert "Region Ten Community Services Board" in joined
    assert "434-979-8871" in joined
    assert findtreatment_fake.calls and findtreatment_fake.calls[0]["limitType"] == "2"


def test_a_search_job_run_twice_texts_once(app, store, text, small_directory):
    text("10001")
    job = queues.queue(queues.SEARCH, app.extensions["helpline"].store.rq_connection).jobs[0]
    job.perform()  # as if a worker died after queueing the texts and the job ran again
    run_workers(app)
    once = later_texts(store)
    job.perform()
    run_workers(app)
    assert later_texts(store) == once
    assert sum("Midtown Pain Care" in t for t in once) == 1


def test_a_texter_who_stops_before_the_search_runs_gets_nothing(app, store, text, small_directory):
    text("10001")
    text("STOP")
    start = store.delivery.outbox_length()
    run_workers(app)
    assert later_texts(store, start) == []


def test_a_city_and_state_searches_around_its_centre(app, store, text, small_directory):
    replies = text("New York, NY")
    assert "New York, NY" in replies[-1]
    run_workers(app)
    joined = "\n".join(later_texts(store))
    assert joined.startswith("Treatment near New York, NY:")
    assert "1) " in joined and "mi" in joined


def test_search_jobs_carry_no_place_or_service_word_in_the_clear(app, store, text, small_directory, caplog):
    with caplog.at_level(logging.INFO):
        text("10001 methadone")
        job = queues.queue(queues.SEARCH, app.extensions["helpline"].store.rq_connection).jobs[0]
        readable = [repr(job.args), repr(job.kwargs), job.description or ""]
        fields = store._r.hgetall(f"rq:job:{job.id}")
        readable += [value.decode("latin-1") for name, value in fields.items() if name != b"data"]
        for word in ("10001", "methadone", TEXTER, TEXTER[2:]):
            assert not [text for text in readable if word in text]
        run_workers(app)
    assert "event=search.answered" in caplog.text
    assert TEXTER not in caplog.text and "+1******0001" in caplog.text
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert not [m for m in info if "10001" in m or "methadone" in m]


def test_no_insurance_asks_where_then_searches_for_free_or_low_cost_care(app, store, text, real_directory):
    text("hi")
    (reply,) = text("i have no insurance")
    assert "free or low-cost treatment" in reply and "ZIP code" in reply
    text("10001")
    run_workers(app)
    texts = later_texts(store)
    # The SAMHSA file says nothing of payment: the nearest, and one line saying so.
    assert texts[0].startswith(
        "No listing near 10001 says it offers low-cost options; these are the nearest treatment providers"
    )
    assert "1) " in texts[0]
