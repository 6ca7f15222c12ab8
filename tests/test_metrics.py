"""GET /metrics: Prometheus text that every process agrees on, with no numbers or text in labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from helpline import create_app
from helpline.infra.burst import drain
from tests.conftest import TEXTER


def scrape(client) -> dict[str, dict[tuple, float]]:
    """{metric family: {label pairs: value}} parsed with prometheus_client's own parser."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    parsed: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            parsed.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return parsed


def test_metrics_count_texts_intents_and_crisis(client, text):
    before = scrape(client)
    assert before["helpline_texts_received_total"][()] == 0
    text("oih")
    text("signs")
    text("I think I took an overdose", sender="+15551230002")
    after = scrape(client)
    assert after["helpline_texts_received_total"][()] == 3
    assert after["helpline_crisis_escalations_total"][()] == 1
    assert after["helpline_text_intents_total"][(("intent", "oih"),)] == 1
    assert after["helpline_text_intents_total"][(("intent", "signs"),)] == 1
    assert after["helpline_callbacks"][(("status", "waiting"),)] == 1
    assert after["helpline_callbacks_crisis_waiting"][()] == 1
    assert after["helpline_redis_up"][()] == 1
    assert after["helpline_redis_used_memory_bytes"][()] > 0


def test_metrics_show_queue_depth_and_workers(client, text, redis):
    text("10001")
    figures = scrape(client)
    assert figures["helpline_queue_jobs"][(("queue", "search"),)] == 1
    assert figures["helpline_provider_searches_total"][()] == 1
    drain(client.application.extensions["helpline"].store.rq_connection)
    drained = scrape(client)
    assert drained["helpline_queue_jobs"][(("queue", "search"),)] == 0


def test_two_processes_report_the_same_figures(settings, client, text):
    """A second app (another gunicorn worker) on the same Redis scrapes the same totals."""
    text("oih")
    text("treat")
    other = create_app(settings, flask={"TESTING": True}).test_client()
    mine, theirs = scrape(client), scrape(other)
    assert mine["helpline_texts_received_total"] == theirs["helpline_texts_received_total"] == {(): 2}
    assert mine["helpline_text_intents_total"] == theirs["helpline_text_intents_total"]


def test_no_phone_number_or_message_text_in_any_label(client, text, store):
    text("hello there")
    text("call")
    store.count("delivery.failed.30003")
    store.count("delivery.failed.+15551230001")  # a careless caller must not leak a number
    store.count("sms.intent.I took 5 pills")
    body = client.get("/metrics").get_data(as_text=True)
    assert TEXTER not in body and TEXTER[2:] not in body and "5551230001" not in body
    assert "hello" not in body and "pills" not in body
    figures = scrape(client)
    assert figures["helpline_delivery_failures_total"][(("code", "30003"),)] == 1
    assert figures["helpline_delivery_failures_total"][(("code", "other"),)] == 1


def test_metrics_degrade_when_redis_is_down(settings, redis_url):
    app = create_app(settings.with_overrides(redis_url="redis://127.0.0.1:1/0"), flask={"TESTING": True})
    figures = scrape(app.test_client())
    assert figures["helpline_redis_up"][()] == 0


def test_searches_and_outcomes_have_their_own_families(client, store):
    store.count("search.found")
    store.count("search.found")
    store.count("search.empty")
    store.count("callback.outcome.no_answer")
    figures = scrape(client)
    assert figures["helpline_provider_searches_found_total"][()] == 2
    assert figures["helpline_provider_searches_empty_total"][()] == 1
    assert figures["helpline_callback_outcomes_total"][(("outcome", "no_answer"),)] == 1


def test_metrics_can_require_a_bearer_token(settings):
    app = create_app(settings.with_overrides(metrics_token="s3cret"), flask={"TESTING": True})
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
