"""`flask simulate sms`: it shows every text sent after its message (whatever the outbox holds), waits
for the workers exactly, finds the service by HOST / PORT as `make run` does, and prints only the
conversation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import Worker

from tests.conftest import HELPLINE_NUMBER, TEXTER
from tests.servers import free_port, serving

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OTHER_TEXTER = "+15551230009"
DEADLINE = 60


def simulate(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["simulate", "sms", *args])
    assert result.exit_code == 0, result.output
    return result.output


def later_texts(output: str) -> list[str]:
    """The texts the workers sent after the message (a text may run over several lines)."""
    return [text.strip() for text in output.split("helpline -> you (later): ")[1:]]


def service_env(settings, **extra: str) -> dict[str, str]:
    """What a process of this checkout needs to share the test's Redis, data key and signing token."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "REDIS_URL": settings.redis_url,
        "HELPLINE_VAR_DIR": str(settings.var_dir),
        "HELPLINE_DATA_KEY": settings.data_key,
        "SECRET_KEY": settings.secret_key,
        "TWILIO_PHONE_NUMBER": HELPLINE_NUMBER,
        "FINDTREATMENT_API_URL": settings.findtreatment_api_url,
        **extra,
    }


@pytest.fixture
def worker(app, settings, store, tmp_path):
    """A real `python -m workers` process on the test's Redis, as `make run` starts it."""
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers"],
            cwd=PROJECT_ROOT,
            env=service_env(settings, LOG_LEVEL="WARNING"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + DEADLINE
    while not Worker.count(connection=store.rq_connection):
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)  # polling interval while the worker starts
    yield process
    process.send_signal(signal.SIGTERM)  # a warm shutdown
    process.wait(timeout=30)


def test_after_1200_texts_the_simulator_still_shows_the_next_one(
    app, store, small_directory, nothing_listening
):
    for n in range(1200):  # the development sender's own write; the outbox keeps only the newest
        entry = {"to": TEXTER if n % 2 else OTHER_TEXTER, "body": f"earlier text {n}", "kind": "sms"}
        assert store.delivery.to_outbox(f"earlier-{n}", entry, ttl=3600)
    assert store.delivery.outbox_length() < 1200

    output = simulate(app, TEXTER, "10001")
    assert any(line.startswith("helpline -> you: Looking up") for line in output.splitlines())
    texts = later_texts(output)
    assert texts and "Midtown Pain Care" in " ".join(texts)
    assert "earlier text" not in output

    more = later_texts(simulate(app, TEXTER, "more"))
    assert more and not set(more) & set(texts)  # the next page, and only it


def test_every_later_text_is_shown_while_a_real_worker_sends_them(
    app, settings, store, small_directory, worker, monkeypatch
):
    with serving(app) as url:
        monkeypatch.setenv("PORT", url.rsplit(":", 1)[1])
        for body in ("10001", "more", "10001", "more"):
            output = simulate(app, TEXTER, body)
            assert later_texts(output), output  # never "(no reply)" while the worker is still sending
            assert "(no reply)" not in output and "still on the way" not in output


def test_when_the_deadline_passes_it_says_what_is_still_on_the_way(app, store, small_directory, monkeypatch):
    with serving(app) as url:  # a service, but no worker to run its jobs
        monkeypatch.setenv("PORT", url.rsplit(":", 1)[1])
        output = simulate(app, TEXTER, "10001", "--wait", "0.3")
    assert any(line.startswith("helpline -> you: Looking up") for line in output.splitlines())
    assert "still on the way after 0.3 s:" in output
    assert "a provider search (queued)" in output
    assert "no worker is running" in output


def test_simulate_sms_reaches_the_service_on_the_port_in_PORT_and_prints_only_the_conversation(
    app, settings, store
):
    with serving(app) as url:
        port = url.rsplit(":", 1)[1]
        assert port != "5000"
        result = subprocess.run(
            [sys.executable, "-m", "flask", "simulate", "sms", TEXTER, "oih"],
            cwd=PROJECT_ROOT,
            env=service_env(settings, PORT=port),
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )
        verbose = subprocess.run(
            [sys.executable, "-m", "flask", "simulate", "sms", TEXTER, "signs", "-v"],
            cwd=PROJECT_ROOT,
            env=service_env(settings, PORT=port),
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"you ({TEXTER}) -> helpline: oih"
    assert all(line.startswith(("you (", "helpline -> you")) for line in lines), result.stdout
    assert "hyperalgesia" in result.stdout
    assert result.stderr == ""  # no log lines
    assert verbose.returncode == 0, verbose.stderr
    assert f"(talking to {url})" in verbose.stderr
    turns = store.conversation(store.vault.phone_id(TEXTER))
    assert [t["text"] for t in turns if t["dir"] == "in"] == ["oih", "signs"]  # both reached that server


def test_a_service_of_another_checkout_is_named_not_trusted(app, settings, tmp_path, monkeypatch):
    from helpline import create_app

    other = create_app(settings.with_overrides(var_dir=tmp_path / "other-checkout"), flask={"TESTING": True})
    with serving(other) as url:  # its own generated signing token
        monkeypatch.setenv("PORT", url.rsplit(":", 1)[1])
        result = app.test_cli_runner().invoke(args=["simulate", "sms", TEXTER, "oih"])
    assert result.exit_code == 1
    assert "refused this checkout's signature (403)" in result.output


def test_texts_held_or_queued_for_the_number_are_named_with_their_words(app, helpline, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from helpline.infra import sender

    morning = datetime.now(UTC) + timedelta(hours=6)
    sender.queue_text(helpline, TEXTER, "Good morning, this is the helpline", "held-1", send_at=morning)
    sender.queue_text(helpline, TEXTER, "First of two", "batch-1")
    sender.queue_text(helpline, TEXTER, "Second of two", "batch-2")
    sender.queue_text(helpline, OTHER_TEXTER, "Not for this phone", "other-1")
    with serving(app) as url:  # no worker runs
        monkeypatch.setenv("PORT", url.rsplit(":", 1)[1])
        output = simulate(app, TEXTER, "oih", "--wait", "0.2")
    late = output.split("still on the way after 0.2 s:", 1)[1]
    assert 'a text (queued): "First of two"' in late and 'a text (queued): "Second of two"' in late
    due = morning.astimezone().strftime("%H:%M")
    assert f"a text (due at {due}" in late and '"Good morning, this is the helpline"' in late
    assert "Not for this phone" not in output


def test_in_process_a_search_no_source_answers_prints_the_conversation_and_no_worker_logs(settings):
    # Nothing imported and the locator unreachable: the search is retried later, as expected.
    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", "simulate", "sms", TEXTER, "10001", *extra],
            cwd=PROJECT_ROOT,
            env=service_env(settings, PORT=str(free_port())),  # nothing serves there: in-process
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )

    quiet, verbose = run(), run("-v")
    assert quiet.returncode == 0, quiet.stderr
    assert "we can't look up providers right now" in quiet.stdout
    assert "a provider search (due at" in quiet.stdout
    assert quiet.stderr == ""  # no worker line, no traceback
    assert verbose.returncode == 0, verbose.stderr
    retry = [line for line in verbose.stderr.splitlines() if "event=job.retry_later" in line]
    assert len(retry) == 1 and "error=SearchUnavailable" in retry[0]
    assert "Traceback" not in verbose.stderr and "ERROR" not in verbose.stderr
