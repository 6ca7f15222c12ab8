"""`flask staff …`: add staff accounts, change their role, put them on or off duty, disable them.

Headless set-up: `echo "$PASSWORD" | flask staff add EMAIL --role operator --password` reads the
password from standard input (no prompt) when it is not a terminal; `flask staff link EMAIL` prints a
one-time set-password link to open in a browser elsewhere.
"""

from __future__ import annotations

import getpass
import socket
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from helpline.devtools import simulator
from helpline.services import accounts, audit, callbacks

staff = AppGroup(
    "staff",
    help="Staff accounts: add, role, duty, disable, link, list.",
    callback=simulator.quiet_command_logs,
)


def _store():
    return current_app.extensions["helpline"].store


def command_line_actor() -> str:
    """Who the audit trail names for a change made here: the command line, and the login running it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name for this uid (a bare container)
        user = "unknown"
    return f"command line ({user}@{socket.gethostname()})"


def _audit(action: str, **detail) -> None:
    """The change, on the operators' audit trail as a change on /ops is (never a password or link)."""
    audit.operator_action(_store(), command_line_actor(), action, **detail)


def _issue_link(email: str) -> str:
    seconds = current_app.extensions["helpline"].settings.set_password_link_seconds
    return accounts.issue_set_password_token(_store(), email, seconds)


def set_password_link(token: str) -> str:
    """On the public origin, else where `make run` serves (HOST / PORT), else the default port."""
    settings = current_app.config["SETTINGS"]
    base = (
        settings.public_base_url
        or simulator.address_from_env()
        or simulator.recorded_service(settings.var_dir)
        or "http://127.0.0.1:5000"
    )
    return f"{base.rstrip('/')}/set-password/{token}"


def password_from_stdin() -> str:
    """The first line of standard input: a password piped in by a script, never echoed."""
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on standard input (pipe one in, or use --link)")
    return password


@staff.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(accounts.ROLES), default="staff", show_default=True)
@click.option("--phone", default=None, help="Phone rung when on duty (E.164, e.g. +15551234567).")
@click.option(
    "--link/--password",
    "use_link",
    default=None,
    help="Print a one-time set-password link, or set a password: asked for in a terminal, else read "
    "from standard input without a prompt (default: ask in a terminal, else print the link).",
)
def add_command(email: str, role: str, phone: str | None, use_link: bool | None) -> None:
    """Create a staff or operator account."""
    store = _store()
    chose_link = use_link is None and not sys.stdin.isatty()
    if use_link is None:
        use_link = chose_link
    password = None
    if not use_link:
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = password_from_stdin()
    try:
        passwords = current_app.extensions["helpline"].passwords
        account = accounts.add(store, email, role, password=password, phone=phone, passwords=passwords)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit("staff.added", account=account.email, role=account.role)
    click.echo(f"added {account.email} ({account.role})")
    if use_link:
        token = _issue_link(account.email)
        hours = current_app.extensions["helpline"].settings.set_password_link_seconds // 3600
        if chose_link:  # nobody at a terminal to ask: say why there is a link, and how to pipe one
            click.echo(
                "(no terminal to ask for a password in: a link instead; to pipe one in, add --password)"
            )
        # The last line, which scripts read.
        click.echo(f"set-password link (one use, {hours} h): {set_password_link(token)}")


@staff.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(accounts.ROLES))
def role_command(email: str, role: str) -> None:
    """Make an account staff or operator (operators also run /ops)."""
    try:
        account = accounts.set_role(_store(), email, role)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit("staff.role", account=account.email, role=account.role)
    click.echo(f"{account.email} is {account.role}")


@staff.command("duty")
@click.argument("email")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option("--phone", default=None, help="Phone to ring (E.164); kept from before when omitted.")
def duty_command(email: str, state: str, phone: str | None) -> None:
    """Put a staff member on or off duty."""
    try:
        account = accounts.set_duty(_store(), email, state == "on", phone=phone)
    except accounts.NoDutyPhone as exc:
        raise click.ClickException(
            f"{exc}; give the phone to ring: flask staff duty {email} on --phone +12125550142"
        ) from exc
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit(f"staff.{state}-duty", account=account.email)
    click.echo(f"{account.email} is {'on' if account.on_duty else 'off'} duty")


@staff.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Disable an account: it can no longer sign in, and open sessions end."""
    try:
        account = accounts.set_disabled(_store(), email, True)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    back = callbacks.release_all_held_by(_store(), account.email, command_line_actor())
    _audit("staff.disable", account=account.email)
    held = f"; {back} request{'s' if back != 1 else ''} they held went back on the queue" if back else ""
    click.echo(f"{account.email} is disabled and signed out everywhere{held}")


@staff.command("link")
@click.argument("email")
def link_command(email: str) -> None:
    """Print a new one-time set-password link (a forgotten password)."""
    try:
        token = _issue_link(email)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit("staff.reset", account=accounts.normalize_email(email))
    click.echo(f"set-password link: {set_password_link(token)}")


@staff.command("list")
def list_command() -> None:
    """Every account with its role and state."""
    for account in accounts.all_accounts(_store()):
        state = "disabled" if account.disabled else ("on duty" if account.on_duty else "off duty")
        click.echo(f"{account.email}\t{account.role}\t{state}")


def init_app(app) -> None:
    app.cli.add_command(staff)
