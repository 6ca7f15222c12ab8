"""What operators manage: business hours, message templates, staff accounts, the blocklist, the directory."""

from __future__ import annotations

import time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from helpline.domain.content import LANGUAGES
from helpline.domain.hours import DAYS, InvalidHours
from helpline.domain.phones import callable_number
from helpline.services import accounts, blocklist, callbacks
from helpline.services.overrides import InvalidTemplate, LiveSettings
from helpline.web.ops.blueprint import audit, bp, helpline, store, unless_confirmed

MAX_FIELD = 2000  # any form field longer than this is not a real edit


def live() -> LiveSettings:
    return helpline().live


def _field(name: str) -> str:
    value = request.form.get(name, "")
    if len(value) > MAX_FIELD:
        abort(400, f"{name} is too long")
    return value


# -- business hours --------------------------------------------------------------------------------


def hours_from_form(form) -> dict:
    """The hours form as BusinessHours.from_dict wants it (ranges comma-separated, one holiday a line)."""
    weekly = {day: [r.strip() for r in form.get(day, "").split(",") if r.strip()] for day in DAYS}
    holidays = [d.strip() for d in form.get("holidays", "").replace(",", "\n").splitlines() if d.strip()]
    return {"timezone": form.get("timezone", "").strip(), "weekly": weekly, "holidays": holidays}


@bp.route("/hours", methods=["GET", "POST"])
def hours_page():
    if request.method == "POST":
        for name in ("timezone", "holidays", *DAYS):
            _field(name)
        data = hours_from_form(request.form)
        try:
            hours = live().save_hours(data)
        except InvalidHours as exc:
            page = render_template("ops/hours.html", data=data, current=live().hours(), problems=exc.problems)
            return page, 400
        audit("hours.saved", timezone=hours.timezone.key)
        flash("Business hours saved. Texting, voice and the callback queue use them now.", "info")
        return redirect(url_for("ops.hours_page"))
    data = live().hours().to_dict()
    return render_template("ops/hours.html", data=data, current=live().hours())


@bp.post("/hours/reset")
def hours_reset():
    asked = unless_confirmed(
        "Go back to the hours in config/hours.yaml? The hours and holidays edited here are dropped, "
        "and texting, voice and the callback queue use the file's hours at once.",
        "Yes, go back to config/hours.yaml",
        url_for("ops.hours_page"),
    )
    if asked:
        return asked
    live().reset_hours()
    audit("hours.reset")
    flash("Business hours are back to config/hours.yaml.", "info")
    return redirect(url_for("ops.hours_page"))


# -- message templates -----------------------------------------------------------------------------


def _known(lang: str, key: str) -> None:
    if lang not in LANGUAGES or key not in live().base_catalog.templates[lang]:
        abort(404)


LANGUAGE_NAMES = {"en": "English", "es": "Español"}


@bp.get("/templates")
def templates_page():
    """Every template of one language (the one chosen), previewed with that language's longest values."""
    lang = request.args.get("lang", "en")
    if lang not in LANGUAGES:
        lang = "en"
    settings = live()
    catalog = settings.catalog()
    rows = [
        (key, settings.check(lang, key, text), settings.is_edited(lang, key))
        for key, text in sorted(catalog.templates[lang].items())
    ]
    return render_template(
        "ops/templates.html",
        lang=lang,
        languages=LANGUAGE_NAMES,
        rows=rows,
        history=settings.history()[:30],
    )


@bp.route("/templates/<lang>/<key>", methods=["GET", "POST"])
def template_edit(lang: str, key: str):
    _known(lang, key)
    settings = live()
    text = settings.catalog().templates[lang][key]
    status = 200
    if request.method == "POST":
        text = _field("text")
        try:
            settings.save_template(lang, key, text, by=current_user.email)
        except InvalidTemplate as exc:
            flash("Not saved: " + " ".join(exc.check.errors), "error")
            status = 400
        else:
            audit("template.saved", lang=lang, key=key)
            flash(f"Template {lang}/{key} saved: the next message uses it.", "info")
            return redirect(url_for("ops.template_edit", lang=lang, key=key))
    return render_template(
        "ops/template_edit.html",
        lang=lang,
        key=key,
        languages=LANGUAGE_NAMES,
        edited=settings.is_edited(lang, key),
        text=text,
        check=settings.check(lang, key, text),
        default=settings.base_catalog.templates[lang][key],
        history=settings.history(lang, key),
    ), status


@bp.post("/templates/<lang>/<key>/check")
def template_check(lang: str, key: str):
    """The live segment count and preview while an operator types (htmx)."""
    _known(lang, key)
    return render_template("ops/_template_check.html", check=live().check(lang, key, _field("text")))


