"""`flask providers import FILE` and `flask providers status` (plus hide/show for operators)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from helpline.domain import treatment_services as svc
from helpline.services import directory_import as importer
from helpline.services.directory_status import directory_status
from helpline.store import directory as repository

providers = AppGroup("providers", help="The treatment provider directory: import files, see its state.")


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


@providers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source", default=None, help="Name of this source (default: the file's name); same name replaces."
)
@click.option(
    "--services",
    default=None,
    help="Services every listing in the file offers, e.g. 'methadone' for OTPs (guessed when unset).",
)
def import_file(file: Path, source: str | None, services: str | None) -> None:
    """Import a FindTreatment.gov JSON or SAMHSA CSV export; all or nothing."""
    try:
        default_services = svc.services_named(services) if services else importer.guess_services(file)
    except svc.UnknownService as exc:
        raise click.BadParameter(str(exc), param_hint="--services") from None
    started = time.perf_counter()
    try:
        listings = importer.read_directory_file(file, source=source, default_services=default_services)
    except importer.DirectoryFileError as exc:
        raise click.ClickException(
            f"{file.name}: line {exc.line}: {exc.reason}. Nothing was imported."
        ) from None
    name = source or importer.source_name(file)
    r = current_app.extensions["helpline"].store.r
    version = repository.replace_source(r, name, listings, file.name)
    meta = repository.meta(r, version)
    total, kept = meta.get("total", 0), meta["sources"][name]["count"]
    click.echo(
        f"Imported {len(listings)} rows from {file.name} as {kept} providers, source '{name}' "
        f"({sum(p.approximate for p in listings)} placed at their ZIP centre, "
        f"{sum(p.phone is None for p in listings)} without a phone"
        + (f", all offering {', '.join(default_services)}" if default_services else "")
        + f") in {time.perf_counter() - started:.1f} s. The directory now holds {total} providers."
    )


@providers.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """What the directory holds, how old it is, and whether the live locator answers."""
    state = directory_status(current_app)
    if as_json:
        click.echo(json.dumps(state, indent=2))
        return
    now = time.time()
    loc = state["locator"]
    if not state["sources"]:
        off = loc["breaker"] == "disabled"
        fallback = "searches find nothing" if off else "searches use the live locator"
        click.echo(f"Directory: empty (nothing imported; {fallback}).")
    else:
        click.echo(f"Directory: {state['total']} providers, {state['hidden']} hidden")
        for name, info in sorted(state["sources"].items()):
            click.echo(
                f"  source {name}: {info['count']} from {info.get('file') or '-'}, "
                f"imported {_age(now - info['imported_at'])} ago; "
                f"{info.get('approximate', 0)} approximate, {info.get('no_phone', 0)} without phone"
            )
        services = ", ".join(f"{s} {n}" for s, n in state["services"].items() if n) or "none listed"
        click.echo(f"  by service: {services}")
    line = f"Locator: {loc['url'] or '-'} breaker {loc['breaker']}"
    if loc["last_ok"]:
        line += f", last answered {_age(now - loc['last_ok'])} ago"
    if loc["last_error"]:
        line += f", last error {loc['last_error']} {_age(now - loc['last_error_at'])} ago"
    click.echo(line)


@providers.command("hide")
@click.argument("provider_id")
@click.option("--reason", required=True, help="Why (closed, wrong phone...): kept for operators.")
def hide(provider_id: str, reason: str) -> None:
    """Stop offering one listing (kept across re-imports)."""
    r = current_app.extensions["helpline"].store.r
    if repository.get_provider(r, provider_id) is None:
        raise click.ClickException(f"no provider {provider_id} in the directory")
    repository.hide(r, provider_id, reason, by="cli")
    click.echo(f"Hidden {provider_id}.")


@providers.command("show")
@click.argument("provider_id")
def show(provider_id: str) -> None:
    """Offer a hidden listing again."""
    if not repository.unhide(current_app.extensions["helpline"].store.r, provider_id):
        raise click.ClickException(f"{provider_id} was not hidden")
    click.echo(f"{provider_id} is offered again.")
