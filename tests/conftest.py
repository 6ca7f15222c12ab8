"""Fixtures everything uses: a real embedded Redis, an app on it, and Twilio-signed requests."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis as redis_lib
from redis.connection import Connection, UnixDomainSocketConnection

from config.settings import load_settings
from helpline import create_app
from helpline.devtools import simulator
from helpline.infra.embedded_redis import ensure_embedded_server, stop_embedded_server
from helpline.services.texting import HINT_COOKIE
from helpline.store import new_data_key
from helpline.web.twilio_signature import twilio_auth_token
from tests.browser_fixtures import *  # noqa: F403  (live_server, browser, page, sign_in)
from tests.directory_fixtures import *  # noqa: F403  (small_directory, fake FindTreatment)
from tests.ops_fixtures import *  # noqa: F403  (operator_client, staff_client, ops_post)
from tests.servers import free_port
from tests.twilio_fixtures import *  # noqa: F403  (fake Twilio: twilio_fake, live_twilio_settings)
from tests.voice_fixtures import *  # noqa: F403  (phone_call, staff_on_duty)

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
TEXTER = "+15551230001"
HELPLINE_NUMBER = "+15555550100"

ALWAYS_OPEN = """
timezone: America/New_York
weekly: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"],
         fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
holidays: []
"""
NEVER_OPEN_TODAY = """
timezone: America/New_York
weekly: {mon: ["09:00-17:00"]}
holidays: []
"""


def stored_values(redis, skip: tuple[bytes, ...] = ()) -> list[bytes]:
    """Every key and value in Redis as stored (not DUMP's compressed form), streams included, for
    privacy checks; keys starting with a `skip` prefix are left out."""
    dump = []
    for key in redis.scan_iter("*"):
        if skip and key.startswith(skip):
            continue
        dump.append(key)
        kind = redis.type(key)
        if kind == b"string":
            dump.append(redis.get(key))
        elif kind == b"list":
            dump.extend(redis.lrange(key, 0, -1))
        elif kind == b"hash":
            for field, value in redis.hgetall(key).items():
                dump.extend((field, value))
        elif kind == b"set":
            dump.extend(redis.smembers(key))
        elif kind == b"zset":
            dump.extend(m for m, _ in redis.zrange(key, 0, -1, withscores=True))
        elif kind == b"stream":
            for _, entry in redis.xrange(key):
                for field, value in entry.items():
                    dump.extend((field, value))
    return [value for value in dump if value is not None]


def every_stored_byte(redis) -> bytes:
    return b"\n".join(stored_values(redis))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    """Tests never see a developer's .env or real Twilio credentials."""
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "HELPLINE_")) or name in (
            "REDIS_URL",
            "PUBLIC_BASE_URL",
            "SECRET_KEY",
        ):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _log_levels_restored():
    """`flask simulate` quiets the service's logs for its reader; a later test's caplog still sees them."""
    loggers = [logging.getLogger(), logging.getLogger("rq")]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def _own_database(url: str) -> str:
    """On a shared server (TEST_REDIS_URL) each parallel test process flushes a database of its own."""
    database = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    return urlsplit(url)._replace(path=f"/{database}").geturl()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """One real embedded Redis server for the whole run (each test starts from an empty db)."""
    var = tmp_path_factory.mktemp("redis-var")
    url = _own_database(os.environ["TEST_REDIS_URL"]) if os.environ.get("TEST_REDIS_URL") else None
    url = url or ensure_embedded_server(var)
    yield url
    if not os.environ.get("TEST_REDIS_URL"):
        stop_embedded_server(var)


@pytest.fixture
def redis(redis_url):
    client = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def hours_file(tmp_path):
    path = tmp_path / "hours.yaml"
    path.write_text(ALWAYS_OPEN)
    return path


@pytest.fixture
def settings(tmp_path, redis_url, redis, hours_file):
    return load_settings(
        redis_url=redis_url,
        var_dir=tmp_path / "var",
        data_key=new_data_key(),
        secret_key="test-secret",
        hours_file=hours_file,
        twilio_phone_number=HELPLINE_NUMBER,
        # Tests never reach the real locator (a closed local port fails at once); tests about it
        # point this at the local fake.
        findtreatment_api_url="http://127.0.0.1:9",
        # argon2 at its cheapest: production's cost would be most of the sign-in tests' time.
        password_hash_profile="CHEAPEST",
    )


@pytest.fixture
def app(settings):
    app = create_app(settings, flask={"TESTING": True})
    with app.app_context():
        yield app


@pytest.fixture
def nothing_listening(monkeypatch):
    """No service on the simulator's default port: `flask simulate` falls back to an in-process app."""
    monkeypatch.setenv("PORT", str(free_port()))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(app):
    return app.extensions["helpline"].store


@pytest.fixture
def helpline(app):
    """The app's container: settings, store, queues and the Twilio client."""
    return app.extensions["helpline"]


@pytest.fixture
def signed_post(app, client):
    """POST a form to a /twilio/ route signed exactly as Twilio signs it."""
    token = twilio_auth_token(app.config["SETTINGS"])

    def post(path: str, params: dict, signature: str | None = None, **kwargs):
        url = "http://localhost" + path
        sig = simulator.sign(token, url, params) if signature is None else signature
        return client.post(path, data=params, headers={"X-Twilio-Signature": sig}, **kwargs)

    return post


@pytest.fixture
def text(signed_post, client):
    """Send a text as a phone would; returns the replies the texter sees. Twilio's cookies come along as
    Twilio keeps them: one per texter (From and To), sent back with that texter's next text."""
    kept: dict[str, str] = {}

    def send(body: str, sender: str = TEXTER, **extra) -> list[str]:
        client.delete_cookie(HINT_COOKIE, path="/twilio")
        if sender in kept:
            client.set_cookie(HINT_COOKIE, kept[sender], path="/twilio")
        response = signed_post("/twilio/sms", simulator.sms_params(sender, body, HELPLINE_NUMBER, **extra))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        cookie = client.get_cookie(HINT_COOKIE, path="/twilio")
        if cookie is not None:
            kept[sender] = cookie.value
        return simulator.twiml_messages(response.data)

    return send


@pytest.fixture
def round_trips(monkeypatch):
    """`round_trips(action)` -> (its result, how many requests this process sent to Redis meanwhile):
    counted in this process, so another test process on a shared server does not count."""
    sent = []
    for kind in (Connection, UnixDomainSocketConnection):
        original = kind.send_packed_command

        def counted(self, command, check_health=True, _original=original):
            sent.append(command)
            return _original(self, command, check_health)

        monkeypatch.setattr(kind, "send_packed_command", counted)

    def during(action):
        before = len(sent)
        result = action()
        return result, len(sent) - before

    return during
