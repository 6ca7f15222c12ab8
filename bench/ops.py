"""Operators' figures under load: /metrics scrape time, the /ops figures panel, and the cost of live
templates/hours on the texting hot path.

    .venv/bin/python bench/ops.py [--callbacks 2000] [--days 30]

Fills a throwaway embedded Redis with a month of hourly counters (every counter the line writes)
and open/closed callback requests, then times each read as an operator or Prometheus would.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import load_settings  # noqa: E402
from helpline import create_app  # noqa: E402
from helpline.domain.content import Catalog  # noqa: E402
from helpline.infra.embedded_redis import ensure_embedded_server, stop_embedded_server  # noqa: E402
from helpline.services import accounts, callbacks
from helpline.store import new_data_key  # noqa: E402

COUNTERS = (
    ["sms.in", "sms.out", "call.in", "crisis", "sms.optout", "callback.requested", "search.requested"]
    + [f"sms.intent.{i}" for i in ("oih", "signs", "tolerance", "treat", "check", "call", "menu", "unknown")]
    + [f"sms.intent.check_{o}" for o in ("oih", "oud", "both", "none")]
    + [f"call.menu.{c}" for c in ("oih", "find", "callback", "talk", "emergency")]
    + [f"delivery.failed.{c}" for c in (30003, 30005, 30006, 30007, 21610)]
    + ["search.found", "search.empty", "callback.outcome.reached", "callback.outcome.no_answer"]
)


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--callbacks", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    opts = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="helpline-bench-ops-"))
    url = ensure_embedded_server(var)
    try:
        settings = load_settings(redis_url=url, var_dir=var, data_key=new_data_key(), secret_key="bench")
        app = create_app(settings, flask={"TESTING": True})
        store = app.extensions["helpline"].store
        store._r.flushdb()
        now = time.time()
        pipe = store._r.pipeline(transaction=False)
        for hour in range(opts.days * 24):
            for i, name in enumerate(COUNTERS):
                store.count(name, now - hour * 3600, amount=1 + (hour + i) % 7, pipe=pipe)
        pipe.execute()
        for i in range(opts.callbacks):
            request, _ = callbacks.request_callback(
                store,
                f"+1555{i:07d}",
                lang="en",
                reason="callback",
                priority=i % 10 == 0,
                channel="sms",
                now=now - i * 600,
            )
            if i % 3:
                request.status = "done"
                callbacks.save(store, request)
        client = app.test_client()
        metrics_ms = timed(lambda: client.get("/metrics"), 30)
        body = client.get("/metrics").get_data()
        print(
            f"/metrics: median {metrics_ms[0]:.1f} ms, p95 {metrics_ms[1]:.1f} ms ({len(body)} bytes, "
            f"{len(COUNTERS)} counters x {opts.days} days, {opts.callbacks} callbacks)"
        )

        passwords = app.extensions["helpline"].passwords
        password = "a long bench password"
        accounts.add(store, "bench@example.org", "operator", password=password, passwords=passwords)
        import re

        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        client.post(
            "/login",
            data={"email": "bench@example.org", "password": "a long bench password", "csrf_token": token},
        )
        panel = timed(lambda: client.get("/ops/figures"), 20)
        print(f"/ops/figures panel: median {panel[0]:.1f} ms, p95 {panel[1]:.1f} ms")
        dash = timed(lambda: client.get("/ops"), 10)
        print(f"/ops dashboard (figures + health): median {dash[0]:.1f} ms, p95 {dash[1]:.1f} ms")

        live = app.extensions["helpline"].catalog
        plain = Catalog.load(settings.messages_dir)
        hours = app.extensions["helpline"].hours
        n = 100_000
        start = time.perf_counter()
        for _ in range(n):
            plain.render("en", "menu")
        base = (time.perf_counter() - start) / n * 1e6
        start = time.perf_counter()
        for _ in range(n):
            live.render("en", "menu")
            hours.timezone  # noqa: B018 - the attribute read the hot path does
        with_live = (time.perf_counter() - start) / n * 1e6
        print(f"template render: plain {base:.2f} us, live (edits checked once a second) {with_live:.2f} us")
    finally:
        stop_embedded_server(var)


if __name__ == "__main__":
    main()
