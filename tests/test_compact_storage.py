"""What a conversation keeps in Redis: compact sealed values, replies as template references read back
exactly as sent, a state without its defaults, and everything stored before still readable."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.fernet import Fernet

from helpline.store import Keys, Store, Vault, new_data_key
from helpline.store.exchanges import FromTemplates
from tests.conftest import TEXTER


@pytest.fixture
def phone_id(store):
    return store.vault.phone_id(TEXTER)


def test_sealed_values_open_and_refuse_tampering_or_another_key():
    vault = Vault(new_data_key())
    for text in ("", "+15551230001", "é ñ 🙂", "a longer reply " * 40):
        assert vault.decrypt(vault.encrypt(text)) == text
        assert vault.open(vault.seal(text.encode())) == text.encode()
    long = ("Call 988 any time " * 20).encode()
    assert len(vault.seal(long)) < len(long)  # compressed when that is shorter
    token = bytearray(vault.seal(b"secret"))
    token[-1] ^= 1
    with pytest.raises(ValueError):
        vault.open(bytes(token))
    with pytest.raises(ValueError):
        Vault(new_data_key()).decrypt(vault.encrypt("secret"))


def test_values_sealed_before_still_open():
    key = new_data_key()
    assert Vault(key).decrypt(Fernet(key.encode()).encrypt(b"+15551230001")) == "+15551230001"


def test_replies_are_kept_as_template_references_and_read_back_exactly(text, store, phone_id, redis):
    replies = text("oih")
    lines = store.conversation(phone_id)
    assert [line["text"] for line in lines if line["dir"] == "out"] == replies
    assert [line["text"] for line in lines if line["dir"] == "in"] == ["oih"]
    [entry] = redis.lrange(Keys.conversation(phone_id), 0, -1)
    kept = store.vault.open(entry)
    assert replies[-1][:40].encode() not in kept  # the wording is kept once, beside every conversation
    assert redis.hlen(Keys.templates_sent) >= 1
    assert store.callbacks.last_exchanges([phone_id])[phone_id][-1] == lines  # the queue reads the same


def test_a_reply_reads_as_sent_after_its_template_changes(store, phone_id):
    store.append_turns(phone_id, [("out", FromTemplates((("Staff call {when}.", {"when": "soon"}),)))])
    store.append_turns(phone_id, [("out", FromTemplates((("Staff will call {when}!", {"when": "soon"}),)))])
    another_process = Store(store._r, store.vault, store.retention)  # reading them for the first time
    texts = [line["text"] for line in another_process.conversation(phone_id)]
    assert texts == ["Staff call soon.", "Staff will call soon!"]


def test_the_state_keeps_only_what_differs_from_a_new_texter(text, store, phone_id, redis):
    text("hi")
    text("check")
    kept = json.loads(store.vault.open(redis.get(Keys.texter(phone_id))))
    assert kept == {"welcomed": True, "check_step": 1}
    state = store.load_state(phone_id)
    assert state["lang"] == "en" and state["check_step"] == 1 and state["location"] is None


def test_a_conversation_and_state_stored_before_read_on(text, store, phone_id, redis, app):
    legacy = Fernet(app.config["SETTINGS"].data_key.encode())
    old_state = {"lang": "en", "welcomed": True, "disclaimed": False, "check_step": 0, "check_answers": []}
    old_lines = [
        {"at": time.time() - 60, "dir": "in", "text": "hi", "channel": "sms"},
        {"at": time.time() - 60, "dir": "out", "text": "Welcome (as it was sent then)", "channel": "sms"},
    ]
    redis.set(Keys.texter(phone_id), legacy.encrypt(json.dumps(old_state).encode()))
    redis.rpush(Keys.conversation(phone_id), legacy.encrypt(json.dumps(old_lines).encode()))

    replies = text("signs")
    assert len(replies) == 1  # welcomed before: the answer alone, no welcome again
    texts = [line["text"] for line in store.conversation(phone_id)]
    assert texts[:2] == ["hi", "Welcome (as it was sent then)"]
    assert texts[2:] == ["signs", *replies]


def test_replies_stay_readable_when_redis_lost_the_templates(text, store, phone_id, redis):
    first = text("oih")
    redis.delete(Keys.templates_sent)  # a Redis that lost data this process had written
    second = text("oih")  # the same template again: written again along with the reply
    another_process = Store(store._r, store.vault, store.retention)
    outs = [line["text"] for line in another_process.conversation(phone_id) if line["dir"] == "out"]
    assert outs[-len(second) :] == second
    assert "oih" in {line["text"] for line in another_process.conversation(phone_id)}
    assert len(outs) == len(first) + len(second)


def test_a_number_keeps_the_same_index_across_releases():
    """Every key of a texter's data is named by this index: were it to change, their state, conversation,
    opt-out and callbacks would all be lost at the next deploy."""
    vault = Vault("q5o0Ea7S0r2W0qgJ0mJY3Wqg8o0kM9Jd1rBzXw7aKkE=")
    assert vault.phone_id("+15551230001") == "5a53090cf52f05ec39bf7be6fe042730"
    assert vault.phone_id("+15551230001") == vault.phone_id("+15551230001")
    assert vault.phone_id("+15551230002") != vault.phone_id("+15551230001")
