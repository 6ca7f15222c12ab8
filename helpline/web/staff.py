"""Staff pages (/staff…): the callback queue, one request in detail, and the actions on it.

Views stay thin: parse the form, ask `callbacks` (the queue rules), render or redirect.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from helpline.domain import places, timefmt
from helpline.services import accounts, audit, callbacks
from helpline.services.callbacks import OUTCOME_LABELS, ClaimRefused, NotHolder, Outcome
from helpline.web.auth import staff_required
from helpline.web.ops import directory as ops_directory

log = logging.getLogger(__name__)

bp = Blueprint("staff", __name__, url_prefix="/staff")

REASON_LABELS = {
    "callback": "Asked for a callback",
    "crisis": "Crisis words",
    "voicemail": "Voicemail",
    "follow-up": "Follow-up: did not reach the provider",
    "check:oih": "Self-check: signs of OIH",
    "check:oud": "Self-check: signs of opioid use disorder",
    "check:both": "Self-check: OIH and opioid use disorder",
    "check:none": "Self-check: no clear signs",
}


def _helpline():
    return current_app.extensions["helpline"]


def _store():
    return _helpline().store


def _zone():
    return _helpline().hours.timezone


@bp.app_template_filter("age")
def _age_filter(timestamp: float) -> str:
    return timefmt.age(time.time() - (timestamp or 0))


@bp.app_template_filter("until")
def _until_filter(timestamp: float) -> str:
    return timefmt.until((timestamp or 0) - time.time())


@bp.app_template_filter("local_time")
def _local_time_filter(timestamp: float) -> str:
    return timefmt.local_time(timestamp, _zone())


@bp.app_template_filter("reason")
def _reason_filter(reason: str) -> str:
    return REASON_LABELS.get(reason, reason.replace("-", " ").capitalize())


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
    open_requests = callbacks.waiting(_store())
    callbacks.return_lapsed_claims(_store(), open_requests, now)
    due = [r for r in open_requests if callbacks.is_due(r, now)]
    later = sorted(
        (r for r in open_requests if not callbacks.is_due(r, now)), key=lambda r: r.next_attempt_at
    )
    account = current_user.account
    return {
        "due": due,
        "total_open": callbacks.open_count(_store()),  # the list shows the first 200
        "later": later,
        "now": now,
        "holder": callbacks.holder,
        "me": current_user.email,
        "my_phone": accounts.phone_of(_store(), account),
    }


def _request_or_404(callback_id: str) -> callbacks.CallbackRequest:
    found = callbacks.get(_store(), callback_id) if len(callback_id) < 40 else None
    if not found:
        abort(404)
    return found


@bp.route("/callbacks/<callback_id>")
@staff_required
def detail(callback_id: str):
    store, now = _store(), time.time()
    req = _request_or_404(callback_id)
    audit.record(store, req.id, current_user.email, "view", now=now)  # the conversation is about to show
    near = (request.args.get("near") or req.zip or "").strip()[:60]
    return render_template(
        "staff/detail.html",
        r=req,
        now=now,
        holder=callbacks.holder(req, now),
        me=current_user.email,
        status=callbacks.effective_status(req, now),
        phone=callbacks.phone_of(store, req),
        conversation=callbacks.conversation_of(store, req),
        extra=callbacks.extra_of(store, req),
        attempts=callbacks.attempts(store, req.id),
        notes=callbacks.notes(store, req.id),
        trail=audit.trail(store, req.id),
        history=callbacks.linked_history(store, req),
        follow_up=callbacks.follow_up_state(store, req.id),
        outcomes=OUTCOME_LABELS,
        near=near,
        providers=_providers_near(near),
        my_phone=accounts.phone_of(store, current_user.account),
        lease_seconds=callbacks.lease_seconds(_helpline()),
    )


def _providers_near(near: str) -> list:
    """Providers to refer to, from the directory search; an empty list when it cannot answer."""
    if not near:
        return []
    place = places.locate(near.lower())
    if not place:
        return []
    try:
        from helpline.services.provider_search import find_providers

        return find_providers(current_app._get_current_object(), place, limit=8).providers
    except Exception:  # the page must still open when the directory is down
        log.exception("event=staff.provider_search_failed")
        return []


def _back(callback_id: str):
    return redirect(url_for("staff.detail", callback_id=callback_id))


@bp.post("/callbacks/<callback_id>/claim")
@staff_required
def claim(callback_id: str):
    _request_or_404(callback_id)
    try:
        callbacks.claim(_helpline(), callback_id, current_user.email)
    except ClaimRefused as exc:
        if exc.reason == "held":
            flash(f"{exc.holder} has already claimed this request.", "error")
        else:
            flash("This request is no longer open.", "error")
        return _back(callback_id), 303
    minutes = callbacks.lease_seconds(_helpline()) // 60
    message = f"You have claimed this request for {minutes} minutes; it stays yours while this page is open."
    flash(message, "info")
    return _back(callback_id)


@bp.post("/callbacks/<callback_id>/release")
@staff_required
def release(callback_id: str):
    try:
        callbacks.release(_store(), callback_id, current_user.email)
    except NotHolder:
        flash("You do not hold this request.", "error")
        return _back(callback_id)
    flash("Released: it is back on the queue.", "info")
    return redirect(url_for("staff.queue_page"))


@bp.post("/callbacks/<callback_id>/lease")
@staff_required
def renew(callback_id: str):
    """htmx keeps the claim alive while the page is open; tells the page when it has lapsed."""
    held = callbacks.renew_lease(_helpline(), callback_id, current_user.email)
    lease_until = time.time() + callbacks.lease_seconds(_helpline())
    return render_template("staff/_lease.html", held=held, lease_until=lease_until)


@bp.post("/callbacks/<callback_id>/call")
@staff_required
def call(callback_id: str):
    store = _store()
    staff_phone = accounts.phone_of(store, current_user.account)
    if not staff_phone:
        flash("Add your phone number (On duty panel on the queue page) to call from the helpline.", "error")
        return _back(callback_id)
    try:
        callbacks.call_person(_helpline(), callback_id, current_user.email, staff_phone)
    except NotHolder:
        flash("Claim the request before calling.", "error")
        return _back(callback_id)
    flash(
        "Calling your phone now. Answer, press 1, and we connect you (they see the helpline's number).",
        "info",
    )
    return _back(callback_id)


@bp.post("/callbacks/<callback_id>/outcome")
@staff_required
def outcome(callback_id: str):
    store = _store()
    try:
        chosen = Outcome(request.form.get("outcome", ""))
    except ValueError:
        flash("Choose what happened on the call.", "error")
        return _back(callback_id), 303
    provider = _chosen_provider()
    listing_phone_wrong = request.form.get("listing_phone_wrong") == "yes"
    if (chosen == Outcome.REFERRED or listing_phone_wrong) and not provider:
        flash("Pick the provider you referred them to.", "error")
        return _back(callback_id), 303
    if listing_phone_wrong and not provider["id"]:
        flash("Only a listing from the directory can be reported as having a wrong phone.", "error")
        return _back(callback_id), 303
    try:
        req, decision = callbacks.record_outcome(
            _helpline(),
            callback_id,
            current_user.email,
            chosen,
            note=(request.form.get("note") or "").strip() or None,
            provider=provider if chosen == Outcome.REFERRED else None,
            follow_up=request.form.get("follow_up") == "yes",
        )
    except NotHolder:
        flash("Claim the request before recording an outcome (your claim may have lapsed).", "error")
        return _back(callback_id), 303
    if listing_phone_wrong:
        ops_directory.report_wrong_number(store.r, provider["id"])
        audit.record(store, callback_id, current_user.email, "listing phone wrong", provider["name"])
    flash(_outcome_message(req, decision), "info")
    return redirect(url_for("staff.queue_page"))


def _chosen_provider() -> dict | None:
    """The provider picked from the directory search, or one typed by hand when it is not listed."""
    raw = (request.form.get("provider") or "").strip()
    typed = (request.form.get("provider_other") or "").strip()
    if not raw and typed:
        return {"id": "", "name": typed[:120]}
    if not raw:
        return None
    provider_id, _, name = raw.partition("|")
    return {"id": provider_id[:80], "name": name[:120] or provider_id[:80]}


def _outcome_message(req: callbacks.CallbackRequest, decision: callbacks.OutcomeDecision) -> str:
    if decision.status == "waiting" and decision.next_attempt_at:
        when = timefmt.local_time(decision.next_attempt_at.timestamp(), _zone())
        return f"Back on the queue for another try {when}."
    if decision.final_text:
        return f"Closed after {req.attempts} attempts; a last text tells them they can text CALL any time."
    return "Outcome recorded. Thank you."


@bp.post("/callbacks/<callback_id>/note")
@staff_required
def note(callback_id: str):
    text = (request.form.get("note") or "").strip()
    _request_or_404(callback_id)
    if not text:
        flash("The note is empty.", "error")
        return _back(callback_id), 303
    callbacks.add_note(_store(), callback_id, current_user.email, text)
    flash("Note added.", "info")
    return _back(callback_id)


@bp.post("/duty")
@staff_required
def duty():
    on = request.form.get("on_duty") == "on"
    phone = (request.form.get("phone") or "").strip() or None
    try:
        account = accounts.set_duty(_store(), current_user.email, on, phone=phone)
    except accounts.AccountError as exc:
        flash(f"Could not change your duty: {exc}.", "error")
        return redirect(url_for("staff.queue_page")), 303
    flash(
        "You are on duty: your phone rings for callers." if account.on_duty else "You are off duty.", "info"
    )
    return redirect(url_for("staff.queue_page"))
