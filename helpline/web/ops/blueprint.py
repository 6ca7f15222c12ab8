"""The `ops` blueprint every /ops page joins, who may use it, and the operators' audit trail.

Every /ops route is for signed-in operators only: anonymous people go to sign in, staff get 403.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from helpline.services import audit as trail
from helpline.services import line_health
from helpline.web.auth import operator_required

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__, url_prefix="/ops")


def helpline():
    """This process's parts (container)."""
    return current_app.extensions["helpline"]


def store():
    return helpline().store


@bp.before_request
def _operators_only():
    """The same check as `operator_required`, for every view of this blueprint at once."""
    return operator_required(lambda: None)()


@bp.context_processor
def _ops_globals():
    return {
        "current_app_endpoints": set(current_app.view_functions),
        "now": time.time(),
        "ops_attention": lambda: line_health.needs_attention(line_health.read_health(helpline())),
    }


def audit(action: str, **detail) -> None:
    """Who did what, when: into the shared audit trail and the log. No personal data in `detail`."""
    entry = trail.operator_action(store(), current_user.email, action, **detail)
    log.info("event=ops.%s by=%s %s", action, current_user.email, entry.detail)


def unless_confirmed(question: str, button: str, back: str):
    """None once the operator has confirmed a destructive action; until then, the page asking them.

    The page posts the same form again with `confirm=yes` and its own CSRF token: it works without
    any script, and a form posted from elsewhere still needs this second step.
    """
    if request.form.get("confirm") == "yes":
        return None
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirm")]
    page = render_template(
        "ops/confirm.html", question=question, button=button, action=request.path, fields=fields, back=back
    )
    return page, 200
