"""RQ jobs: thin, importable functions taking plain arguments (ids, ciphertext), safe to run twice."""

from __future__ import annotations

from flask import current_app

from helpline import sender


def _store():
    return current_app.extensions["store"]


def send_text(phone_enc: str, body_enc: str, idempotency_key: str) -> str:
    return sender.deliver_text(_store(), phone_enc, body_enc, idempotency_key)


def place_call(to_enc: str, url: str, idempotency_key: str, caller_id: str | None = None) -> str:
    return sender.deliver_call(_store(), to_enc, url, idempotency_key, caller_id)
