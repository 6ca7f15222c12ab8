"""The operators' dashboard: the callbacks waiting now, figures over chosen days, the health of the line,
failed jobs, the audit."""

from __future__ import annotations

import datetime as dt
import time

from flask import abort, flash, redirect, render_template, request, url_for

from helpline.services import audit as trail
from helpline.services import figures, line_health
from helpline.web.ops import charts, choices
from helpline.web.ops.blueprint import audit, bp, helpline, store, unless_confirmed

HOURS_OF_DAY = [f"{h:02d}" for h in range(24)]
TEXT_CHOICE_WORDS = {**choices.TEXT_CHOICES, figures.CHECK_FINISHED: "finished the self-check"}


def chosen_range(now: float) -> tuple[figures.DateRange, str | None]:
    """The days asked for (`from`, `to`), or the last 7 days and why the ones asked for would not do."""
    zone = helpline().hours.timezone
    try:
        return figures.DateRange.parse(request.args.get("from"), request.args.get("to"), zone, now), None
    except figures.BadRange as exc:
        return figures.DateRange.last_days(7, zone, now), str(exc)


def dashboard_figures(date_range: figures.DateRange, now: float) -> tuple[figures.RangeFigures, dict]:
    """The figures of the range, and their charts (drawn on the helpline's clock)."""
    f = figures.range_figures(store(), date_range, now)
    if f.by_hour:
        label, every, per = "%H", 3, "hour"
    else:
        label, every, per = "%a %d" if len(date_range.days) <= 14 else "%d %b", None, "day"

    def chart(title: str, *names: str):
        points = f.series(*names)
        return charts.bar_chart(points, title, label, every or charts.every_nth(len(points)))

    drawn = {
        "texts_in": chart(f"Texts received per {per}", *figures.TEXTS_IN),
        "texts_out": chart(f"Texts sent per {per}, replies included", *figures.TEXTS_OUT),
        "calls": chart(f"Calls per {per}", "call.in"),
        "missed": charts.bars(
            list(zip(HOURS_OF_DAY, f.person.missed_by_hour, strict=True)),
            "Calls for a person not answered by staff, by hour of day",
        ),
        "per": per,
    }
    return f, drawn


def tables(f: figures.RangeFigures) -> dict[str, dict[str, int]]:
    """The breakdowns in the words staff and operators use, never the counters' keys."""
    return {
        "text_choices": choices.labelled(f.text_choices, TEXT_CHOICE_WORDS),
        "call_choices": choices.labelled(f.call_choices, choices.CALL_CHOICES),
        "self_check": f.self_check_in_words,
        "outcomes": f.outcomes_in_words,
    }


def callbacks_now(now: float) -> dict:
    """The callback queue now, as the staff queue counts it, and the requests done in the last 30 days."""
    counted = figures.callback_figures(store(), now=now)
    done = counted.by_status.get("done", 0) + counted.by_status.get("closed", 0)
    return {"queue": counted.now, "done_30_days": done}


@bp.get("")
@bp.get("/")
def dashboard():
    now = time.time()
    date_range, problem = chosen_range(now)
    f, drawn = dashboard_figures(date_range, now)
    health = line_health.read_health(helpline())
    today = figures.DateRange.last_days(1, date_range.zone, now).end
    quick = [
        ("Today", today, today),
        ("Yesterday", today - dt.timedelta(days=1), today - dt.timedelta(days=1)),
        ("Last 7 days", today - dt.timedelta(days=6), today),
        ("Last 30 days", today - dt.timedelta(days=29), today),
    ]
    return render_template(
        "ops/dashboard.html",
        f=f,
        charts=drawn,
        tables=tables(f),
        problem=problem,
        quick=quick,
        health=health,
        attention=line_health.needs_attention(health),
        **callbacks_now(now),
    ), (400 if problem else 200)


@bp.get("/figures")
def figures_fragment():
    """The figures panel alone: the dashboard reloads it every few seconds (htmx)."""
    now = time.time()
    date_range, _ = chosen_range(now)
    f, drawn = dashboard_figures(date_range, now)
    return render_template("ops/_figures.html", f=f, charts=drawn, tables=tables(f))


@bp.get("/callbacks-now")
def callbacks_now_fragment():
    """The callbacks waiting now alone, first on the dashboard: reloaded every few seconds (htmx),
    whatever days the figures below show."""
    return render_template("ops/_figures.html", part="callbacks-now", **callbacks_now(time.time()))


@bp.get("/health")
def health_page():
    health = line_health.read_health(helpline())
    return render_template(
        "ops/health.html",
        health=health,
        attention=line_health.needs_attention(health),
        crisis_minutes=line_health.CRISIS_WAIT_SECONDS // 60,
    )


@bp.post("/health/jobs/<queue>/<job_id>/<action>")
def failed_job(queue: str, job_id: str, action: str):
    if not line_health.is_queue(queue) or action not in ("retry", "delete") or len(job_id) > 200:
        abort(404)
    if action == "delete":
        asked = unless_confirmed(
            f"Delete failed job {job_id} from the {queue} queue? It will not run again, and what it "
            "was doing (a text, a search) is not done.",
            "Yes, delete the job",
            url_for("ops.health_page"),
        )
        if asked:
            return asked
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
