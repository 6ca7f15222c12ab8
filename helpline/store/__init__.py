"""The one owner of the Redis key schema, and of how personal data is kept in it.

Phone numbers and message text never reach Redis in clear: values are encrypted with the data
key (Fernet), and a number is found by its keyed hash (HMAC-SHA256), never by itself.
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass
from hashlib import sha256

import redis
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "hl"

# What any store call raises when Redis cannot answer: callers catch this, never a redis class.
StoreUnavailable = redis.RedisError


class ComeBackLater(Exception):
    """Twilio's retry arrived while the first delivery is still being answered: ask it to try again later."""


class Keys:
    """Every Redis key name the service uses. Nothing else builds key strings."""

    optouts = f"{PREFIX}:optouts"  # set of phone ids; never expires
    invalid_numbers = f"{PREFIX}:invalid-numbers"  # set of phone ids Twilio rejected
    blocklist = f"{PREFIX}:blocklist"  # hash phone id -> encrypted reason
    outbox = f"{PREFIX}:outbox"  # list of encrypted outbound messages (development mode)
    callback_queue = f"{PREFIX}:callbacks:queue"  # zset id -> rank (crisis first, then oldest)
    callback_seq = f"{PREFIX}:callbacks:seq"
    callbacks_all = f"{PREFIX}:callbacks:all"  # zset id -> created time, for staff and exports

    @staticmethod
    def texter(phone_id: str) -> str:
        return f"{PREFIX}:texter:{phone_id}"  # encrypted conversation state

    @staticmethod
    def conversation(phone_id: str) -> str:
        return f"{PREFIX}:conversation:{phone_id}"  # list of encrypted turns

    @staticmethod
    def webhook_seen(kind: str, sid: str) -> str:
        return f"{PREFIX}:seen:{kind}:{sid}"  # done: written with the delivery's effects

    @staticmethod
    def webhook_lease(kind: str, sid: str) -> str:
        return f"{PREFIX}:lease:{kind}:{sid}"  # the delivery at work now (expires by itself)

    @staticmethod
    def rate(phone_id: str, minute: int) -> str:
        return f"{PREFIX}:rate:{phone_id}:{minute}"

    @staticmethod
    def flood_logged(phone_id: str) -> str:
        return f"{PREFIX}:flood-logged:{phone_id}"

    @staticmethod
    def callback(callback_id: str) -> str:
        return f"{PREFIX}:callback:{callback_id}"

    @staticmethod
    def open_callback(phone_id: str) -> str:
        return f"{PREFIX}:callback-open:{phone_id}"  # the id of this number's open request

    @staticmethod
    def sent(idempotency_key: str) -> str:
        return f"{PREFIX}:sent:{idempotency_key}"

    @staticmethod
    def stat(name: str, bucket: str) -> str:
        return f"{PREFIX}:stat:{name}:{bucket}"

    # -- provider directory (keys of the directory and its sources go below) --------------
    directory_current = f"{PREFIX}:directory:current"  # the version readers use; switched atomically
    directory_hidden = f"{PREFIX}:directory:hidden"  # hash provider id -> JSON reason; survives imports
    locator_breaker = f"{PREFIX}:locator:breaker"  # hash: failures, open_until (shared by all workers)
    locator_health = f"{PREFIX}:locator:health"  # hash: last_ok, last_error, last_error_at

    @staticmethod
    def directory_providers(version: str) -> str:
        return f"{PREFIX}:directory:{version}:providers"  # hash id -> provider JSON (all sources)

    @staticmethod
    def directory_source(version: str, source: str) -> str:
        return f"{PREFIX}:directory:{version}:source:{source}"  # hash id -> JSON as that source had it

    @staticmethod
    def directory_geo(version: str, facet: str) -> str:
        return f"{PREFIX}:directory:{version}:geo:{facet}"  # GEO set per service or check outcome

    @staticmethod
    def directory_meta(version: str) -> str:
        return f"{PREFIX}:directory:{version}:meta"  # hash: sources JSON, built_at, facets

    @staticmethod
    def directory_no_phone(version: str) -> str:
        return f"{PREFIX}:directory:{version}:no-phone"  # set of listing ids without a phone (ranking)

    @staticmethod
    def directory_aliases(version: str) -> str:
        return f"{PREFIX}:directory:{version}:aliases"  # hash: id of a merged-away record -> listing id

    @staticmethod
    def locator_cache(area: str) -> str:
        return f"{PREFIX}:locator:cache:{area}"  # JSON rows of one locator query, with expiry

    @staticmethod
    def locator_probe() -> str:
        return f"{PREFIX}:locator:probe"  # one half-open trial at a time

    # -- outbound delivery: Twilio sends, status callbacks ---------------------------------

    @staticmethod
    def delivery(sid: str) -> str:
        return f"{PREFIX}:delivery:{sid}"  # hash: latest status, error code, phone id of a message/call sid

    @staticmethod
    def worker_claims(worker_name: str) -> str:
        return f"{PREFIX}:rq:claimed:{worker_name}"  # job ids a worker took off a queue, not yet started

    worker_recovery_lock = f"{PREFIX}:rq:recovering"  # one worker at a time recovers dead peers' jobs
    worker_claim_owners = f"{PREFIX}:rq:claim-owners"  # names of workers that may hold a claim list

    # -- voice line: calls, IVR steps, voicemail --------------------------------------------
    @staticmethod
    def call(call_sid: str) -> str:
        return f"{PREFIX}:call:{call_sid}"  # encrypted IVR state of one call

    @staticmethod
    def call_answer(call_sid: str, step: str) -> str:
        return f"{PREFIX}:call-answer:{call_sid}:{step}"  # encrypted TwiML given, replayed on retries

    # -- staff accounts, sessions, claims, audit -------------------------------------------
    staff_all = f"{PREFIX}:staff:all"  # set of account emails
    staff_on_duty = f"{PREFIX}:staff:on-duty"  # set of emails whose phone rings for "talk to someone now"
    audit_all = f"{PREFIX}:audit"  # list of recent audit entries across requests (capped)

    @staticmethod
    def staff_account(email: str) -> str:
        return f"{PREFIX}:staff:account:{email}"

    @staticmethod
    def staff_session(token: str) -> str:
        return f"{PREFIX}:staff:session:{token}"  # -> "email session_version"; deleted at logout

    @staticmethod
    def staff_set_password(token: str) -> str:
        return f"{PREFIX}:staff:set-password:{token}"  # -> email; one-time, expires

    @staticmethod
    def staff_links(email: str) -> str:
        return f"{PREFIX}:staff:links:{email}"  # set of the account's live set-password link tokens

    @staticmethod
    def staff_login_failures(kind: str, who: str) -> str:
        return f"{PREFIX}:staff:login-failures:{kind}:{who}"  # kind: account | address

    @staticmethod
    def callback_notes(callback_id: str) -> str:
        return f"{PREFIX}:callback-notes:{callback_id}"  # list of encrypted notes

    @staticmethod
    def callback_attempts(callback_id: str) -> str:
        return f"{PREFIX}:callback-attempts:{callback_id}"  # list of JSON call attempts and outcomes

    @staticmethod
    def callback_audit(callback_id: str) -> str:
        return f"{PREFIX}:callback-audit:{callback_id}"  # list of JSON who/what/when

    @staticmethod
    def callback_followup(callback_id: str) -> str:
        return f"{PREFIX}:callback-followup:{callback_id}"  # JSON follow-up state after a referral

    @staticmethod
    def followup_for(phone_id: str) -> str:
        return f"{PREFIX}:followup-open:{phone_id}"  # the callback id whose check-in awaits YES/NO

    # -- the staff workspace: what open pages poll, staff texts, alerts, busy staff lines --------
    callbacks_version = f"{PREFIX}:callbacks:version"  # bumped by every change to a request record
    callbacks_changed = f"{PREFIX}:callbacks:changed"  # zset id -> the version that last changed it
    staff_busy = f"{PREFIX}:staff:busy"  # zset phone id -> until when that staff phone is on a call

    @staticmethod
    def callback_texts(callback_id: str) -> str:
        return f"{PREFIX}:callback-texts:{callback_id}"  # list of encrypted texts staff sent

    @staticmethod
    def staff_alerts(email: str) -> str:
        return f"{PREFIX}:staff:alerts:{email}"  # hash: sound, notify ("1"/"0"): crisis alert choices

    @staticmethod
    def staff_call(call_sid: str) -> str:
        return f"{PREFIX}:staff:call:{call_sid}"  # phone id of the staff phone on this call

    # -- operators: hours/template overrides, exports --------------------------------------
    stat_names = f"{PREFIX}:stat-names"  # set of every counter name store.count has written
    hours_override = f"{PREFIX}:ops:hours"  # JSON business hours edited by operators
    templates_override = f"{PREFIX}:ops:templates"  # hash "lang:key" -> template edited by operators
    templates_history = f"{PREFIX}:ops:templates:history"  # list of JSON edits, newest first (rollback)
    templates_history_seq = f"{PREFIX}:ops:templates:seq"  # ids of template edits
    overrides_version = f"{PREFIX}:ops:version"  # bumped on each edit: every process reloads
    directory_wrong_numbers = f"{PREFIX}:ops:wrong-numbers"  # zset provider id -> wrong-number reports


