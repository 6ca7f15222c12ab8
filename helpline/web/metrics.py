"""GET /metrics: Prometheus text format, read from Redis at scrape time.

A custom collector reads the shared counters and gauges on each scrape, so every gunicorn worker
answers the same figures. Label values are checked names or error codes, never numbers or text.
"""

from __future__ import annotations

import hmac
import logging
import re

import redis
from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from rq import Worker
from rq.registry import FailedJobRegistry, StartedJobRegistry

from helpline.infra import queues
from helpline.services import figures

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

# Counter name in Redis -> (metric, help). Totals since the service started.
NAMED_COUNTERS = {
    "sms.in": ("helpline_texts_received", "Texts received on the helpline number."),
    "sms.out": ("helpline_texts_sent", "Texts sent by the workers."),
    "call.in": ("helpline_calls_received", "Calls received on the helpline number."),
    "call.voicemail": ("helpline_voicemails", "Voicemails left by callers."),
    "crisis": ("helpline_crisis_escalations", "Crisis messages escalated to a priority callback."),
    "sms.optout": ("helpline_optouts", "Numbers that opted out."),
    "sms.optin": ("helpline_optins", "Numbers that opted back in."),
    "callback.requested": ("helpline_callbacks_requested", "Callback requests (not crisis)."),
    "search.requested": ("helpline_provider_searches", "Provider searches asked for."),
    "search.found": ("helpline_provider_searches_found", "Provider searches that found someone."),
    "search.empty": ("helpline_provider_searches_empty", "Provider searches that found nobody."),
}
# Counter name prefix -> (metric, help, label): one labelled family per prefix.
LABELLED_COUNTERS = {
    "sms.intent.": ("helpline_text_intents", "Texts by what the texter asked for.", "intent"),
    "call.menu.": ("helpline_call_menu_choices", "Caller menu choices.", "choice"),
    "callback.outcome.": ("helpline_callback_outcomes", "Staff call outcomes.", "outcome"),
    "delivery.failed.": (
        "helpline_delivery_failures",
        "Failed or undelivered messages by Twilio code.",
        "code",
    ),
}
SAFE_LABEL = re.compile(r"^(?:[a-z][a-z0-9_]{0,39}|\d{1,5})$")  # a word or a short error code, nothing else


def safe_label(value: str) -> str:
    """A label value as written, or `other` when it could carry a number or text."""
    value = value.replace(".", "_").replace("-", "_").lower()
    return value if SAFE_LABEL.match(value) else "other"


class HelplineCollector:
    """Reads the shared counters and the live state from Redis on each scrape."""

    def __init__(self, connection):
        self._connection = connection

    def collect(self):
        r = self._connection()
        up = GaugeMetricFamily("helpline_redis_up", "1 when Redis answered this scrape.")
        try:
            families = list(self._from_redis(r))
        except redis.RedisError as exc:
            log.warning("event=metrics.redis_error error=%s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _from_redis(self, r: redis.Redis):
        totals = figures.totals(r)
        for name, (metric, help_text) in NAMED_COUNTERS.items():
            family = CounterMetricFamily(metric, help_text)
            family.add_metric([], totals.get(name, 0))
            yield family
        for prefix, (metric, help_text, label) in LABELLED_COUNTERS.items():
            family = CounterMetricFamily(metric, help_text, labels=[label])
            merged: dict[str, int] = {}
            for name, value in totals.items():
                if name.startswith(prefix):
                    key = safe_label(name[len(prefix) :])
                    merged[key] = merged.get(key, 0) + value
            for key, value in sorted(merged.items()):
                family.add_metric([key], value)
            yield family
        events = CounterMetricFamily("helpline_events", "Every counted event, by name.", labels=["event"])
        merged = {}
        for name, value in totals.items():
            key = safe_label(name)
            merged[key] = merged.get(key, 0) + value
        for key, value in sorted(merged.items()):
            events.add_metric([key], value)
        yield events

        callbacks = figures.callback_figures(r)
        by_status = GaugeMetricFamily(
            "helpline_callbacks", "Callback requests of the last 30 days by status.", labels=["status"]
        )
        for status in ("waiting", "claimed", "done", "closed"):
            by_status.add_metric([status], callbacks.by_status.get(status, 0))
        yield by_status
        crisis = GaugeMetricFamily(
            "helpline_callbacks_crisis_waiting", "Crisis callbacks nobody has claimed."
        )
        crisis.add_metric([], callbacks.crisis_waiting)
        yield crisis
        oldest = GaugeMetricFamily(
            "helpline_callback_oldest_waiting_seconds", "Age of the oldest waiting callback request."
        )
        oldest.add_metric([], callbacks.oldest_waiting_seconds or 0)
        yield oldest

        depth = GaugeMetricFamily("helpline_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"])
        failed = GaugeMetricFamily(
            "helpline_failed_jobs", "Failed jobs kept in each RQ queue.", labels=["queue"]
        )
        started = GaugeMetricFamily(
            "helpline_running_jobs", "Jobs running now in each RQ queue.", labels=["queue"]
        )
        for name in queues.ALL_QUEUES:
            queue = queues.queue(name, r)
            depth.add_metric([name], queue.count)
            failed.add_metric([name], len(FailedJobRegistry(name, connection=r)))
            started.add_metric([name], len(StartedJobRegistry(name, connection=r)))
        yield depth
        yield failed
        yield started
        workers = GaugeMetricFamily("helpline_workers", "RQ workers alive.")
        workers.add_metric([], Worker.count(connection=r))
        yield workers
        memory = GaugeMetricFamily("helpline_redis_used_memory_bytes", "Memory Redis uses.")
        memory.add_metric([], int(r.info("memory").get("used_memory", 0)))
        yield memory


@bp.get("/metrics")
def metrics():
    token = current_app.config["SETTINGS"].metrics_token
    if token and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return Response("metrics need a bearer token\n", status=401, headers={"WWW-Authenticate": "Bearer"})
    registry = current_app.extensions["metrics_registry"]
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


def init_app(app) -> None:
    """One registry per app (not the global one), so tests can build many apps."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HelplineCollector(lambda: app.extensions["helpline"].store.r))
    app.extensions["metrics_registry"] = registry
    app.register_blueprint(bp)
