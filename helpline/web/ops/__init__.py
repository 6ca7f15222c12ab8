"""The operators' pages under /ops: live figures, health, and (in ops_*.py) the things they manage.

Every /ops route is for signed-in operators only: anonymous people go to sign in, staff get 403.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from helpline.services import audit as trail
from helpline.services import figures
from helpline.services import line_health as ops_health
from helpline.store import Keys
from helpline.web.auth import operator_required
from helpline.web.ops import charts as ops_charts

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__, url_prefix="/ops")
OPS_TRAIL = "ops"  # the audit trail of operators' actions (beside each callback request's own)


@bp.before_request
def _operators_only():
    """The same check as `operator_required`, for every view of this blueprint at once."""
    return operator_required(lambda: None)()


@bp.context_processor
def _ops_globals():
    return {
        "current_app_endpoints": set(current_app.view_functions),
        "now": time.time(),
        "ops_attention": lambda: ops_health.needs_attention(ops_health.read_health(redis_conn())),
    }


def store():
    return current_app.extensions["helpline"].store


def redis_conn():
    return current_app.extensions["helpline"].store.r


def audit(action: str, **detail) -> None:
    """Who did what, when: into the shared audit trail (services.audit) and the log. No PII in detail."""
    text = " ".join(f"{k}={v}" for k, v in detail.items())
    pipe = store().r.pipeline()
    trail.record(store(), OPS_TRAIL, current_user.email, f"ops.{action}", text, pipe=pipe)
    pipe.ltrim(Keys.callback_audit(OPS_TRAIL), -trail.RECENT_LIMIT, -1)  # operators' own trail, capped
    pipe.execute()
    log.info("event=ops.%s by=%s %s", action, current_user.email, text)


# -- figures -----------------------------------------------------------------------------------


def dashboard_figures(now: float | None = None) -> dict:
    """Everything the figures panel shows, read from the shared counters."""
    now = time.time() if now is None else now
    r = redis_conn()
    names = figures.counter_names(r)
    month = figures.window_sums(r, names, 30, now)
    day = figures.hour_sums(r, names, 24, now)
    delivery_sent = month.get("sms.out", 0)
    delivery_failed = sum(v for n, v in month.items() if n.startswith(figures.DELIVERY_FAILED_PREFIX))
    return {
        "day": day,
        "month": month,
        "texts_hourly": ops_charts.bar_chart(
            figures.hourly(r, "sms.in", 24, now), "Texts received per hour (UTC)"
        ),
        "calls_hourly": ops_charts.bar_chart(
            figures.hourly(r, "call.in", 24, now), "Calls received per hour (UTC)"
        ),
        "texts_daily": ops_charts.bar_chart(
            figures.daily(r, "sms.in", 30, now), "Texts received per day", "%d", label_every=5
        ),
        "calls_daily": ops_charts.bar_chart(
            figures.daily(r, "call.in", 30, now), "Calls received per day", "%d", label_every=5
        ),
        "text_choices": figures.breakdown(month, "sms.intent."),
        "call_choices": figures.breakdown(month, "call.menu."),
        "self_check": figures.breakdown(month, figures.SELF_CHECK_PREFIX),
        "delivery_failures": figures.breakdown(month, figures.DELIVERY_FAILED_PREFIX),
        "delivery_rate": delivery_failed / (delivery_sent + delivery_failed)
        if delivery_sent + delivery_failed
        else None,
        "hit_rate": figures.hit_rate(month),
        "callbacks": figures.callback_figures(r, now=now, delays=True),
        "outcomes": figures.breakdown(month, "callback.outcome."),
        "updated": now,
    }


@bp.get("")
@bp.get("/")
def dashboard():
    health = ops_health.read_health(redis_conn())
    return render_template(
        "ops/dashboard.html",
        f=dashboard_figures(),
        health=health,
        attention=ops_health.needs_attention(health),
    )


@bp.get("/figures")
def figures_fragment():
    """The figures panel alone: the dashboard reloads it every few seconds (htmx)."""
    return render_template("ops/_figures.html", f=dashboard_figures())


# -- health ------------------------------------------------------------------------------------


@bp.get("/health")
def health_page():
    health = ops_health.read_health(redis_conn())
    return render_template("ops/health.html", health=health, attention=ops_health.needs_attention(health))


@bp.post("/health/jobs/<queue>/<job_id>/<action>")
def failed_job(queue: str, job_id: str, action: str):
    from helpline.infra import queues

    if queue not in queues.ALL_QUEUES or action not in ("retry", "delete") or len(job_id) > 200:
        abort(404)
    act = ops_health.retry_failed if action == "retry" else ops_health.delete_failed
    if act(redis_conn(), queue, job_id):
        audit(f"job.{action}", queue=queue, job=job_id)
        flash(f"Job {job_id} {'queued again' if action == 'retry' else 'deleted'}.", "info")
    else:
        flash(f"Job {job_id} is no longer in the failed list.", "error")
    return redirect(url_for("ops.health_page"))


@bp.get("/audit")
def audit_page():
    """Every recorded action, staff and operators, newest first."""
    return render_template("ops/audit.html", entries=trail.recent(store(), 300))


def init_app(app) -> None:
    from helpline.web.ops import admin, export, phone  # noqa: F401 - their routes join `bp`

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