@bp.post("/templates/<lang>/<key>/reset")
def template_reset(lang: str, key: str):
    """Back to the shipped text (the change is kept in the history and can be rolled back)."""
    _known(lang, key)
    asked = unless_confirmed(
        f"Put template {lang}/{key} back to the shipped text? The next message uses it.",
        "Yes, use the shipped text",
        url_for("ops.template_edit", lang=lang, key=key),
    )
    if asked:
        return asked
    live().reset_template(lang, key, by=current_user.email)
    audit("template.reset", lang=lang, key=key)
    flash(f"Template {lang}/{key} is the shipped text again.", "info")
    return redirect(url_for("ops.template_edit", lang=lang, key=key))


@bp.post("/templates/rollback/<int:edit_id>")
def template_rollback(edit_id: int):
    edit = next((e for e in live().history() if e.id == edit_id), None)
    if edit is None:
        abort(404)
    asked = unless_confirmed(
        f"Roll back this change to template {edit.lang}/{edit.key} ({edit.action} by {edit.by})? "
        "The text from before it is used from the next message.",
        "Yes, roll it back",
        url_for("ops.template_edit", lang=edit.lang, key=edit.key),
    )
    if asked:
        return asked
    try:
        edit = live().rollback(edit_id, by=current_user.email)
    except KeyError:
        abort(404)
    audit("template.rolled_back", lang=edit.lang, key=edit.key, edit=edit_id)
    flash(f"Template {edit.lang}/{edit.key} rolled back.", "info")
    return redirect(url_for("ops.template_edit", lang=edit.lang, key=edit.key))


# -- staff accounts --------------------------------------------------------------------------------


def _set_password_link(token: str) -> str:
    return url_for("auth.set_password", token=token, _external=True)


def _issue_link(email: str) -> str:
    return accounts.issue_set_password_token(store(), email, helpline().settings.set_password_link_seconds)


def _link_lasts() -> str:
    """How long a set-password link works, in words ("48 hours", "30 minutes")."""
    seconds = helpline().settings.set_password_link_seconds
    if seconds >= 7200:
        return f"{seconds // 3600} hours"
    return f"{max(1, seconds // 60)} minutes"


def _staff_form(status: int = 200, form: dict | None = None):
    """The staff page; after a refused "add", with what the operator typed still in the form."""
    people = accounts.all_accounts(store())
    form = form or {"email": "", "role": "staff", "phone": ""}
    return render_template("ops/staff.html", people=people, roles=accounts.ROLES, form=form), status


@bp.get("/staff")
def staff_page():
    return _staff_form()


@bp.post("/staff")
def staff_add():
    email, role, phone = _field("email").strip(), _field("role"), _field("phone").strip()
    try:
        account = accounts.add(store(), email, role, phone=phone or None)
        token = _issue_link(account.email)
    except accounts.AccountError as exc:
        flash(f"Not added: {exc}", "error")
        return _staff_form(400, {"email": email, "role": role, "phone": phone})
    audit("staff.added", account=account.email, role=role)
    flash(
        f"{account.email} added. Send them this link to set a password: {_set_password_link(token)} "
        f"(it works once, for {_link_lasts()}).",
        "info",
    )
    return redirect(url_for("ops.staff_page"))


def _requests(count: int) -> str:
    return f"{count} request" + ("" if count == 1 else "s")


def _ask_first(email: str, action: str):
    """The confirmation page for disabling an account or taking an operator's role; None otherwise."""
    back = url_for("ops.staff_page")
    if action == "disable":
        held = len(callbacks.held_by(store(), accounts.normalize_email(email)))
        goes = "goes" if held == 1 else "go"
        held_back = f" The {_requests(held)} they hold {goes} back on the queue." if held else ""
        return unless_confirmed(
            f"Disable {email}? They are signed out everywhere at once, their set-password links stop "
            f"working, and their phone is no longer rung.{held_back}",
            f"Yes, disable {email}",
            back,
        )
    account = accounts.get(store(), email)
    if action == "role" and account and account.is_operator and _field("role") != "operator":
        yourself = accounts.normalize_email(email) == current_user.email
        who = "You" if yourself else "They"
        return unless_confirmed(
            f"Make {email} {_field('role')}? {who} will no longer open the Operations pages.",
            f"Yes, make {email} {_field('role')}",
            back,
        )
    return None


