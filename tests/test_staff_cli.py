"""`flask staff` without a browser: a password piped in (no prompt), roles changed, a link to hand on."""

from __future__ import annotations

import getpass
import html as html_lib
import re
import socket
import subprocess
import sys

from helpline.services import accounts, callbacks
from tests.ops_fixtures import csrf_of
from tests.test_simulator import PROJECT_ROOT, service_env

PASSWORD = "a long piped password"


def sign_in(client, email: str, password: str):
    form = {"email": email, "password": password, "csrf_token": csrf_of(client, "/login")}
    return client.post("/login", data=form)


def test_a_password_piped_into_staff_add_is_read_without_a_prompt_and_signs_in(app, settings, client):
    command = ["staff", "add", "ana@example.org", "--role", "operator", "--password"]
    added = subprocess.run(
        [sys.executable, "-m", "flask", *command],
        cwd=PROJECT_ROOT,
        env=service_env(settings),
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "added ana@example.org (operator)"
    assert "Password" not in added.stdout + added.stderr and PASSWORD not in added.stdout + added.stderr
    assert " INFO " not in added.stderr  # what it did, said once in words: not again as log lines
    signed_in = sign_in(client, "ana@example.org", PASSWORD)
    assert signed_in.status_code == 302 and "/login" not in signed_in.headers["Location"]
    assert client.get("/ops").status_code == 200  # an operator


def test_an_empty_standard_input_is_refused_clearly(app, store):
    result = app.test_cli_runner().invoke(args=["staff", "add", "bo@example.org", "--password"], input="")
    assert result.exit_code == 1
    assert "no password on standard input" in result.output
    assert "Traceback" not in result.output


def test_staff_role_makes_an_operator_staff_and_back(app, store, client):
    runner = app.test_cli_runner()
    runner.invoke(args=["staff", "add", "cy@example.org", "--role", "operator", "--password"], input=PASSWORD)
    last = runner.invoke(args=["staff", "role", "cy@example.org", "staff"])
    assert last.exit_code == 1 and "last active operator" in last.output  # nobody could run /ops
    assert runner.invoke(args=["staff", "disable", "cy@example.org"]).exit_code == 1
    assert accounts.get(store, "cy@example.org").is_operator
    runner.invoke(args=["staff", "add", "lee@example.org", "--role", "operator", "--link"])
    result = runner.invoke(args=["staff", "role", "cy@example.org", "staff"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "cy@example.org is staff"
    sign_in(client, "cy@example.org", PASSWORD)
    assert client.get("/ops").status_code == 403  # staff no longer run /ops
    assert runner.invoke(args=["staff", "role", "cy@example.org", "operator"]).exit_code == 0
    assert accounts.get(store, "cy@example.org").is_operator
    wrong = runner.invoke(args=["staff", "role", "cy@example.org", "admin"])
    assert wrong.exit_code == 2 and "admin" in wrong.output


def test_staff_link_points_at_the_port_the_service_runs_on(app, store, client, monkeypatch):
    monkeypatch.setenv("PORT", "5123")
    runner = app.test_cli_runner()
    runner.invoke(args=["staff", "add", "di@example.org", "--link"])
    result = runner.invoke(args=["staff", "link", "di@example.org"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().split()[-1]
    assert link.startswith("http://127.0.0.1:5123/set-password/")
    assert client.get(link.removeprefix("http://127.0.0.1:5123")).status_code == 200


def audit_rows(client) -> list[list[str]]:
    """The /ops/audit table as an operator reads it: when, who, what, request, detail."""
    html = client.get("/ops/audit").get_data(as_text=True)
    rows = re.findall(r"<tr><td>(.*?)</td></tr>", html, re.S)
    return [[html_lib.unescape(cell) for cell in row.split("</td><td>")] for row in rows]


def test_account_changes_from_the_command_line_are_on_the_audit_trail(app, store, operator_client):
    runner = app.test_cli_runner()
    commands = [
        ["staff", "add", "ana@example.org", "--role", "staff", "--phone", "+15551230077", "--link"],
        ["staff", "role", "ana@example.org", "operator"],
        ["staff", "duty", "ana@example.org", "on"],
        ["staff", "duty", "ana@example.org", "off"],
        ["staff", "link", "ana@example.org"],
        ["staff", "disable", "ana@example.org"],
    ]
    printed = ""
    for command in commands:
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
        printed += result.output
    runner.invoke(args=["staff", "add", "bo@example.org", "--password"], input=PASSWORD)

    rows = audit_rows(operator_client)
    actor = f"command line ({getpass.getuser()}@{socket.gethostname()})"
    assert [(who, what, detail) for _, who, what, _, detail in reversed(rows)] == [
        (actor, "ops.staff.added", "account=ana@example.org role=staff"),
        (actor, "ops.staff.role", "account=ana@example.org role=operator"),
        (actor, "ops.staff.on-duty", "account=ana@example.org"),
        (actor, "ops.staff.off-duty", "account=ana@example.org"),
        (actor, "ops.staff.reset", "account=ana@example.org"),
        (actor, "ops.staff.disable", "account=ana@example.org"),
        (actor, "ops.staff.added", "account=bo@example.org role=staff"),
    ]
    tokens = re.findall(r"/set-password/([\w-]+)", printed)
    assert len(tokens) == 2
    page = operator_client.get("/ops/audit").get_data(as_text=True)
    assert all(token not in page for token in tokens) and PASSWORD not in page
    assert "5551230077" not in page  # the duty phone is not on the trail


def test_a_refused_command_leaves_no_audit_entry(app, store, operator_client):
    result = app.test_cli_runner().invoke(args=["staff", "role", "nobody@example.org", "operator"])
    assert result.exit_code == 1
    assert not [row for row in audit_rows(operator_client) if "command line" in row[1]]


def test_disabling_from_the_command_line_puts_their_requests_back_on_the_queue(app, store, text):
    accounts.add(store, "ben@example.org", "staff")
    text("my dad took too many pills")
    (request,) = callbacks.waiting(store)
    callbacks.claim(app.extensions["helpline"], request.id, "ben@example.org")
    result = app.test_cli_runner().invoke(args=["staff", "disable", "ben@example.org"])
    assert result.exit_code == 0, result.output
    assert "1 request they held went back on the queue" in result.output
    back = callbacks.get(store, request.id)
    assert back.status == "waiting" and back.claimed_by is None  # a crisis nobody would work otherwise


def test_add_without_a_terminal_or_a_choice_says_why_it_prints_a_link(app, store):
    result = app.test_cli_runner().invoke(args=["staff", "add", "cy@example.org"], input="a piped secret\n")
    assert result.exit_code == 0, result.output
    assert "set-password link" in result.output and "add --password" in result.output


def test_going_on_duty_without_a_phone_says_how_to_give_one(app, store):
    runner = app.test_cli_runner()
    runner.invoke(args=["staff", "add", "di@example.org", "--password"], input=PASSWORD)
    refused = runner.invoke(args=["staff", "duty", "di@example.org", "on"])
    assert refused.exit_code == 1
    assert "a phone number is needed to go on duty" in refused.output
    assert "flask staff duty di@example.org on --phone +1" in refused.output  # the command to run instead
    done = runner.invoke(args=["staff", "duty", "di@example.org", "on", "--phone", "+15551230078"])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "di@example.org is on duty"
