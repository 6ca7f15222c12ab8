"""gunicorn settings for the web process (the Procfile's `web:` line)."""

import gc
import multiprocessing
import os

from config.settings import load_settings

_settings = load_settings()  # HOST, PORT, WEB_CONCURRENCY, WEB_THREADS: defaults and reasons are there
bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_concurrency or multiprocessing.cpu_count() * 2
threads = _settings.web_threads
# Twilio gives up after 15 s; a request still running at 20 s is stuck, not slow.
timeout = 20
graceful_timeout = 10
accesslog = "-"
# The access log must not carry phone numbers or link tokens: the route rule (%(U)s, e.g.
# /set-password/<token>), never the path itself, query strings or bodies.
# A webhook's line also says what it did (helpline.event: masked number, intent), so a text costs one
# log line, not two.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms %({helpline.event}e)s'
logger_class = "helpline.web.access_log.AccessLogger"
# gunicorn's control socket lives in the home directory, shared by every checkout; we do not use it.
control_socket_disable = True
# `make run` asks for the master's pid, so `make stop` can stop the web before the worker and Redis.
pidfile = os.environ.get("HELPLINE_WEB_PIDFILE") or None
# The app is built and its data loaded once, in the master, then forked: workers boot at once and share
# those pages (4 workers each loading the ZIP data took ~20 s of CPU on 2 cores). No connection it opened
# is shared across the fork: redis-py opens fresh connections in each worker. Code changes need a restart.
preload_app = True


def when_ready(server) -> None:
    """Load the ZIP, city and area-code data before the workers are forked and take requests (a
    texter's ZIP and the staff pages wait on it otherwise); commands such as `flask simulate` never do."""
    from phonenumbers import geocoder  # noqa: F401 - the staff pages' area-code lookup

    from helpline.domain import conversation, places

    places.warm()
    conversation.warm()  # the crisis and opt-out lexicons: the first text does not pay for them
    # What is loaded now lives as long as the process: out of the collector's sight, a full collection
    # no longer walks ~170,000 objects (~100 ms, a pause a texter would wait through), and the forked
    # workers keep sharing those pages instead of copying them when the collector touches them.
    gc.freeze()


umask = 0o077  # the pid file and anything else written under var/: this user only
