"""`flask providers import FILE`, `status`, and for operators `find`, `show`, `hide`, `unhide`, `remove`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from helpline.devtools import simulator
from helpline.domain import treatment_services as svc
from helpline.services import directory_import as importer
from helpline.services import directory_review
from helpline.services.directory_status import directory_status
from helpline.store import StoreUnavailable
from helpline.store.directory import DirectoryChanged

providers = AppGroup(
    "providers",
    help="The treatment provider directory: import files, see its state.",
    callback=simulator.quiet_command_logs,
)
SHOWN_PROBLEMS = 50  # bad lines printed; the rest are counted (all of them are kept for /ops/directory)


def _helpline():
    return current_app.extensions["helpline"]


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _problems(found: importer.DirectoryFile, problems=None) -> None:
    problems = found.problems if problems is None else problems
    for problem in problems[:SHOWN_PROBLEMS]:
        click.echo(f"  {found.unit} {problem.line} ({problem.field}): {problem.reason}")
    if len(problems) > SHOWN_PROBLEMS:
        click.echo(f"  ... and {len(problems) - SHOWN_PROBLEMS:,} more")


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
@click.option("--strict", is_flag=True, help="Import nothing if any row would be skipped.")
def import_file(file: Path, source: str | None, services: str | None, strict: bool) -> None:
    """Import a FindTreatment.gov JSON or SAMHSA CSV export: good rows go in, bad ones are listed."""
    started = time.perf_counter()
    if source is not None and not source.strip():
        raise click.BadParameter("give the source a name, or leave --source out", param_hint="--source")
    try:
        store = _helpline().store
        result = importer.import_file(
            store, file, source=source and source.strip(), services=services, strict=strict
        )
    except svc.UnknownService as exc:
        raise click.BadParameter(str(exc), param_hint="--services") from None
    except importer.DirectoryFileError as exc:
        where = f"line {exc.line}: " if exc.line is not None else ""
        if exc.problems:
            click.echo(f"{file.name}: every row is bad:")
            _problems(importer.DirectoryFile("", file.name, unit=exc.unit), exc.problems)
        raise click.ClickException(f"{file.name}: {where}{exc.reason}. Nothing was imported.") from None
    except DirectoryChanged as exc:
        raise click.ClickException(f"{file.name}: {exc}. Nothing was imported.") from None
    except StoreUnavailable as exc:
        raise click.ClickException(
            f"{file.name}: the directory store cannot be reached ({exc.__class__.__name__})."
            " Nothing was imported."
        ) from None
    except importer.StrictImportRefused as refused:
        click.echo(f"{file.name}: {len(refused.file.problems):,} of {refused.file.rows:,} rows are bad:")
        _problems(refused.file)
        raise click.ClickException("--strict: nothing was imported.") from None
    found = result.file
    offered = ", ".join(found.providers[0].services) if found.providers and _all_offer(found) else ""
    click.echo(
        f"{file.name}: {found.imported:,} imported, {len(found.problems):,} skipped "
        f"of {importer.plural(found.rows, 'row')}; {found.approximate:,} approximate"
        " (placed at their ZIP or city centre), "
        f"{found.no_phone:,} without a phone" + (f", all offering {offered}" if offered else "") + "."
    )
    click.echo(
        f"Source '{found.source}': {importer.plural(result.listings, 'listing')}"
        f" ({importer.plural(found.duplicates, 'repeated row')} folded in), {result.merged:,} merged with"
        f" another source's listing of the same clinic. The directory now holds"
        f" {importer.plural(result.total, 'listing')}"
        f" ({time.perf_counter() - started:.1f} s)."
    )
    if found.header_line > 1:
        click.echo(f"The header is on line {found.header_line}; the lines above it were not read as rows.")
    if found.separator != ",":
        click.echo(f"Read as {importer.SEPARATOR_NAMES[found.separator]}-separated.")
    for note in found.notes():
        click.echo(note)
    if found.problems:
        click.echo(f"Skipped {found.unit}s:")
        _problems(found)


def _all_offer(found: importer.DirectoryFile) -> bool:
    first = set(found.providers[0].services)
    return bool(first) and all(set(p.services) == first for p in found.providers)


@providers.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """What the directory holds, how old it is, and whether the live locator answers."""
    state = directory_status(_helpline())
    if as_json:
        click.echo(json.dumps(state.to_json(), indent=2))
        return
    loc = state.locator
    if state.error:
        click.echo(f"Directory: unreadable ({state.error}).")
    elif not state.sources:
        off = loc.get("breaker") == "disabled"
        fallback = "searches find nothing" if off else "searches use the live locator"
        click.echo(f"Directory: empty (nothing imported; {fallback}).")
    else:
        click.echo(
            f"Directory: {state.total:,} listings, {state.merged:,} source listings merged into another"
            f" source's listing of the same clinic, {state.hidden:,} hidden"
        )
        for s in state.sources:
            age = _age(s.age_seconds) if s.age_seconds is not None else "?"
            click.echo(
                f"  source {s.name}: {importer.plural(s.count, 'listing')} from {s.file or '-'}, "
                f"imported {age} ago; "
                f"{s.rows:,} rows, {s.imported:,} imported, {s.skipped:,} skipped, "
                f"{s.approximate:,} approximate, {s.no_phone:,} without phone, {s.merged:,} merged"
            )
        services = ", ".join(f"{s} {n:,}" for s, n in state.services.items() if n) or "none listed"
        click.echo(f"  by service: {services}")
    line = f"Locator: {loc.get('url') or '-'} breaker {loc.get('breaker')}"
    now = time.time()
    if loc.get("last_ok"):
        line += f", last answered {_age(now - loc['last_ok'])} ago"
    if loc.get("last_error"):
        line += f", last error {loc['last_error']} {_age(now - loc['last_error_at'])} ago"
    click.echo(line)


def _listing_lines(listing: directory_review.Listing) -> list[str]:
    """A listing as operators read it: id and name, then where, phone, services, whether offered."""
    phone = listing.phone or "no phone"
    services = ", ".join(listing.services) or "no services listed"
    lines = [
        f"{listing.id}  {listing.name}",
        f"    {listing.address}, {listing.city}, {listing.state} {listing.zip}; {phone}; {services}",
    ]
    if listing.hidden:
        why = listing.hidden.get("reason") or "-"
        lines.append(f"    HIDDEN from searches ({why}, by {listing.hidden.get('by') or '-'})")
    return lines


@providers.command("find")
@click.argument("query")
def find(query: str) -> None:
    """Find listings by name, address words, ZIP or id: their ids, to hide or show one."""
    found = directory_review.find(_helpline(), query)
    if not found.count:
        click.echo(f"No listing matches '{found.query}'.")
        return
    for listing in found.listings:
        click.echo("\n".join(_listing_lines(listing)))
    shown = (
        f" (the first {len(found.listings)} shown: add words to narrow it)"
        if found.count > len(found.listings)
        else ""
    )
    click.echo(f"{importer.plural(found.count, 'listing')} match '{found.query}'{shown}.")


@providers.command("show")
@click.argument("provider_id")
def show(provider_id: str) -> None:
    """Show one listing: where, phone, services, sources, merged records, hidden or offered."""
    found = directory_review.find(_helpline(), provider_id)
    if not found.listings or found.count != 1 or provider_id.lower() not in found.listings[0].record_ids:
        raise click.ClickException(f"no listing {provider_id} in the directory (flask providers find NAME)")
    listing = found.listings[0]
    click.echo("\n".join(_listing_lines(listing)))
    click.echo(f"    sources: {', '.join(listing.sources)}; records: {', '.join(listing.record_ids)}")
    if listing.wrong_numbers:
        click.echo(f"    staff reported a wrong number {listing.wrong_numbers:,} times")
    if listing.hidden:
        click.echo(f"    offer it again: flask providers unhide {listing.id}")
    else:
        click.echo(f"    offered in searches; to stop: flask providers hide {listing.id} --reason WHY")


@providers.command("hide")
@click.argument("provider_id")
@click.option("--reason", required=True, help="Why (closed, wrong phone...): kept for operators.")
def hide(provider_id: str, reason: str) -> None:
    """Stop offering one listing (kept across re-imports)."""
    if not directory_review.set_hidden(_helpline(), provider_id, True, reason, by="cli"):
        raise click.ClickException(f"no provider {provider_id} in the directory (flask providers find NAME)")
    directory_review.record(_helpline(), "cli", "hide", provider=provider_id)
    click.echo(f"Hidden {provider_id}.")


@providers.command("unhide")
@click.argument("provider_id")
def unhide(provider_id: str) -> None:
    """Offer a hidden listing again."""
    if not directory_review.set_hidden(_helpline(), provider_id, False, "", by="cli"):
        raise click.ClickException(f"{provider_id} was not hidden")
    directory_review.record(_helpline(), "cli", "unhide", provider=provider_id)
    click.echo(f"{provider_id} is offered again.")


@providers.command("remove")
@click.argument("source")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove(source: str, yes: bool) -> None:
    """Take a whole source (one imported file) out of the directory; the other sources stay."""
    state = directory_status(_helpline())
    known = {s.name: s for s in state.sources}
    if source not in known:
        names = ", ".join(sorted(known)) or "none"
        raise click.ClickException(f"no source '{source}' in the directory (sources: {names})")
    listed = known[source]
    if not yes:
        click.confirm(
            f"Remove source '{source}' ({importer.plural(listed.count, 'listing')} from {listed.file or '-'})"
            " from the directory? Searches stop offering them at once",
            abort=True,
        )
    try:
        removed = directory_review.remove_source(_helpline(), source, by="cli")
    except directory_review.UnknownSource:
        raise click.ClickException(f"no source '{source}' in the directory") from None
    except DirectoryChanged as exc:
        raise click.ClickException(f"{exc}. Nothing was removed.") from None
    total = directory_status(_helpline()).total
    click.echo(
        f"Removed source '{source}' ({importer.plural(removed, 'listing')}). "
        f"The directory now holds {importer.plural(total, 'listing')}."
    )
