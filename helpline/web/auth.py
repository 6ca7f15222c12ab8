"""Sign-in for staff and operators: /login, /logout, /set-password/<token>, / (on to /staff), and the
role decorators.

Sessions are server-side records in Redis named by a random token in the signed cookie, so
logging out, disabling an account or changing its password ends the session for good.
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from helpline.domain.accounts import MIN_PASSWORD_LENGTH
from helpline.services import accounts, callbacks
from helpline.web.twilio_signature import is_webhook

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
NEWLY_SET_UP = "newly_set_up"  # session key: the email whose password was just set here


class StaffUser(UserMixin):
    """The signed-in person, as Flask-Login sees them; `id` is the server-side session token."""

    def __init__(self, token: str, account: accounts.StaffAccount):
        self.id = token
        self.account = account

    @property
    def email(self) -> str:
        return self.account.email

    @property
    def is_operator(self) -> bool:
        return self.account.is_operator


def _helpline():
    return current_app.extensions["helpline"]


def _store():
    return _helpline().store


def open_session(account: accounts.StaffAccount) -> StaffUser:
    seconds = _helpline().settings.staff_session_seconds
    return StaffUser(accounts.open_session(_store(), account, seconds), account)


@login_manager.user_loader
def load_user(token: str) -> StaffUser | None:
    account = accounts.session_account(_store(), token)
    return StaffUser(token, account) if account else None


def _sign_in_again():
    """Signed out (or the session ended): to the sign-in page, also from an htmx poll."""
    if request.headers.get("HX-Request"):
        target = url_for(
            "auth.login",
            next=request.headers.get("HX-Current-URL") and urlsplit(request.headers["HX-Current-URL"]).path,
        )
        return Response(status=200, headers={"HX-Redirect": target})
    if request.method != "GET":
        # A form sent after the session ended: back to the page it was sent from (its action may take
        # POST only), saying that nothing was saved.
        came_from = urlsplit(request.referrer or "")
        back = came_from.path if came_from.netloc == request.host and came_from.path else None
        flash("You were signed out, so that was not saved. Sign in, then do it again.", "error")
        return redirect(url_for("auth.login", next=_safe_next(back)))
    return login_manager.unauthorized()


def staff_required(view):
    """Any signed-in, enabled account (staff or operator); others go to the sign-in page."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _sign_in_again()
        return view(*args, **kwargs)

    return wrapper


def operator_required(view):
    """Operators only: signed-out people go to sign in, staff get 403."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _sign_in_again()
        if not current_user.is_operator:
            log.info("event=auth.forbidden route=%s", _route())
            return render_template("forbidden.html"), 403
        return view(*args, **kwargs)

    return wrapper


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000)]
    )
    confirm = PasswordField("Repeat it", validators=[DataRequired(), EqualTo("password", "They differ.")])


def _route() -> str:
    """The rule a request matched, for logs: a set-password path carries its link token."""
    return request.url_rule.rule if request.url_rule else "-"


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("staff.queue_page") if "staff.queue_page" in current_app.view_functions else "/"


@bp.route("/")
def home():
    """The address `make run` prints, opened in a browser: the staff pages (sign-in first)."""
    return redirect(url_for("staff.queue_page"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if request.method == "GET" and not form.email.data:
        form.email.data = session.get(NEWLY_SET_UP)  # only the password is left to type
    status = 200
    if form.validate_on_submit():
        helpline = _helpline()
        store, limits = helpline.store, helpline.login_limits
        email = form.email.data.strip().lower()
        address = request.remote_addr or "-"
        account = accounts.get(store, email)
        try:
            accounts.check_login_allowed(store, email, address, limits)
        except accounts.SignInLocked as locked:
            log.warning("event=auth.locked_out reason=%s", locked.reason)
            flash(str(locked), "error")
            return render_template("login.html", form=form), 429
        if account and accounts.verify_password(account, form.password.data) and not account.disabled:
            accounts.clear_login_failures(store, email, address)
            session.clear()  # a fresh session at sign-in: nothing carried over from before
            session.permanent = True
            login_user(open_session(account))
            log.info("event=auth.signed_in role=%s", account.role)
            return redirect(_safe_next(request.args.get("next")))
        if not account:
            helpline.passwords.dummy_verify(form.password.data)
        accounts.record_login_failure(store, email, address, limits)
        log.info("event=auth.failed")
        flash("That email and password do not match an active account.", "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        return render_template("logout.html")  # a GET never signs out: the button POSTs with CSRF
    still_on_duty, back = False, 0
    if current_user.is_authenticated:
        if request.form.get("off_duty") == "yes":
            accounts.set_duty(_store(), current_user.email, False)
        still_on_duty = accounts.get(_store(), current_user.email).on_duty
        # What they held goes back on the queue now, not when the claim runs out (a crisis among them).
        back = callbacks.release_all_held_by(_store(), current_user.email, current_user.email)
        accounts.end_session(_store(), current_user.id)
    logout_user()
    session.clear()
    flash(
        "You are signed out."
        + (f" {back} request{'s' if back != 1 else ''} you held went back on the queue." if back else "")
        + (" You are still on duty: your phone rings for callers." if still_on_duty else ""),
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    store = _store()
    email = accounts.email_for_token(store, token)
    if not email:
        return render_template("set_password.html", form=None, expired=True), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.use_set_password_token(store, _helpline().passwords, token, form.password.data)
        except accounts.AccountError as exc:
            flash(str(exc), "error")
            return render_template("set_password.html", form=form, email=email), 400
        session[NEWLY_SET_UP] = email  # the sign-in form fills it in (signing in clears the session)
        flash("Password set. Sign in with it now.", "info")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("set_password.html", form=form, email=email), status


class StaffSessions(SecureCookieSessionInterface):
    """Sessions belong to the staff and ops pages. Twilio's webhooks carry a signature, never a cookie:
    they get Flask's null session, so no cookie is read, signed or sent on the texting line's path."""

    def open_session(self, app, request):
        if is_webhook(request.path):
            return None
        return super().open_session(app, request)


def _forget_cached_user() -> None:
    """Look the session up on every request, even when one app context spans several (tests, CLI)."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)  # Flask-WTF's cached token belongs to the session it was made for


def _protect_forms() -> None:
    """CSRF on every POST except Twilio's webhooks, which carry a signature instead. A method or path
    no page takes (PUT /login) is left to Flask's 405 or 404, not refused as a form without a token."""
    if request.routing_exception is not None:
        return
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not is_webhook(request.path):
        csrf.protect()


def init_app(app) -> None:
    settings = app.config["SETTINGS"]
    https = bool(settings.public_base_url and settings.public_base_url.startswith("https://"))
    # Plain http only on a development laptop; anywhere public the cookie is https-only.
    secure = https or not settings.development
    chosen = settings.extra.get("flask", {})  # explicit Flask settings win over these defaults
    for name, value in {
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "helpline_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(seconds=settings.staff_session_seconds),
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session, which expires anyway
    }.items():
        if name not in chosen:
            app.config[name] = value
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked in _protect_forms, so /twilio/ stays exempt
    app.session_interface = StaffSessions()
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in."
    login_manager.session_protection = "basic"
    app.before_request(_forget_cached_user)
    app.before_request(_protect_forms)
    app.register_blueprint(bp)

    @app.errorhandler(CSRFError)
    def _csrf_refused(exc: CSRFError):
        log.info("event=auth.csrf_refused route=%s", _route())
        return render_template("csrf_error.html", reason=exc.description), 400

    @app.context_processor
    def _globals():
        return {"current_user": current_user}
