"""GET /healthz: can this instance serve? Redis reachable (and restarts), workers alive, queue depths."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from helpline.services import line_health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    parts = current_app.extensions["helpline"]
    ready = line_health.readiness(parts)
    restarts = parts.redis_restarts()  # an embedded server found dead is restarted: how often, when last
    if not ready.redis:
        return jsonify(ok=False, redis=False, workers=0, queues={}, **restarts), 503
    depth = sum(ready.queues.values())
    return jsonify(
        ok=True, redis=True, workers=ready.workers, queues=ready.queues, queue_depth=depth, **restarts
    )
