"""Callback requests in Redis: the record, the queue that orders them, claims, attempts, notes, follow-ups.

One hash per request (each field JSON), a zset queue ranked crisis-first-then-oldest, and one
open request per number. Numbers, conversations, ZIPs, self-check outcomes, attempts, notes and
follow-up states are encrypted.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields

import redis

from helpline.domain.call_times import CallTime
from helpline.domain.callback_rules import PRIORITY_BOOST, AuditEntry, CallbackRequest, OutcomeDecision
from helpline.store import Keys
from helpline.store.audit import expire_trail, push_entry
from helpline.store.client import HeldConnection
from helpline.store.counters import Counters, lua_count

# Atomic: of two staff claiming at once exactly one wins; the other learns who did.
_CLAIM = """
local raw = redis.call('HMGET', KEYS[1], 'status', 'claimed_by', 'lease_until')
if not raw[1] then return {'missing', ''} end
local status = cjson.decode(raw[1])
if status ~= 'waiting' and status ~= 'claimed' then return {'closed', status} end
if status == 'claimed' and raw[2] and raw[3] then
  local who = cjson.decode(raw[2])
  local lease = cjson.decode(raw[3])
  if who ~= cjson.null and who ~= ARGV[1] and lease ~= cjson.null and lease > tonumber(ARGV[2]) then
    return {'held', who}
  end
end
if not (status == 'claimed' and raw[2] and cjson.decode(raw[2]) == ARGV[1]) then
  redis.call('HSET', KEYS[1], 'claimed_at', ARGV[2])
