"""A burst of texts at Twilio's real speed: everything answered, nothing lost or sent twice, results fast.

    python bench/burst.py [--texts 5000] [--seconds 60] [--latency-ms 150]

One web (gunicorn, config/gunicorn.conf.py, logs as `make run`'s written to a file) and the default
workers (the Procfile's one `python -m workers`, its default processes and job slots) on a throwaway
embedded Redis with the real SAMHSA directory imported; the fake Twilio (tests/twilio_fixtures.py) in its own
process, answering every REST request after `--latency-ms` (150 ms, like the real API). `--texts`
signed texts arrive evenly over `--seconds` (open loop) from many numbers: each texts a first word
(hi, a menu word, Spanish, an unknown word), and half a minute's worth of texts later a ZIP or a
"city, ST", with the cookie its first answer set, as Twilio sends it back. Then it waits for the workers
to finish and reports:
  - answered: webhooks that got 200 with TwiML (goal: all), their latency (p50, p99);
  - lost: searches no result text reached Twilio for (goal: 0); duplicated: the same text twice to one
    number (goal: 0);
  - ZIP -> first result text at Twilio, from when the ZIP was due (p50, p99, max; goal p99 <= 10 s);
  - the most texts one number got in 30 s (Twilio takes 15) and the most Twilio requests at once.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhook import Client, free_port, percentile, start_gunicorn  # noqa: E402
from config.settings import load_settings  # noqa: E402
from helpline import create_app  # noqa: E402
from helpline.devtools import simulator  # noqa: E402
from helpline.infra import queues  # noqa: E402
from helpline.infra.embedded_redis import ensure_embedded_server, stop_embedded_server  # noqa: E402
from helpline.store import new_data_key  # noqa: E402
from tests.twilio_fixtures import start_fake_twilio  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SUT = DATA / "substance-use-treatment-geocoded.csv"
HELPLINE = "+15555550100"
P99_GOAL_SECONDS = 10.0
FIRST_WORDS = ("hi", "hello", "oih", "menu", "hola", "what is this?", "signs", "tratamiento", "help me")
PLACES = ("austin, tx", "seattle, wa", "chicago, il", "denver, co", "boston, ma")


def fake_twilio(conn, latency: float) -> None:
    """The fake Twilio in a process of its own; answers 'report' with what it accepted."""
    fake, server = start_fake_twilio(latency=latency)
    conn.send((fake.url, fake.account_sid, fake.auth_token))
    while True:
        request = conn.recv()
        if request == "count":
            conn.send(len(fake.messages))
        elif request == "report":
            conn.send(([(m["To"], m["Body"], m["at"]) for m in fake.messages], fake.in_flight_peak))
        else:
            server.close()
            return


def zips_with_providers(limit: int = 400) -> list[str]:
    """ZIPs of the directory file (a texter near treatment), in a fixed order."""
    import csv

    from helpline.domain import places

    with open(SUT, encoding="utf-8") as fh:  # ZIPs the ZIP data knows: a search, not "no such place"
        found = sorted({code for row in csv.DictReader(fh) if (code := places.real_zip(row.get("zip")))})
    return random.Random(7).sample(found, min(limit, len(found)))


def texts(count: int) -> list[tuple[str, str, bool]]:
    """(number, body, is a search), in arrival order: each number's first word, then 100 texts later its
    ZIP or city, ST."""
    rng, zips = random.Random(11), zips_with_providers()
    out: list[tuple[str, str, bool]] = []
    number = 0
    while len(out) < count:
        block = [f"+1555{2_000_000 + number + n:07d}" for n in range(50)]
        number += 50
        out += [(phone, rng.choice(FIRST_WORDS), False) for phone in block]
        out += [
            (phone, rng.choice(PLACES) if rng.random() < 0.1 else rng.choice(zips), True) for phone in block
        ]
    return out[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument(
        "--drain-seconds", type=float, default=300.0, help="wait at most this for the workers"
    )
    opts = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    fake_process = multiprocessing.Process(
        target=fake_twilio, args=(child, opts.latency_ms / 1000), daemon=True
    )
    fake_process.start()
    fake_url, account_sid, auth_token = parent.recv()

    var = Path(tempfile.mkdtemp(prefix="helpline-bench-burst-"))
    url = ensure_embedded_server(var)
    env = {
        "REDIS_URL": url,
        "HELPLINE_VAR_DIR": str(var),
        "HELPLINE_DATA_KEY": new_data_key(),
        "SECRET_KEY": secrets.token_hex(16),
        "TWILIO_ACCOUNT_SID": account_sid,
        "TWILIO_AUTH_TOKEN": auth_token,
        "TWILIO_API_URL": fake_url,
        "TWILIO_PHONE_NUMBER": HELPLINE,
        "FINDTREATMENT_API_URL": "http://127.0.0.1:9",  # the imported directory answers
    }
    os.environ.pop("LOG_LEVEL", None)
    processes: list[subprocess.Popen] = []
    try:
        settings = load_settings(
            redis_url=url,
            var_dir=var,
            data_key=env["HELPLINE_DATA_KEY"],
            secret_key=env["SECRET_KEY"],
            twilio_account_sid=account_sid,
            twilio_auth_token=auth_token,
            twilio_api_url=fake_url,
            log_level="WARNING",
        )
        app = create_app(settings)
        store = app.extensions["helpline"].store
        from helpline.services import directory_import as importer
        from helpline.store import directory as repository

        read = importer.read_directory_file(SUT)
        repository.replace_source(store._r, "samhsa", read.providers, SUT.name)
        port = free_port()
        processes.append(start_gunicorn("helpline:create_app()", port, env, var / "web.log"))
        with open(var / "worker.log", "ab") as log:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "workers"],
                    cwd=ROOT,
                    env={**os.environ, **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        print(
            f"{read.rows:,} directory rows; 1 web (gunicorn), 1 worker host ({settings.worker_processes} "
            f"processes x {settings.worker_job_slots} job slots); Twilio answers in {opts.latency_ms:g} ms; "
            f"{opts.texts:,} texts over {opts.seconds:g} s"
        )

        work = texts(opts.texts)
        signed_url = f"http://127.0.0.1:{port}/twilio/sms"
        requests = []
        for number, body, _ in work:
            params = simulator.sms_params(number, body, HELPLINE)
            signature = simulator.sign(auth_token, signed_url, params)
            requests.append((int(number[-7:]), urlencode(params).encode(), signature))  # its cookies' lane
        Client(port).post(*requests[0])  # warm: the first request of a process loads its parts
        rate = len(work) / opts.seconds
        due_at: dict[int, float] = {}
        statuses: list[int] = [0] * len(work)
        latencies: list[float] = [0.0] * len(work)
        local = threading.local()
        start = time.time() + 0.5

        def one(i: int) -> None:
            due = start + i / rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            client = getattr(local, "client", None) or Client(port)
            local.client = client
            statuses[i] = client.post(*requests[i])
            latencies[i] = (time.time() - due) * 1000
            due_at[i] = due

        with ThreadPoolExecutor(48) as pool:
            list(pool.map(one, range(1, len(work))))
        sent_at = time.time()

        searches = {work[i][0]: due_at[i] for i in range(1, len(work)) if work[i][2]}
        busy = [queues.queue(name, store._r) for name in queues.ALL_QUEUES]
        deadline = time.time() + opts.drain_seconds
        while time.time() < deadline:
            parent.send("count")
            arrived = parent.recv()
            waiting = sum(
                q.count + q.started_job_registry.count + q.scheduled_job_registry.count for q in busy
            )
            if not waiting and arrived:
                break
            time.sleep(0.5)  # polling the workers' progress
        parent.send("report")
        messages, in_flight_peak = parent.recv()
    finally:
        for proc in processes:
            proc.terminate()
        for proc in processes:
            proc.wait(timeout=30)
        parent.send("stop")
        stop_embedded_server(var)

    first: dict[str, float] = {}
    per_number: dict[str, list[float]] = defaultdict(list)
    for to, _, at in messages:
        per_number[to].append(at)
        if to in searches and to not in first:
            first[to] = at
    waits = sorted(first[n] - searches[n] for n in first)
    lost = [n for n in searches if n not in first]
    duplicated = sum(c - 1 for c in Counter((to, body) for to, body, _ in messages).values() if c > 1)
    answered = sum(1 for s in statuses[1:] if s == 200)
    most_in_30s = max(
        (max(sum(1 for t in times if s <= t < s + 30) for s in times) for times in per_number.values()),
        default=0,
    )
    p99 = percentile(waits, 99) if waits else float("inf")
    print(
        f"arrived in {sent_at - start:.1f} s; answered {answered:,}/{len(work) - 1:,} "
        f"(web p50 {statistics.median(latencies[1:]):.0f} ms, p99 {percentile(latencies[1:], 99):.0f} ms); "
        f"{len(messages):,} texts sent by the workers"
    )
    print(f"searches {len(searches):,}: lost {len(lost)}, duplicated texts {duplicated}")
    if waits:
        print(
            f"ZIP -> first result text: p50 {statistics.median(waits):.2f} s, p99 {p99:.2f} s, "
            f"max {waits[-1]:.2f} s (goal p99 <= {P99_GOAL_SECONDS:g} s: "
            f"{'met' if p99 <= P99_GOAL_SECONDS and not lost and not duplicated else 'NOT met'})"
        )
    print(
        f"most texts to one number in 30 s: {most_in_30s} (Twilio takes 15); "
        f"most Twilio requests at once: {in_flight_peak}"
    )
    print(
        json.dumps(
            {"answered": answered, "lost": len(lost), "duplicated": duplicated, "p99_s": round(p99, 2)}
        )
    )


if __name__ == "__main__":
    main()
