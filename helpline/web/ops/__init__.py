"""The operators' pages under /ops, registered with the template filters they use.

dashboard: figures, health, audit; admin: hours, templates, staff, blocklist, directory; export;
phone (the test phone). The blueprint and who may use it: `blueprint`.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from helpline.domain import timefmt
from helpline.services import line_health
from helpline.web.ops import choices

EPOCH_IN_DETAIL = re.compile(r"\b(next|at|until)=(\d{9,11})(?:\.\d+)?\b")


def init_app(app) -> None:
    from helpline.web.ops import admin, dashboard, export, phone  # noqa: F401 - their routes join `bp`
    from helpline.web.ops.blueprint import bp

    app.register_blueprint(bp)

    @app.template_filter("duration")
    def _duration(seconds: float | None) -> str:
        if seconds is None:
            return "–"
        if seconds < 90:
            return f"{int(seconds)} s"
        if seconds < 5400:
            return f"{int(seconds // 60)} min"
        return f"{seconds / 3600:.1f} h"

    @app.template_filter("ops_time")
    def _ops_time(timestamp: float | None) -> str:
        """A moment in the helpline's timezone, e.g. `2026-03-10 09:05 EDT`."""
        if not timestamp:
            return "–"
        return dt.datetime.fromtimestamp(timestamp, zone()).strftime("%Y-%m-%d %H:%M %Z")

    def zone():
        return app.extensions["helpline"].hours.timezone

    @app.template_filter("ago")
    def _ago(timestamp: float | None, now: float | None = None) -> str:
        """How long ago, in words: `just now`, `3 min ago`, `2 days ago`."""
        if not timestamp:
            return "–"
        return timefmt.age((now or time.time()) - float(timestamp))

    @app.template_filter("clock")
    def _clock(timestamp: float | None) -> str:
        """A moment on the helpline's clock: `today 9:05am EST`, `Mon 23 Nov 4:30pm EST`."""
        return timefmt.local_time(float(timestamp), zone()) if timestamp else "–"

    @app.template_filter("when")
    def _when(timestamp: float | None) -> str:
        """Both: `3 min ago (today 9:05am EST)`."""
        return f"{_ago(timestamp)} ({_clock(timestamp)})" if timestamp else "–"

    @app.template_filter("readable_detail")
    def _readable_detail(detail: str | None) -> str:
        """An audit detail with its moments (`next=1764490000`) on the helpline's clock."""
        return EPOCH_IN_DETAIL.sub(lambda m: f"{m[1]} {_clock(float(m[2]))}", detail or "")

    @app.template_filter("locator_state")
    def _locator_state(locator: dict) -> str:
        """up, degraded (a recent error), recovering, down or off: never "up" beside a recent error."""
        return line_health.locator_condition(locator or {}, time.time()).state

    @app.template_filter("text_choices")
    def _text_choices(counts: dict[str, int]) -> dict[str, int]:
        return choices.labelled(counts, choices.TEXT_CHOICES)

    @app.template_filter("call_choices")
    def _call_choices(counts: dict[str, int]) -> dict[str, int]:
        return choices.labelled(counts, choices.CALL_CHOICES)

    @app.template_filter("percent")
    def _percent(value: float | None) -> str:
        return "–" if value is None else f"{value:.0%}"

    @app.template_filter("bytes")
    def _bytes(value: int) -> str:
        for unit in ("B", "KB", "MB", "GB"):
            if value < 1024:
                return f"{value:.0f} {unit}"
            value /= 1024
        return f"{value:.1f} TB"
