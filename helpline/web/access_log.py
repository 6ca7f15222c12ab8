"""What request logs show of a request: its route rule, never its path (a set-password link carries
its token in the path). gunicorn's access log (config/gunicorn.conf.py) and Werkzeug's development
server log both go through here."""

from __future__ import annotations

import logging
import re

from flask import request
from gunicorn.glogging import Logger, SafeAtoms

ROUTE = "helpline.route"  # WSGI environ entry: the rule the request matched, e.g. /set-password/<token>
EVENT = "helpline.event"  # WSGI environ entry: what a webhook did (numbers masked, never a text)
# A path no rule matched is logged without what follows a secret-bearing prefix.
SECRET_PATH = re.compile(r"(/set-password)/[^\s\"?]*")


def redact(text: str) -> str:
    return SECRET_PATH.sub(r"\1/<token>", text)


class RedactedAtoms(SafeAtoms):
    """gunicorn's atoms, each redacted and escaped as the log format reads it. gunicorn makes ~50 of them
    (every header and environ entry) and the format uses a handful: only those are worked on."""

    def __init__(self, atoms: dict):
        dict.__init__(self, atoms)

    def __getitem__(self, name: str):
        value = super().__getitem__(name)
        return redact(value).replace('"', '\\"') if isinstance(value, str) else value


class AccessLogger(Logger):
    """gunicorn's logger, with `%(U)s` the route rule instead of the path, and no link token in any atom
    (the request line, the referer, the environ)."""

    atoms_wrapper_class = RedactedAtoms

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = environ.get(ROUTE) or atoms["U"]
        return atoms


class RedactPaths(logging.Filter):
    """Werkzeug's request lines (`flask run`, test servers) with link tokens left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        record.msg = redact(str(record.msg))
        return True


def _note_route() -> None:
    request.environ[ROUTE] = request.url_rule.rule if request.url_rule else None


def init_app(app) -> None:
    app.before_request(_note_route)
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactPaths) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactPaths())
