"""Builds the texting line's parts once per app: vault, store, catalog, hours."""

from __future__ import annotations

from helpline import places
from helpline.content import Catalog
from helpline.hours import BusinessHours
from helpline.store import Store, Vault
from helpline.texting import Line


def make_store(app) -> Store:
    settings = app.config["SETTINGS"]
    return Store(app.extensions["redis"], Vault(settings.data_key), settings.retention_days * 86400)


def init_app(app) -> None:
    settings = app.config["SETTINGS"]
    store = make_store(app)
    app.extensions["store"] = store
    app.extensions["catalog"] = Catalog.load(settings.messages_dir)
    app.extensions["hours"] = BusinessHours.load(settings.hours_file)
    app.extensions["texting_line"] = Line(
        store=store,
        catalog=app.extensions["catalog"],
        hours=app.extensions["hours"],
        national_helpline=settings.national_helpline,
        dedupe_seconds=settings.webhook_dedupe_seconds,
        rate_limit=settings.sms_rate_limit_per_minute,
    )
    places.warm()
