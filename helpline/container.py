"""The one object that holds a process's parts, built once in `create_app` and in the worker's `main`.

Services receive it (or the part they need) as an argument; nothing reaches for `current_app`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import cached_property

from config.settings import Settings, local_secret
from helpline.domain.content import Catalog
from helpline.domain.hours import BusinessHours
from helpline.infra import embedded_redis
from helpline.infra.locator import Locator
from helpline.infra.queues import Queues
from helpline.services.accounts import LoginLimits, Passwords
from helpline.services.calling import CallLine, load_voice_catalog
from helpline.services.overrides import LiveCatalog, LiveHours, LiveSettings
from helpline.services.texting import Line
from helpline.store import Store, Vault, new_data_key
from helpline.store.client import connect, sentinel_url


@dataclass
class Helpline:
    """Settings, storage, wording and the outside systems of one process."""

    settings: Settings
    store: Store
    live: LiveSettings  # operators' edits over the shipped hours and templates
    catalog: LiveCatalog  # SMS wording, live
    hours: LiveHours  # business hours and holidays, live
    voice_catalog: Catalog  # spoken wording
    texting: Line
    calls: CallLine
    queues: Queues
    login_limits: LoginLimits  # sign-in lock-outs
    passwords: Passwords  # staff password hashing at the configured cost
    locator: Locator  # the FindTreatment locator client (an HTTP session; its breaker is shared)

    @cached_property
    def twilio(self):
        """The SDK client over a pooled HTTP session; None in development mode (the outbox)."""
        from helpline.infra.twilio_client import make_client

        return make_client(self.settings)

    def redis_restarts(self) -> dict:
        """For /healthz: how often the embedded server was found dead and restarted (empty elsewhere)."""
        if self.settings.redis_sentinels or self.settings.redis_url:
            return {}
        restarts = embedded_redis.embedded_restarts(self.settings.var_dir)
        at = restarts.last_at
        return {
            "redis_restarts": restarts.count,
            "redis_restarted_at": dt.datetime.fromtimestamp(at, dt.UTC).isoformat() if at else None,
        }


def development_secrets(settings: Settings) -> Settings:
    """Outside development mode the secrets must be set; on a laptop they are generated under var/."""
    missing = [
        name
        for name, value in (("SECRET_KEY", settings.secret_key), ("HELPLINE_DATA_KEY", settings.data_key))
        if not value
    ]
    if missing and not settings.development:
        raise SystemExit(
            f"{' and '.join(missing)} must be set in production (every host must read the same data); "
            "see README, Production"
        )
    return settings.with_overrides(
        secret_key=settings.secret_key or local_secret(settings, "secret_key"),
        data_key=settings.data_key or local_secret(settings, "data_key", new_data_key),
    )


def connect_redis(settings: Settings, *, waits_for_redis: bool = False):
    """Sentinel's master, else REDIS_URL, else the embedded server under var/ (restarted if it dies).

    An embedded server running but silent (paused, hung) is never replaced: a process that waits for
    Redis itself (a worker: `waits_for_redis`) gets its client at once, as it would for any Redis it
    cannot reach; any other (the web, a `flask` command) exits with the one line saying what to do.
    """
    if settings.redis_sentinels:
        url = sentinel_url(settings.redis_sentinels, settings.redis_master, settings.redis_password)
        return connect(url)
    if settings.redis_url:
        return connect(settings.redis_url)
    var_dir, fsync = settings.var_dir, settings.redis_appendfsync
    try:
        url = embedded_redis.ensure_embedded_server(
            var_dir,
            timeout=settings.redis_start_seconds,
            appendfsync=fsync,
            running_timeout=0 if waits_for_redis else None,
        )
    except embedded_redis.NotAnswering as silent:
        if not waits_for_redis:
            raise SystemExit(str(silent)) from None
        url = silent.url
    return connect(url, heal=lambda: embedded_redis.heal_embedded_server(var_dir, appendfsync=fsync))


def build(settings: Settings, *, waits_for_redis: bool = False) -> Helpline:
    """Every part a request or a job needs, made once per process (`waits_for_redis`: see connect_redis)."""
    settings = development_secrets(settings)
    connection = connect_redis(settings, waits_for_redis=waits_for_redis)
    store = Store(connection, Vault(settings.data_key), settings.retention_days * 86400)
    live = LiveSettings(
        store.overrides,
        Catalog.load(settings.messages_dir),
        BusinessHours.load(settings.hours_file),
        check_every=settings.overrides_refresh_seconds,
    )
    catalog, hours = LiveCatalog(live), LiveHours(live)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # the SDK logs each request at INFO
    locator = Locator.from_settings(settings, store.locator_state)
    return Helpline(
        settings=settings,
        store=store,
        live=live,
        catalog=catalog,
        hours=hours,
        voice_catalog=(voice := load_voice_catalog(settings.messages_dir)),
        texting=Line(
            store=store,
            catalog=catalog,
            hours=hours,
            national_helpline=settings.national_helpline,
            dedupe_seconds=settings.webhook_dedupe_seconds,
            lease_seconds=settings.webhook_lease_seconds,
            rate_limit=settings.sms_rate_limit_per_minute,
            queues=(queues := Queues(store.rq_connection)),
        ),
        calls=CallLine(
            store=store,
            catalog=voice,
            hours=hours,
            national_helpline=settings.national_helpline,
            dedupe_seconds=settings.webhook_dedupe_seconds,
            lease_seconds=settings.webhook_lease_seconds,
            helpline_number=settings.twilio_phone_number,
            queues=queues,
            locator=locator,
        ),
        queues=queues,
        login_limits=LoginLimits.from_settings(settings),
        passwords=Passwords(settings.password_hash_profile),
        locator=locator,
    )
