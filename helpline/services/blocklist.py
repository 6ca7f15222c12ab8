"""The blocklist operators keep. A blocked number is answered by silence everywhere: its texts get no
reply (STOP and START are still recorded), its calls are rejected, and no callback, voicemail,
follow-up or text is made for it."""

from __future__ import annotations

from helpline.store import Store


def block(store: Store, phone: str, reason: str) -> None:
    store.blocklist.add(phone, reason)


def unblock(store: Store, phone: str) -> None:
    store.blocklist.remove(phone)


def unblock_id(store: Store, phone_id: str) -> None:
    """Remove an entry by the keyed hash the list shows (the number itself is not kept)."""
    store.blocklist.remove_id(phone_id)


def entries(store: Store) -> list[tuple[str, str]]:
    """(phone id, reason) of every blocked number."""
    return store.blocklist.entries()


def is_blocked(store: Store, phone: str | None) -> bool:
    return bool(phone) and store.blocklist.has(store.vault.phone_id(phone))


def is_blocked_id(store: Store, phone_id: str) -> bool:
    return store.blocklist.has(phone_id)


def blocked_ids(store: Store, phone_ids: list[str]) -> set[str]:
    """Those of these numbers (by phone id) that are blocked: the queue marks their requests."""
    return store.blocklist.which(phone_ids)
