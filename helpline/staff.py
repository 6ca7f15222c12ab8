"""Staff pages (/staff…): the callback queue, one request in detail, and the actions on it."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, render_template

from helpline import callbacks, timefmt
from helpline.auth import staff_required

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _store():
    return current_app.extensions["store"]


def _zone():
    return current_app.extensions["hours"].timezone


@bp.app_template_filter("age")
def _age_filter(timestamp: float) -> str:
    return timefmt.age(time.time() - (timestamp or 0))


@bp.app_template_filter("until")
def _until_filter(timestamp: float) -> str:
    return timefmt.until((timestamp or 0) - time.time())


@bp.app_template_filter("local_time")
def _local_time_filter(timestamp: float) -> str:
    return timefmt.local_time(timestamp, _zone())


@bp.route("/")
@bp.route("")
@staff_required
def queue_page():
    return render_template("staff/queue.html", **_queue_context())


@bp.route("/queue")
@staff_required
def queue_fragment():
    """The list alone: htmx swaps it in every few seconds, so the page updates by itself."""
    return render_template("staff/_queue_list.html", **_queue_context())


def _queue_context() -> dict:
    now = time.time()
    requests = callbacks.waiting(_store())
    return {"requests": requests, "now": now}