@bp.post("/staff/<path:email>/<action>")
def staff_action(email: str, action: str):
    s = store()
    try:
        if action == "disable" and accounts.normalize_email(email) == current_user.email:
            raise accounts.AccountError("you cannot disable your own account")
        if action in ("disable", "role"):
            accounts.check_keeps_an_operator(s, email, action, _field("role"))
            asked = _ask_first(email, action)
            if asked:
                return asked
        if action == "disable":
            accounts.set_disabled(s, email, True)
            back = callbacks.release_all_held_by(s, accounts.normalize_email(email), current_user.email)
            message = f"{email} is disabled and signed out everywhere." + (
                f" {_requests(back)} they held went back on the queue." if back else ""
            )
        elif action == "enable":
            accounts.set_disabled(s, email, False)
            message = f"{email} is enabled."
        elif action == "role":
            accounts.set_role(s, email, _field("role"))
            message = f"{email} is now {_field('role')}."
        elif action == "reset":
            token = _issue_link(email)
            message = (
                f"Set-password link for {email}: {_set_password_link(token)} "
                f"(it works once, for {_link_lasts()})."
            )
        elif action == "off-duty":
            accounts.set_duty(s, email, False)
            message = f"{email} is off duty."
        else:
            abort(404)
    except accounts.AccountError as exc:
        flash(f"Not done: {exc}", "error")
        return redirect(url_for("ops.staff_page"))
    audit(
        f"staff.{action}",
        account=accounts.normalize_email(email),
        **({"role": _field("role")} if action == "role" else {}),
    )
    flash(message, "info")
    return redirect(url_for("ops.staff_page"))


# -- blocklist -------------------------------------------------------------------------------------


def blocked_entries() -> list[tuple[str, str]]:
    """(phone id, reason): numbers are kept only as keyed hashes, so the list shows ids, not numbers."""
    return blocklist.entries(store())


@bp.get("/blocklist")
def blocklist_page():
    return _blocklist_form()


def _blocklist_form(status: int = 200, number: str = "", reason: str = ""):
    """The blocklist; after a refused change, with the number and reason typed still in the form."""
    page = render_template("ops/blocklist.html", entries=blocked_entries(), number=number, reason=reason)
    return page, status


@bp.post("/blocklist")
def blocklist_change():
    action, number, reason = _field("action"), _field("number"), _field("reason").strip()
    phone = callable_number(number) if number.strip() else None
    s = store()
    if action == "remove-id":
        return _unblock_when_confirmed(lambda: blocklist.unblock_id(s, _field("phone_id")))
    if phone is None:
        flash(
            "That is not a phone number we can use: type it with its area code, e.g. (212) 555-0142.", "error"
        )
        return _blocklist_form(400, number, reason)
    if action == "add":
        if not reason:
            flash("Say why the number is blocked.", "error")
            return _blocklist_form(400, number, reason)
        blocklist.block(s, phone, reason)
        audit("blocklist.added")
        flash("Number blocked: its texts get no reply and its calls are rejected.", "info")
        return redirect(url_for("ops.blocklist_page"))
    if not blocklist.is_blocked(s, phone):
        flash("That number is not on the blocklist: nothing to unblock.", "error")
        return _blocklist_form(400, number, reason)
    return _unblock_when_confirmed(lambda: blocklist.unblock(s, phone))


def _unblock_when_confirmed(unblock):
    """Ask first; once confirmed, unblock, audit and say so."""
    asked = unless_confirmed(
        "Unblock this number? Texts and calls from it are answered again.",
        "Yes, unblock it",
        url_for("ops.blocklist_page"),
    )
    if asked:
        return asked
    unblock()
    audit("blocklist.removed")
    flash("Number removed from the blocklist.", "info")
    return redirect(url_for("ops.blocklist_page"))


# -- provider directory ----------------------------------------------------------------------------


@bp.get("/directory")
def directory_page():
    from helpline.web.ops import directory as ops_directory

    query = request.args.get("q", "")[:200]
    review = ops_directory.review(time.time())
    return render_template("ops/directory.html", review=review, query=query, found=ops_directory.find(query))


@bp.post("/directory/<provider_id>/<action>")
def directory_action(provider_id: str, action: str):
    from helpline.web.ops import directory as ops_directory

    if action not in ("hide", "unhide") or len(provider_id) > 100:
        abort(404)
    done = ops_directory.set_hidden(provider_id, action == "hide", _field("reason"), current_user.email)
    if not done:
        abort(404)
    audit(f"directory.{action}", provider=provider_id)
    flash("Listing hidden from searches." if action == "hide" else "Listing shown in searches again.", "info")
    return redirect(url_for("ops.directory_page", q=_field("q") or None))  # back to the search it came from
