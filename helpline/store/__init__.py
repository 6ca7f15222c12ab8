"""The one owner of the Redis key schema, and of how personal data is kept in it.

Phone numbers and message text never reach Redis in clear: values are sealed with a key derived
from the data key (AES-GCM; values written before with Fernet still open), and a number is found by
its keyed hash (HMAC-SHA256), never by itself.
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
import os
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from hashlib import sha256

import redis
from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from helpline.domain.callback_rules import OPEN_STATUSES
from helpline.store import text_scripts
from helpline.store.client import HeldConnection
from helpline.store.jobs import JobRecord

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
    def sms_answer(sid: str) -> str:
        return f"{PREFIX}:seen:sms:{sid}:answer"  # the sealed exchange, for a retry of a text answered

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
    def callback_outcome_writing(callback_id: str) -> str:
        return f"{PREFIX}:callback-writing:{callback_id}"  # an outcome is being written: renewals wait

    @staticmethod
    def open_callback(phone_id: str) -> str:
        return f"{PREFIX}:callback-open:{phone_id}"  # the id of this number's open request

    @staticmethod
    def sent(idempotency_key: str) -> str:
        return f"{PREFIX}:sent:{idempotency_key}"

    @staticmethod
    def send_pace(phone_id: str) -> str:
        return f"{PREFIX}:send-pace:{phone_id}"  # zset idempotency key -> when: texts to a number lately

    stat_prefix = f"{PREFIX}:stat:"  # scripts that count build the buckets' keys from it

    @staticmethod
    def stat(name: str, bucket: str) -> str:
        return f"{Keys.stat_prefix}{name}:{bucket}"

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
    def directory_doors(version: str) -> str:
        return f"{PREFIX}:directory:{version}:doors"  # hash: listing id -> its site's id (shared doors only)

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
    # Staff accounts are named by their account id (the keyed hash of the email, Vault.account_id); the
    # email itself is kept only encrypted inside the record.
    staff_all = f"{PREFIX}:staff:all"  # set of account ids
    staff_on_duty = (
        f"{PREFIX}:staff:on-duty"  # set of account ids whose phone rings for "talk to someone now"
    )
    audit_all = f"{PREFIX}:audit"  # list of recent audit entries across requests (capped)

    @staticmethod
    def staff_account(account_id: str) -> str:
        return f"{PREFIX}:staff:account:{account_id}"

    @staticmethod
    def staff_session(token: str) -> str:
        return f"{PREFIX}:staff:session:{token}"  # -> "account_id session_version"; deleted at logout

    @staticmethod
    def staff_set_password(token: str) -> str:
        return f"{PREFIX}:staff:set-password:{token}"  # -> account id; one-time, expires

    @staticmethod
    def staff_links(account_id: str) -> str:
        return f"{PREFIX}:staff:links:{account_id}"  # set of the account's live set-password link tokens

    @staticmethod
    def staff_login_failures(kind: str, who: str) -> str:
        # kind "per-account" (`who`: the account id of the email typed): hash of its failures by client
        # address, and "all"; kind "per-address": set of the account ids of the emails failed from there
        return f"{PREFIX}:staff:login-failures:{kind}:{who}"

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
    def staff_alerts(account_id: str) -> str:
        return f"{PREFIX}:staff:alerts:{account_id}"  # hash: sound, notify ("1"/"0"): crisis alert choices

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
    # hash digest -> template: replies kept in conversations as references to it (store/exchanges.py)
    templates_sent = f"{PREFIX}:templates:sent"


# What sealed values say again and again (conversation entries, result texts, states), most frequent
# last: deflate starts from these words. Fixed for good: values sealed with it need it to open.
SEAL_WORDS = (
    b" Inc Llc Dba Ctr Servs Trt Saint Fort San North South East West Main Lake Park Valley River"
    b" Court Lane Place Way Highway Road Drive Boulevard Building Office Floor Suite Street Avenue"
    b" Associates Wellness Hope Life Family Human Community County City Central Medical Hospital"
    b" Clinic Program House Care Healthcare Mental Health Behavioral Substance Abuse Alcohol Drug"
    b" Addiction Counseling Outpatient Residential Treatment Recovery Services Centers Center of and for"
    b" manejo del dolor desintoxicacion ambulatorio residencial telesalud opciones de bajo costo"
    b" metadona buprenorfina naltrexona sin telefono Mas tratamiento cerca de Tratamiento cerca de"
    b" No hay telefono para estos. La linea nacional le ayuda a contactarlos, gratis 24/7:"
    b" 1-800-662-4357. Responda LLAMAR para que le llamemos gratis, o MENU."
    b" Responda MAS para ver mas, o LLAMAR para que le llamemos gratis."
    b" low-cost options telehealth detox outpatient residential naltrexone buprenorphine"
    b" methadone, pain care Reply CALL for a free callback, or MENU. More treatment near "
    b" No phone is listed for these. The national helpline can help you reach them, free and 24/7:"
    b" 1-800-662-4357. Reply MORE for more, or CALL for a free callback. no phone listed"
    b' mi - ~0. mi - 1. mi - 2. mi - 3. mi - 4. mi - ", NY", CA", TX", FL", IL", PA", OH"'
    b" Treatment near 1) 2) 3) \\n"
    b'{"welcomed":true,"disclaimed":true,"lang":"es","location":"","search_page":1,"check_step":1,'
    b'"check_answers":[true,false],"check_outcome":"oih","crisis_kind":"'
    b'[17,"s",["i","hi"],["o","Treatment near {"place":"1"}]],["t",[["'
)


class Vault:
    """Encryption at rest and keyed hashes, both derived from one data key.

    A sealed value is a version byte, a random 96-bit nonce and the AES-GCM ciphertext with its tag:
    29 bytes more than what it keeps, compressed first when that makes it shorter. `seal` gives those
    bytes (Redis values), `encrypt` the same as URL-safe text (job arguments, JSON fields). Both open
    with `open` / `decrypt`, as do Fernet tokens written before.
    """

    # Version bytes (a Fernet token starts with 0x80, its text with "gAAAAA"): kept as is, deflated, or
    # deflated with SEAL_WORDS as a preset dictionary (what a conversation entry says again and again).
    PLAIN, COMPRESSED, WORDS = 1, 2, 3
    COMPRESS_FROM = 24  # bytes: shorter values never shrink

    def __init__(self, data_key: str):
        master = data_key.encode()
        self._fernet = Fernet(master)
        self._index = hmac.new(self._derive(master, b"helpline phone index"), digestmod=sha256)
        self._staff_index = hmac.new(self._derive(master, b"helpline staff index"), digestmod=sha256)
        self._aead = AESGCM(self._derive(master, b"helpline sealed values"))

    @staticmethod
    def _derive(master: bytes, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    def seal(self, data: bytes) -> bytes:
        """`data` encrypted and authenticated, as compact bytes."""
        version = self.PLAIN
        if len(data) >= self.COMPRESS_FROM:
            # Raw deflate (no header or checksum to pay for), primed with the words values repeat.
            # A 4 KiB window holds the whole preset dictionary and any value we seal, and keeps the
            # compressor's memory small enough to come from the heap rather than a fresh mapping per
            # value; `open` reads it with any window size.
            packer = zlib.compressobj(6, zlib.DEFLATED, -12, 5, zlib.Z_DEFAULT_STRATEGY, zdict=SEAL_WORDS)
            packed = packer.compress(data) + packer.flush()
            if len(packed) < len(data):
                data, version = packed, self.WORDS
        nonce = os.urandom(12)
        header = bytes((version,))
        return header + nonce + self._aead.encrypt(nonce, data, header)

    def open(self, token: bytes | str) -> bytes:
        """What `seal` or `encrypt` (or, before them, Fernet) kept."""
        if isinstance(token, str):
            token = token.encode()
        try:
            if token[:1] not in (b"\x01", b"\x02", b"\x03"):  # not raw: a Fernet token, or text
                if token.startswith(b"gAAAAA"):
                    return self._fernet.decrypt(token)
                token = base64.urlsafe_b64decode(token + b"=" * (-len(token) % 4))
            header, nonce, sealed = token[:1], token[1:13], token[13:]
            data = self._aead.decrypt(nonce, sealed, header)
        except (InvalidToken, InvalidTag, ValueError, IndexError) as exc:
            raise ValueError("stored value was not encrypted with this data key") from exc
        if header[0] == self.WORDS:
            unpacker = zlib.decompressobj(-15, zdict=SEAL_WORDS)
            return unpacker.decompress(data) + unpacker.flush()
        return zlib.decompress(data, wbits=-15) if header[0] == self.COMPRESSED else data

    def encrypt(self, text: str) -> bytes:
        """`text` sealed, as URL-safe ASCII (it goes into job arguments and JSON)."""
        return base64.urlsafe_b64encode(self.seal(text.encode("utf-8"))).rstrip(b"=")

    def decrypt(self, token: bytes | str) -> str:
        return self.open(token).decode("utf-8")

    def phone_id(self, phone: str) -> str:
        """A stable keyed hash of a number: the only form in which it names Redis keys."""
        index = self._index.copy()  # the keyed state made once, not per number
        index.update(phone.encode())
        return index.hexdigest()[:32]

    def account_id(self, email: str) -> str:
        """The same keyed hash of a staff email as typed at sign-in, lower-cased and trimmed: the only form
        in which an email names Redis keys (an address typed at sign-in included, known or not)."""
        index = self._staff_index.copy()
        index.update(email.strip().lower()[:254].encode())
        return index.hexdigest()[:32]


def new_data_key() -> str:
    return Fernet.generate_key().decode()


@dataclass(frozen=True)
class _Record:
    """A text's record as its script takes it; the templates' texts go only where this process does not
    know them kept (`kept`, read when the arguments are made: a retry after -3 sends every text)."""

    keys: list
    head: list
    templates: dict[str, str]
    tail: list
    state: bytes
    kept: set[str]

    def args(self) -> list:
        sent = [x for name, text in self.templates.items() for x in (name, "" if name in self.kept else text)]
        return [*self.head, len(self.templates), *sent, *self.tail]


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
    open_crisis: bool = False  # its open request is a crisis staff have not closed yet
    asking: Asking | None = None  # read along for a text that may ask for a callback


from helpline.store import exchanges  # noqa: E402 - below Keys, which it does not need
from helpline.store.callbacks import CALLBACK_CONVERSATION, Asking  # noqa: E402 - it reads Keys above
from helpline.store.webhooks import Lease, LeaseLost, new_lease  # noqa: E402 - it reads Keys and ComeBackLater above

MISSING_TEMPLATE = "[a reply whose wording is no longer kept]"


@functools.cache
def _new_texter_state() -> dict:
    """A new texter's state as JSON has it: fields with these values are not kept. Made once; never
    changed (readers copy it)."""
    from helpline.domain.conversation import TexterState

    return json.loads(json.dumps(TexterState().to_dict()))


class Store:
    """Texter data in Redis: state, conversation, opt-outs, blocklist, de-duplication; repositories."""

    def __init__(self, r: redis.Redis, vault: Vault, retention_seconds: int):
        self._r = r
        self.vault = vault
        self.retention = retention_seconds
        self._screen_script = r.register_script(text_scripts.SCREEN_TEXT)
        self._record_script = r.register_script(text_scripts.RECORD_EXCHANGE)
        self._at_once_script = r.register_script(text_scripts.AT_ONCE)
        # The scripts run once per text (the two above), per send (delivery's) or per search (the
        # directory's): one kept connection per thread serves them all.
        self._held = HeldConnection(r)
        self._templates: dict[str, str] = {}  # digest -> template, read once per process (never change)
        self._templates_kept: set[str] = set()  # digests this process wrote: not sent along again
        # Conversation entries never change once written: each is opened once per process.
        self._exchange_lines = functools.lru_cache(maxsize=8192)(self._lines_of)
        # An entry opened once per process (pages and the callback queue read the same ones again).
        self._entry_data = functools.lru_cache(maxsize=8192)(lambda entry: json.loads(self.vault.open(entry)))
        # Repositories, one per kind of data (imported here: they read `Keys` from this module).
        from helpline.store.audit import AuditTrail
        from helpline.store.callbacks import Callbacks
        from helpline.store.calls import Calls
        from helpline.store.webhooks import WebhookRetries

        self.audit = AuditTrail(r, vault, retention_seconds)
        self.retries = WebhookRetries(r, vault, retention_seconds)
        self.callbacks = Callbacks(r, vault, retention_seconds, self._held)
        self.callbacks.read_exchanges = self.read_exchanges
        self.calls = Calls(r, vault, retention_seconds)
        from helpline.store.counters import Counters
        from helpline.store.delivery import Deliveries
        from helpline.store.worker_claims import WorkerClaims

        # A send is recorded with its conversation line and counter in one step.
        self.delivery = Deliveries(
            r,
            vault,
            retention_seconds,
            append_turn=self.append_turn,
            count=self.count,
            entry_of=self.sealed_entry,
            counter_keys=Counters.bucket_keys,
            counter_lifetimes=Counters.lifetimes(),
            held=self._held,
        )
        self.worker_claims = WorkerClaims(r, vault, retention_seconds)
        from helpline.store.accounts import SignIns, StaffAccounts
        from helpline.store.blocklist import Blocklist
        from helpline.store.callback_stats import CallbackStats
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
        from helpline.store.test_requests import TestRequests

        self.test_requests = TestRequests(r, vault, retention_seconds)
        from helpline.store.directory import Directory
        from helpline.store.locator_state import LocatorState

        self.directory = Directory(r, self._held)
        self.locator_state = LocatorState(r)

    @property
    def rq_connection(self):
        """The client RQ uses for its own keys (queues, jobs, registries); RQ, not us, talks through it."""
        return self._r

    # -- conversation state -------------------------------------------------------------
    def load_state(self, phone_id: str) -> dict | None:
        raw = self._r.get(Keys.texter(phone_id))
        return self._open_state(raw) if raw else None

    def save_state(self, phone_id: str, state: dict, pipe=None) -> None:
        (pipe or self._r).set(Keys.texter(phone_id), self._seal_state(state), ex=self.retention)

    def _seal_state(self, state: dict) -> bytes:
        """Only the fields that differ from a new texter's, as compact JSON, sealed."""
        new = _new_texter_state()
        kept = {k: list(v) if isinstance(v, tuple) else v for k, v in state.items()}
        kept = {k: v for k, v in kept.items() if k not in new or new[k] != v}
        return self.vault.seal(json.dumps(kept, ensure_ascii=False, separators=(",", ":")).encode())

    def open_state(self, sealed: bytes) -> dict | None:
        """A state as `record_exchange` sealed it, or None when it is not one (a hint made up or garbled)."""
        try:
            return self._open_state(sealed)
        except (InvalidTag, InvalidToken, ValueError):
            return None

    def _open_state(self, raw: bytes) -> dict:
        return {**_new_texter_state(), **json.loads(self.vault.open(raw))}

    def append_turn(self, phone_id: str, direction: str, text: str, pipe=None, channel="sms") -> None:
        """One line of the conversation staff will read; expires with the retention period."""
        self.append_turns(phone_id, [(direction, text)], pipe=pipe, channel=channel)

    def append_turns(self, phone_id: str, turns: list[exchanges.Turn], pipe=None, channel="sms") -> None:
        """Several (direction, text or FromTemplates) lines at once: one push, however many replies."""
        if not turns:
            return
        entry, templates = exchanges.encode(turns, time.time(), channel)
        target = pipe or self._r.pipeline(transaction=False)
        if templates:
            target.hset(Keys.templates_sent, mapping=templates)  # by content: the same one again is a no-op
            self._templates.update(templates)  # a digest names one text: kept even should this write fail
        key = Keys.conversation(phone_id)
        # One sealed entry per exchange (a message and its replies): one seal, not one per line.
        target.rpush(key, self.vault.seal(entry))
        target.ltrim(key, -200, -1)  # a conversation, not an archive
        target.expire(key, self.retention)
        if pipe is None:
            target.execute()

    def sealed_entry(self, text: str, direction: str = "out", channel: str = "sms") -> bytes:
        """One line as the sealed conversation entry `append_turns` pushes (a script pushes it)."""
        return self.vault.seal(exchanges.encode([(direction, text)], time.time(), channel)[0])

    def record_exchange(
        self,
        lease: Lease,
        phone_id: str,
        state: dict | None,
        turns: list[exchanges.Turn],
        counters: list[str],
        now: float,
        done_seconds: int,
        job: JobRecord | None = None,
    ) -> bytes:
        """A text and its replies: state, conversation lines, counters, the `job` it queues (a search) and
        the MessageSid's done mark, in one atomic step (a text is never marked answered without them, its
        job never queued without it or twice), one round trip. Returns the state as sealed and kept (b""
        when `state` is None). Raises LeaseLost or StoreUnavailable, and then nothing of it was written.
        """
        record = self._record(lease, phone_id, state, turns, counters, now, done_seconds, job)
        self._recorded(lease, record, self._held.run(self._record_script, record.keys, record.args()))
        return record.state

    def answer_at_once(
        self,
        sid: str,
        phone_id: str,
        now: float,
        lease_seconds: float,
        expected: bytes,
        most_this_minute: int,
        record: tuple,
    ) -> bytes | Screening | None:
        """A text's screening and record in one round trip, when the texter is exactly as `expected` (their
        sealed state, b"" for none; nothing else on record: not blocked or opted out, no callback open or
        follow-up awaited, at most `most_this_minute` texts this minute). `record` is what
        `record_exchange` takes after its lease: (state, turns, counters, done_seconds, job).

        Returns the sealed state kept when recorded; otherwise nothing is recorded and, as `screen_text`
        does, the Screening with its lease (the texter is not as expected) or None (already answered).
        """
        lease, screen_keys, screen_args = self._screening_call(sid, phone_id, now, lease_seconds, False)
        made = self._record(lease, phone_id, *record[:3], now, *record[3:])
        keys = [*screen_keys, *made.keys]
        args = [*screen_args, expected, most_this_minute, *made.args()]
        reply = self._held.run(self._at_once_script, keys, args)
        if reply[0] != 3:
            return self._screening(sid, lease, reply, False)
        self._recorded(lease, made, reply[1])  # a template gone (-3): the screening's lease is held for it
        return made.state

    def _record(self, lease, phone_id, state, turns, counters, now, done_seconds, job) -> _Record:
        entry, templates = exchanges.encode(turns, time.time()) if turns else (b"", {})
        entry = self.vault.seal(entry) if turns else b""
        keys = [
            lease.done_key,
            lease.lease_key,
            Keys.texter(phone_id),
            Keys.conversation(phone_id),
            Keys.templates_sent,
            Keys.stat_names,
            Keys.sms_answer(lease.sid),
            *(job.keys if job else []),
        ]
        state_arg = self._seal_state(state) if state is not None else b""
        args = [lease.token, done_seconds, self.retention, state_arg, entry, *self.counters.lifetimes()]
        args += [Keys.stat_prefix, *self.counters.buckets(now)]
        counted = Counter(counters)  # "sms.replied" once a reply: each name bumped once, by its count
        tail = [*(job.script_args() if job else [0]), *[part for pair in counted.items() for part in pair]]
        return _Record(keys, args, templates, tail, state_arg, self._templates_kept)

    def _recorded(self, lease: Lease, record: _Record, outcome: int) -> None:
        if outcome == -3:  # a template this process wrote is gone (a Redis that lost data): write it again
            self._templates_kept.clear()
            outcome = self._held.run(self._record_script, record.keys, record.args())
        if outcome in (0, 1):
            self._templates_kept.update(record.templates)
            self._templates.update(record.templates)  # this process reads what it wrote without asking again
        if outcome == -1:
            raise LeaseLost(f"{lease.kind} {lease.sid} was answered by another delivery")
        if outcome == -2:
            raise LeaseLost(f"{lease.kind} {lease.sid} was taken over by another delivery")

    def answered(self, sid: str) -> list[str]:
        """The texts a text already answered was answered with (for Twilio's retry of it), or []."""
        entry = self._r.get(Keys.sms_answer(sid))
        if not entry:
            return []
        return [line["text"] for line in self.read_exchanges([entry])[0] if line["dir"] == "out"]

    def conversation(self, phone_id: str, last: int | None = None) -> list[dict]:
        """Every line kept (or those of the `last` exchanges), oldest first, each text exactly as it was
        sent: `{"at", "dir": "in"|"out", "text", "channel"}`. The one reader of conversation entries."""
        entries = self._r.lrange(Keys.conversation(phone_id), -last if last else 0, -1)
        return [line for exchange in self.read_exchanges(entries) for line in exchange]

    def read_exchanges(self, entries: list[bytes]) -> list[list[dict]]:
        """Conversation entries as they came from Redis, each as its lines (texts exactly as sent).

        The templates they name that this process has not seen are read first, in one round trip."""
        entries = [bytes(entry) for entry in entries]
        missing: set[str] = set()
        for entry in entries:
            missing |= exchanges.referenced(self._entry_data(entry)) - self._templates.keys()
        if missing:
            names = sorted(missing)
            found = self._r.hmget(Keys.templates_sent, names)
            self._templates.update({n: t.decode() for n, t in zip(names, found, strict=True) if t})
        return [[dict(line) for line in self._exchange_lines(entry)] for entry in entries]

    def _lines_of(self, entry: bytes) -> tuple[dict, ...]:
        data = self._entry_data(entry)
        missing = sorted(exchanges.referenced(data) - self._templates.keys())
        if missing:
            found = self._r.hmget(Keys.templates_sent, missing)
            self._templates.update({n: t.decode() for n, t in zip(missing, found, strict=True) if t})
        return tuple(exchanges.lines(data, lambda name: self._templates.get(name, MISSING_TEMPLATE)))

    # -- opt-out, blocklist -------------------------------------------------------------
    def is_opted_out(self, phone_id: str) -> bool:
        return bool(self._r.sismember(Keys.optouts, phone_id))

    def set_opted_out(self, phone_id: str, opted_out: bool, pipe=None) -> None:
        target = pipe or self._r
        if opted_out:
            target.sadd(Keys.optouts, phone_id)
        else:
            target.srem(Keys.optouts, phone_id)

    def block(self, phone: str, reason: str) -> None:
        self.blocklist.add(phone, reason)

    def unblock(self, phone: str) -> None:
        self.blocklist.remove(phone)

    # -- webhook retries and floods --------------------------------------------------------
    def screen_text(
        self, sid: str, phone_id: str, now: float, lease_seconds: float, for_callback: bool = False
    ) -> Screening | None:
        """Everything an incoming text needs to know, in one round trip, with the lease to answer it;
        `for_callback` (a text that may ask for one) adds what a callback request needs (`asking`).

        None for Twilio's retry of a text already answered; raises ComeBackLater while the same text
        is being answered by another delivery.
        """
        lease, keys, args = self._screening_call(sid, phone_id, now, lease_seconds, for_callback)
        return self._screening(sid, lease, self._held.run(self._screen_script, keys, args), for_callback)

    def _screening_call(self, sid, phone_id, now, lease_seconds, for_callback) -> tuple[Lease, list, list]:
        lease = new_lease("sms", sid)
        keys = [
            Keys.webhook_seen("sms", sid),
            Keys.blocklist,
            Keys.texter(phone_id),
            Keys.optouts,
            Keys.open_callback(phone_id),
            Keys.rate(phone_id, int(now // 60)),
            Keys.followup_for(phone_id),
            lease.lease_key,
            Keys.conversation(phone_id),
        ]
        tail = CALLBACK_CONVERSATION if for_callback else 0
        return lease, keys, [phone_id, lease.token, int(lease_seconds * 1000), Keys.callback(""), tail]

    def _screening(self, sid: str, lease: Lease, reply: list, for_callback: bool) -> Screening | None:
        if reply[0] == 0:
            return None
        if reply[0] == 2:
            raise ComeBackLater(f"text {sid} is being answered")
        _, blocked, state, opted_out, open_callback, recent, follow_up, priority, status = reply[:9]
        asking = self.callbacks.asked(bool(blocked), *reply[9:]) if for_callback else None
        # The open request's fields are JSON in its record (store/callbacks.py).
        open_crisis = bool(priority and status) and json.loads(priority) == "crisis"
        return Screening(
            blocked=bool(blocked),
            state=self._open_state(state) if state else None,
            opted_out=bool(opted_out),
            has_open_callback=bool(open_callback),
            texts_this_minute=int(recent),
            awaiting_follow_up=bool(follow_up),
            lease=lease,
            open_crisis=open_crisis and json.loads(status) in OPEN_STATUSES,
            asking=asking,
        )

    def first_flood_notice(self, phone_id: str) -> bool:
        return bool(self._r.set(Keys.flood_logged(phone_id), b"1", nx=True, ex=3600))

    # -- counters for operators ----------------------------------------------------------
    def count(self, name: str, now: float | None = None, amount: int = 1, pipe=None) -> None:
        """Hourly (kept 35 days) and daily (kept 400 days) buckets plus a running total, for operators."""
        self.counters.count(name, now, amount, pipe)
