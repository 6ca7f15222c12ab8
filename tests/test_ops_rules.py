"""Pure parts of the ops pages: what needs a person, and the server-drawn charts."""

from __future__ import annotations

import datetime as dt

import pytest

from helpline.services.directory_status import DirectoryStatus, SourceStatus
from helpline.services.figures import Point
from helpline.services.line_health import (
    Health,
    QueueHealth,
    WorkerHealth,
    needs_attention,
)
from helpline.web.ops.charts import _nice_ceiling, bar_chart

WORKER = WorkerHealth("w1", "idle", ["urgent"], None)


def healthy(**changes) -> Health:
    base = Health(workers=[WORKER], queues=[QueueHealth("urgent", 0, 0, 0, 0)], directory=DirectoryStatus())
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def test_a_healthy_line_needs_nobody():
    assert needs_attention(healthy()) == []


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"redis_ok": False}, "Redis is not answering"),
        ({"workers": []}, "No worker is running"),
        ({"queues": [QueueHealth("search", 51, 0, 0, 0)]}, "Queue search has 51 jobs waiting"),
        ({"queues": [QueueHealth("urgent", 0, 0, 2, 0)]}, "2 failed jobs: retry or delete them"),
        ({"queues": [QueueHealth("urgent", 0, 0, 1, 0)]}, "1 failed job: retry or delete it"),
        (
            {"queues": [QueueHealth("search", 3, 0, 0, 0, oldest_waiting_seconds=5 * 60)]},
            "Queue search: 3 jobs waiting, the oldest for 5 min",
        ),
        ({"texts_sent_24h": 80, "delivery_failed_24h": 20}, "20% of texts failed to deliver"),
        ({"redis_memory": 90, "redis_maxmemory": 100}, "close to its memory limit"),
        (
            {"crisis_waiting": 1, "oldest_crisis_seconds": 20 * 60},
            "1 crisis request waiting to be called, for 20 min.",
        ),
        (
            {"crisis_waiting": 3, "oldest_crisis_seconds": 20 * 60},
            "3 crisis requests waiting to be called, the oldest for 20 min.",
        ),
        ({"directory": DirectoryStatus(locator={"breaker": "open"})}, "locator is down"),
        ({"directory": DirectoryStatus(locator={"breaker": "disabled"})}, "searches find nobody"),
        (
            {"directory": DirectoryStatus(sources=[SourceStatus("samhsa", 10, "f.csv", 400 * 86400)])},
            "imported 400 days ago",
        ),
    ],
)
def test_what_needs_a_person(changes, expected):
    issues = needs_attention(healthy(**changes))
    assert any(expected in line for line in issues), issues
    assert not any("(s)" in line for line in issues), issues  # plurals in words


def test_a_fresh_crisis_request_is_not_yet_an_alarm():
    assert needs_attention(healthy(crisis_waiting=1, oldest_crisis_seconds=60)) == []


def test_jobs_waiting_a_moment_are_not_an_alarm():
    assert (
        needs_attention(healthy(queues=[QueueHealth("search", 3, 1, 0, 0, oldest_waiting_seconds=20)])) == []
    )


def test_few_failures_among_many_texts_are_not_an_alarm():
    assert needs_attention(healthy(texts_sent_24h=1000, delivery_failed_24h=5)) == []


def test_bar_chart_draws_a_bar_per_bucket_scaled_to_a_round_top():
    start = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    points = [Point(start + dt.timedelta(hours=i), v) for i, v in enumerate([0, 3, 7])]
    svg = str(bar_chart(points, "Texts <per> hour"))
    assert svg.count('<rect class="bar"') == 3
    assert 'data-value="7"' in svg and ">10</text>" in svg  # 7 -> a scale topped at 10
    assert "Texts &lt;per&gt; hour" in svg and "<per>" not in svg
    assert 'aria-label="Texts &lt;per&gt; hour: 10 in all, peak 7"' in svg


@pytest.mark.parametrize("value, top", [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (260, 500), (1000, 1000)])
def test_nice_ceiling(value, top):
    assert _nice_ceiling(value) == top