class Vault:
    """Encryption at rest and keyed hashes, both derived from one data key."""

    def __init__(self, data_key: str):
        master = data_key.encode()
        self._fernet = Fernet(master)
        self._index_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpline phone index"
        ).derive(master)

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes | str) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError("stored value was not encrypted with this data key") from exc

    def phone_id(self, phone: str) -> str:
        """A stable keyed hash of a number: the only form in which it names Redis keys."""
        return hmac.new(self._index_key, phone.encode(), sha256).hexdigest()[:32]


def new_data_key() -> str:
    return Fernet.generate_key().decode()


# Takes the MessageSid's lease (a retry of a text already answered stops here, {0}; one arriving
# while the text is being answered is told to come back, {2}), then reads the texter's screening
# facts and bumps the per-minute count: the hot path's reads in one round trip instead of six.
_SCREEN_TEXT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local holder = redis.call('GET', KEYS[8])
if holder and holder ~= ARGV[2] then return {2} end
redis.call('SET', KEYS[8], ARGV[2], 'PX', ARGV[3])
local blocked = redis.call('HEXISTS', KEYS[2], ARGV[1])
local state = redis.call('GET', KEYS[3])
local opted_out = redis.call('SISMEMBER', KEYS[4], ARGV[1])
local open_callback = redis.call('EXISTS', KEYS[5])
local recent = redis.call('INCR', KEYS[6])
redis.call('EXPIRE', KEYS[6], 120)
local follow_up = redis.call('EXISTS', KEYS[7])
return {1, blocked, state, opted_out, open_callback, recent, follow_up}
"""


@dataclass(frozen=True)
class Screening:
    """What the store knows about a texter when their message arrives."""

    blocked: bool
    state: dict | None
    opted_out: bool
    has_open_callback: bool
    texts_this_minute: int
    awaiting_follow_up: bool  # we asked "Did you reach <provider>?" and wait for YES/NO
    lease: Lease | None = None  # this delivery's right to answer, until `record_exchange` marks it done


from helpline.store.webhooks import Lease, new_lease  # noqa: E402 - it reads Keys and ComeBackLater above


class Store:
    """Texter data in Redis: state, conversation, opt-outs, blocklist, de-duplication; repositories."""

    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self.r = r
        self.vault = vault
        self.retention = retention_seconds
        self._screen_script = r.register_script(_SCREEN_TEXT)
        # Repositories, one per kind of data (imported here: they read `Keys` from this module).
        from helpline.store.audit import AuditTrail
        from helpline.store.callbacks import Callbacks
        from helpline.store.calls import Calls
        from helpline.store.webhooks import WebhookRetries

        self.audit = AuditTrail(r, vault, retention_seconds)
        self.retries = WebhookRetries(r, vault, retention_seconds)
        self.callbacks = Callbacks(r, vault, retention_seconds)
        self.calls = Calls(r, vault, retention_seconds)
        from helpline.store.delivery import Deliveries
        from helpline.store.worker_claims import WorkerClaims

        # A send is recorded with its conversation line and counter in one transaction.
        self.delivery = Deliveries(
            r, vault, retention_seconds, append_turn=self.append_turn, count=self.count
        )
        self.worker_claims = WorkerClaims(r, vault, retention_seconds)
        from helpline.store.accounts import SignIns, StaffAccounts
        from helpline.store.blocklist import Blocklist
        from helpline.store.callback_stats import CallbackStats
        from helpline.store.counters import Counters
        from helpline.store.health import ServerHealth
        from helpline.store.overrides import Overrides

        self.accounts = StaffAccounts(r, vault, retention_seconds)
        self.sign_ins = SignIns(r, vault, retention_seconds)
        self.blocklist = Blocklist(r, vault, retention_seconds)
        self.callback_stats = CallbackStats(r, vault, retention_seconds)
        self.counters = Counters(r, vault, retention_seconds)
        self.health = ServerHealth(r, vault, retention_seconds)
        self.overrides = Overrides(r, vault, retention_seconds)
        from helpline.store.staff_alerts import StaffAlerts
        from helpline.store.staff_lines import StaffLines
        from helpline.store.staff_texts import StaffTexts

        self.staff_alerts = StaffAlerts(r, vault, retention_seconds)
        self.staff_lines = StaffLines(r, vault, retention_seconds)
        self.staff_texts = StaffTexts(r, vault, retention_seconds)

    @property
    def rq_connection(self):
        """The client RQ uses for its own keys (queues, jobs, registries); RQ, not us, talks through it."""
        return self.r

    # -- conversation state -------------------------------------------------------------
    def load_state(self, phone_id: str) -> dict | None:
        raw = self.r.get(Keys.texter(phone_id))
        return json.loads(self.vault.decrypt(raw)) if raw else None

    def save_state(self, phone_id: str, state: dict, pipe=None) -> None:
        (pipe or self.r).set(Keys.texter(phone_id), self.vault.encrypt(json.dumps(state)), ex=self.retention)

    def append_turn(self, phone_id: str, direction: str, text: str, pipe=None, channel="sms") -> None:
        """One line of the conversation staff will read; expires with the retention period."""
        self.append_turns(phone_id, [(direction, text)], pipe=pipe, channel=channel)

    def append_turns(self, phone_id: str, turns: list[tuple[str, str]], pipe=None, channel="sms") -> None:
        """Several (direction, text) lines at once: one push, however many replies went out."""
        if not turns:
            return
        at = time.time()
        # One encrypted entry per exchange (a message and its replies): one encryption, not one per line.
        exchange = [{"at": at, "dir": d, "text": t, "channel": channel} for d, t in turns]
        target = pipe or self.r.pipeline(transaction=False)
        key = Keys.conversation(phone_id)
        target.rpush(key, self.vault.encrypt(json.dumps(exchange)))
        target.ltrim(key, -200, -1)  # a conversation, not an archive
        target.expire(key, self.retention)
        if pipe is None:
            target.execute()

    def record_exchange(
        self,
        lease: Lease,
        phone_id: str,
        state: dict | None,
        turns: list[tuple[str, str]],
        counters: list[str],
        now: float,
        done_seconds: int,
    ) -> None:
        """A text and its replies: state, conversation lines, counters and the MessageSid's done mark,
        in one transaction (a text is never marked answered without them). Raises LeaseLost or
        StoreUnavailable, and then nothing of it was written."""

        def write(pipe) -> None:
            for name in counters:
                self.count(name, now, pipe=pipe)
            if state is not None:
                self.save_state(phone_id, state, pipe=pipe)
            self.append_turns(phone_id, turns, pipe=pipe)

        self.retries.finish(lease, write, done_seconds)

    def conversation(self, phone_id: str) -> list[dict]:
        """Every line kept, oldest first: `{"at", "dir": "in"|"out", "text", "channel"}`."""
        lines: list[dict] = []
        for entry in self.r.lrange(Keys.conversation(phone_id), 0, -1):
            exchange = json.loads(self.vault.decrypt(entry))
            lines.extend(exchange if isinstance(exchange, list) else [exchange])
        return lines

    # -- opt-out, blocklist -------------------------------------------------------------
    def is_opted_out(self, phone_id: str) -> bool:
        return bool(self.r.sismember(Keys.optouts, phone_id))

    def set_opted_out(self, phone_id: str, opted_out: bool, pipe=None) -> None:
        target = pipe or self.r
        if opted_out:
            target.sadd(Keys.optouts, phone_id)
        else:
            target.srem(Keys.optouts, phone_id)

    def block(self, phone: str, reason: str) -> None:
        self.blocklist.add(phone, reason)

    def unblock(self, phone: str) -> None:
        self.blocklist.remove(phone)

    # -- webhook retries and floods --------------------------------------------------------
    def screen_text(self, sid: str, phone_id: str, now: float, lease_seconds: float) -> Screening | None:
        """Everything an incoming text needs to know, in one round trip, with the lease to answer it.

        None for Twilio's retry of a text already answered; raises ComeBackLater while the same text
        is being answered by another delivery.
        """
        lease = new_lease("sms", sid)
        keys = (
            Keys.webhook_seen("sms", sid),
            Keys.blocklist,
            Keys.texter(phone_id),
            Keys.optouts,
            Keys.open_callback(phone_id),
            Keys.rate(phone_id, int(now // 60)),
            Keys.followup_for(phone_id),
            lease.lease_key,
        )
        args = (phone_id, lease.token, int(lease_seconds * 1000))
        reply = self._screen_script(keys=keys, args=args, client=self.r)
        if reply[0] == 0:
            return None
        if reply[0] == 2:
            raise ComeBackLater(f"text {sid} is being answered")
        _, blocked, state, opted_out, open_callback, recent, follow_up = reply
        return Screening(
            blocked=bool(blocked),
            state=json.loads(self.vault.decrypt(state)) if state else None,
            opted_out=bool(opted_out),
            has_open_callback=bool(open_callback),
            texts_this_minute=int(recent),
            awaiting_follow_up=bool(follow_up),
            lease=lease,
        )

    def first_flood_notice(self, phone_id: str) -> bool:
        return bool(self.r.set(Keys.flood_logged(phone_id), b"1", nx=True, ex=3600))

    # -- counters for operators ----------------------------------------------------------
    def count(self, name: str, now: float | None = None, amount: int = 1, pipe=None) -> None:
        """Hourly (kept 35 days) and daily (kept 400 days) buckets plus a running total, for operators."""
        self.counters.count(name, now, amount, pipe)
