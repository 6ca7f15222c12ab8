"""Benchmark the texting webhook against a bare signed-TwiML endpoint, both under gunicorn, interleaved.

    python bench/webhook.py [--pairs 3] [--seconds 4] [--rate 200] [--concurrency 8] [--floor]

Both servers run at once with the same gunicorn settings (config/gunicorn.conf.py) and the same logs
as `make run` (INFO, the access log, written to a file). Each pair measures both, in alternating
order (A/B, then B/A), so a busy moment of a shared machine lands on both:
  - throughput: a closed loop of `--concurrency` keep-alive connections for `--seconds` (req/s);
  - latency: an open loop at `--rate` texts/s for `--seconds`, timed from when each was due (p50, p99).
Traffic is a realistic mix from many numbers, each texting a short conversation in order: first
contact, menu words (some misspelt), self-check answers, ZIPs and "city, ST" (each queues a search),
MORE, CALL (a callback request), Spanish, unknown words. Every full-app run uses numbers never seen
before; the bare endpoint gets the same bodies. The load generator keeps the cookie each answer sets
and sends it with that texter's next text, as Twilio does (one per texter and line, for 4 hours).
Prints each pair, then min/median/max of the paired ratios against the goals: full/bare req/s >= 0.60
(median), full p99 <= 2 x bare p99 at 200 texts/s (median), and the design's p99 <= 25 ms.

`--floor` measures a third server in every pair (bench/floor_app.py): the helpline app answering each text
with only the round trip every text needs. floor/bare shows what exactly-once costs by itself, full/floor
what the conversation adds on top (no goal; it shows where the time goes).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
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

HELPLINE = "+15555550100"
THROUGHPUT_GOAL = 0.60
P99_GOAL = 2.0
P99_DESIGN_MS = 25.0

# What people text, in order, one list per texter (a number texts its list from the first line on).
CONVERSATIONS = (
    ("hi", "oih", "signs", "10001", "more"),
    ("hello", "check", "yes", "no", "yes", "call"),
    ("what is this?", "tolerence", "austin, tx", "call"),
    ("oih", "treatment", "60614 methadone", "more", "menu"),
    ("hola", "señales", "tratamiento", "78701"),
    ("español", "2", "prueba", "si", "si", "no"),
    ("Hi, I'm worried about my mom's pain meds", "4", "3", "call"),
    ("info", "blah blah", "symptons", "seattle, wa", "more"),
    ("10001", "more", "call"),
    ("is this the pain line", "tolerance", "okay thanks"),
)


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


def start_gunicorn(app_spec: str, port: int, env: dict, log_file: Path) -> subprocess.Popen:
    """gunicorn with the Procfile's settings; its logs (INFO, access log) go to a file, as `make run`'s."""
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", app_spec],
            cwd=ROOT,
            env={**os.environ, **env, "PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_until_up(port, time.monotonic() + 60)
    return proc


def texts(first_number: int, count: int) -> list[tuple[str, str]]:
    """`count` (number, body) pairs from numbers never used before, each number's texts in order.

    Numbers take turns (the first text of many numbers, then their second ...), as a busy line sees.
    """
    out: list[tuple[str, str]] = []
    numbers = itertools.count(first_number)
    while len(out) < count:
        group = [(f"+1555{next(numbers):07d}", CONVERSATIONS[i % len(CONVERSATIONS)]) for i in range(50)]
        for step in range(max(len(c) for _, c in group)):
            out.extend((number, c[step]) for number, c in group if step < len(c))
    return out[:count]


def signed(token: str, port: int, batch: list[tuple[str, str]]) -> list[tuple[int, bytes, str]]:
    """Each text as Twilio posts it to this server, signed before any clock starts, with its texter's lane
    (a number), so a load generator keeps one texter's texts on one connection, in order."""
    url = f"http://127.0.0.1:{port}/twilio/sms"
    out = []
    for number, body in batch:
        params = simulator.sms_params(number, body, HELPLINE)
        out.append((int(number[-7:]), urlencode(params).encode(), simulator.sign(token, url, params)))
    return out


