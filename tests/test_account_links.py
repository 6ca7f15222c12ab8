"""Set-password links: only an account's newest link works, a new password ends them all, and a link's
token never reaches a log. Runtime files under var/ are this user's only."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from config.settings import PROJECT_ROOT
from helpline import create_app
from helpline.infra.embedded_redis import stop_embedded_server
from helpline.services import accounts
from tests.servers import free_port, serving
from tests.test_staff_auth import csrf_token, login

NEW_PASSWORD = "a long enough password"


def set_password_with(client, token: str, password: str = NEW_PASSWORD):
    form_token = csrf_token(client, f"/set-password/{token}")
    return client.post(
        f"/set-password/{token}",
        data={"password": password, "confirm": password, "csrf_token": form_token},
    )


def test_a_new_link_ends_every_earlier_link_of_the_account(client, store):
    accounts.add(store, "ana@example.org")
    accounts.add(store, "bo@example.org")
    first = accounts.issue_set_password_token(store, "ana@example.org", 3600)
    others = accounts.issue_set_password_token(store, "bo@example.org", 3600)
    second = accounts.issue_set_password_token(store, "ana@example.org", 3600)

    assert client.get(f"/set-password/{first}").status_code == 404
    assert client.get(f"/set-password/{others}").status_code == 200  # another account's link stays
    assert set_password_with(client, second).status_code == 302
    assert login(client, "ana@example.org", NEW_PASSWORD).status_code == 302


def test_setting_a_password_ends_every_link_of_the_account(client, store, helpline):
    accounts.add(store, "ana@example.org")
    token = accounts.issue_set_password_token(store, "ana@example.org", 3600)
    accounts.set_password(store, helpline.passwords, "ana@example.org", "chosen at the desk today")

    assert client.get(f"/set-password/{token}").status_code == 404
    assert set_password_with(client, token, "someone else's password").status_code == 404
    assert login(client, "ana@example.org", "chosen at the desk today").status_code == 302


def test_a_link_used_once_is_gone_and_a_newer_one_still_works(client, store):
    accounts.add(store, "ana@example.org")
    used = accounts.issue_set_password_token(store, "ana@example.org", 3600)
    assert set_password_with(client, used).status_code == 302
    assert client.get(f"/set-password/{used}").status_code == 404
    fresh = accounts.issue_set_password_token(store, "ana@example.org", 3600)
    assert set_password_with(client, fresh, "yet another long password").status_code == 302
    assert login(client, "ana@example.org", "yet another long password").status_code == 302


def test_disabling_an_account_ends_its_link(client, store):
    accounts.add(store, "ana@example.org")
    token = accounts.issue_set_password_token(store, "ana@example.org", 3600)
    accounts.set_disabled(store, "ana@example.org")
    assert client.get(f"/set-password/{token}").status_code == 404


def test_cli_link_ends_the_link_printed_before(app, store, client):
    first = app.test_cli_runner().invoke(args=["staff", "add", "ana@example.org", "--link"])
    assert first.exit_code == 0, first.output
    token = first.output.strip().splitlines()[-1].rsplit("/", 1)[1]
    assert client.get(f"/set-password/{token}").status_code == 200
    accounts.issue_set_password_token(store, "ana@example.org", 3600)  # an operator sends a new one
    assert client.get(f"/set-password/{token}").status_code == 404


# -- tokens never reach a log ---------------------------------------------------------------------


def test_development_server_log_names_the_route_not_the_token(app, store, caplog):
    caplog.set_level(logging.DEBUG)
    accounts.add(store, "ana@example.org")
    token = accounts.issue_set_password_token(store, "ana@example.org", 3600)
    with serving(app) as base:
        with urllib.request.urlopen(f"{base}/set-password/{token}") as page:
            assert page.status == 200
        with pytest.raises(urllib.error.HTTPError):  # no CSRF token: refused, and logged
            urllib.request.urlopen(urllib.request.Request(f"{base}/set-password/{token}", data=b"x=1"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/set-password/<token>" in logged
    assert token not in logged


def test_gunicorn_access_log_names_the_route_not_the_token(settings, store, tmp_path):
    accounts.add(store, "ana@example.org")
    token = accounts.issue_set_password_token(store, "ana@example.org", 3600)
    port = free_port()
    log_path = tmp_path / "access.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "REDIS_URL": settings.redis_url,
        "HELPLINE_DATA_KEY": settings.data_key,
        "SECRET_KEY": "test-secret",
        "HELPLINE_VAR_DIR": str(tmp_path / "var"),
    }
    with open(log_path, "wb") as log_file:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "helpline:create_app()"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            status = _get_when_up(f"http://127.0.0.1:{port}/set-password/{token}")
            assert status == 200
            assert _get_when_up(f"http://127.0.0.1:{port}/set-password/not-a-link") == 404
        finally:
            web.terminate()
            web.wait(timeout=30)
    logged = log_path.read_text()
    assert '"GET /set-password/<token>" 200' in logged
    assert '"GET /set-password/<token>" 404' in logged
    assert token not in logged and "not-a-link" not in logged


def test_every_access_log_atom_a_format_may_use_leaves_the_token_out(tmp_path):
    """Whatever format an operator gives gunicorn: the request line, the referer, the raw URI and the
    route name the link without its token, and quotes in a header stay escaped."""
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config

    from helpline.web.access_log import ROUTE, AccessLogger

    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", '"%(r)s" %(U)s %(f)s %({raw_uri}e)s %(a)s %({x-missing}i)s %(s)s')
    logger = AccessLogger(cfg)
    path = "/set-password/s3cr3t-link-token"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://helpline.example.org{path}",
        "HTTP_USER_AGENT": 'probe "quoted"',
        ROUTE: "/set-password/<token>",
    }
    request = SimpleNamespace(headers=[("USER-AGENT", 'probe "quoted"')])
    response = SimpleNamespace(status="200 OK", sent=12, headers=[("Content-Type", "text/html")])
    logger.access(response, request, environ, dt.timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = (tmp_path / "access.log").read_text()
    assert "s3cr3t" not in line
    assert '"GET /set-password/<token> HTTP/1.1" /set-password/<token>' in line
    assert "https://helpline.example.org/set-password/<token> /set-password/<token>" in line
    assert 'probe \\"quoted\\" - 200' in line


def _get_when_up(url: str, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # polling interval while gunicorn starts


# -- var/ is private ---------------------------------------------------------------------------------


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_development_secrets_and_the_embedded_redis_are_this_users_only(settings, tmp_path):
    var = tmp_path / "own-var"
    (var / "secrets").mkdir(parents=True, mode=0o755)  # a checkout made before the rule
    os.chmod(var, 0o755)  # noqa: S103 - what the service must tighten
    own = settings.with_overrides(redis_url=None, var_dir=var, data_key=None, secret_key=None)
    try:
        app = create_app(own, flask={"TESTING": True})
        app.extensions["helpline"].store._r.set("hl:probe", "written")  # in the append-only file
        found = {p: p.stat() for p in var.rglob("*") if not p.is_symlink()}
    finally:
        stop_embedded_server(var)
    assert _mode(var) == 0o700
    names = {p.name for p in found}
    assert {"data_key", "secret_key"} <= names
    assert any(name.startswith("appendonly") for name in names), names
    for path, info in found.items():
        if stat.S_ISDIR(info.st_mode):
            assert stat.S_IMODE(info.st_mode) == 0o700, path
        else:  # files, and the server's socket
            assert stat.S_IMODE(info.st_mode) == 0o600, path


def test_a_new_password_from_a_link_lifts_a_lock_from_wrong_passwords(client, store, helpline):
    accounts.add(store, "ana@example.org", password=NEW_PASSWORD, passwords=helpline.passwords)
    for _ in range(helpline.login_limits.per_account):
        assert login(client, "ana@example.org", "not the password").status_code == 401
    assert login(client, "ana@example.org", NEW_PASSWORD).status_code == 429

    token = accounts.issue_set_password_token(store, "ana@example.org", 3600)
    assert set_password_with(client, token, "a brand new password").status_code == 302

    assert login(client, "ana@example.org", "a brand new password").status_code == 302
    assert client.get("/staff").status_code == 200
