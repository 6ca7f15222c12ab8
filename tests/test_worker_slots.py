"""A worker runs several jobs at once (its job slots): a text waiting on Twilio does not hold up the
next one, each still goes exactly once, and a burst run ends only when the running jobs have."""

from __future__ import annotations

import threading
import time

import pytest

from helpline.infra import sender
from helpline.store import Keys
from workers.__main__ import make_worker

DEADLINE = 30.0


@pytest.fixture
def app(live_twilio_app):
    return live_twilio_app


def _when(condition, then) -> threading.Thread:
    """Runs `then()` once `condition()` holds (or at the deadline), beside the worker in the main thread."""

    def watch():
        end = time.monotonic() + DEADLINE
        while not condition() and time.monotonic() < end:
            time.sleep(0.02)  # polling interval, not a wait for the worker
        then()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_text_waiting_on_twilio_does_not_hold_up_the_next(app, helpline, store, twilio_fake):
    twilio_fake.hold_next(after_accept=True)  # whichever request comes first hangs until released
    sender.queue_text(helpline, "+15551230001", "Your providers", "slot-1")
    sender.queue_text(helpline, "+15551230002", "Your providers", "slot-2")
    both_while_held: list[bool] = []

    def release():
        both_while_held.append(twilio_fake.holding.is_set() and len(twilio_fake.messages) == 2)
        twilio_fake.release()

    watcher = _when(lambda: twilio_fake.holding.is_set() and len(twilio_fake.messages) == 2, release)
    make_worker(helpline, job_slots=2, job_context=app.app_context).work(burst=True)
    watcher.join()

    assert both_while_held == [True]  # the second text went out while the first was still at Twilio
    assert sorted(m["To"] for m in twilio_fake.messages) == ["+15551230001", "+15551230002"]
    for key in ("slot-1", "slot-2"):
        assert (store._r.get(Keys.sent(key)) or b"").startswith(b"sent:SM")


def test_a_burst_run_sends_everything_queued_with_many_slots(app, helpline, store, twilio_fake):
    for n in range(40):
        sender.queue_text(helpline, f"+1555123{n:04d}", f"Text {n}", f"many-{n}")
    make_worker(helpline, job_slots=8, job_context=app.app_context).work(burst=True)

    assert sorted(m["Body"] for m in twilio_fake.messages) == sorted(f"Text {n}" for n in range(40))
    assert store._r.llen("rq:queue:urgent") == 0


@pytest.mark.parametrize("slots", [1, 4])
def test_a_stop_asked_for_while_the_worker_started_is_kept(app, helpline, redis, caplog, slots):
    """SIGTERM came before the worker's own handlers were in place (`make stop` right after `make run`):
    once registered it stops at once and unregisters, instead of working on as if never asked."""
    import signal

    from rq import Worker

    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    worker = make_worker(
        helpline, job_slots=slots, job_context=app.app_context, early_signals=[signal.SIGTERM]
    )
    try:
        with caplog.at_level("INFO", logger="workers"):
            worker.work(burst=False, max_idle_time=10)  # without the stop: idle for 10 s, then it ends
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert "event=worker.stop_requested_while_starting" in caplog.text
    assert "idle for" not in caplog.text
    assert Worker.all(connection=redis) == []
