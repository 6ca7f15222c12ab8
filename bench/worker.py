"""Benchmark outbound-text jobs/s per worker process against a trivial RQ job, in one run.

    python bench/worker.py [--jobs 2000] [--rounds 2]

A throwaway embedded Redis and the local fake Twilio (tests/twilio_fixtures.py, in this process,
threaded) are started. Each round enqueues `--jobs` jobs of one kind, then runs one worker process
(`python -m workers --burst`, the production worker class) until the queue is empty:
  - trivial: `bench.worker.trivial()`, an RQ job that does nothing (RQ's own cost per job)
  - text:    `workers.jobs.send_text` via `sender.queue_text` (decrypt, opt-out and invalid checks,
             idempotency claim, the real Twilio SDK over HTTP to the fake, recording)
Throughput is taken from RQ's own job timestamps (first start to last end), so process start-up
is not counted. Prints jobs/s for each kind (best round) and text/trivial (goal >= 0.7).

What a text adds to RQ's own ~20 Redis round trips per job: three synchronous ones that
exactly-once needs (the opt-out/invalid check with the idempotency claim, the Twilio request,
the `sent:` record with the conversation turn), plus ~1.5 ms of CPU (decryption, the SDK).
Figures swing with machine load: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rq.job import Job  # noqa: E402

from config.settings import load_settings  # noqa: E402
from helpline import create_app  # noqa: E402
from helpline.infra import queues, sender
from helpline.infra.embedded_redis import ensure_embedded_server, stop_embedded_server  # noqa: E402
from helpline.store import new_data_key  # noqa: E402
from tests.twilio_fixtures import start_fake_twilio  # noqa: E402


def trivial() -> str:
    """The baseline job: whatever it costs is RQ's and the worker's own overhead."""
    return "ok"


def run_worker(env: dict) -> None:
    subprocess.run([sys.executable, "-m", "workers", "--burst"], cwd=ROOT, env=env, check=True)


def throughput(connection, job_ids: list[str]) -> float:
    jobs = [job for job in Job.fetch_many(job_ids, connection=connection) if job is not None]
    done = [job for job in jobs if job.get_status(refresh=False) == "finished"]
    if len(done) != len(job_ids):
        raise SystemExit(f"only {len(done)} of {len(job_ids)} jobs finished")
    start = min(job.started_at for job in done)
    end = max(job.ended_at for job in done)
    return (len(done) - 1) / (end - start).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    opts = parser.parse_args()

    fake, fake_server = start_fake_twilio()
    var = Path(tempfile.mkdtemp(prefix="helpline-bench-worker-"))
    url = ensure_embedded_server(var)
    data_key = new_data_key()
    settings = load_settings(
        redis_url=url,
        var_dir=var,
        data_key=data_key,
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
    app = create_app(settings)
    results: dict[str, list[float]] = {"trivial": [], "text": []}
    try:
        with app.app_context():
            store = app.extensions["helpline"].store
            urgent = queues.queue(queues.URGENT, store.r)
            for round_no in range(opts.rounds):
                job_ids = [urgent.enqueue("bench.worker.trivial").id for _ in range(opts.jobs)]
                run_worker(env)
                results["trivial"].append(throughput(store.r, job_ids))

                job_ids = []
                for n in range(opts.jobs):
                    key = f"bench-{round_no}-{n}"
                    phone = f"+1555{n % 10_000_000:07d}"
                    sender.queue_text(app.extensions["helpline"], phone, f"Provider list {n}", key)
                    job_ids.append(f"text-{key}")
                before = len(fake.messages)
                run_worker(env)
                results["text"].append(throughput(store.r, job_ids))
                assert len(fake.messages) - before == opts.jobs, "every text reached the fake Twilio once"
    finally:
        fake_server.close()
        stop_embedded_server(var)

    trivial_best, text_best = max(results["trivial"]), max(results["text"])
    print(f"jobs per round: {opts.jobs}, rounds: {opts.rounds}, one worker process (SimpleWorker)")
    for kind, label in (("trivial", "trivial RQ job"), ("text", "outbound text ")):
        rounds = ", ".join(f"{r:.1f}" for r in results[kind])
        print(f"{label} : {max(results[kind]):8.1f} jobs/s   (rounds: {rounds})")
    print(f"ratio text/trivial: {text_best / trivial_best:.2f}  (goal >= 0.70)")


if __name__ == "__main__":
    main()
