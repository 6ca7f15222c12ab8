"""The texter's journey: a ZIP text, the 'looking up' reply, then the results texted by a worker."""

from __future__ import annotations

import pytest

from helpline.domain.content import count_segments
from helpline.infra import queues
from helpline.infra.burst import drain
from tests.conftest import TEXTER


@pytest.fixture
def settings(settings, findtreatment_fake):
    """Searches that miss the directory go to the local fake locator, never the internet."""
    return settings.with_overrides(findtreatment_api_url=findtreatment_fake.url, locator_read_timeout=1.0)


def run_workers(app) -> None:
    drain(app.extensions["helpline"].store.rq_connection)


def later_texts(store, start: int = 0) -> list[str]:
    return [m["body"] for m in store.delivery.outbox(start) if m["to"] == TEXTER]


def test_a_zip_gets_looking_up_then_the_three_nearest(app, store, text, small_directory):
    replies = text("10001")
    assert "Looking up" in replies[-1] and "10001" in replies[-1]  # after the first-contact welcome
    assert later_texts(store) == []  # the webhook never waits for the search
    run_workers(app)
    texts = later_texts(store)
    assert texts, "the worker texted nothing"
    joined = "\n".join(texts)
    assert joined.index("Midtown Pain Care") < joined.index("Hudson Recovery") < joined.index("Chelsea")
    assert "212-555-0102" in joined and "0.4 mi" in joined
    assert "no phone listed" in joined  # Hudson Recovery has none: kept, and said so
    assert "Village Bupe" not in joined
    assert "MORE" in texts[-1]
    assert all(count_segments(t).count <= 2 for t in texts)


def test_more_gives_the_next_ones_numbered_on(app, store, text, small_directory):
    text("10001")
    run_workers(app)
    start = store.delivery.outbox_length()
    assert text("more") == []  # the next page arrives from the worker, no second 'looking up'
    run_workers(app)
    joined = "\n".join(later_texts(store, start))
    assert "4) Village Bupe Program" in joined
    assert "Midtown Pain Care" not in joined


def test_a_service_word_filters_the_results(app, store, text, small_directory):
    text("10001 methadone")
    run_workers(app)
    joined = "\n".join(later_texts(store))
    assert "Chelsea Methadone Clinic" in joined and "Newark Treatment" in joined
    assert "Midtown Pain Care" not in joined
    assert "methadone" in joined


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


def test_locator_down_and_directory_empty_is_the_same_graceful_answer(app, store, text, findtreatment_fake):
    findtreatment_fake.fail_with = 503
    text("22902")
    run_workers(app)
    texts = later_texts(store)
    assert len(texts) == 1 and "1-800-662-4357" in texts[0] and "CALL" in texts[0]
    assert "error" not in texts[0].lower()


def test_empty_directory_falls_back_to_the_live_locator(app, store, text, findtreatment_fake):
    text("22902")  # Charlottesville, VA: where the sample export's rows are
    run_workers(app)
    joined = "\n".join(later_texts(store))
    assert "Region Ten Community Services Board" in joined
    assert "434-979-8871" in joined
    assert findtreatment_fake.calls and findtreatment_fake.calls[0]["limitType"] == "2"


def test_a_search_job_run_twice_texts_once(app, store, text, small_directory):
    text("10001")
    r = app.extensions["helpline"].store.r
    job = queues.queue(queues.SEARCH, r).jobs[0]
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


def test_the_search_logs_never_hold_the_number(app, store, text, small_directory, caplog):
    text("10001")
    with caplog.at_level("INFO"):
        run_workers(app)
    assert "event=search.answered" in caplog.text
    assert TEXTER not in caplog.text and "+1******0001" in caplog.text
