"""Fault figures: real processes, real signals, loopback only, every wait bounded.

    python bench/chaos.py [--texts 240] [--rate 30] [--only redis-kill,worker-kill,failover,two-hosts]

Each scenario starts gunicorn web processes and `python -m workers` processes on its own Redis,
with the local fake Twilio (tests/twilio_fixtures.py, in this process) and a small imported
directory, then plays a signed load of texts from distinct numbers: half are ZIP searches (the
reply says "Looking up..." and a worker texts the providers through Twilio's REST API), half are
menu words answered in the webhook's TwiML. Every 5xx or dropped connection is replayed with the
same MessageSid and signature, as Twilio would, until a 200 or the replay deadline.

Per scenario it prints:
  sent        texts posted (distinct MessageSids)
  answered    a 200 with a reply, and for a search every provider text
  lost        sent - answered: the texter never heard back (or never got the providers)
  duplicated  texts for which the same outbound text reached the texter more than once
  replays     5xx / connection errors replayed along the way

Scenarios:
  redis-kill   the embedded Redis gets SIGKILL twice during the load; web and worker restart it
  worker-kill  the worker gets SIGKILL (with its scheduler) mid-send, and a new one is started
  failover     Debian redis-server primary + replica + redis-sentinel; the primary gets SIGKILL
  two-hosts    two web and two worker processes in two host names (UTS namespaces) on one
               Debian redis-server; host A's worker gets SIGKILL and never comes back: host B's
               worker recovers its jobs (after RQ's 60 s worker TTL)
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis
from rq import Worker

from helpline.devtools import simulator
from helpline.infra.embedded_redis import (
    _embedded_paths,
    embedded_restarts,
    ensure_embedded_server,
    stop_embedded_server,
)
from helpline.store import new_data_key
from tests import worker_process
from tests.redis_servers import binaries_missing, sentinel_setup
from tests.servers import free_port
from tests.twilio_fixtures import start_fake_twilio

HELPLINE = "+15555550100"
MENU_WORDS = ("hi", "oih", "signs", "tolerance", "treat", "menu")
REPLAY_DEADLINE = 60.0  # seconds a text keeps being replayed before it counts as lost
PROVIDERS = [  # around Manhattan, so a 10001 search always finds someone
    ("Chelsea Methadone Clinic", "1 W 29th St", "10001", 40.7466, -73.9880, "212-555-0101", "methadone"),
    ("Midtown Pain Care", "200 W 34th St", "10001", 40.7510, -73.9900, "212-555-0102", "pain"),
    ("Village Bupe Program", "10 Bleecker", "10012", 40.7260, -73.9950, "212-555-0104", "bupe"),
]


def wait_for(condition, what: str, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(redis.RedisError, OSError):
            if condition():
                return True
        time.sleep(0.1)  # polling interval
    print(f"  (gave up waiting for {what} after {timeout:.0f} s)")
    return False


# -- processes -------------------------------------------------------------------------------


class Fleet:
    """Web and worker processes of one scenario; each can run under its own host name."""

    def __init__(self, env: dict, logs: Path):
        self.env = env
        self.logs = logs
        self.processes: list[subprocess.Popen] = []
        self.can_rename = shutil.which("unshare") is not None and os.geteuid() == 0

    def _spawn(self, name: str, args: list[str], host: str | None, extra: dict | None = None):
        if host and self.can_rename:  # a host of its own: RQ and recovery see its host name
            args = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', host, *args]
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115  (kept by the child)
        process = subprocess.Popen(args, cwd=ROOT, env={**self.env, **(extra or {})}, stdout=log, stderr=log)
        self.processes.append(process)
        return process

    def web(self, host: str | None = None) -> int:
        port = free_port()
        extra = {"PORT": str(port), "WEB_CONCURRENCY": "2", "WEB_THREADS": "4"}
        args = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "helpline:create_app()"]
        self._spawn(f"web-{port}", args, host, extra)
        if not wait_for(lambda: port_open(port), "the web process", 60):
            raise SystemExit(f"web on {port} did not start; see {self.logs}")
        return port

    def worker(self, host: str | None = None) -> subprocess.Popen:
        return self._spawn(f"worker-{len(self.processes)}", [sys.executable, "-m", "workers"], host)

    @staticmethod
    def kill_tree(process: subprocess.Popen) -> None:
        """SIGKILL a process and everything it started, as a dying machine would (one that will not be
        reaped in 10 s is left to the end of the run)."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker_process.kill_tree(process)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_tree(process)