end
redis.call('HSET', KEYS[1], 'status', '"claimed"', 'claimed_by', cjson.encode(ARGV[1]),
  'lease_until', ARGV[3], 'updated', ARGV[2])
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[2]), ARGV[4])
return {'ok', ARGV[1]}
"""
# Renew (ARGV[4] == '1') or release the caller's own claim; returns 0 when they do not hold it.
_OWN_CLAIM = """
local raw = redis.call('HMGET', KEYS[1], 'status', 'claimed_by', 'lease_until')
if not raw[1] or cjson.decode(raw[1]) ~= 'claimed' or not raw[2] then return 0 end
if cjson.decode(raw[2]) ~= ARGV[1] then return 0 end
if ARGV[4] == '1' then
  -- while the holder's outcome is being written the claim ends anyway: a renewal writes nothing,
  -- so an eager page never makes that write read again
  if KEYS[4] and redis.call('EXISTS', KEYS[4]) == 1 then return 1 end
  redis.call('HSET', KEYS[1], 'lease_until', ARGV[3], 'updated', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'status', '"waiting"', 'claimed_by', 'null', 'lease_until', 'null',
    'updated', ARGV[2])
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[2]), ARGV[5])
end
return 1
"""
# Put a claim whose lease ran out back to waiting (unless it was renewed or reclaimed meanwhile).
_LAPSE = """
local raw = redis.call('HMGET', KEYS[1], 'status', 'lease_until')
if not raw[1] or cjson.decode(raw[1]) ~= 'claimed' then return 0 end
local lease = raw[2] and cjson.decode(raw[2])
if lease and lease ~= cjson.null and lease > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'status', '"waiting"', 'claimed_by', 'null', 'lease_until', 'null',
  'updated', ARGV[1])
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[2]), ARGV[2])
return 1
"""
# What open staff pages last saw: the version of the records, and the latest conversation entry of
# each request asked about (ARGV: the callback and conversation key prefixes, then callback ids).
_MARKS = """
local parts = {redis.call('GET', KEYS[1]) or '0'}
for i = 3, #ARGV do
  local phone_id = redis.call('HGET', ARGV[1] .. ARGV[i], 'phone_id')
  local tail = ''
  if phone_id then tail = redis.call('LINDEX', ARGV[2] .. cjson.decode(phone_id), -1) or '' end
  parts[#parts + 1] = ARGV[i] .. ':' .. string.sub(tail, -32)
end
return redis.sha1hex(table.concat(parts, '|'))
"""
# What asking for a callback needs to know of a number, in one round trip: is it blocked, its open
# request, and the last entries of its conversation (for a new request's copy). KEYS: the blocklist,
# the number's open-request pointer, its conversation. ARGV: the phone id, the record key prefix, how
# many conversation entries (0: none).
_ASKING = """
local blocked = redis.call('HEXISTS', KEYS[1], ARGV[1])
local id = redis.call('GET', KEYS[2])
local record = {}
if id then record = redis.call('HGETALL', ARGV[2] .. id) end
local entries = {}
local tail = tonumber(ARGV[3])
if tail > 0 then entries = redis.call('LRANGE', KEYS[3], -tail, -1) end
return {blocked, record, entries}
"""
# A new request, whole, in one step: its id (the next in the sequence), the number's open-request
# pointer (nothing is written, '' returned, when the number has one already), the record, its place
# on the queue and in the list of all, the change note, and the "callback.created" counter.
# KEYS: open pointer, sequence, all, queue, version, changed, hour, day and total counter, counter names.
# ARGV: record key prefix, created, rank, changes kept, counter name, hour and day lifetimes, then the
# record's fields and their JSON values (the id is added here).
_ADD = (
    """
if redis.call('EXISTS', KEYS[1]) == 1 then return '' end
local id = string.format('cb%06d', redis.call('INCR', KEYS[2]))
redis.call('SET', KEYS[1], id)
local key = ARGV[1] .. id
redis.call('HSET', key, 'id', cjson.encode(id), unpack(ARGV, 8))
redis.call('ZADD', KEYS[3], ARGV[2], id)
redis.call('ZADD', KEYS[4], ARGV[3], id)
redis.call('ZADD', KEYS[6], redis.call('INCR', KEYS[5]), id)
redis.call('ZREMRANGEBYRANK', KEYS[6], 0, -(tonumber(ARGV[4]) + 1))
"""
    + lua_count("KEYS[7]", "KEYS[8]", "KEYS[9]", "KEYS[10]", "ARGV[6]", "ARGV[7]", "ARGV[5]")
    + """
return id
"""
)
# A crisis on an open request: only the crisis fields change, so a claim made meanwhile stands.
_RAISE = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
status = cjson.decode(status)
if status ~= 'waiting' and status ~= 'claimed' then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[3]), ARGV[2])
return 1
"""
# Health data: where the person is (their ZIP) and what their self-check found (its outcome, and the
# reason "check:<outcome>") are kept encrypted, in one field, never in clear beside the fields the
# queue sorts by. A crisis raise writes its reason ("crisis") in clear over it until the next save.
SEALED_FIELDS = ("zip", "check_outcome", "reason")
DETAILS_FIELD = "details_enc"
_RECORD_FIELDS = tuple(f.name for f in dataclass_fields(CallbackRequest))  # each a str, number, bool or None
# Records as one JSON array: every open request (ARGV[2] == 0) or the ids after the fields. ARGV: the
# record key prefix, how many fields, the fields. The fields are JSON already; a field a record lacks
# is left out, so its default applies; a record that is gone is left out.
_RECORDS = """
local count = tonumber(ARGV[2])
local fields = {unpack(ARGV, 3, 2 + count)}
local ids = {unpack(ARGV, 3 + count)}
if #ids == 0 then ids = redis.call('ZRANGE', KEYS[1], 0, -1) end
local names = {}
for i, field in ipairs(fields) do names[i] = cjson.encode(field) .. ':' end
local out = {}
for _, id in ipairs(ids) do
  local values = redis.call('HMGET', ARGV[1] .. id, unpack(fields))
  if values[1] then
    local parts = {}
    for i = 1, count do
      if values[i] then parts[#parts + 1] = names[i] .. values[i] end
    end
    out[#out + 1] = '{' .. table.concat(parts, ',') .. '}'
  end
end
return '[' .. table.concat(out, ',') .. ']'
"""
# Every change to a record bumps the version and notes which record changed, at that version.
_CHANGED = """
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[1]), ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[2]) + 1))
"""
CHANGES_KEPT = 20_000  # changed ids remembered; a process further behind reads the whole queue again
MIRROR_FULL_EVERY = 30.0  # seconds: each process also reads the whole open queue again this often
# Read by the request's page, not by the queue: the conversation's copy, the voicemail's details.
_NOT_LISTED = ("conversation_enc", "extra_enc")
CALLBACK_CONVERSATION = 30  # a new request keeps a copy of this many of the latest exchanges
OUTCOME_TRIES = 5  # the open page renewing its lease at the same instant: read again, this many times
OUTCOME_WRITING_MS = 2000  # after a first collision renewals pause this long at most, so the outcome lands


@dataclass(frozen=True)
class OutcomeWrite:
    """Everything one call's outcome writes, in one transaction."""

    request: CallbackRequest  # as it is after the outcome
    decision: OutcomeDecision
    attempt: dict  # {"at", "by", "outcome", "provider"}
    note: dict | None  # {"at", "by", "text"}
    audit: tuple[AuditEntry, ...]


@dataclass(frozen=True)
class Asking:
    """A number asking for a callback: blocked or not, its open request, its latest conversation."""

    blocked: bool
    open_request: CallbackRequest | None
    _entries: tuple[bytes, ...]
    _read: Callable[[list[bytes]], list[list[dict]]]

    def conversation(self) -> list[dict]:
        """The lines of the last exchanges read (opened only when asked: a new request's copy)."""
        return [line for exchange in self._read(list(self._entries)) for line in exchange]


class Callbacks:
    """The callback requests and everything kept beside each one."""

    def __init__(self, r: redis.Redis, vault, retention_seconds: int, held: HeldConnection):
        self._r = r
        self._held = held  # the store's: a text's request is queued on its thread's kept connection
        self._vault = vault
        self.retention = retention_seconds
        self._claim = r.register_script(_CLAIM)
        self._own_claim = r.register_script(_OWN_CLAIM)
        self._lapse = r.register_script(_LAPSE)
        self._marks = r.register_script(_MARKS)
        self._raise = r.register_script(_RAISE)
        self._asking = r.register_script(_ASKING)
        self._add = r.register_script(_ADD)
        # Conversation entries are read as the store reads them (Store.read_exchanges sets this).
        self.read_exchanges: Callable[[list[bytes]], list[list[dict]]] = lambda entries: []
        self._records = r.register_script(_RECORDS)
        self._mirror: dict[str, CallbackRequest] = {}  # this process's copy of the open requests
        self._mirror_version, self._mirror_read_at = -1, 0.0
        self._mirror_lock = threading.Lock()
        # The queue page opens the same sealed values on every refresh: each only once per process.
        self._opened = functools.lru_cache(maxsize=8192)(vault.decrypt)

    # -- the record and the queue ---------------------------------------------------------------
    def add(
        self,
        request: CallbackRequest,
        phone: str,
        conversation: list[dict],
        call_time: CallTime | None = None,
    ) -> bool:
        """Queue a new request with its number, conversation and what they said about when to call
        (encrypted into the record), counted as "callback.created", in one round trip; `request.id` is
        set to the id it was given.

        False, and nothing written, when this number already has an open request (another process
        queued it just now).
        """
        request.phone_enc = self._seal(phone)
        request.conversation_enc = self._seal(json.dumps(conversation))
        if call_time:
            request.call_time_enc = self._sealed_call_time(call_time)
        fields = _record_fields(request)
        del fields["id"]
        details = {name: fields.pop(name) for name in SEALED_FIELDS}
        fields[DETAILS_FIELD] = self._seal(json.dumps(details))
        counted = "callback.created"
        keys = [
            Keys.open_callback(request.phone_id),
            Keys.callback_seq,
            Keys.callbacks_all,
            Keys.callback_queue,
            Keys.callbacks_version,
            Keys.callbacks_changed,
            *Counters.bucket_keys(counted, request.created),
            Keys.stat_names,
        ]
        args = [
            Keys.callback(""),
            request.created,
            request.rank(),
            CHANGES_KEPT,
            counted,
            *Counters.lifetimes(),
        ]
        args += [part for name, value in fields.items() for part in (name, json.dumps(value))]
        callback_id = self._held.run(self._add, keys, args)
        if not callback_id:
            return False
        request.id = callback_id.decode()
        return True

    def save(self, request: CallbackRequest) -> None:
        """Write the request and its place on the queue; closed requests leave it and expire."""
        pipe = self._r.pipeline()
        self._save(pipe, request)
        pipe.execute()

    def _save(self, pipe, request: CallbackRequest) -> None:
        key = Keys.callback(request.id)
        fields = _record_fields(request)
        details = {name: fields.pop(name) for name in SEALED_FIELDS}
        fields[DETAILS_FIELD] = self._seal(json.dumps(details))
        pipe.hset(key, mapping={k: json.dumps(v) for k, v in fields.items()})
        pipe.hdel(key, *SEALED_FIELDS)  # a record written in clear by an earlier release
        pipe.zadd(Keys.callbacks_all, {request.id: request.created})
        _changed(pipe, request.id)
        if request.is_open:
            pipe.zadd(Keys.callback_queue, {request.id: request.rank()})
            pipe.persist(key)
        else:
            pipe.zrem(Keys.callback_queue, request.id)
            pipe.delete(Keys.open_callback(request.phone_id))
            pipe.expire(key, self.retention)

    def get(self, callback_id: str) -> CallbackRequest | None:
        return _decode(self._r.hgetall(Keys.callback(callback_id)), self._vault)

    def raise_to_crisis(self, request: CallbackRequest) -> bool:
        """Write a request raised to crisis or alerted again (its crisis fields and its place on the
        queue) while it is still open; False when it was closed meanwhile."""
        fields = ("priority", "reason", "realerted_at", "texts_off", "lang", "updated", "next_attempt_at")
        return self._write_open(request, {name: getattr(request, name) for name in fields})

    def mark_texts_off(self, request: CallbackRequest, off: bool) -> bool:
        """Mark an open request as opted out of texts (or back in); False when it was closed meanwhile."""
        return self._write_open(request, {"texts_off": off})

    def set_language(self, request: CallbackRequest, lang: str) -> bool:
        """The language staff should call in (the texter switched); False when it was closed meanwhile."""
        return self._write_open(request, {"lang": lang})

    def set_call_time(self, request: CallbackRequest, call_time: CallTime) -> bool:
        """What they said last about when to call, on a request still open; False when it was closed."""
        request.call_time_enc = self._sealed_call_time(call_time)
        return self._write_open(request, {"call_time_enc": request.call_time_enc})

    def call_time_of(self, request: CallbackRequest) -> CallTime | None:
        """What they said about when to call (opened once per process: the queue shows it on each poll)."""
        return CallTime(**json.loads(self._opened(request.call_time_enc))) if request.call_time_enc else None

    def _sealed_call_time(self, call_time: CallTime) -> str:
        said = {"words": call_time.words, "at": call_time.at}
        return self._seal(json.dumps({**said, "voicemail": True} if call_time.voicemail else said))

    def _write_open(self, request: CallbackRequest, fields: dict) -> bool:
        """These fields on a request still open, and its place on the queue; False when it was closed."""
        pairs = [part for name, value in fields.items() for part in (name, json.dumps(value))]
        keys = [
            Keys.callback(request.id),
            Keys.callback_queue,
            Keys.callbacks_version,
            Keys.callbacks_changed,
        ]
        return bool(self._raise(keys=keys, args=[request.rank(), request.id, *pairs]))

    def many(self, callback_ids: list[str]) -> list[CallbackRequest]:
        """The requests with these ids (those gone are left out), in one round trip."""
        pipe = self._r.pipeline(transaction=False)
        for callback_id in callback_ids:
            pipe.hgetall(Keys.callback(callback_id))
        return [request for raw in pipe.execute() if (request := _decode(raw, self._vault))]

    def open_for(self, phone_id: str) -> CallbackRequest | None:
        """This number's open request, if it has one."""
        return self.asking(phone_id, conversation=0).open_request

    def asking(self, phone_id: str, conversation: int = CALLBACK_CONVERSATION) -> Asking:
        """What a callback request from this number needs to know (see `Asking`), in one round trip:
        `conversation` is how many of its last exchanges a new request would keep a copy of."""
        keys = [Keys.blocklist, Keys.open_callback(phone_id), Keys.conversation(phone_id)]
        blocked, record, entries = self._asking(keys=keys, args=[phone_id, Keys.callback(""), conversation])
        return self.asked(bool(blocked), record, entries)

    def asked(self, blocked: bool, record: list[bytes], entries: list[bytes]) -> Asking:
        """`Asking` from what a script read: the open record (HGETALL's flat list) and the entries."""
        request = _decode(dict(zip(record[::2], record[1::2], strict=True)), self._vault)
        return Asking(
            blocked=blocked,
            open_request=request if request and request.is_open else None,
            _entries=tuple(entries),
            _read=self.read_exchanges,
        )

    def queued(self, limit: int | None = 200) -> list[CallbackRequest]:
        """Open requests in queue order (all of them with no limit), in one round trip for the list."""
        ids = self._r.zrange(Keys.callback_queue, 0, -1 if limit is None else limit - 1)
        pipe = self._r.pipeline(transaction=False)
        for callback_id in ids:
            pipe.hgetall(Keys.callback(callback_id.decode()))
        return [request for raw in pipe.execute() if (request := _decode(raw, self._vault))]

    def open_records(self) -> list[CallbackRequest]:
        """Every open request in queue order, for the staff queue. Each process keeps a copy and reads
        only the records changed since (one script call, one JSON parse); sealed fields are opened once."""
        with self._mirror_lock:
            version = self.version()
            stale = time.monotonic() - self._mirror_read_at > MIRROR_FULL_EVERY
            if self._mirror_version < 0 or stale or version < self._mirror_version:  # (a restored Redis)
                self._mirror = {r.id: r for r in self._read_records([])}
                self._mirror_read_at = time.monotonic()
            elif version != self._mirror_version:
                pipe = self._r.pipeline(transaction=False)
                pipe.zrangebyscore(Keys.callbacks_changed, f"({self._mirror_version}", "+inf")
                pipe.zrange(Keys.callbacks_changed, 0, 0, withscores=True)
                pipe.zcard(Keys.callbacks_changed)
                changed, oldest, kept = pipe.execute()
                if kept >= CHANGES_KEPT and oldest and oldest[0][1] > self._mirror_version + 1:
                    self._mirror = {r.id: r for r in self._read_records([])}  # too far behind: all
                    self._mirror_read_at = time.monotonic()
                else:
                    ids = [i.decode() for i in changed]
                    fresh = {r.id: r for r in self._read_records(ids)}
                    for callback_id in ids:
                        if callback_id in fresh and fresh[callback_id].is_open:
                            self._mirror[callback_id] = fresh[callback_id]
                        else:
                            self._mirror.pop(callback_id, None)
            self._mirror_version = version
            order = [i.decode() for i in self._r.zrange(Keys.callback_queue, 0, -1)]
            missing = [i for i in order if i not in self._mirror]  # queued after the version was read
            if missing:
                self._mirror.update({r.id: r for r in self._read_records(missing)})
            records = [self._mirror[i] for i in order if i in self._mirror]
            self._renewed_leases([r for r in records if r.status == "claimed"])
            return records

    def _read_records(self, callback_ids: list[str]) -> list[CallbackRequest]:
        fields = [name for name in CallbackRequest.__dataclass_fields__ if name not in _NOT_LISTED]
        fields.append(DETAILS_FIELD)
        args = [Keys.callback(""), len(fields), *fields, *callback_ids]
        records = []
        for data in json.loads(self._records(keys=[Keys.callback_queue], args=args)):
            sealed = data.pop(DETAILS_FIELD, None)
            if sealed:
                data = json.loads(self._opened(sealed)) | data
            records.append(CallbackRequest(**data))
        return records

    def _renewed_leases(self, claimed: list[CallbackRequest]) -> None:
        """A held request's page renews its lease without changing anything staff see: read them fresh."""
        if not claimed:
            return
        pipe = self._r.pipeline(transaction=False)
        for request in claimed:
            pipe.hget(Keys.callback(request.id), "lease_until")
        for request, raw in zip(claimed, pipe.execute(), strict=True):
            if raw:
                request.lease_until = json.loads(raw)

    def _changing(self, callback_id: str) -> list[str]:
        """The keys a claim script changes: the record, the version, the log of changed records."""
        return [Keys.callback(callback_id), Keys.callbacks_version, Keys.callbacks_changed]

    def shown_phone(self, request: CallbackRequest) -> str:
        """The request's number, opened through the same per-process cache (lists show and search many)."""
        return self._opened(request.phone_enc)

    def open_count(self) -> int:
        return int(self._r.zcard(Keys.callback_queue))

    # -- what open staff pages poll -------------------------------------------------------------
    def version(self) -> int:
        """Goes up with every change to any request record (created, claimed, released, closed ...)."""
        return int(self._r.get(Keys.callbacks_version) or 0)

    def marks(self, callback_ids: list[str]) -> str:
        """A digest of the records' version and the latest conversation entry of each request given."""
        args = [Keys.callback(""), Keys.conversation(""), *callback_ids]
        return self._marks(keys=[Keys.callbacks_version], args=args).decode()

    def sizes(self, callback_id: str) -> str:
        """How many notes, attempts, trail entries and staff texts the request has, as one short string."""
        pipe = self._r.pipeline(transaction=False)
        for key in (Keys.callback_notes, Keys.callback_attempts, Keys.callback_audit, Keys.callback_texts):
            pipe.llen(key(callback_id))
        return "-".join(str(n) for n in pipe.execute())

    def crisis_ids(self) -> list[str]:
        """Open crisis requests, oldest first (they rank before every other request)."""
        bound = f"({PRIORITY_BOOST * -0.5}"
        return [i.decode() for i in self._r.zrangebyscore(Keys.callback_queue, "-inf", bound)]

    def last_exchanges(self, phone_ids: list[str], count: int = 2) -> dict[str, list[list[dict]]]:
        """The latest `count` conversation entries (a text and its replies) of each number, oldest first,
        in one round trip."""
        pipe = self._r.pipeline(transaction=False)
        for phone_id in phone_ids:
            pipe.lrange(Keys.conversation(phone_id), -count, -1)
        found = {}
        for phone_id, entries in zip(phone_ids, pipe.execute(), strict=True):
            if entries:  # read as the store reads every conversation entry (texts exactly as sent)
                found[phone_id] = self.read_exchanges(entries)
        return found

    def latest(self, limit: int) -> list[CallbackRequest]:
        """The `limit` requests made last, open or closed, newest first, as the queue lists them (no
        conversation or extras; sealed fields opened once per process), in one script call."""
        ids = [i.decode() for i in self._r.zrevrange(Keys.callbacks_all, 0, limit - 1)]
        return self._read_records(ids) if ids else []

    def created_between(self, since: float, until: float) -> list[str]:
        """Ids of the requests created from `since` up to (not including) `until`, oldest first."""
        return [i.decode() for i in self._r.zrangebyscore(Keys.callbacks_all, since, f"({until}")]

    # -- encrypted parts of the record ----------------------------------------------------------
    def phone_of(self, request: CallbackRequest) -> str:
        return self._vault.decrypt(request.phone_enc)

    def conversation_of(self, request: CallbackRequest) -> list[dict]:
        return json.loads(self._vault.decrypt(request.conversation_enc)) if request.conversation_enc else []

    def extra_of(self, request: CallbackRequest) -> dict:
        return json.loads(self._vault.decrypt(request.extra_enc)) if request.extra_enc else {}

    def add_extra(
        self, callback_id: str, fields: dict, voicemail_at: float | None = None
    ) -> CallbackRequest | None:
        """Merge fields into the request's encrypted extras (a voicemail's link and transcript); with
        `voicemail_at`, a voicemail was left on it then."""
        request = self.get(callback_id)
        if request is None:
            return None
        request.extra_enc = self._seal(json.dumps(self.extra_of(request) | fields))
        written = {"extra_enc": json.dumps(request.extra_enc)}
        if voicemail_at is not None:
            request.voicemail_at = voicemail_at
            written["voicemail_at"] = json.dumps(voicemail_at)
        pipe = self._r.pipeline()
        pipe.hset(Keys.callback(request.id), mapping=written)
        _changed(pipe, request.id)
        pipe.execute()
        return request

    # -- claims and leases ----------------------------------------------------------------------
    def claim(self, callback_id: str, who: str, now: float, lease_until: float) -> tuple[str, str]:
        """("ok", who), ("held", holder), ("closed", status) or ("missing", "")."""
        reason, detail = self._claim(
            keys=[Keys.callback(callback_id), Keys.callbacks_version, Keys.callbacks_changed],
            args=[who, json.dumps(now), json.dumps(lease_until), callback_id],
        )
        return reason.decode(), detail.decode()

    def renew(self, callback_id: str, who: str, now: float, lease_until: float) -> bool:
        """False when `who` does not hold the request."""
        args = [who, json.dumps(now), json.dumps(lease_until), "1", callback_id]
        keys = [*self._changing(callback_id), Keys.callback_outcome_writing(callback_id)]
        return bool(self._own_claim(keys=keys, args=args))

    def release(self, callback_id: str, who: str, now: float) -> bool:
        """False when `who` does not hold the request."""
        args = [who, json.dumps(now), "null", "0", callback_id]
        return bool(self._own_claim(keys=self._changing(callback_id), args=args))

    def lapse(self, callback_id: str, now: float) -> bool:
        """Put a claim whose lease ran out back to waiting; False when it was renewed or is not claimed."""
        return bool(self._lapse(keys=self._changing(callback_id), args=[json.dumps(now), callback_id]))

    # -- outcomes, attempts, notes --------------------------------------------------------------
    def write_outcome(
        self, callback_id: str, change: Callable[[CallbackRequest | None], OutcomeWrite]
    ) -> OutcomeWrite | None:
        """Read the request, let `change` decide (it may raise), write it all in one transaction.

        Any change to the request between the read and the write (a renewal, a lapse, a claim)
        makes it read and decide again; None when that kept happening.
        """
        key, writing = Keys.callback(callback_id), Keys.callback_outcome_writing(callback_id)
        for attempt in range(OUTCOME_TRIES):
            if attempt:  # a renewal got in between: renewals now wait until this outcome is written
                self._r.set(writing, b"1", px=OUTCOME_WRITING_MS)
            written = self._try_outcome(key, callback_id, change)
            if written is not None:
                if attempt:
                    self._r.delete(writing)
                return written
        self._r.delete(writing)
        return None

    def _try_outcome(self, key: str, callback_id: str, change) -> OutcomeWrite | None:
        """One read-decide-write under WATCH; None when the request changed meanwhile."""
        with self._r.pipeline() as pipe:
            pipe.watch(key)
            written = change(_decode(pipe.hgetall(key), self._vault))
            pipe.multi()
            self._save(pipe, written.request)
            pipe.rpush(Keys.callback_attempts(callback_id), self._seal(json.dumps(written.attempt)))
            if written.note:
                pipe.rpush(Keys.callback_notes(callback_id), self._seal(json.dumps(written.note)))
            for entry in written.audit:
                push_entry(pipe, entry)
            if not written.request.is_open:
                for k in (Keys.callback_attempts(callback_id), Keys.callback_notes(callback_id)):
                    pipe.expire(k, self.retention)
                expire_trail(pipe, callback_id, self.retention)
            try:
                pipe.execute()
            except redis.WatchError:
                return None
            return written

    def attempts(self, callback_id: str) -> list[dict]:
        return self._open_list(Keys.callback_attempts(callback_id))

    def add_note(self, callback_id: str, note: dict) -> None:
        self._r.rpush(Keys.callback_notes(callback_id), self._seal(json.dumps(note)))

    def notes(self, callback_id: str) -> list[dict]:
        return self._open_list(Keys.callback_notes(callback_id))

    # -- follow-up after a referral -------------------------------------------------------------
    def follow_up(self, callback_id: str) -> dict | None:
        raw = self._r.get(Keys.callback_followup(callback_id))
        return json.loads(self._vault.decrypt(raw)) if raw else None

    def set_follow_up(self, callback_id: str, state: dict) -> None:
        self._r.set(Keys.callback_followup(callback_id), self._seal(json.dumps(state)), ex=self.retention)

    def await_answer(self, phone_id: str, callback_id: str, seconds: int) -> None:
        """This number's next YES/NO answers the check-in of `callback_id` (for `seconds`)."""
        self._r.set(Keys.followup_for(phone_id), callback_id, ex=seconds)

    def awaited(self, phone_id: str) -> str | None:
        """The request whose check-in this number has not answered yet."""
        callback_id = self._r.get(Keys.followup_for(phone_id))
        return callback_id.decode() if callback_id else None

    def take_awaited(self, phone_id: str) -> str | None:
        """The same, forgotten in the same step: one answer per check-in."""
        callback_id = self._r.getdel(Keys.followup_for(phone_id))
        return callback_id.decode() if callback_id else None

    def _seal(self, text: str) -> str:
        return self._vault.encrypt(text).decode()

    def _open_list(self, key: str) -> list[dict]:
        return [json.loads(self._vault.decrypt(item)) for item in self._r.lrange(key, 0, -1)]


def _record_fields(request: CallbackRequest) -> dict:
    """The request's fields by name, as `dataclasses.asdict` gives them (every field is a plain value)
    without its deep copy of each: a callback request is written as a text asks for it."""
    return {name: getattr(request, name) for name in _RECORD_FIELDS}


def _changed(pipe, callback_id: str) -> None:
    """Note in `pipe` that this record changed: the version goes up and the queue copies read it again."""
    # EVAL, not EVALSHA: inside a transaction it needs no SCRIPT EXISTS round trip first.
    pipe.eval(_CHANGED, 2, Keys.callbacks_version, Keys.callbacks_changed, callback_id, CHANGES_KEPT)


def _decode(raw: dict, vault) -> CallbackRequest | None:
    if not raw:
        return None
    data = {k.decode() if isinstance(k, bytes) else k: json.loads(v) for k, v in raw.items()}
    sealed = data.pop(DETAILS_FIELD, None)
    if sealed:
        data = json.loads(vault.decrypt(sealed)) | data  # a field written in clear since is the newer
    return CallbackRequest(**{k: v for k, v in data.items() if k in CallbackRequest.__dataclass_fields__})
