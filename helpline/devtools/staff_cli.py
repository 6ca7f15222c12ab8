"""`flask staff …`: add staff accounts, put them on or off duty, disable them."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from helpline.services import accounts

staff = AppGroup("staff", help="Staff accounts: add, duty, disable.")


def _store():
    return current_app.extensions["helpline"].store


def _issue_link(email: str) -> str:
    seconds = current_app.extensions["helpline"].settings.set_password_link_seconds
    return accounts.issue_set_password_token(_store(), email, seconds)


def set_password_link(token: str) -> str:
    local = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    base = current_app.config["SETTINGS"].public_base_url or local
    return f"{base.rstrip('/')}/set-password/{token}"


@staff.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(accounts.ROLES), default="staff", show_default=True)
@click.option("--phone", default=None, help="Phone rung when on duty (E.164, e.g. +15551234567).")
@click.option(
    "--link/--password",
    "use_link",
    default=None,
    help="Print a one-time set-password link instead of asking for a password "
    "(default: ask when run in a terminal, else print the link).",
)
def add_command(email: str, role: str, phone: str | None, use_link: bool | None) -> None:
    """Create a staff or operator account."""
    store = _store()
    if use_link is None:
        use_link = not sys.stdin.isatty()
    password = None
    if not use_link:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        passwords = current_app.extensions["helpline"].passwords
        account = accounts.add(store, email, role, password=password, phone=phone, passwords=passwords)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"added {account.email} ({account.role})")
    if use_link:
        token = _issue_link(account.email)
        hours = current_app.extensions["helpline"].settings.set_password_link_seconds // 3600
        click.echo(f"set-password link (one use, {hours} h): {set_password_link(token)}")


@staff.command("duty")
@click.argument("email")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option("--phone", default=None, help="Phone to ring (E.164); kept from before when omitted.")
def duty_command(email: str, state: str, phone: str | None) -> None:
    """Put a staff member on or off duty."""
    try:
        account = accounts.set_duty(_store(), email, state == "on", phone=phone)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{account.email} is {'on' if account.on_duty else 'off'} duty")


@staff.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Disable an account: it can no longer sign in, and open sessions end."""
    try:
        account = accounts.set_disabled(_store(), email, True)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{account.email} is disabled")


@staff.command("link")
@click.argument("email")
def link_command(email: str) -> None:
    """Print a new one-time set-password link (a forgotten password)."""
    try:
        token = _issue_link(email)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"set-password link: {set_password_link(token)}")


@staff.command("list")
def list_command() -> None:
    """Every account with its role and state."""
    for account in accounts.all_accounts(_store()):
        state = "disabled" if account.disabled else ("on duty" if account.on_duty else "off duty")
        click.echo(f"{account.email}\t{account.role}\t{state}")


def init_app(app) -> None:
    app.cli.add_command(staff)