# -- the load --------------------------------------------------------------------------------


@dataclass
class Text:
    phone: str
    body: str
    sid: str
    search: bool
    status: int = 0
    replies: list[str] = field(default_factory=list)
    replays: int = 0


def post_until_answered(port: int, token: str, text: Text) -> None:
    """POST one signed text; replay it on 5xx or a dropped connection, as Twilio would."""
    url = f"http://127.0.0.1:{port}/twilio/sms"
    params = simulator.sms_params(text.phone, text.body, HELPLINE, sid=text.sid)
    body = urlencode(params).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": simulator.sign(token, url, params),
    }
    deadline = time.monotonic() + REPLAY_DEADLINE
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("POST", "/twilio/sms", body, headers)
            response = conn.getresponse()
            payload = response.read()
            text.status = response.status
            if response.status < 500:
                if response.status == 200:
                    text.replies = simulator.twiml_messages(payload)
                return
        except (OSError, http.client.HTTPException):
            text.status = 0
        finally:
            conn.close()
        if time.monotonic() > deadline:
            return
        text.replays += 1
        time.sleep(0.25)


@dataclass
class Load:
    texts: list[Text]
    fault_at: float  # time.monotonic() when the fault began


def play_load(ports: list[int], token: str, count: int, rate: float, run: str, fault) -> Load:
    """`count` texts at `rate` per second spread over the web ports; `fault()` runs a third of the way."""
    texts = [
        Text(
            phone=f"+1555{run}{n:06d}",
            body="10001" if n % 2 == 0 else MENU_WORDS[n % len(MENU_WORDS)],
            sid=simulator.new_sid("SM"),
            search=n % 2 == 0,
        )
        for n in range(count)
    ]
    fault_n, fault_at = count // 3, 0.0
    fault_thread = None
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        futures = []
        for n, text in enumerate(texts):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if n == fault_n:
                fault_at = time.monotonic()
                fault_thread = threading.Thread(target=fault, name="fault")
                fault_thread.start()
            futures.append(pool.submit(post_until_answered, ports[n % len(ports)], token, text))
        for future in futures:
            future.result()
    if fault_thread:
        fault_thread.join()
    return Load(texts, fault_at)


@dataclass
class Figures:
    name: str
    sent: int
    answered: int
    lost: int
    duplicated: int
    replays: int
    note: str = ""


def results_by_phone(fake) -> dict[str, Counter]:
    """phone -> how often each distinct text reached it."""
    found: dict[str, Counter] = {}
    for message in list(fake.messages):
        found.setdefault(message["To"], Counter())[message["Body"]] += 1
    return found


def complete(found: dict[str, Counter]) -> int:
    """How many distinct texts one search sends: every search is the same ZIP on the same directory."""
    return max((len(bodies) for bodies in found.values()), default=1)


def tally(name: str, load: Load, fake, note: str = "") -> Figures:
    found = results_by_phone(fake)
    whole = complete(found)
    answered = duplicated = 0
    for text in load.texts:
        got_reply = text.status == 200 and bool(text.replies)
        if got_reply and (not text.search or len(found.get(text.phone, ())) >= whole):
            answered += 1
        if any(n > 1 for n in found.get(text.phone, Counter()).values()):
            duplicated += 1
    replays = sum(t.replays for t in load.texts)
    note = f"{sum(len(f) for f in found.values())} provider texts ({whole} per search); {note}"
    return Figures(name, len(load.texts), answered, len(load.texts) - answered, duplicated, replays, note)


