"""Benchmark the texting webhook against a bare signed endpoint, both under gunicorn, in one run.

    python bench/webhook.py [--seconds 8] [--rate 200] [--concurrency 8]

Prints, for the full texting path and for the baseline: throughput (closed loop, req/s) and latency
(p50, p99) at a fixed arrival rate, then the ratios the goals are stated in.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpline.devtools import simulator  # noqa: E402
from helpline.infra.embedded_redis import ensure_embedded_server, stop_embedded_server  # noqa: E402
from helpline.store import new_data_key  # noqa: E402

BODIES = ("hi", "oih", "signs", "tolerance", "treat", "menu", "2", "español", "what is this?")
HELPLINE = "+15555550100"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"server on port {port} did not start")


def start_gunicorn(app_spec: str, port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", app_spec],
        cwd=ROOT,
        env={**os.environ, **env, "PORT": str(port), "LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_up(port, time.monotonic() + 30)
    return proc


def signed_requests(token: str, port: int, count: int, start: int) -> list[tuple[bytes, str]]:
    """Texts from distinct numbers, signed for this server's URL before the clock starts."""
    url = f"http://127.0.0.1:{port}/twilio/sms"
    out = []
    for i in range(start, start + count):
        params = simulator.sms_params(f"+1555{i:07d}", BODIES[i % len(BODIES)], HELPLINE)
        out.append((urlencode(params).encode(), simulator.sign(token, url, params)))
    return out


class Client:
    """One keep-alive HTTP connection, reopened when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, body: bytes, signature: str) -> int:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        for attempt in range(2):
            try:
                self.conn.request("POST", "/twilio/sms", body, headers)
                response = self.conn.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                return response.status
            except (http.client.HTTPException, OSError):
                self.conn.close()
                if attempt:
                    raise
        return 0


def closed_loop(args: tuple) -> tuple[int, int, float]:
    """As many requests as `threads` connections can push through; returns (ok, errors, seconds)."""
    port, work, threads = args
    chunks = [work[i::threads] for i in range(threads)]
    ok = errors = 0
    lock = threading.Lock()

    def run(chunk):
        nonlocal ok, errors
        client = Client(port)
        for body, sig in chunk:
            status = client.post(body, sig)
            with lock:
                if status == 200:
                    ok += 1
                else:
                    errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, chunks))
    return ok, errors, time.perf_counter() - started


def fixed_rate(port: int, work: list, rate: float) -> tuple[list[float], int]:
    """Open loop: request i is due at i/rate; latency counts from when it was due.

    Counting from the due time, not the send time, keeps a stalled server from hiding its own queue.
    """
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    local = threading.local()
    start = time.perf_counter() + 0.2

    def one(i: int):
        nonlocal errors
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        client = getattr(local, "client", None) or Client(port)
        local.client = client
        status = client.post(*work[i])
        elapsed = time.perf_counter() - due
        with lock:
            latencies.append(elapsed * 1000)
            if status != 200:
                errors += 1

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(one, range(len(work))))
    return latencies, errors


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def measure(name: str, port: int, token: str, opts, offset: int) -> dict:
    # Warm up every gunicorn process (imports, zipcodes, connections) before measuring.
    closed_loop((port, signed_requests(token, port, 200, offset), 4))
    throughput_work = signed_requests(token, port, int(opts.seconds * 1500), offset + 1_000)
    processes = 2
    shares = [(port, throughput_work[i::processes], opts.concurrency // processes) for i in range(processes)]
    with Pool(processes) as pool:
        results = pool.map(closed_loop, shares)
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    seconds = max(r[2] for r in results)
    rate_work = signed_requests(token, port, int(opts.rate * opts.seconds), offset + 500_000)
    latencies, rate_errors = fixed_rate(port, rate_work, opts.rate)
    return {
        "name": name,
        "rps": ok / seconds,
        "errors": errors + rate_errors,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="rough length of each measurement")
    parser.add_argument("--rate", type=float, default=200.0, help="arrival rate for latency (texts/s)")
    parser.add_argument("--concurrency", type=int, default=8, help="connections in the throughput run")
    opts = parser.parse_args()

    token = secrets.token_hex(16)
    servers: list[subprocess.Popen] = []
    var_dirs: list[Path] = []

    def serve(app_spec: str, appendfsync: str) -> int:
        """gunicorn on a free port, on its own embedded Redis with this fsync policy."""
        var = Path(tempfile.mkdtemp(prefix="helpline-bench-"))
        var_dirs.append(var)
        (var / "secrets").mkdir(parents=True)
        (var / "secrets" / "twilio_auth_token").write_text(token)  # dev mode signs with this token
        env = {
            "REDIS_URL": ensure_embedded_server(var, appendfsync=appendfsync),
            "HELPLINE_VAR_DIR": str(var),
            "HELPLINE_DATA_KEY": new_data_key(),
            "SECRET_KEY": secrets.token_hex(16),
            "BENCH_AUTH_TOKEN": token,
        }
        port = free_port()
        servers.append(start_gunicorn(app_spec, port, env))
        return port

    try:
        print(f"cores: {os.cpu_count()}  gunicorn: config/gunicorn.conf.py  seconds: {opts.seconds}")
        bare = measure(
            "bare signed endpoint", serve("bench.bare_app:create_app()", "everysec"), token, opts, 0
        )
        full = measure(
            "full (fsync everysec)", serve("helpline:create_app()", "everysec"), token, opts, 2_000_000
        )
        strict = measure(
            "full (fsync always)", serve("helpline:create_app()", "always"), token, opts, 4_000_000
        )
    finally:
        for proc in servers:
            proc.terminate()
        for proc in servers:
            proc.wait(timeout=15)
        for var in var_dirs:
            stop_embedded_server(var)

    print(f"{'':24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}   (latency at {opts.rate:.0f}/s)")
    for row in (bare, full, strict):
        print(f"{row['name']:24}{row['rps']:10.0f}{row['p50']:10.1f}{row['p99']:10.1f}{row['errors']:8d}")
    ratio = full["rps"] / bare["rps"]
    print(f"fsync always: {strict['rps'] / bare['rps']:.2f} of bare, p99 {strict['p99']:.1f} ms")
    print(f"throughput ratio full/bare: {ratio:.2f}  (goal >= 0.60: {'met' if ratio >= 0.6 else 'NOT met'})")
    verdict = "met" if full["p99"] <= 25 else "NOT met"
    print(f"full p99 at {opts.rate:.0f}/s: {full['p99']:.1f} ms  (goal <= 25 ms: {verdict})")


if __name__ == "__main__":
    main()
