"""GET /healthz: can this instance serve? Redis reachable (and restarts), workers alive, queue depths."""

from __future__ import annotations

import redis
from flask import Blueprint, current_app, jsonify
from rq import Worker

from helpline.infra import queues

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    parts = current_app.extensions["helpline"]
    r = parts.store.rq_connection
    try:
        r.ping()
        workers = len(Worker.all(connection=r))  # only workers whose heartbeat key is alive
        depths = queues.Queues(r).depths()
    except redis.RedisError:
        return jsonify(ok=False, redis=False, workers=0, queues={}, **parts.redis_restarts()), 503
    return jsonify(
        ok=True,
        redis=True,
        workers=workers,
        queues=depths,
        queue_depth=sum(depths.values()),
        **parts.redis_restarts(),  # an embedded server found dead is restarted: how often, when last
    )
