"""The one path by which the service sends a text: queued, opt-out checked, sent once.

`queue_text` is called from web or worker code; the `workers.jobs.send_text` job calls
`deliver_text`. In development mode (no Twilio credentials) texts go to the Redis outbox.
"""

from __future__ import annotations

import logging
import time

from flask import current_app

from helpline import queues
from helpline.store import Keys, Store, mask_phone

log = logging.getLogger(__name__)


class OptedOut(Exception):
    """The number opted out: nothing may be sent to it."""


def queue_text(store: Store, phone: str, body: str, idempotency_key: str) -> None:
    """Hand a text to the workers. Only ciphertext goes into the job's arguments."""
    queues.enqueue(
        queues.URGENT,
        "workers.jobs.send_text",
        store.vault.encrypt(phone).decode(),
        store.vault.encrypt(body).decode(),
        idempotency_key,
        job_id=f"text-{idempotency_key}",
    )


def deliver_text(store: Store, phone_enc: str, body_enc: str, idempotency_key: str) -> str:
    """Send one text unless it was already sent or the number opted out. Returns what happened."""
    phone = store.vault.decrypt(phone_enc)
    phone_id = store.vault.phone_id(phone)
    if store.is_opted_out(phone_id):
        log.info("event=text.skipped_opted_out to=%s", mask_phone(phone))
        return "opted_out"
    if not store.r.set(Keys.sent(idempotency_key), b"sending", nx=True, ex=7 * 86400):
        return "duplicate"
    body = store.vault.decrypt(body_enc)
    settings = current_app.config["SETTINGS"]
    if settings.development:
        store.put_outbox(
            {"to": phone, "body": body, "at": time.time(), "kind": "sms", "key": idempotency_key}
        )
    store.append_turn(phone_id, "out", body)
    store.count("sms.out")
    log.info("event=text.sent to=%s key=%s", mask_phone(phone), idempotency_key)
    return "sent"
