"""Builds the texting line's parts once per app: vault, store, catalog, hours."""

from __future__ import annotations

from helpline import places
from helpline.content import Catalog
from helpline.hours import BusinessHours
from helpline.overrides import LiveCatalog, LiveHours, LiveSettings
from helpline.store import Store, Vault
from helpline.texting import Line


def make_store(app) -> Store:
    settings = app.config["SETTINGS"]
    return Store(app.extensions["redis"], Vault(settings.data_key), settings.retention_days * 86400)


def init_app(app) -> None:
    settings = app.config["SETTINGS"]
    store = make_store(app)
    app.extensions["store"] = store
    # Operators' edits (kept in Redis) on top of the shipped files, current in every process.
    live = LiveSettings(
        app.extensions["redis"], Catalog.load(settings.messages_dir), BusinessHours.load(settings.hours_file)
    )
    app.extensions["live_settings"] = live
    app.extensions["catalog"] = LiveCatalog(live)
    app.extensions["hours"] = LiveHours(live)
    app.extensions["texting_line"] = Line(
        store=store,
        catalog=app.extensions["catalog"],
        hours=app.extensions["hours"],
        national_helpline=settings.national_helpline,
        dedupe_seconds=settings.webhook_dedupe_seconds,
        rate_limit=settings.sms_rate_limit_per_minute,
    )
    places.warm()
