"""GET /metrics: Prometheus text format, read at scrape time.

A custom collector reads the shared counters and gauges on each scrape, so every gunicorn worker
answers the same figures. Label values are checked names or error codes, never numbers or text.
"""

from __future__ import annotations

import hmac
import re

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from helpline.services import line_health

bp = Blueprint("metrics", __name__)

# Counter name in Redis -> (metric, help). Totals since the service started.
NAMED_COUNTERS = {
    "sms.in": ("helpline_texts_received", "Texts received on the helpline number."),
    "sms.out": ("helpline_texts_sent", "Texts sent by the workers."),
    "sms.replied": ("helpline_texts_replied", "Texts answered in the webhook's TwiML (one per reply)."),
    "call.in": ("helpline_calls_received", "Calls received on the helpline number."),
    "call.voicemail": ("helpline_voicemails", "Voicemails left by callers."),
    "crisis": ("helpline_crisis_escalations", "Crisis messages escalated to a priority callback."),
    "sms.optout": ("helpline_optouts", "Numbers that opted out."),
    "sms.optin": ("helpline_optins", "Numbers that opted back in."),
    "callback.requested": ("helpline_callbacks_requested", "Callback requests (not crisis)."),
    "callback.created": ("helpline_callbacks_created", "New callback requests (asking again updates one)."),
    "call.person.asked": ("helpline_calls_for_a_person", "Callers who asked to talk to someone now."),
    "call.talk.accepted": ("helpline_calls_answered_by_staff", "Calls for a person a staff phone took."),
    "search.requested": ("helpline_provider_searches", "Provider searches asked for."),
    "search.found": ("helpline_provider_searches_found", "Provider searches that found someone."),
    "search.empty": ("helpline_provider_searches_empty", "Provider searches that found nobody."),
    "search.failed": ("helpline_provider_searches_failed", "Provider searches no source could answer."),
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
    """Reads the shared counters and the live state on each scrape."""

    def __init__(self, helpline):
        self._helpline = helpline

    def collect(self):
        readings = line_health.metric_readings(self._helpline())
        up = GaugeMetricFamily("helpline_redis_up", "1 when Redis answered this scrape.")
        up.add_metric([], 0 if readings is None else 1)
        yield up
        if readings is not None:
            yield from self._families(readings)

    def _families(self, readings: line_health.MetricReadings):
        totals = readings.totals
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

        callbacks = readings.callbacks
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
        for queue in readings.queues:
            depth.add_metric([queue.name], queue.waiting)
            failed.add_metric([queue.name], queue.failed)
            started.add_metric([queue.name], queue.running)
        yield depth
        yield failed
        yield started
        workers = GaugeMetricFamily("helpline_workers", "RQ workers alive.")
        workers.add_metric([], readings.workers)
        yield workers
        memory = GaugeMetricFamily("helpline_redis_used_memory_bytes", "Memory Redis uses.")
        memory.add_metric([], readings.redis_used_memory)
        yield memory


@bp.get("/metrics")
def metrics():
    token = current_app.config["SETTINGS"].metrics_token
    given = request.headers.get("Authorization", "").encode("utf-8", "replace")  # any bytes: 401, not 500
    if token and not hmac.compare_digest(given, f"Bearer {token}".encode()):
        return Response("metrics need a bearer token\n", status=401, headers={"WWW-Authenticate": "Bearer"})
    registry = current_app.extensions["metrics_registry"]
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


def init_app(app) -> None:
    """One registry per app (not the global one), so tests can build many apps."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HelplineCollector(lambda: app.extensions["helpline"]))
    app.extensions["metrics_registry"] = registry
    app.register_blueprint(bp)
