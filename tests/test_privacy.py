"""Numbers and texts are encrypted at rest, looked up by keyed hash, and never logged in clear."""

import logging
import re
import zlib
from pathlib import Path

from helpline import create_app
from helpline.devtools import simulator
from helpline.domain.phones import mask_phone
from helpline.infra.burst import drain
from helpline.infra.embedded_redis import stop_embedded_server
from helpline.services import callbacks
from helpline.services import directory_import as importer
from helpline.services.test_call import PhoneCall
from helpline.store import Keys
from helpline.store import directory as repository
from helpline.web.twilio_signature import twilio_auth_token
from tests.conftest import HELPLINE_NUMBER, TEXTER, every_stored_byte, stored_values
from tests.directory_fixtures import write_csv

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


# -- health data in RQ jobs and in the append-only file -----------------------------------------------

VOICEMAIL_WORDS = "my sister needs help with her pain pills"
CITY = "Trenton, NJ"
PUBLIC_LISTINGS = (b"hl:directory:", b"hl:locator:")  # the provider directory: public, not the texter's


def readable(value: bytes) -> bytes:
    """A stored value as a reader would see it: RQ's job data is a zlib-compressed pickle."""
    if value[:1] == b"x":
        try:
            return value + b"\n" + zlib.decompress(value)
        except zlib.error:
            pass
    return value


def everything_in_redis(r) -> bytes:
    """Every key and value, RQ's job data decompressed, streams (RQ's results) included."""
    return b"\n".join(readable(value) for value in stored_values(r, skip=PUBLIC_LISTINGS))


def append_only_file(r) -> bytes:
    """Every command Redis logged to its append-only file (found as Redis says), in order."""
    folder = Path(r.config_get("dir")["dir"])
    aof_dir = folder / r.config_get("appenddirname").get("appenddirname", "")
    files = sorted(p for p in aof_dir.glob("*.aof") if p.is_file()) or [folder / "appendonly.aof"]
    commands = []
    for path in files:
        commands += _commands(path.read_bytes())
    assert commands, "nothing in the append-only file"
    kept = [c for c in commands if not (len(c) > 1 and c[1].startswith(PUBLIC_LISTINGS))]
    return b"\n".join(readable(arg) for command in kept for arg in command)


def _commands(raw: bytes) -> list[list[bytes]]:
    """The RESP arrays of an append-only file."""
    commands, at = [], 0
    while at < len(raw):
        end = raw.index(b"\r\n", at)
        line, at = raw[at:end], end + 2
        if not line.startswith(b"*"):
            continue  # an annotation (#TS:…)
        args = []
        for _ in range(int(line[1:])):
            end = raw.index(b"\r\n", at)
            size, at = int(raw[at + 1 : end]), end + 2
            args.append(raw[at : at + size])
            at += size + 2
        commands.append(args)
    return commands


def _clear_data_in(blob: bytes, where: str) -> list[str]:
    found = [n for n in (TEXTER, TEXTER[1:], "5551230001", SECRET_WORDS, "oxycodone", VOICEMAIL_WORDS, CITY)]
    leaks = [f"{needle!r} in {where}" for needle in found if needle.encode() in blob]
    if re.search(rb"(?<![0-9])10001(?![0-9])", blob):
        leaks.append(f"the ZIP in {where}")
    if b'"check:' in blob or b"check_outcome" in blob:
        leaks.append(f"a self-check outcome in {where}")
    return leaks


def test_no_clear_number_text_zip_place_or_check_outcome_in_redis_rq_jobs_or_the_append_only_file(
    settings, tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    own = settings.with_overrides(redis_url=None, var_dir=tmp_path / "own-var")  # its own append-only file
    app = create_app(own, flask={"TESTING": True})
    try:
        with app.app_context():
            hl = app.extensions["helpline"]
            path = write_csv(tmp_path / "listings.csv")
            repository.replace_source(
                hl.store._r, "test", importer.read_directory_file(path, "test").providers, "x"
            )
            text = _texter(app)
            for body in ("hi", SECRET_WORDS, "check", "yes", "yes", "yes", CITY, "10001", "call"):
                text(body)
            queued = everything_in_redis(hl.store._r)  # the search jobs, before a worker takes them
            jobs = [hl.store._r.hget(key, "data") for key in hl.store._r.scan_iter("rq:job:*")]
            assert jobs and all(b"workers.jobs.search_providers" in zlib.decompress(d) for d in jobs)
            call = PhoneCall(_caller(app), TEXTER, HELPLINE_NUMBER)
            call.start()
            call.press("2")
            call.press("10001")
            assert "by text" in " ".join(call.press("1"))
            voicemail = PhoneCall(_caller(app), TEXTER, HELPLINE_NUMBER)
            voicemail.start()
            voicemail.press("4")
            voicemail.say(VOICEMAIL_WORDS)
            drain(hl.store.rq_connection)
            assert any("Midtown Pain Care" in m["body"] for m in hl.store.delivery.outbox())  # results went
            (request,) = callbacks.waiting(hl.store)
            assert request.zip == "10001" and request.check_outcome == "both"  # kept, encrypted
            stored, aof = everything_in_redis(hl.store._r), append_only_file(hl.store._r)
    finally:
        stop_embedded_server(own.var_dir)
    assert b"rq:job:" in queued and b"rq:job:" in aof  # RQ's jobs were read
    leaks = _clear_data_in(queued, "queued jobs") + _clear_data_in(stored, "Redis")
    leaks += _clear_data_in(aof, "the append-only file")
    logged = "\n".join(record.getMessage() for record in caplog.records if record.levelno >= logging.INFO)
    leaks += _clear_data_in(logged.encode(), "the logs")
    if re.search(r"check_(both|oih|oud|none)", logged):
        leaks.append("a self-check outcome beside a (masked) number in the logs")
    assert leaks == []


def _post(app):
    client, token = app.test_client(), twilio_auth_token(app.config["SETTINGS"])

    def post(path: str, params: dict) -> tuple[int, str]:
        signature = simulator.sign(token, "http://localhost" + path, params)
        response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        return response.status_code, response.get_data(as_text=True)

    return post


def _texter(app):
    post = _post(app)

    def text(body: str) -> None:
        status, _ = post("/twilio/sms", simulator.sms_params(TEXTER, body, HELPLINE_NUMBER))
        assert status == 200

    return text


def _caller(app):
    return _post(app)


def test_a_callback_keeps_place_and_check_outcome_encrypted_and_expires_once_closed(
    text, store, redis, helpline
):
    for body in ("hi", "check", "yes", "no", "no", "10001", "call"):
        text(body)
    (request,) = callbacks.waiting(store)
    assert (request.zip, request.check_outcome, request.reason) == ("10001", "oih", "check:oih")
    record = b"\n".join(k + b"=" + v for k, v in redis.hgetall(Keys.callback(request.id)).items())
    assert b"10001" not in record and b"oih" not in record
    assert redis.ttl(Keys.callback(request.id)) == -1  # open: kept until staff close it

    callbacks.add_note(store, request.id, "ana@x.org", "prefers mornings")
    callbacks.claim(helpline, request.id, "ana@x.org")
    callbacks.record_outcome(helpline, request.id, "ana@x.org", callbacks.Outcome.REACHED)
    retention = helpline.settings.retention_days * 86400
    for key in (
        Keys.callback(request.id),
        Keys.callback_notes(request.id),
        Keys.callback_attempts(request.id),
        Keys.callback_audit(request.id),
    ):
        assert 0 < redis.ttl(key) <= retention, key
