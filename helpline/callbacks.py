"""Callback requests: the record staff work from, and the Redis-backed queue that orders them.

Crisis requests come first, then the oldest. One open request per number: asking again
(or a crisis after a plain request) updates it instead of queueing a duplicate.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field

from helpline.store import Keys, Store

PRIORITY_BOOST = 10_000_000_000  # larger than any timestamp: crisis sorts before every normal request
OPEN_STATUSES = ("waiting", "claimed")


@dataclass
class CallbackRequest:
    id: str
    created: float
    priority: str  # "crisis" | "normal"
    lang: str
    zip: str | None
    reason: str  # callback | crisis | check:oih | voicemail | follow-up …
    channel: str  # sms | voice
    status: str = "waiting"  # waiting | claimed | done | closed
    attempts: int = 0
    phone_id: str = ""
    phone_enc: str = ""  # encrypted E.164 number
    conversation_enc: str = ""  # encrypted JSON list of the conversation when requested
    check_outcome: str | None = None
    claimed_by: str | None = None
    lease_until: float | None = None
    next_attempt_at: float | None = None
    linked_to: str | None = None
    extra_enc: str = ""  # encrypted JSON: voicemail link, notes …
    updated: float = field(default_factory=time.time)

    @property
    def is_crisis(self) -> bool:
        return self.priority == "crisis"

    def rank(self) -> float:
        return self.created - PRIORITY_BOOST if self.is_crisis else self.created

    def to_redis(self) -> dict:
        return {k: json.dumps(v) for k, v in asdict(self).items()}

    @classmethod
    def from_redis(cls, raw: dict) -> CallbackRequest:
        data = {k.decode() if isinstance(k, bytes) else k: json.loads(v) for k, v in raw.items()}
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def request_callback(
    store: Store,
    phone: str,
    *,
    lang: str,
    reason: str,
    priority: bool,
    channel: str,
    zip_code: str | None = None,
    check_outcome: str | None = None,
    now: float | None = None,
    linked_to: str | None = None,
) -> tuple[CallbackRequest, bool]:
    """Put a request on the queue, or update this number's open one. Returns (request, created)."""
    now = now or time.time()
    phone_id = store.vault.phone_id(phone)
    existing = open_request_for(store, phone_id)
    if existing:
        if priority and not existing.is_crisis:
            existing.priority, existing.reason, existing.updated = "crisis", reason, now
            save(store, existing)
        return existing, False
    conversation = store.conversation(phone_id)[-30:]
    request = CallbackRequest(
        id=f"cb{int(store.r.incr(Keys.callback_seq)):06d}",
        created=now,
        priority="crisis" if priority else "normal",
        lang=lang,
        zip=zip_code,
        reason=reason,
        channel=channel,
        phone_id=phone_id,
        phone_enc=store.vault.encrypt(phone).decode(),
        conversation_enc=store.vault.encrypt(json.dumps(conversation)).decode(),
        check_outcome=check_outcome,
        linked_to=linked_to,
        updated=now,
    )
    if not store.r.set(Keys.open_callback(phone_id), request.id, nx=True):
        # Another process queued one for this number at the same instant: use theirs.
        return open_request_for(store, phone_id) or request, False
    save(store, request)
    return request, True


def save(store: Store, request: CallbackRequest) -> None:
    pipe = store.r.pipeline()
    pipe.hset(Keys.callback(request.id), mapping=request.to_redis())
    pipe.zadd(Keys.callbacks_all, {request.id: request.created})
    if request.status in OPEN_STATUSES:
        pipe.zadd(Keys.callback_queue, {request.id: request.rank()})
        pipe.persist(Keys.callback(request.id))
    else:
        pipe.zrem(Keys.callback_queue, request.id)
        pipe.delete(Keys.open_callback(request.phone_id))
        pipe.expire(Keys.callback(request.id), store.retention)  # closed requests expire
    pipe.execute()


def get(store: Store, callback_id: str) -> CallbackRequest | None:
    raw = store.r.hgetall(Keys.callback(callback_id))
    return CallbackRequest.from_redis(raw) if raw else None


def open_request_for(store: Store, phone_id: str) -> CallbackRequest | None:
    callback_id = store.r.get(Keys.open_callback(phone_id))
    if not callback_id:
        return None
    request = get(store, callback_id.decode())
    return request if request and request.status in OPEN_STATUSES else None


def waiting(store: Store, limit: int = 200) -> list[CallbackRequest]:
    """Open requests in the order staff should take them: crisis first, then oldest."""
    ids = store.r.zrange(Keys.callback_queue, 0, limit - 1)
    requests = (get(store, i.decode()) for i in ids)
    return [r for r in requests if r]


def phone_of(store: Store, request: CallbackRequest) -> str:
    return store.vault.decrypt(request.phone_enc)


def extra_of(store: Store, request: CallbackRequest) -> dict:
    """The request's encrypted extras (voicemail link, transcript …) in clear."""
    return json.loads(store.vault.decrypt(request.extra_enc)) if request.extra_enc else {}


def add_extra(store: Store, callback_id: str, **fields) -> CallbackRequest | None:
    """Merge fields into the request's encrypted extras (a voicemail's link and transcript)."""
    request = get(store, callback_id)
    if request is None:
        return None
    extra = extra_of(store, request) | fields
    request.extra_enc = store.vault.encrypt(json.dumps(extra)).decode()
    store.r.hset(Keys.callback(request.id), "extra_enc", json.dumps(request.extra_enc))
    return request
