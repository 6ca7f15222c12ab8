"""Benchmark outbound-text jobs/s of one worker host against a trivial RQ job, in paired rounds.

    python bench/worker.py [--pairs 5] [--jobs 2000] [--slow-jobs 800] [--latency-ms 150] [--slots N]
                           [--processes N] [--threaded-fake]

A throwaway embedded Redis and the local fake Twilio (tests/twilio_fixtures.py, in this process) are
started. The fake runs on one asyncio thread: served with a thread per connection, as in the tests
(`--threaded-fake`), its own switching takes more of the 2 cores the worker host is measured on, which
real Twilio, elsewhere, never does. Each round enqueues jobs of one kind, then runs one worker host as
the Procfile does (`python -m workers --burst`: HELPLINE_WORKER_PROCESSES worker processes, each running
HELPLINE_WORKER_JOB_SLOTS jobs at once) until the queue is empty:
  - trivial: `bench.worker.trivial()`, an RQ job that does nothing (RQ's own cost per job)
  - text:    `workers.jobs.send_text` via `sender.queue_text` (decrypt, opt-out, blocklist and
             invalid checks, idempotency claim, the real Twilio SDK over HTTP to the fake, recording)
Throughput is taken from RQ's own job timestamps (first start to last end), so process start-up is
not counted. Two parts, each in pairs (trivial and text back to back, which goes first alternating):
  1. Twilio answering at once (0 ms): text/trivial jobs/s ratio per pair (goal: median >= 0.70).
  2. Twilio answering in `--latency-ms` (150 ms, like the real API): texts/s of the host (goal: median
     >= 20), with the trivial round beside it for scale.
Every text must reach the fake exactly once. Figures swing with machine load: compare within a pair.
Part 1 also gives the worker host's CPU per job of each kind (its processes; an empty run's start-up
taken off), which the machine's other load does not swing; the fake Twilio's own CPU is not in it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rq.job import Job  # noqa: E402

from config.settings import load_settings  # noqa: E402
from helpline import create_app  # noqa: E402
from helpline.infra import queues, sender  # noqa: E402
from helpline.infra.embedded_redis import ensure_embedded_server, stop_embedded_server  # noqa: E402
from helpline.store import new_data_key  # noqa: E402
from tests.twilio_fixtures import start_fake_twilio  # noqa: E402

RATIO_GOAL = 0.70
TEXTS_PER_SECOND_GOAL = 20.0


def trivial() -> str:
    """The baseline job: whatever it costs is RQ's and the worker's own overhead."""
    return "ok"


def run_worker(env: dict) -> float:
    """Run the worker host over the queue; returns the CPU seconds its process used (start-up included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "workers", "--burst"], cwd=ROOT, env=env, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def throughput(connection, job_ids: list[str]) -> float:
    jobs = [job for job in Job.fetch_many(job_ids, connection=connection) if job is not None]
    done = [job for job in jobs if job.get_status(refresh=False) == "finished"]
    if len(done) != len(job_ids):
        raise SystemExit(f"only {len(done)} of {len(job_ids)} jobs finished")
    start = min(job.started_at for job in done)
    end = max(job.ended_at for job in done)
    return (len(done) - 1) / (end - start).total_seconds()


def summary(label: str, values: list[float], goal: float) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    verdict = "met" if mid >= goal else "NOT met"
    return f"{label}: min {low:.2f}, median {mid:.2f}, max {high:.2f} (goal median >= {goal:g}: {verdict})"


