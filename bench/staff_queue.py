"""Benchmark the staff side: the queue list with many people waiting, and contended claims.

    python bench/staff_queue.py [--waiting 200] [--polls 100] [--races 200]

Prints the latency (p50, p99) of the htmx queue poll (GET /staff/queue) and of the request page,
and for `--races` requests claimed by two staff at the same instant: how many had exactly one
winner (must be all) and the claim latency.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.settings import load_settings  # noqa: E402
from helpline import create_app  # noqa: E402
from helpline.infra.embedded_redis import stop_embedded_server  # noqa: E402
from helpline.services import accounts, callbacks
from helpline.store import new_data_key  # noqa: E402

PASSWORD = "bench password 123"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def signed_in_client(app, email: str):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return client


def timed_gets(client, path: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return samples


def race(hl, request_id: str, who: tuple[str, str], latencies: list[float]) -> int:
    barrier, wins = threading.Barrier(2), []

    def claim(email: str) -> None:
        barrier.wait()
        start = time.perf_counter()
        try:
            callbacks.claim(hl, request_id, email)
            wins.append(email)
        except callbacks.ClaimRefused:
            pass
        latencies.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=claim, args=(w,)) for w in who]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(wins)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--waiting", type=int, default=200)
    parser.add_argument("--polls", type=int, default=100)
    parser.add_argument("--races", type=int, default=200)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="bench-staff-"))
    settings = load_settings(var_dir=var, data_key=new_data_key(), secret_key="bench", redis_url=None)
    app = create_app(settings)
    try:
        with app.app_context():
            store = app.extensions["helpline"].store
            passwords = app.extensions["helpline"].passwords
            accounts.add(store, "a@bench.org", password=PASSWORD, passwords=passwords)
            accounts.add(store, "b@bench.org", password=PASSWORD, passwords=passwords)
            ids = []
            for n in range(args.waiting + args.races):
                request, _ = callbacks.request_callback(
                    store, f"+1555{n:07d}", lang="en", reason="callback", priority=n % 17 == 0, channel="sms"
                )
                ids.append(request.id)
            client = signed_in_client(app, "a@bench.org")
            timed_gets(client, "/staff/queue", 5)  # warm templates
            poll = timed_gets(client, "/staff/queue", args.polls)
            detail = timed_gets(client, f"/staff/callbacks/{ids[0]}", args.polls // 2)
            claim_ms: list[float] = []
            hl = app.extensions["helpline"]
            single = sum(
                race(hl, i, ("a@bench.org", "b@bench.org"), claim_ms) == 1 for i in ids[args.waiting :]
            )
        print(f"queue poll, {len(ids)} open requests: p50 {statistics.median(poll):.1f} ms, "
              f"p99 {percentile(poll, 0.99):.1f} ms")  # fmt: skip
        print(f"request page: p50 {statistics.median(detail):.1f} ms, p99 {percentile(detail, 0.99):.1f} ms")
        print(f"claim races: {single}/{args.races} with exactly one winner; claim p50 "
              f"{statistics.median(claim_ms):.2f} ms, p99 {percentile(claim_ms, 0.99):.2f} ms")  # fmt: skip
    finally:
        stop_embedded_server(var)


if __name__ == "__main__":
    main()
