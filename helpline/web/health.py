"""GET /healthz: is the line working? Redis reachable (and restarts), workers alive, queue depths.

503 with the reasons in words when it is not: Redis does not answer, no worker is alive (texts and
searches would wait unsent), or a queued job has waited so long that the workers are plainly not
taking them. A monitor polling it pages someone; the body says why.
"""

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
        return jsonify(ok=False, redis=False, workers=0, queues={}, problems=ready.problems, **restarts), 503
    body = jsonify(
        ok=ready.healthy,
        redis=True,
        workers=ready.workers,
        queues=ready.queues,
        queue_depth=sum(ready.queues.values()),
        oldest_waiting_seconds={name: round(seconds, 1) for name, seconds in ready.oldest_waiting.items()},
        problems=ready.problems,
        **restarts,
    )
    return body, (200 if ready.healthy else 503)
