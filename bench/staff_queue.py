"""Benchmark the staff side: the queue with many people waiting, what an idle staff tab downloads, and
contended claims.

    python bench/staff_queue.py [--open 1000] [--polls 200] [--races 200] [--idle-minutes 60]

Prints, with `--open` requests on the queue (each with a conversation, some crisis, Spanish,
voicemail, claimed):
- the queue poll (GET /staff/queue) p50/p99 when something changed (someone claimed a request just
  before: the page of 50 rows and the counts over the whole queue are rendered), when nothing did
  (204, no body), and in a process that reads the whole queue (a new one, and each every 30 s);
  the crisis bar's poll; a search by the last 4 digits; the request page;
- the bytes one staff tab on the queue page downloads per hour while nothing happens: a real chromium
  (Playwright, Debian's /usr/bin/chromium) on a real HTTP server, its clock moved poll by poll through
  `--idle-minutes`, every response counted with its headers, plus the full re-reads the page does every
  10 minutes whatever happens (its clock is not the server's, so they are added by measure);
- claim races: two staff claiming the same request at the same instant, exactly one must win.
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

from config.settings import load_settings
from helpline import create_app
from helpline.infra.embedded_redis import stop_embedded_server
from helpline.services import accounts, callbacks, staff_queue
from helpline.store import new_data_key

PASSWORD = "bench password 123"
STAFF, OTHER = "a@bench.org", "b@bench.org"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float]) -> str:
    text = f"p50 {statistics.median(values):.1f} ms, p99 {percentile(values, 0.99):.1f} ms"
    cpu = CPU.get(id(values))
    return text + (f" (this process's CPU: p50 {statistics.median(cpu):.1f} ms)" if cpu else "")


CPU: dict[
    int, list[float]
] = {}  # CPU time of each timed request, beside its wall time: the machine is shared


def signed_in_client(app, email: str):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return client


def timed_gets(client, path: str, count: int, expect: int = 200, before=None, **options) -> list[float]:
    samples, cpu = [], []
    for n in range(count):
        if before:
            before(n)
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, **options)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == expect, (path, response.status_code)
    CPU[id(samples)] = cpu
    return samples


def poll_state(html: str) -> dict:
    state = re.search(r'<div id="queue-state" hidden>(.*?)</div>', html, re.S).group(1)
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', state))


def fill_queue(app, count: int) -> list[str]:
    """`count` open requests, each with a short conversation; every 17th a crisis, some Spanish,
    some voicemails, one in twenty claimed by someone else."""
    hl = app.extensions["helpline"]
    store = hl.store
    ids = []
    for n in range(count):
        phone = f"+1555{n:07d}"
        store.append_turns(
            store.vault.phone_id(phone),
            [
                ("in", "my pain keeps getting worse, can someone call me"),
                ("out", "Thanks. Staff will call you."),
            ],
        )
        voicemail = n % 11 == 0
        request, _ = callbacks.request_callback(
            store,
            phone,
            lang="es" if n % 7 == 0 else "en",
            reason="voicemail" if voicemail else "callback",
            priority=n % 17 == 0,
            channel="voice" if voicemail else "sms",
        )
        if n % 20 == 0:
            callbacks.claim(hl, request.id, OTHER)
        ids.append(request.id)
    return ids


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


def idle_tab_bytes(app, minutes: int) -> tuple[int, int, int]:
    """(bytes received in `minutes` of polls, polls answered, of which 204) by one chromium tab on /staff."""
    from playwright.sync_api import sync_playwright

    from tests.browser_fixtures import CHROMIUM_ARGS, chromium_path
    from tests.servers import serving

    received, polls, empty = [0], [0], [0]
    with serving(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        page.clock.install()
        page.goto(f"{base}/login?next=/staff")
        page.get_by_label("Email").fill(STAFF)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/staff*")
        page.wait_for_load_state("load")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on(
            "Network.loadingFinished",
            lambda event: received.__setitem__(0, received[0] + event["encodedDataLength"]),
        )

        def answered(response) -> None:
            if "/staff/" in response.url:
                polls[0] += 1
                empty[0] += response.status == 204

        page.on("response", answered)
        for _ in range(minutes * 12):  # one step per poll interval (5 s)
            before = polls[0]
            page.clock.run_for(5_000)
            deadline = time.monotonic() + 5
            while polls[0] < before + 2 and time.monotonic() < deadline:  # the queue and the crisis bar
                page.wait_for_timeout(2)
        page.wait_for_timeout(200)
        browser.close()
    return received[0], polls[0], empty[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=1000, dest="open_requests")
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--races", type=int, default=200)
    parser.add_argument("--idle-minutes", type=int, default=60)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="bench-staff-"))
    settings = load_settings(
        var_dir=var,
        data_key=new_data_key(),
        secret_key="bench",
        redis_url=None,
        findtreatment_api_url="http://127.0.0.1:9",  # no network: the referral search answers "unavailable"
    )
    app = create_app(settings)
    try:
        with app.app_context():
            hl = app.extensions["helpline"]
            store = hl.store
            for email in (STAFF, OTHER):
                accounts.add(store, email, password=PASSWORD, passwords=hl.passwords)
            ids = fill_queue(app, args.open_requests)
            client = signed_in_client(app, STAFF)
            timed_gets(client, "/staff/queue", 5)  # warm templates

            def someone_claims(n: int) -> None:  # a change on the queue before each poll
                callbacks.claim(hl, ids[(n * 7 + 3) % len(ids)], OTHER)

            changed = timed_gets(client, "/staff/queue", args.polls, before=someone_claims)
            cold = []
            for _ in range(10):  # a process that has not read the queue yet (and each one every 30 s)
                fresh = signed_in_client(create_app(settings), STAFF)
                cold += timed_gets(fresh, "/staff/queue", 1)
            fragment = client.get("/staff/queue").get_data()
            state = poll_state(fragment.decode())
            unchanged = timed_gets(client, "/staff/queue", args.polls, expect=204, query_string=state)
            page = client.get("/staff").get_data(as_text=True)
            seen = re.search(r'id="pulse-state" name="seen" value="([^"]*)"', page).group(1)
            pulse = timed_gets(client, "/staff/pulse", args.polls, expect=204, query_string={"seen": seen})
            bar = client.get("/staff/pulse").get_data()
            search = timed_gets(client, "/staff/queue", args.polls // 4, query_string={"search": "0999"})
            timed_gets(client, f"/staff/callbacks/{ids[2]}", 2)  # its templates, compiled once
            detail = timed_gets(client, f"/staff/callbacks/{ids[1]}", args.polls // 4)
            idle_bytes, idle_polls, idle_empty = idle_tab_bytes(app, args.idle_minutes)
            rereads = args.idle_minutes * 60 // staff_queue.RECHECK_SECONDS
            # The full re-reads an idle page also does, by the server's clock, as HTTP responses.
            reread_bytes = rereads * (len(fragment) + len(bar) + 2 * 600)
            per_hour = (idle_bytes + reread_bytes) * 60 / args.idle_minutes
            extra = [f"+{args.open_requests}{n:06d}" for n in range(args.races)]
            race_ids = [
                callbacks.request_callback(store, phone, lang="en", reason="callback", priority=False,
                                           channel="sms")[0].id
                for phone in extra
            ]  # fmt: skip
            claim_ms: list[float] = []
            single = sum(race(hl, i, (STAFF, OTHER), claim_ms) == 1 for i in race_ids)
        n = args.open_requests
        print(f"queue poll, {n} open, someone claimed a request (50 rows + counts): {summary(changed)}, "
              f"{len(fragment) / 1024:.0f} KiB")  # fmt: skip
        print(f"queue poll, {n} open, nothing changed (204): {summary(unchanged)}")
        print(f"queue poll, {n} open, in a process that reads the whole queue: {summary(cold)}")
        print(f"crisis bar poll, nothing changed (204): {summary(pulse)}")
        print(f"search by the last 4 digits, {n} open: {summary(search)}")
        print(f"request page: {summary(detail)}")
        print(f"idle staff tab on the queue, {args.idle_minutes} min: {idle_polls} polls answered "
              f"({idle_empty} with 204), {idle_bytes / 1024:.0f} KiB, plus {rereads} full re-reads "
              f"({reread_bytes / 1024:.0f} KiB): {per_hour / 1024 / 1024:.2f} MB per hour "
              "(goal under 5 MB)")  # fmt: skip
        claims = f"p50 {statistics.median(claim_ms):.2f} ms, p99 {percentile(claim_ms, 0.99):.2f} ms"
        print(f"claim races: {single}/{args.races} with exactly one winner; claim {claims}")
    finally:
        stop_embedded_server(var)


if __name__ == "__main__":
    main()