def drained(load: Load, fake, timeout: float) -> str:
    """Wait until every search that was answered has had all its provider texts (or the deadline);
    says how long after the fault the last one went out."""
    searches = {t.phone for t in load.texts if t.search and t.status == 200 and t.replies}

    def all_texted() -> bool:
        found = results_by_phone(fake)
        whole = complete(found)
        return all(len(found.get(phone, ())) >= whole for phone in searches)

    done = wait_for(all_texted, "the providers to be texted", timeout)
    took = time.monotonic() - load.fault_at
    time.sleep(2)  # then a moment more, so a late duplicate is counted too (not a wait for the work)
    return f"all texted {took:.0f} s after the fault" if done else "not all texted"


# -- the scenarios ---------------------------------------------------------------------------


class Scenario:
    """What every scenario shares: fake Twilio, secrets, a directory, a fleet, its clean-up."""

    def __init__(self, name: str, redis_env: dict, fake):
        self.name = name
        self.folder = Path(tempfile.mkdtemp(prefix=f"helpline-chaos-{name}-"))
        self.fake = fake
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HELPLINE_VAR_DIR": str(self.folder / "var"),
            "HELPLINE_DATA_KEY": new_data_key(),
            "SECRET_KEY": secrets.token_hex(16),
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_API_URL": fake.url,
            "TWILIO_PHONE_NUMBER": HELPLINE,
            "FINDTREATMENT_API_URL": "http://127.0.0.1:9",  # never the real locator
            "LOG_LEVEL": "WARNING",
            **redis_env,
        }
        self.fleet = Fleet(self.env, self.folder)
        self._import_directory()

    def _import_directory(self) -> None:
        path = self.folder / "directory.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(
                ["name1", "street1", "zip", "latitude", "longitude", "phone", "services", "city", "state"]
            )
            for row in PROVIDERS:
                writer.writerow([*row, "New York", "NY"])
        subprocess.run(
            [sys.executable, "-m", "flask", "providers", "import", str(path)],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def close(self) -> None:
        self.fleet.stop()


def port_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def busy(connection: redis.Redis, hostname: str) -> bool:
    """A worker of this host is running a job now."""
    return any(w.hostname == hostname and w.get_current_job_id() for w in Worker.all(connection=connection))


def workers_alive(port: int, count: int) -> bool:
    """/healthz counts the workers whose heartbeat is alive."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        return json.loads(conn.getresponse().read()).get("workers", 0) >= count
    finally:
        conn.close()


def redis_kill(opts, fake) -> Figures:
    scenario = Scenario("redis-kill", {}, fake)  # no REDIS_URL: the embedded server under var/
    var = Path(scenario.env["HELPLINE_VAR_DIR"])
    try:
        port = scenario.fleet.web()
        scenario.fleet.worker()
        wait_for(lambda: workers_alive(port, 1), "the worker", 60)

        def fault():
            data_dir, _ = _embedded_paths(var)
            for _ in range(2):
                pid = int((data_dir / "redis.pid").read_text())
                os.kill(pid, signal.SIGKILL)
                time.sleep(opts.texts / opts.rate / 4)  # the load goes on while it is down and back

        load = play_load([port], fake.auth_token, opts.texts, opts.rate, "1", fault)
        after = drained(load, fake, 90)
        restarts = embedded_restarts(var).count
        return tally("redis-kill", load, fake, f"{after}; Redis killed twice, restarted {restarts} times")
    finally:
        scenario.close()
        stop_embedded_server(var)


def worker_kill(opts, fake) -> Figures:
    var = Path(tempfile.mkdtemp(prefix="helpline-chaos-redis-"))
    url = ensure_embedded_server(var)
    scenario = Scenario("worker-kill", {"REDIS_URL": url}, fake)
    fake.latency = 0.2  # a send takes as long as Twilio's API does: the kill lands mid-job
    connection = redis.Redis.from_url(url)
    mid_job = []
    try:
        port = scenario.fleet.web()
        first = scenario.fleet.worker()
        wait_for(lambda: workers_alive(port, 1), "the worker", 60)

        def fault():
            mid_job.append(wait_for(lambda: busy(connection, socket.gethostname()), "a job under way", 30))
            scenario.fleet.kill_tree(first)
            scenario.fleet.worker()  # the replacement finds the dead one's jobs at start-up

        load = play_load([port], fake.auth_token, opts.texts, opts.rate, "2", fault)
        after = drained(load, fake, 180)
        return tally("worker-kill", load, fake, f"{after}; killed mid-job: {'yes' if all(mid_job) else 'no'}")
    finally:
        fake.latency = 0.0
        scenario.close()
        stop_embedded_server(var)


def failover(opts, fake) -> Figures:
    with sentinel_setup() as cluster:
        scenario = Scenario("failover", {"HELPLINE_REDIS_SENTINELS": cluster.sentinels}, fake)
        try:
            port = scenario.fleet.web()
            scenario.fleet.worker()
            wait_for(lambda: workers_alive(port, 1), "the worker", 60)
            wait_for(cluster.replica_in_sync, "the replica", 30)

            def fault():
                cluster.kill(cluster.primary_port)

            load = play_load([port], fake.auth_token, opts.texts, opts.rate, "3", fault)
            after = drained(load, fake, 90)
            note = f"{after}; master :{cluster.primary_port} -> :{cluster.master_port()}"
            return tally("failover", load, fake, note)
        finally:
            scenario.close()


def two_hosts(opts, fake) -> Figures:
    folder = Path(tempfile.mkdtemp(prefix="helpline-chaos-shared-redis-"))
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for(lambda: redis.Redis("127.0.0.1", port).ping(), "redis-server", 30)
    scenario = Scenario("two-hosts", {"REDIS_URL": f"redis://127.0.0.1:{port}/0"}, fake)
    fake.latency = 0.2  # a send takes as long as Twilio's API does: host A dies mid-job
    connection = redis.Redis("127.0.0.1", port)
    mid_job = []
    try:
        fleet = scenario.fleet
        webs = [fleet.web("host-a"), fleet.web("host-b")]
        worker_a = fleet.worker("host-a")
        fleet.worker("host-b")
        wait_for(lambda: workers_alive(webs[0], 2), "both workers", 60)

        def fault():
            mid_job.append(wait_for(lambda: busy(connection, "host-a"), "host A to be mid-job", 30))
            fleet.kill_tree(worker_a)  # host A's worker dies and stays dead

        load = play_load(webs, fake.auth_token, opts.texts, opts.rate, "4", fault)
        after = drained(load, fake, 480)  # B takes A's started job once RQ gives it up (minutes)
        hosts = "two host names (UTS namespaces)" if fleet.can_rename else "one host name (no unshare)"
        killed = "killed mid-job" if all(mid_job) else "killed idle"
        return tally("two-hosts", load, fake, f"{after}; {hosts}; A {killed}")
    finally:
        fake.latency = 0.0
        scenario.close()
        server.terminate()
        server.wait(timeout=15)


SCENARIOS = {
    "redis-kill": redis_kill,
    "worker-kill": worker_kill,
    "failover": failover,
    "two-hosts": two_hosts,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=240, help="texts per scenario")
    parser.add_argument("--rate", type=float, default=30.0, help="texts per second")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenario names")
    opts = parser.parse_args()

    fake, fake_server = start_fake_twilio()
    # A killed worker's keep-alive connections reset under the fake: expected here, not worth a traceback.
    fake_server.server.handle_error = lambda request, client_address: None
    rows: list[Figures] = []
    try:
        for name in opts.only.split(","):
            if name in ("failover", "two-hosts") and binaries_missing():
                print(f"== {name}: skipped, {binaries_missing()}")
                continue
            print(f"== {name}", flush=True)
            fake.reset()
            started = time.perf_counter()
            rows.append(SCENARIOS[name](opts, fake))
            print(f"   {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        fake_server.close()

    print()
    print(f"{'scenario':14}{'sent':>7}{'answered':>10}{'lost':>7}{'duplicated':>12}{'replays':>9}   note")
    for row in rows:
        print(
            f"{row.name:14}{row.sent:7d}{row.answered:10d}{row.lost:7d}{row.duplicated:12d}{row.replays:9d}"
            f"   {row.note}"
        )


if __name__ == "__main__":
    main()
