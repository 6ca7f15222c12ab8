"""Every setting of the service in one place, read from the environment (and `.env`).

Each setting names its environment variable and says why its default is what it is. The defaults
let a fresh clone run in development mode with nothing configured; production sets the secrets.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"


def setting(env: str, default, why: str, kind=None):
    """A field read from the environment variable `env`; `why` is the one-line reason for its default."""
    return field(default=default, metadata={"env": env, "why": why, "kind": kind or type(default)})


def seconds_list(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    # -- Redis --------------------------------------------------------------------------------------
    redis_url: str | None = setting(
        "REDIS_URL",
        None,
        "unset: an embedded Redis under var/ shared by web and worker; `redis+sentinel://` also works",
        str,
    )
    redis_sentinels: str | None = setting(
        "HELPLINE_REDIS_SENTINELS",
        None,
        "Sentinel `host:port,…`, used instead of REDIS_URL so every process follows a failover",
        str,
    )
    redis_master: str = setting("HELPLINE_REDIS_MASTER", "mymaster", "the master name Sentinel watches")
    redis_password: str | None = setting(
        "HELPLINE_REDIS_PASSWORD", None, "the master's password when Sentinel gives its address", str
    )
    redis_appendfsync: str = setting(
        "HELPLINE_REDIS_APPENDFSYNC",
        "everysec",
        "embedded Redis: killed while its disk is slow to sync, it can lose up to 2 s of writes; "
        "`always` loses none, even in a power cut, but syncs every write",
    )
    redis_start_seconds: float = setting(
        "HELPLINE_REDIS_START_SECONDS",
        15.0,
        "embedded Redis: how long `make run`, the web or a `flask` command waits for it to answer (starting, "
        "loading its data); one running but silent is then reported, never replaced",
    )
    var_dir: Path = setting(
        "HELPLINE_VAR_DIR",
        PROJECT_ROOT / "var",
        "runtime files (embedded Redis, development secrets), 0700, never committed",
        Path,
    )
    # -- Twilio -------------------------------------------------------------------------------------
    twilio_account_sid: str | None = setting(
        "TWILIO_ACCOUNT_SID",
        None,
        "unset (with the token): development mode, texts go to a local outbox",
        str,
    )
    twilio_auth_token: str | None = setting(
        "TWILIO_AUTH_TOKEN",
        None,
        "also checks webhook signatures; development generates one the simulator signs with",
        str,
    )
    twilio_phone_number: str = setting(
        "TWILIO_PHONE_NUMBER",
        "+15555550100",
        "the helpline number; a reserved 555 number in development so nothing real is texted",
    )
    twilio_api_url: str = setting(
        "TWILIO_API_URL", "https://api.twilio.com", "the official API; tests point it at a local fake"
    )
    twilio_timeout: float = setting(
        "HELPLINE_TWILIO_TIMEOUT",
        10.0,
        "Twilio answers in under a second: a hung request fails and is retried, not held",
    )
    public_base_url: str | None = setting(
        "PUBLIC_BASE_URL",
        None,
        "the https origin Twilio calls: signatures are checked against it "
        "behind a proxy; https turns HSTS on",
        str,
    )
    proxy_hops: int = setting(
        "HELPLINE_PROXY_HOPS",
        0,
        "proxies in front that append X-Forwarded-For; 0 trusts none (a client could forge it)",
    )
    # -- secrets (required outside development mode) -------------------------------------------------
    secret_key: str | None = setting(
        "SECRET_KEY", None, "signs staff sessions; generated under var/ in development only", str
    )
    data_key: str | None = setting(
        "HELPLINE_DATA_KEY",
        None,
        "encrypts numbers and texts at rest; every host needs the same one; generated in development only",
        str,
    )
    # -- web processes ------------------------------------------------------------------------------
    host: str = setting("HOST", "127.0.0.1", "loopback: a laptop run is not exposed; production sets 0.0.0.0")
    port: int = setting("PORT", 5000, "where the web listens (and where `flask simulate` posts)")
    web_concurrency: int = setting(
        "WEB_CONCURRENCY", 0, "gunicorn processes; 0 = two per core: webhooks are short and Redis-bound"
    )
    web_threads: int = setting(
        "WEB_THREADS", 2, "threads per web process: one can wait on Redis while the other answers"
    )
    max_request_bytes: int = setting(
        "HELPLINE_MAX_REQUEST_BYTES",
        64 * 1024,
        "Twilio's forms are a few KB: anything larger is 413 before it is parsed",
    )
    log_level: str = setting(
        "LOG_LEVEL", "INFO", "one line per request; logs never hold a clear number or message text"
    )
    metrics_token: str | None = setting(
        "HELPLINE_METRICS_TOKEN",
        None,
        "set: /metrics needs `Authorization: Bearer <token>` (the figures say how busy the line is)",
        str,
    )
    # -- texting and calls ----------------------------------------------------------------------------
    retention_days: int = setting(
        "HELPLINE_RETENTION_DAYS",
        30,
        "conversations and closed callbacks: long enough for a follow-up; opt-outs never expire",
    )
    sms_rate_limit_per_minute: int = setting(
        "HELPLINE_SMS_RATE_LIMIT",
        20,
        "more texts than this from one number in a minute is a flood, not a person (crisis still answered)",
    )
    webhook_dedupe_seconds: int = setting(
        "HELPLINE_WEBHOOK_DEDUPE_SECONDS",
        24 * 3600,
        "how long an answered MessageSid/CallSid is remembered: Twilio retries within minutes",
    )
    webhook_lease_seconds: float = setting(
        "HELPLINE_WEBHOOK_LEASE_SECONDS",
        15.0,
        "a webhook being answered holds its Sid this long "
        "(Twilio gives up at 15 s); a retry meanwhile gets 503",
    )
    hours_file: Path = setting(
        "HELPLINE_HOURS_FILE",
        CONFIG_DIR / "hours.yaml",
        "business hours and holidays for callbacks (operators can override them on /ops)",
        Path,
    )
    messages_dir: Path = setting(
        "HELPLINE_MESSAGES_DIR",
        CONFIG_DIR,
        "the message and voice catalogs and the crisis and opt-out lexicons",
        Path,
    )
    national_helpline: str = setting(
        "HELPLINE_NATIONAL_HELPLINE", "1-800-662-4357", "SAMHSA's line, given when we cannot help directly"
    )
    # -- provider directory and locator -----------------------------------------------------------
    findtreatment_api_url: str = setting(
        "FINDTREATMENT_API_URL",
        "https://findtreatment.gov",
        "the public locator; `off` uses the directory only; tests point it at a local fake",
    )
    locator_connect_timeout: float = setting(
        "HELPLINE_LOCATOR_CONNECT_TIMEOUT", 2.0, "a texter is waiting: give up on an unreachable locator fast"
    )
    locator_read_timeout: float = setting(
        "HELPLINE_LOCATOR_READ_TIMEOUT", 5.0, "the locator answers in about a second when it is well"
    )
    locator_cache_seconds: int = setting(
        "HELPLINE_LOCATOR_CACHE_SECONDS",
        6 * 3600,
        "listings change slowly: one answer per area serves its texters for hours",
    )
    locator_breaker_threshold: int = setting(
        "HELPLINE_LOCATOR_BREAKER_FAILURES",
        3,
        "failures in a row before searches skip the locator for a while",
    )
    locator_breaker_cooldown: int = setting(
        "HELPLINE_LOCATOR_BREAKER_SECONDS", 60, "how long searches skip a failing locator before one trial"
    )
    directory_stale_days: int = setting(
        "HELPLINE_DIRECTORY_STALE_DAYS",
        365,
        "a listing not refreshed for this long is flagged on /ops/directory",
    )
    # -- callbacks and follow-ups -------------------------------------------------------------------
    callback_lease_seconds: int = setting(
        "HELPLINE_CALLBACK_LEASE_SECONDS",
        15 * 60,
        "a staff claim lapses this long after its page was last open",
    )
    callback_max_attempts: int = setting(
        "HELPLINE_CALLBACK_MAX_ATTEMPTS", 3, "missed calls before the request closes, with one last text"
    )
    callback_retry_seconds: int = setting(
        "HELPLINE_CALLBACK_RETRY_SECONDS",
        2 * 3600,
        "after a first missed call (then the next business morning)",
    )
    callback_crisis_retry_seconds: int = setting(
        "HELPLINE_CALLBACK_CRISIS_RETRY_SECONDS",
        15 * 60,
        "someone in crisis who did not answer is tried again soon, after each miss",
    )
    follow_up_after_seconds: int = setting(
        "HELPLINE_FOLLOW_UP_AFTER_SECONDS",
        48 * 3600,
        '"Did you reach <provider>?" this long after a referral (with consent)',
    )
    follow_up_wait_seconds: int = setting(
        "HELPLINE_FOLLOW_UP_WAIT_SECONDS",
        48 * 3600,
        "no answer to the check-in in this long counts as NO: a new, linked request",
    )
    # -- delivery and workers -------------------------------------------------------------------------
    send_retry_seconds: tuple[int, ...] = setting(
        "HELPLINE_SEND_RETRY_SECONDS",
        (2, 10, 30, 60, 300, 900),
        "backoff (comma-separated) for a send Twilio refused for now (429/5xx) or a dead worker left",
        seconds_list,
    )
    sent_marker_seconds: int = setting(
        "HELPLINE_SENT_MARKER_SECONDS",
        7 * 86400,
        "a send's idempotency marker: a retry comes within minutes, a week is plenty",
    )
    send_job_timeout: int = setting(
        "HELPLINE_SEND_JOB_TIMEOUT", 60, "a send job is one Twilio request: past this RQ stops it and retries"
    )
    worker_processes: int = setting(
        "HELPLINE_WORKER_PROCESSES",
        2,
        "worker processes per `python -m workers` (one Python process runs on one core at a time)",
    )
    worker_job_slots: int = setting(
        "HELPLINE_WORKER_JOB_SLOTS",
        8,
        "jobs each worker process runs at once: a text mostly waits on Twilio; all slots under Twilio's 100",
    )
    worker_ttl: int = setting(
        "HELPLINE_WORKER_TTL",
        60,
        "seconds without a heartbeat before RQ forgets a worker (and /healthz stops counting it)",
    )
    worker_maintenance_seconds: int = setting(
        "HELPLINE_WORKER_MAINTENANCE_SECONDS",
        30,
        "how often a worker cleans RQ's registries and gives back dead workers' jobs",
    )
    # -- staff and operators --------------------------------------------------------------------------
    staff_session_seconds: int = setting(
        "HELPLINE_STAFF_SESSION_SECONDS", 12 * 3600, "staff and operators sign in again after one long shift"
    )
    set_password_link_seconds: int = setting(
        "HELPLINE_SET_PASSWORD_LINK_SECONDS",
        48 * 3600,
        "a one-time link stays usable over a weekend, not longer",
    )
    login_failures_per_account: int = setting(
        "HELPLINE_LOGIN_FAILURES_PER_ACCOUNT",
        5,
        "wrong passwords for one account from one address before that address is locked out of it",
    )
    login_failures_per_account_everywhere: int = setting(
        "HELPLINE_LOGIN_FAILURES_PER_ACCOUNT_EVERYWHERE",
        20,
        "wrong passwords for one account from all addresses before each failing address gets no more tries",
    )
    login_failures_per_address: int = setting(
        "HELPLINE_LOGIN_FAILURES_PER_ADDRESS",
        20,
        "different emails failing from one address before that address is locked out",
    )
    login_lock_seconds: int = setting(
        "HELPLINE_LOGIN_LOCK_SECONDS",
        15 * 60,
        "a lock-out lifts this long after the first failure: slows guessing, spares a typo",
    )
    password_hash_profile: str = setting(
        "HELPLINE_PASSWORD_HASH_PROFILE",
        "RFC_9106_LOW_MEMORY",
        "argon2 cost (an argon2.profiles name), about 0.1 s; tests use CHEAPEST",
    )
    overrides_refresh_seconds: float = setting(
        "HELPLINE_OVERRIDES_REFRESH_SECONDS",
        1.0,
        "how often each process looks for operators' edits to hours and templates (one GET)",
    )
    extra: dict = field(default_factory=dict)

    @property
    def development(self) -> bool:
        """No Twilio credentials: texts go to the local outbox, the token is generated."""
        return not (self.twilio_account_sid and self.twilio_auth_token)

    def with_overrides(self, **overrides) -> Settings:
        known = {f.name for f in fields(self)}
        extra = dict(self.extra)
        extra.update({k: v for k, v in overrides.items() if k not in known})
        return replace(self, extra=extra, **{k: v for k, v in overrides.items() if k in known})


def documented_settings() -> list[tuple[str, object, str]]:
    """(environment variable, default, reason) of every setting, for the README and its test."""
    return [
        (f.metadata["env"], f.default, f.metadata["why"])
        for f in fields(Settings)
        if "env" in f.metadata and f.default is not MISSING
    ]


def load_settings(**overrides) -> Settings:
    """Settings from the environment and `.env`, with explicit overrides winning."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    values = {}
    for f in fields(Settings):
        name = f.metadata.get("env")
        raw = os.environ.get(name, "") if name else ""
        if raw.strip():
            try:
                values[f.name] = f.metadata["kind"](raw.strip())
            except ValueError as exc:
                raise SystemExit(f"{name}={raw!r} is not a valid value: {exc}") from exc
    return Settings(**values).with_overrides(**overrides)


def private_dir(path: Path) -> Path:
    """A runtime folder only this user may open (0700): secrets, Redis data and sockets, logs."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def local_secret(settings: Settings, name: str, make=lambda: secrets.token_urlsafe(32)) -> str:
    """A development secret under var/ (0700; the file 0600), so every process of this checkout shares it."""
    private_dir(settings.var_dir)  # also a checkout made before var/ was kept private
    path = private_dir(settings.var_dir / "secrets") / name
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
            fh.write(make())
        try:
            os.link(tmp, path)  # first writer wins; others read its value
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
