"""The operators' pages under /ops, registered with the template filters they use.

dashboard: figures, health, audit; admin: hours, templates, staff, blocklist, directory; export;
phone (the test phone). The blueprint and who may use it: `blueprint`.
"""

from __future__ import annotations

import datetime as dt


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
        zone = app.extensions["helpline"].hours.timezone
        return dt.datetime.fromtimestamp(timestamp, zone).strftime("%Y-%m-%d %H:%M %Z")

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