# The cookie each texter's last answer set, sent with their next text, as Twilio keeps them (one per
# texter and line; Twilio forgets them after 4 hours, longer than any run). One jar per load process.
COOKIES: dict[int, str] = {}


class Client:
    """One keep-alive HTTP connection, reopened when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, lane: int, body: bytes, signature: str) -> int:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        if lane in COOKIES:
            headers["Cookie"] = COOKIES[lane]
        for attempt in range(2):
            try:
                self.conn.request("POST", "/twilio/sms", body, headers)
                response = self.conn.getresponse()
                response.read()
                cookie = response.getheader("Set-Cookie")
                if cookie:
                    COOKIES[lane] = cookie.partition(";")[0]
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                return response.status
            except (http.client.HTTPException, OSError):
                self.conn.close()
                if attempt:
                    raise
        return 0


def closed_loop(args: tuple) -> tuple[int, int, float]:
    """`threads` connections post their share until `seconds` pass; returns (ok, errors, seconds).

    A texter's texts stay on one connection, in order.
    """
    port, work, threads, seconds = args
    chunks = [[w for w in work if w[0] // 2 % threads == i] for i in range(threads)]
    ok = errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run(chunk):
        nonlocal ok, errors
        client = Client(port)
        for lane, body, sig in chunk:
            if time.perf_counter() >= deadline:
                return
            status = client.post(lane, body, sig)
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


class Target:
    """One server under test and the numbers it has used so far (the full app must never see one twice)."""

    def __init__(self, name: str, port: int, token: str, first_number: int):
        self.name, self.port, self.token = name, port, token
        self.next_number = first_number

    def batch(self, count: int) -> list[tuple[int, bytes, str]]:
        work = texts(self.next_number, count)
        self.next_number += len({number for number, _ in work}) + 50
        return signed(self.token, self.port, work)

    def throughput(self, seconds: float, concurrency: int, expected_rps: float) -> tuple[float, int]:
        work = self.batch(int(expected_rps * seconds * 1.5) + 1000)
        processes = 2  # the client's own CPU on both cores, like two load generators
        per_process = max(1, concurrency // processes)
        lanes = [[w for w in work if w[0] % processes == i] for i in range(processes)]
        shares = [(self.port, lanes[i], per_process, seconds) for i in range(processes)]
        with Pool(processes) as pool:
            results = pool.map(closed_loop, shares)
        ok, errors = sum(r[0] for r in results), sum(r[1] for r in results)
        return ok / max(r[2] for r in results), errors

    def latency(self, seconds: float, rate: float) -> tuple[float, float, int]:
        latencies, errors = fixed_rate(self.port, self.batch(int(rate * seconds)), rate)
        return statistics.median(latencies), percentile(latencies, 99), errors


def summary(label: str, values: list[float], goal: float, at_least: bool) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    met = mid >= goal if at_least else mid <= goal
    sign = ">=" if at_least else "<="
    return (
        f"{label}: min {low:.2f}, median {mid:.2f}, max {high:.2f} over {len(values)} pairs "
        f"(goal median {sign} {goal:g}: {'met' if met else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs (at least 3)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each measurement")
    parser.add_argument("--rate", type=float, default=200.0, help="arrival rate for latency (texts/s)")
    parser.add_argument("--concurrency", type=int, default=8, help="connections in the throughput run")
    parser.add_argument("--appendfsync", default="everysec", help="the full app's Redis fsync policy")
    parser.add_argument("--floor", action="store_true", help="also measure the one-round-trip floor")
    opts = parser.parse_args()
    pairs = max(3, opts.pairs)

    token = secrets.token_hex(16)
    var = Path(tempfile.mkdtemp(prefix="helpline-bench-"))
    (var / "secrets").mkdir(parents=True)
    (var / "secrets" / "twilio_auth_token").write_text(token)  # development mode signs with this token
    servers: list[subprocess.Popen] = []
    env = {
        "REDIS_URL": ensure_embedded_server(var, appendfsync=opts.appendfsync),
        "HELPLINE_VAR_DIR": str(var),
        "HELPLINE_DATA_KEY": new_data_key(),
        "SECRET_KEY": secrets.token_hex(16),
        "BENCH_AUTH_TOKEN": token,
    }
    env.pop("LOG_LEVEL", None)
    os.environ.pop("LOG_LEVEL", None)  # `make run` logs at the default level (INFO)
    rows: list[dict] = []
    try:
        ports = {"bare": free_port(), "full": free_port()}
        servers.append(start_gunicorn("bench.bare_app:create_app()", ports["bare"], env, var / "bare.log"))
        servers.append(start_gunicorn("helpline:create_app()", ports["full"], env, var / "full.log"))
        bare = Target("bare", ports["bare"], token, 1_000_000)
        full = Target("full", ports["full"], token, 5_000_000)
        targets = [bare, full]
        if opts.floor:
            ports["floor"] = free_port()
            floor_app = "bench.floor_app:create_app()"
            servers.append(start_gunicorn(floor_app, ports["floor"], env, var / "floor.log"))
            targets.append(Target("floor", ports["floor"], token, 8_000_000))
        print(
            f"cores: {os.cpu_count()}  gunicorn: config/gunicorn.conf.py  logs: INFO + access log "
            f"(as make run)  {opts.seconds:g} s per measurement, {pairs} pairs, interleaved"
        )
        for target in targets:  # every gunicorn process warm (imports, data, connections)
            target.throughput(2.0, opts.concurrency, 300)
            target.latency(1.0, opts.rate)
        header = ("pair", "bare rps", "full rps", "ratio", "bare p99", "full p99", "p99 x", "full p50")
        header += ("floor rps", "floor/bare", "full/floor") if opts.floor else ()
        print("".join(f"{h:>11}" for h in header) + f"   (ms at {opts.rate:.0f}/s; errors)")
        for n in range(pairs):
            order = targets[n % len(targets) :] + targets[: n % len(targets)]  # each goes first in turn
            order = order if n % 2 == 0 else order[::-1]
            measured: dict[str, dict] = {t.name: {} for t in order}
            for target in order:
                expected = 1500 if target is bare else 600
                rps, errors = target.throughput(opts.seconds, opts.concurrency, expected)
                measured[target.name].update(rps=rps, errors=errors)
            for target in reversed(order):
                p50, p99, errors = target.latency(opts.seconds, opts.rate)
                measured[target.name].update(p50=p50, p99=p99)
                measured[target.name]["errors"] += errors
            b, f = measured["bare"], measured["full"]
            row = {"ratio": f["rps"] / b["rps"], "p99x": f["p99"] / b["p99"], "p99": f["p99"]}
            line = (
                f"{n + 1:>11}{b['rps']:11.0f}{f['rps']:11.0f}{row['ratio']:11.2f}{b['p99']:11.1f}"
                f"{f['p99']:11.1f}{row['p99x']:11.2f}{f['p50']:11.1f}"
            )
            if opts.floor:
                fl = measured["floor"]
                row.update(floor=fl["rps"] / b["rps"], over_floor=f["rps"] / fl["rps"])
                line += f"{fl['rps']:11.0f}{row['floor']:11.2f}{row['over_floor']:11.2f}"
            rows.append(row)
            errors = "/".join(str(measured[t.name]["errors"]) for t in targets)
            print(f"{line}   errors {errors}")
    finally:
        for proc in servers:
            proc.terminate()
        for proc in servers:
            proc.wait(timeout=15)
        stop_embedded_server(var)

    print(summary("throughput full/bare", [r["ratio"] for r in rows], THROUGHPUT_GOAL, at_least=True))
    print(summary(f"p99 full/bare at {opts.rate:.0f}/s", [r["p99x"] for r in rows], P99_GOAL, at_least=False))
    print(summary("full p99 ms", [r["p99"] for r in rows], P99_DESIGN_MS, at_least=False))
    if opts.floor:
        for label, name in (("floor/bare (the round trip only)", "floor"), ("full/floor", "over_floor")):
            values = [r[name] for r in rows]
            low, mid, high = min(values), statistics.median(values), max(values)
            print(f"{label}: min {low:.2f}, median {mid:.2f}, max {high:.2f}")
    print("(the machine's other load lands on both sides of each pair; compare ratios, not raw figures)")


if __name__ == "__main__":
    main()
