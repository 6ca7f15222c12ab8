"""The operators' dashboard: live figures, the health of the line, failed jobs, the audit trail."""

from __future__ import annotations

import time

from flask import abort, flash, redirect, render_template, url_for

from helpline.services import audit as trail
from helpline.services import figures, line_health
from helpline.web.ops import charts
from helpline.web.ops.blueprint import audit, bp, helpline, store


def dashboard_figures(now: float | None = None) -> dict:
    """The figures panel: the shared counters, with the series drawn as charts."""
    f = figures.dashboard(store(), time.time() if now is None else now)
    f["texts_hourly"] = charts.bar_chart(f["texts_hourly"], "Texts received per hour (UTC)")
    f["calls_hourly"] = charts.bar_chart(f["calls_hourly"], "Calls received per hour (UTC)")
    f["texts_daily"] = charts.bar_chart(f["texts_daily"], "Texts received per day", "%d", label_every=5)
    f["calls_daily"] = charts.bar_chart(f["calls_daily"], "Calls received per day", "%d", label_every=5)
    return f


@bp.get("")
@bp.get("/")
def dashboard():
    health = line_health.read_health(helpline())
    return render_template(
        "ops/dashboard.html",
        f=dashboard_figures(),
        health=health,
        attention=line_health.needs_attention(health),
    )


@bp.get("/figures")
def figures_fragment():
    """The figures panel alone: the dashboard reloads it every few seconds (htmx)."""
    return render_template("ops/_figures.html", f=dashboard_figures())


@bp.get("/health")
def health_page():
    health = line_health.read_health(helpline())
    return render_template("ops/health.html", health=health, attention=line_health.needs_attention(health))


@bp.post("/health/jobs/<queue>/<job_id>/<action>")
def failed_job(queue: str, job_id: str, action: str):
    if not line_health.is_queue(queue) or action not in ("retry", "delete") or len(job_id) > 200:
        abort(404)
    act = line_health.retry_failed if action == "retry" else line_health.delete_failed
    if act(helpline().queues, queue, job_id):
        audit(f"job.{action}", queue=queue, job=job_id)
        flash(f"Job {job_id} {'queued again' if action == 'retry' else 'deleted'}.", "info")
    else:
        flash(f"Job {job_id} is no longer in the failed list.", "error")
    return redirect(url_for("ops.health_page"))


@bp.get("/audit")
def audit_page():
    """Every recorded action, staff and operators, newest first."""
    return render_template("ops/audit.html", entries=trail.recent(store(), 300))
