"""Numbers and texts are encrypted at rest, looked up by keyed hash, and never logged in clear."""

import logging

from helpline.domain.phones import mask_phone
from helpline.store import Keys
from tests.conftest import TEXTER, every_stored_byte

SECRET_WORDS = "my husband takes oxycodone"


def test_no_clear_number_or_text_anywhere_in_redis_after_a_conversation(text, redis, caplog):
    caplog.set_level(logging.DEBUG)
    for body in ("hi", SECRET_WORDS, "check", "yes", "no", "yes", "10001", "call", "overdose", "stop"):
        text(body)
    stored = every_stored_byte(redis)
    assert stored  # something was stored
    for needle in (TEXTER, TEXTER[1:], TEXTER[2:], "5551230001", SECRET_WORDS, "oxycodone"):
        assert needle.encode() not in stored, needle
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for needle in ("5551230001", "oxycodone"):
        assert needle not in logged
    assert mask_phone(TEXTER) == "+1******0001"


def test_conversations_expire_after_the_retention_period(app, text, store, redis):
    text("hi")
    retention = app.config["SETTINGS"].retention_days * 86400
    phone_id = store.vault.phone_id(TEXTER)
    for key in (Keys.texter(phone_id), Keys.conversation(phone_id)):
        assert 0 < redis.ttl(key) <= retention


def test_keyed_hash_depends_on_the_data_key(store):
    from helpline.store import Vault, new_data_key

    other = Vault(new_data_key())
    assert store.vault.phone_id(TEXTER) != other.phone_id(TEXTER)
    assert store.vault.phone_id(TEXTER) == store.vault.phone_id(TEXTER)
