"""Staff pages (/staff…): the callback queue, one request with its whole conversation, and the actions.

Views stay thin: parse the form, ask a service (the queue, the timeline, staff texts, referrals),
render or redirect. Open pages poll; a poll that finds nothing new gets 204 and an empty body.
"""

from __future__ import annotations

import logging
import re
import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from helpline.domain import timefmt
from helpline.domain.phones import split_extension
from helpline.services import (
    accounts,
    audit,
    blocklist,
    callbacks,
    recordings,
    referrals,
    staff_queue,
    staff_texts,
    timeline,
)
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
FILTER_LABELS = (
    ("mine", "Mine"),
    ("unclaimed", "Unclaimed"),
    ("crisis", "Crisis"),
    ("spanish", "Spanish"),
    ("voicemail", "Voicemail"),
)
BRAND = "Helpline: "  # what every text from the line opens with, in both languages
CALLBACK_ID = re.compile(r"^cb\d{1,12}$")
# What a caller did on the phone menu, in words (the conversation keeps the menu step's name); "Chose",
# not "Pressed": an option may be said as well as keyed.
CALL_STEPS = {
    "greeting": "Heard the welcome and the menu",
    "menu": "Went back to the menu",
    "english": "Chose English",
    "spanish": "Chose Spanish",
    "info": "Chose 1: heard what OIH is",
    "treatment": "Chose 2: find treatment",
    "zip": "Gave a ZIP code",
    "search": "Heard the nearest providers",
    "search_empty": "Heard that no provider was found near them",
    "search_failed": "The provider search failed; heard the menu again",
    "text_providers": "Asked for the providers by text",
    "callback": "Chose 3: asked for a callback",
    "callback_number": "Gave another number to call back",
    "number": "Typed a number to call back",
    "callback_requested": "Confirmed the number to call back",
    "callback_done": "Heard when staff call back; the call ended",
    "talk": "Chose 4: talk to someone now",
    "talk_ring": "Staff phones rang",
    "talk_answered": "A staff member took the call",
    "voicemail": "Nobody free: sent to voicemail",
    "emergency": "Chose 0: heard the emergency guidance",
    "dial_988": "Connected to 988",
    "crisis": "Said crisis words: heard the emergency guidance",
    "goodbye": "Heard goodbye; the call ended",
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


@bp.app_template_filter("soon")
def _soon_filter(timestamp: float) -> str:
    """A moment minutes away, by the clock and how long: `12:00am EST (in 15 min)`; a claim that ends at
    midnight never reads as `tomorrow`, a day away."""
    label = timefmt.local_time(timestamp, _zone())
    clock = label.split(" ", 1)[1] if label.startswith(("today ", "tomorrow ")) else label
    return f"{clock} ({_until_filter(timestamp)})"


@bp.app_template_filter("unbranded")
def _unbranded_filter(text: str) -> str:
    """Our text without the name it opens with, for a line already labelled `Helpline:`."""
    return (text or "").removeprefix(BRAND)


@bp.app_template_filter("local_time")
def _local_time_filter(timestamp: float) -> str:
    return timefmt.local_time(timestamp, _zone())


@bp.app_template_filter("reason")
def _reason_filter(reason: str) -> str:
    return REASON_LABELS.get(reason, reason.replace("-", " ").capitalize())


@bp.app_template_filter("call_step")
def _call_step_filter(text: str) -> str:
    """`(phone) callback_done` -> `Heard when staff call back; the call ended`; other lines as they are."""
    if text == "(phone call)":
        return "Called the helpline"
    step = text.removeprefix("(phone) ") if text.startswith("(phone) ") else None
    if step is None:
        return text
    return CALL_STEPS.get(step, step.replace("_", " ").capitalize())


@bp.app_template_filter("phone_display")
def _phone_display(phone: str | None) -> str:
    """`+15551230001` -> `(555) 123-0001` (a listing's extension after it: `... ext. 12`); other numbers
    as stored."""
    number, extension = split_extension(phone or "")
    if number.startswith("+1") and len(number) == 12:
        number = f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return f"{number} ext. {extension}" if extension else number


@bp.app_template_filter("tel_href")
def _tel_href(phone: str | None) -> str:
    """A `tel:` link a phone dials: an extension is dialled after a pause (`tel:+16175550132,12`)."""
    number, extension = split_extension(phone or "")
    return f"tel:{number},{extension}" if extension else f"tel:{number}"


@bp.app_template_filter("service_label")
def _service_label(service: str) -> str:
    try:
        return _helpline().catalog.render("en", f"service_{service}")
    except KeyError:
        return service.replace("_", " ")


def _page(template: str, http_status: int = 200, **context):
    """A whole staff page: the crisis bar and this person's alert choices come with every one."""
    store = _store()
    context.setdefault("me", current_user.email)
    html = render_template(
        template,
        pulse=staff_queue.pulse(store),
        alert_prefs=store.staff_alerts.choices(current_user.email),
        **context,
    )
    return html, http_status


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _no_change():
    return "", 204


# -- the queue ---------------------------------------------------------------------------------


def _queue_view():
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    filters = staff_queue.QueueFilters.from_args(request.args)
    newest = request.args.get("newest", "")
    view = staff_queue.queue_view(
        _store(),
        filters,
        current_user.email,
        page=page,
        newest_seen=newest if CALLBACK_ID.match(newest) else None,
    )
    return view, filters


def _queue_context(view, filters) -> dict:
    return {
        "q": view,
        "filters": filters,
        "filter_labels": FILTER_LABELS,
        "max_attempts": _helpline().settings.callback_max_attempts,
        "my_phone": accounts.phone_of(_store(), current_user.account),
    }


@bp.route("/")
@bp.route("")
@staff_required
def queue_page():
    view, filters = _queue_view()
    return _page("staff/queue.html", **_queue_context(view, filters))


@bp.route("/queue")
@staff_required
def queue_fragment():
    """The list alone: polled every few seconds (204 when nothing changed), and filters and pages."""
    seen = request.args.get("seen", "")
    if seen:
        ids = [i for i in request.args.get("ids", "").split() if CALLBACK_ID.match(i)]
        if staff_queue.unchanged(_store(), seen, ids):
            return _no_change()
    view, filters = _queue_view()
    response = make_response(render_template("staff/_queue_list.html", **_queue_context(view, filters)))
    if not seen:  # a filter or a page chosen: the address bar follows, so a reload shows the same
        response.headers["HX-Push-Url"] = url_for(
            "staff.queue_page", **view.query, **({"page": view.page} if view.page > 1 else {})
        )
    return response


@bp.route("/pulse")
@staff_required
def pulse():
    """The crisis bar, polled by every staff page; 204 when no crisis request changed."""
    seen = request.args.get("seen", "")
    if seen and staff_queue.pulse_unchanged(_store(), seen):
        return _no_change()
    return render_template("staff/_pulse.html", pulse=staff_queue.pulse(_store()))


@bp.post("/next")
@staff_required
def next_request():
    """Claim the next request in queue order (crisis first) and open it."""
    taken = staff_queue.take_next(_helpline(), current_user.email)
    if taken is None:
        flash("No one is waiting right now.", "info")
        return redirect(url_for("staff.queue_page"))
    flash(f"You have claimed {taken.id}: it stays yours while its page is open.", "info")
    return redirect(url_for("staff.detail", callback_id=taken.id))


@bp.post("/alerts")
@staff_required
def alert_prefs():
    """Crisis alert choices (sound, desktop notification), remembered for this account."""
    sound, notify = request.form.get("sound") == "on", request.form.get("notify") == "on"
    _store().staff_alerts.choose(current_user.email, sound=sound, notify=notify)
    if _is_htmx():
        return _no_change()
    flash("Alert choices saved.", "info")
    return redirect(url_for("staff.queue_page"))


# -- one request -------------------------------------------------------------------------------


def _request_or_404(callback_id: str) -> callbacks.CallbackRequest:
    found = callbacks.get(_store(), callback_id) if CALLBACK_ID.match(callback_id) else None
    if not found:
        abort(404)
    return found


def _status_label(req: callbacks.CallbackRequest, status: str, who: str | None, now: float) -> str:
    if status == "claimed" and who:
        return "Yours" if who == current_user.email else f"Held by {who}"
    if status == "waiting":
        return "Waiting" if callbacks.is_due(req, now) else "Scheduled retry"
    return {"done": "Done", "closed": "Closed"}.get(status, status.capitalize())


def _timeline(req: callbacks.CallbackRequest) -> timeline.Timeline:
    extra = callbacks.extra_of(_store(), req)
    playable = extra.get("voicemail_url") and not recordings.why_unplayable(_helpline())
    audio = url_for("staff.voicemail", callback_id=req.id) if playable else ""
    return timeline.build(_store(), req, zone_label=_local_time_filter, audio_url=audio)


def _state_context(req: callbacks.CallbackRequest, now: float) -> dict:
    """What the status line, the call-back card and the facts show (on the page; in its poll once changed)."""
    hl, store = _helpline(), _store()
    who = callbacks.holder(req, now)
    state = callbacks.effective_status(req, now)
    phone = callbacks.phone_of(store, req)
    tail = store.callbacks.last_exchanges([req.phone_id]).get(req.phone_id)
    return {
        "r": req,
        "now": now,
        "me": current_user.email,
        "holder": who,
        "held_since": (req.claimed_at or req.updated) if who else None,
        "status": state,
        "status_label": _status_label(req, state, who, now),
        "request_state": staff_queue.request_state(req, now),
        "phone": phone,
        "phone_display": _phone_display(phone),
        "last4": phone[-4:],
        "texted_again": staff_queue.texted_again_at(req, tail) is not None,
        "blocked": blocklist.is_blocked_id(store, req.phone_id),
        "my_phone": accounts.phone_of(store, current_user.account),
        "max_attempts": hl.settings.callback_max_attempts,
        "follow_up": callbacks.follow_up_state(store, req.id),
        "call_time": callbacks.call_time_of(store, req),
    }


def _detail(req: callbacks.CallbackRequest, *, form=None, errors=None, text_result=None, http_status=200):
    hl, store, now = _helpline(), _store(), time.time()
    state = _state_context(req, now)
    near, near_source = referrals.default_place(hl, req)
    # A search typed on the page: from the address, or sent with a refused outcome (kept in its box).
    asked = (request.args.get("near") or request.form.get("near") or "").strip()[:60]
    found = referrals.search(hl, asked or near)
    form = form or {}
    chosen = (form.get("provider") or "").partition("|")[0]
    open_request = state["status"] in ("waiting", "claimed")
    composer = staff_texts.composer(hl, req, current_user.email, body=form.get("body", ""))
    return _page(
        "staff/detail.html",
        http_status,
        **state,
        timeline=_timeline(req),
        no_recordings=recordings.why_unplayable(hl),
        texting=composer,
        text_result=text_result,
        outcomes=OUTCOME_LABELS,
        form=form,
        errors=errors or {},
        near=found.near or asked or near,
        near_source=near_source if not asked else "",
        providers=found.providers,
        search_note=found.note,
        can_refer=state["holder"] == current_user.email and open_request,
        can_text_referral=not composer.blocked,
        chosen_provider=chosen,
        history=callbacks.linked_history(store, req),
        trail=timeline.trail(store, req.id, _local_time_filter),
        lease_seconds=callbacks.lease_seconds(hl),
        check_in_after=_check_in_after(),
    )


@bp.route("/callbacks/<callback_id>")
@staff_required
def detail(callback_id: str):
    req = _request_or_404(callback_id)
    audit.record(_store(), req.id, current_user.email, "view")  # the conversation is about to show
    return _detail(req)


@bp.get("/callbacks/<callback_id>/<any(claim, release, call, outcome, note, text):action>")
@staff_required
def action_address(callback_id: str, action: str):
    """A form's address in the bar (a refused outcome or text is answered there, then reloaded or
    bookmarked): the request's own page, never a dead end."""
    return redirect(url_for("staff.detail", callback_id=_request_or_404(callback_id).id))


@bp.route("/callbacks/<callback_id>/timeline", endpoint="timeline")
@staff_required
def timeline_fragment(callback_id: str):
    """The conversation and activity alone: polled by the open page, 204 while nothing changed. When the
    request itself changed (someone claimed, released or recorded a call), the status, the call-back card
    and the facts come with it, so the page never offers what is no longer there."""
    req = _request_or_404(callback_id)
    now = time.time()
    state_changed = request.args.get("state", "") != staff_queue.request_state(req, now)
    if not state_changed and timeline.unchanged(_store(), req.id, request.args.get("seen", "")):
        return _no_change()
    context = (
        _state_context(req, now) if state_changed else {"call_time": callbacks.call_time_of(_store(), req)}
    )
    if state_changed:
        when, now_shown = _local_time_filter(now), context["status_label"].lower()
        context["changed_by"] = f"Changed while this page was open ({when}): now {now_shown}."
    return render_template(
        "staff/_timeline_poll.html",
        timeline=_timeline(req),
        state_changed=state_changed,
        no_recordings=recordings.why_unplayable(_helpline()),
        **context,
    )


@bp.route("/callbacks/<callback_id>/voicemail")
@staff_required
def voicemail(callback_id: str):
    """The voicemail recording, fetched from Twilio for this page (the browser never holds its link)."""
    req = _request_or_404(callback_id)
    recording = recordings.voicemail_audio(_helpline(), req)
    if recording is None:
        abort(404)
    audit.record(_store(), req.id, current_user.email, "listened to voicemail")
    body, content_type = recording
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    return response


@bp.route("/callbacks/<callback_id>/providers")
@staff_required
def providers(callback_id: str):
    """Provider search in place: the results replace the list, nothing else on the page moves."""
    req = _request_or_404(callback_id)
    near = (request.args.get("near") or "").strip()[:60]
    if not _is_htmx():
        return redirect(url_for("staff.detail", callback_id=req.id, near=near) + "#find-title")
    found = referrals.search(_helpline(), near)
    now = time.time()
    who = callbacks.holder(req, now)
    return render_template(
        "staff/_providers.html",
        r=req,
        near=found.near or near,
        providers=found.providers,
        search_note=found.note,
        can_refer=who == current_user.email
        and callbacks.effective_status(req, now) in ("waiting", "claimed"),
        can_text_referral=staff_texts.composer(_helpline(), req, current_user.email).blocked is None,
        chosen_provider="",
        searched=True,
    )


# -- texts from the page ----------------------------------------------------------------------


def _text_answer(req, result: staff_texts.TextSent, status: int = 200):
    if _is_htmx():
        response = make_response(render_template("staff/_text_result.html", text_result=result), status)
        if result.ok:
            response.headers["HX-Trigger"] = "timeline-changed"
        return response
    if result.ok:
        flash(result.message, "info")
        return redirect(url_for("staff.detail", callback_id=req.id))
    return _detail(req, form={"body": request.form.get("body", "")}, text_result=result, http_status=status)


@bp.post("/callbacks/<callback_id>/text")
@staff_required
def send_text(callback_id: str):
    req = _request_or_404(callback_id)
    body = request.form.get("body") or ""
    try:
        result = staff_texts.send(_helpline(), req, current_user.email, body)
    except staff_texts.TextRefused as exc:
        return _text_answer(req, staff_texts.TextSent(str(exc), ok=False), 422)
    return _text_answer(req, result)


@bp.post("/callbacks/<callback_id>/text/check")
@staff_required
def check_text(callback_id: str):
    """The character and segment count as they type."""
    _request_or_404(callback_id)
    check = staff_texts.check((request.form.get("body") or "")[: staff_texts.MAX_LENGTH * 2])
    return render_template("staff/_segments.html", check=check)


@bp.post("/callbacks/<callback_id>/text/referral")
@staff_required
def send_referral(callback_id: str):
    """One click: the provider's name, phone, distance, address and services, texted to them."""
    req = _request_or_404(callback_id)
    found = referrals.provider(_helpline(), request.form.get("near", ""), request.form.get("provider", ""))
    if found is None:
        return _text_answer(req, staff_texts.TextSent("That provider is no longer listed.", ok=False), 422)
    try:
        result = staff_texts.send_referral(_helpline(), req, current_user.email, found)
    except staff_texts.TextRefused as exc:
        return _text_answer(req, staff_texts.TextSent(str(exc), ok=False), 422)
    return _text_answer(req, result)


# -- claims, calls, outcomes, notes -----------------------------------------------------------


def _back(callback_id: str):
    return redirect(url_for("staff.detail", callback_id=callback_id))


@bp.post("/callbacks/<callback_id>/claim")
@staff_required
def claim(callback_id: str):
    req = _request_or_404(callback_id)
    now, seen = time.time(), request.form.get("seen")
    if seen and seen != staff_queue.request_state(
        req, now
    ):  # the page showed an older state: act on none of it
        who = callbacks.holder(req, now)
        flash(f"{who} has already claimed this request." if who else _changed_since(req), "error")
        return _back(callback_id), 303
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


def _changed_since(req: callbacks.CallbackRequest) -> str:
    """Why a click from an older page did nothing: what was done to the request since, and by whom."""
    last = next((e for e in reversed(audit.trail(_store(), req.id)) if e.action != "view"), None)
    words = timeline.trail_words(last, _local_time_filter) if last else None
    done = f" ({words.who} {words.what}, {_local_time_filter(last.at)})" if words else ""
    return f"Not claimed: this request changed since your page showed it{done}. Here it is as it is now."


@bp.post("/callbacks/<callback_id>/release")
@staff_required
def release(callback_id: str):
    """Back on the queue; a hand-over note typed in the outcome form goes with it (kept even when the claim
    had already lapsed: nothing typed is thrown away)."""
    _request_or_404(callback_id)
    hand_over = (request.form.get("note") or "").strip()
    try:
        callbacks.release(_store(), callback_id, current_user.email)
    except NotHolder:
        if hand_over:
            callbacks.add_note(_store(), callback_id, current_user.email, hand_over)
        saved = " Your note was saved on it." if hand_over else ""
        flash(f"You no longer hold this request, so there was nothing to release.{saved}", "error")
        return _back(callback_id)
    if hand_over:
        callbacks.add_note(_store(), callback_id, current_user.email, hand_over)
        flash(
            "Released with your note: it is back on the queue, and whoever opens it next sees the note.",
            "info",
        )
    else:
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
        flash("Add your phone under “Your duty” on the queue page to call from the helpline.", "error")
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


def _outcome_errors(form) -> tuple[dict, Outcome | None, dict | None]:
    """What is wrong with the outcome form, field by field (nothing typed is thrown away)."""
    errors = {}
    try:
        chosen = Outcome(form.get("outcome", ""))
    except ValueError:
        chosen = None
        errors["outcome"] = "Choose what happened on the call."
    provider = _chosen_provider()
    listing_phone_wrong = form.get("listing_phone_wrong") == "yes"
    if (chosen == Outcome.REFERRED or listing_phone_wrong) and not provider:
        errors["provider"] = "Pick the provider you referred them to."
    elif listing_phone_wrong and not provider["id"]:
        errors["provider"] = "Only a listing from the directory can be reported as having a wrong phone."
    return errors, chosen, provider


@bp.post("/callbacks/<callback_id>/outcome")
@staff_required
def outcome(callback_id: str):
    req = _request_or_404(callback_id)
    store = _store()
    form = {k: (request.form.get(k) or "")[:4000] for k in ("outcome", "provider", "provider_other", "note")}
    form |= {k: request.form.get(k, "") for k in ("listing_phone_wrong", "follow_up")}
    errors, chosen, provider = _outcome_errors(request.form)
    if errors:
        return _detail(req, form=form, errors=errors, http_status=422)
    try:
        req, decision = callbacks.record_outcome(
            _helpline(),
            callback_id,
            current_user.email,
            chosen,
            note=form["note"].strip() or None,
            provider=provider if chosen == Outcome.REFERRED else None,
            follow_up=form["follow_up"] == "yes",
        )
    except NotHolder:
        errors = {"claim": "Claim the request before recording an outcome (your claim may have lapsed)."}
        return _detail(req, form=form, errors=errors, http_status=422)
    if form["listing_phone_wrong"] == "yes":
        ops_directory.report_wrong_number(provider["id"])
        audit.record(store, callback_id, current_user.email, "listing phone wrong", provider["name"])
    referred_to = provider["name"] if chosen == Outcome.REFERRED and provider else None
    flash(_outcome_message(req, decision, referred_to, follow_up=form["follow_up"] == "yes"), "info")
    return redirect(url_for("staff.queue_page", done=req.id))


def _chosen_provider() -> dict | None:
    """The provider picked from the search, or one typed by hand when it is not listed."""
    raw = (request.form.get("provider") or "").strip()
    typed = (request.form.get("provider_other") or "").strip()
    if not raw and typed:
        return {"id": "", "name": typed[:120]}
    if not raw:
        return None
    provider_id, _, name = raw.partition("|")
    return {"id": provider_id[:80], "name": name[:120] or provider_id[:80]}


def _check_in_after() -> str:
    """When the check-in text goes after a referral: `in 2 days`."""
    return timefmt.until(_helpline().settings.follow_up_after_seconds)


def _outcome_message(
    req: callbacks.CallbackRequest,
    decision: callbacks.OutcomeDecision,
    referred_to: str | None = None,
    *,
    follow_up: bool = False,
) -> str:
    if decision.status == "waiting" and decision.next_attempt_at:
        when = timefmt.local_time(decision.next_attempt_at.timestamp(), _zone())
        return f"Back on the queue for another try {when}."
    if decision.final_text:
        return f"Closed after {req.attempts} attempts; a last text tells them they can text CALL any time."
    if referred_to:
        check_in = f" A check-in text goes to them {_check_in_after()}." if follow_up else ""
        return f"Recorded: {req.id} referred to {referred_to}.{check_in} Thank you."
    return f"Outcome recorded for {req.id}. Thank you."


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
    """Go on or off duty, or only change the phone to ring (duty stays as it is: a new phone never takes
    anyone off duty). A phone that cannot be rung is refused with what was typed still in the field."""
    choice = request.form.get("on_duty")
    was_on = bool(current_user.account.on_duty)
    on = was_on if choice not in ("on", "off") else choice == "on"
    phone = (request.form.get("phone") or "").strip()[:40] or None
    try:
        account = accounts.set_duty(_store(), current_user.email, on, phone=phone)
    except accounts.AccountError as exc:
        problem = f"{exc}."
        if phone and str(exc) == "not a valid phone number":
            problem = f"“{phone}” is not a number we can ring; type it with its area code, e.g. 617 555 0123."
        view, filters = _queue_view()
        return _page(
            "staff/queue.html",
            422,
            **_queue_context(view, filters),
            duty_error=f"Nothing changed: {problem}",
            duty_phone=phone or "",
        )
    ringing = _phone_display(accounts.phone_of(_store(), account))
    if account.on_duty != was_on:
        message = "You are on duty: your phone rings for callers." if account.on_duty else "You are off duty."
    elif phone:
        still = "You are still on duty." if account.on_duty else "You are still off duty."
        message = f"Phone saved: we now ring {ringing}. {still}"
    else:
        message = "Type a phone number to save it."
    flash(message, "info")
    return redirect(url_for("staff.queue_page"))
