"""POST /twilio/sms: parse Twilio's form, ask the texting line, answer in TwiML.

Nearly every request here is a well-formed, signed text, and a texter waits on it. `TextingWebhook`
answers those in front of Flask, as plain WSGI: Flask's request machinery (its contexts, the hooks every
page needs, the form parser and response objects) cost about as much as the conversation itself (see
README, "A text around Flask's request machinery"). Anything else (another method, a body too large or
not a plain form, a bad signature, a missing field, an error while answering) goes to the Flask view,
which answers it as every route is answered: the same status codes, error bodies, headers and logs.
"""

from __future__ import annotations

import functools
import time
from io import BytesIO
from urllib.parse import unquote

import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" decoding the Flask form parser uses
from flask import Blueprint, Flask, abort, current_app, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.http import http_date, parse_cookie

from helpline.services.retries import StoreUnavailable, giving_up_once
from helpline.services.texting import (
    HINT_COOKIE,
    HINT_SECONDS,
    Answer,
    IncomingText,
    Line,
    answer_without_store,
    handle_text,
)
from helpline.web.access_log import EVENT, ROUTE
from helpline.web.twilio_signature import signed_url, twilio_signed, verifies
from helpline.web.twiml import twiml

bp = Blueprint("sms", __name__, url_prefix="/twilio")
PATH = "/twilio/sms"
FORM = "application/x-www-form-urlencoded"


@bp.post("/sms")
@twilio_signed
def incoming_sms():
    """What the fast path leaves to Flask (see TextingWebhook)."""
    text = _incoming(request.form, request.cookies.get(HINT_COOKIE))
    if text is None:
        abort(400, "From, Body and MessageSid are required")
    answer = _answer(current_app.extensions["helpline"].texting, text)
    request.environ[EVENT] = answer.event  # said on the request's one log line, the access log's
    response = twiml(_messages(tuple(answer.replies)))
    if answer.hint is not None:
        response.set_cookie(HINT_COOKIE, answer.hint, max_age=HINT_SECONDS, path=bp.url_prefix, httponly=True)
    return response


class TextingWebhook:
    """WSGI middleware: a signed, well-formed POST /twilio/sms answered without Flask's request
    machinery; every other request goes on to `flask_app` (the app's own wsgi_app) untouched."""

    def __init__(self, app: Flask, flask_app, headers: list[tuple[str, str]]):
        self._app = app
        self._next = flask_app
        self._settings = app.config["SETTINGS"]
        self._max_bytes = app.config["MAX_CONTENT_LENGTH"]
        self._headers = [("Content-Type", "text/xml; charset=utf-8"), *headers]

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self._next(environ, start_response)
        form = self._form(environ)
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE", "")
        if form is None or not signature:
            return self._next(environ, start_response)
        validator = self._app.extensions["twilio_validator"]
        if not verifies(validator, signed_url(self._settings, environ), form, signature):
            return self._next(environ, start_response)  # refused there, and logged, as any webhook's
        text = _incoming(form, parse_cookie(environ).get(HINT_COOKIE) if "HTTP_COOKIE" in environ else None)
        if text is None:
            return self._next(environ, start_response)
        environ[ROUTE] = PATH
        try:
            with giving_up_once():
                answer = _answer(self._app.extensions["helpline"].texting, text)
        except Exception as exc:  # a delivery to try again (503), or a failure: as Flask answers them
            return self._failed(environ, exc)(environ, start_response)
        environ[EVENT] = answer.event  # said on the request's one log line, the access log's
        body = _messages(tuple(answer.replies)).encode()
        headers = [*self._headers, ("Content-Length", str(len(body)))]
        if answer.hint is not None:  # as Flask's set_cookie writes it (a hint needs no quoting)
            headers.append(
                ("Set-Cookie", f"{HINT_COOKIE}={answer.hint}{_cookie_attributes(int(time.time()))}")
            )
        start_response("200 OK", headers)
        return [body]

    def _form(self, environ) -> TwilioForm | None:
        """The url-encoded form, decoded as Flask decodes it; None (the body put back for Flask) when the
        request is not one: no length, too large, another content type, not UTF-8."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return None
        content_type = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if not 0 <= length <= self._max_bytes or content_type != FORM:
            return None
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = BytesIO(raw)  # readable again, should Flask answer it
        try:
            return TwilioForm(form_fields(raw.decode()))
        except ValueError:
            return None

    def _failed(self, environ, exc: Exception):
        """The response Flask gives when a view raises `exc`: its error handlers, hooks and logging."""
        app = self._app
        with app.request_context(environ):
            try:
                handled = app.handle_user_exception(exc)
            except Exception as unhandled:  # noqa: BLE001 - Flask logs it (or re-raises it in tests)
                handled = app.handle_exception(unhandled)
            return app.finalize_request(handled, from_error_handler=True)


class TwilioForm(dict):
    """Twilio's form: each field's first value, as Flask's form gives it, and all of a field's values
    (`getall`) for the signature, which the SDK's validator asks for by that name."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self._all: dict[str, list[str]] = {}
        for name, value in pairs:
            self._all.setdefault(name, []).append(value)
        super().__init__((name, values[0]) for name, values in self._all.items())

    def getall(self, name: str) -> list[str]:
        return self._all[name]


def form_fields(body: str) -> list[tuple[str, str]]:
    """A url-encoded form's (name, value) pairs, as `urllib.parse.parse_qsl(body, keep_blank_values=True)`
    with werkzeug's error handler gives them (the Flask form parser's reading), in about half its time:
    most of Twilio's ~20 fields need no decoding ("+" for a space, "%XX" for a byte), and are not sent
    through it."""
    pairs = []
    for field in body.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append((_decoded(name), _decoded(value)))
    return pairs


def _decoded(part: str) -> str:
    if "+" in part:
        part = part.replace("+", " ")
    return unquote(part, errors="werkzeug.url_quote") if "%" in part else part


@functools.lru_cache(maxsize=2)
def _cookie_attributes(second: int) -> str:
    """What follows the hint in its Set-Cookie header, made once a second rather than once a text."""
    expires = http_date(second + HINT_SECONDS)
    return f"; Expires={expires}; Max-Age={HINT_SECONDS}; HttpOnly; Path={bp.url_prefix}"


def _incoming(form, hint: str | None) -> IncomingText | None:
    """The text in Twilio's form, or None when a field every text has is missing."""
    if not all(form.get(name) for name in ("From", "MessageSid")) or "Body" not in form:
        return None
    return IncomingText(
        sid=form["MessageSid"][:64],
        sender=form["From"][:64],
        body=form["Body"],
        opt_out_type=form.get("OptOutType"),
        num_media=_int(form.get("NumMedia")),
        hint=hint,  # Twilio sends back what the last answer set (4 hours)
    )


def _answer(line: Line, text: IncomingText) -> Answer:
    try:
        return handle_text(line, text)
    except StoreUnavailable:  # Twilio does not send a text again after an error: answer it now
        return answer_without_store(line, text)


@functools.lru_cache(maxsize=256)
def _messages(replies: tuple[str, ...]) -> str:
    """The TwiML for these replies. Most replies are the same few texts (the menu, a topic, "looking
    up..."), so each is built once per process instead of once per text."""
    response = MessagingResponse()
    for reply in replies:
        response.message(reply)
    return str(response)


def _int(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 10))  # Twilio sends at most 10 media with a text
    except ValueError:
        return 0