class Rounds:
    """Enqueue a round of one kind, run the worker host over it, and measure it."""

    def __init__(self, app, env: dict, fake):
        self.app, self.env, self.fake = app, env, fake
        self.helpline = app.extensions["helpline"]
        self.store = self.helpline.store
        self.urgent = queues.queue(queues.URGENT, self.store._r)
        self.round_no = 0
        self.cpu: dict[str, list[float]] = {"trivial": [], "text": []}  # worker CPU ms per job
        self.startup = min(run_worker(env) for _ in range(2))  # CPU of a run over empty queues

    def trivial(self, jobs: int) -> float:
        job_ids = [self.urgent.enqueue("bench.worker.trivial").id for _ in range(jobs)]
        self.cpu["trivial"].append((run_worker(self.env) - self.startup) * 1000 / jobs)
        return throughput(self.store._r, job_ids)

    def texts(self, jobs: int) -> float:
        self.round_no += 1
        job_ids = []
        for n in range(jobs):
            key = f"bench-{self.round_no}-{n}"
            phone = f"+1555{(self.round_no * 100_000 + n) % 10_000_000:07d}"
            sender.queue_text(self.helpline, phone, f"Provider list {n}", key)
            job_ids.append(f"text-{key}")
        before = len(self.fake.messages)
        self.cpu["text"].append((run_worker(self.env) - self.startup) * 1000 / jobs)
        sent = len(self.fake.messages) - before
        if sent != jobs:
            raise SystemExit(f"{sent} texts reached Twilio for {jobs} jobs: each must go exactly once")
        return throughput(self.store._r, job_ids)

    def pair(self, n: int, jobs: int) -> tuple[float, float]:
        if n % 2 == 0:
            base = self.trivial(jobs)
            return base, self.texts(jobs)
        text = self.texts(jobs)
        return self.trivial(jobs), text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="pairs of rounds per part (at least 3)")
    parser.add_argument("--jobs", type=int, default=2000, help="jobs per round with Twilio at 0 ms")
    parser.add_argument("--slow-jobs", type=int, default=800, help="jobs per round with Twilio's latency")
    parser.add_argument("--latency-ms", type=float, default=150.0, help="Twilio's answer time in part 2")
    parser.add_argument(
        "--slots", type=int, default=None, help="HELPLINE_WORKER_JOB_SLOTS (default: settings)"
    )
    parser.add_argument(
        "--processes", type=int, default=None, help="HELPLINE_WORKER_PROCESSES (default: settings)"
    )
    parser.add_argument(
        "--threaded-fake", action="store_true", help="serve the fake Twilio with a thread per connection"
    )
    opts = parser.parse_args()
    pairs = max(3, opts.pairs)

    fake, fake_server = start_fake_twilio(one_thread=not opts.threaded_fake)
    var = Path(tempfile.mkdtemp(prefix="helpline-bench-worker-"))
    url = ensure_embedded_server(var)
    data_key = new_data_key()
    settings = load_settings(
        redis_url=url,
        var_dir=var,
        data_key=data_key,
        secret_key="bench-secret",
        twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token,
        twilio_api_url=fake.url,
        twilio_phone_number="+15555550100",
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "REDIS_URL": url,
        "HELPLINE_VAR_DIR": str(var),
        "HELPLINE_DATA_KEY": data_key,
        "SECRET_KEY": "bench-secret",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_API_URL": fake.url,
        "TWILIO_PHONE_NUMBER": "+15555550100",
        "LOG_LEVEL": "WARNING",
    }
    if opts.slots:
        env["HELPLINE_WORKER_JOB_SLOTS"] = str(opts.slots)
    if opts.processes:
        env["HELPLINE_WORKER_PROCESSES"] = str(opts.processes)
    slots = opts.slots or settings.worker_job_slots
    processes = opts.processes or settings.worker_processes
    fast: list[tuple[float, float]] = []
    slow: list[tuple[float, float]] = []
    try:
        app = create_app(settings)
        with app.app_context():
            rounds = Rounds(app, env, fake)
            fake_threads = "a thread per connection" if opts.threaded_fake else "one thread"
            print(
                f"one worker host (python -m workers): {processes} processes x {slots} job slots; "
                f"{pairs} pairs per part; the fake Twilio on {fake_threads}"
            )
            print("part 1: Twilio at 0 ms" + " " * 18 + "trivial jobs/s   texts/s   ratio")
            for n in range(pairs):
                base, text = rounds.pair(n, opts.jobs)
                fast.append((base, text))
                print(f"  pair {n + 1}{'':30}{base:10.1f}{text:10.1f}{text / base:8.2f}")
            cpu = {kind: statistics.median(values) for kind, values in rounds.cpu.items()}
            print(
                f"  worker host CPU per job (median, start-up left out): trivial {cpu['trivial']:.2f} ms, "
                f"text {cpu['text']:.2f} ms; ratio {cpu['trivial'] / cpu['text']:.2f} (load-independent)"
            )
            fake.latency = opts.latency_ms / 1000
            print(f"part 2: Twilio at {opts.latency_ms:g} ms" + " " * 16 + "trivial jobs/s   texts/s")
            for n in range(pairs):
                base, text = rounds.pair(n, opts.slow_jobs)
                slow.append((base, text))
                print(f"  pair {n + 1}{'':30}{base:10.1f}{text:10.1f}")
            print(f"  most Twilio requests in flight at once: {fake.in_flight_peak}")
    finally:
        fake_server.close()
        stop_embedded_server(var)

    print(summary("text/trivial jobs/s at 0 ms", [t / b for b, t in fast], RATIO_GOAL))
    print(
        summary(
            f"texts/s per worker host at {opts.latency_ms:g} ms", [t for _, t in slow], TEXTS_PER_SECOND_GOAL
        )
    )
    print("(the machine's other load lands on both rounds of a pair; trivial rounds are the baseline)")


if __name__ == "__main__":
    main()
