"""The blocklist operators keep: texts from a blocked number get no reply."""

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
