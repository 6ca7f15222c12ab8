"""Measure what a conversation keeps in Redis: bytes per key family after many mixed conversations.

    python bench/memory.py [--conversations 2000] [--no-directory]

A throwaway embedded Redis, the real SAMHSA directory file imported (so ZIP searches find providers),
and the local fake Twilio (the real SDK, live mode, answering at once). Each conversation is three
texts from a new number, signed and posted to /twilio/sms in-process, taken from a realistic mix
(first contact, menu words, self-check answers, ZIPs and "city, ST" that the worker answers with
result texts, MORE, CALL, Spanish, unknown words); the queued jobs run as the worker runs them.
Then every key's `MEMORY USAGE` (exact, SAMPLES 0) is summed per key family, with its expiry, and
divided by the conversations. Goal: what a conversation keeps for the retention period (its state
and its conversation lines) <= 1 KiB.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.settings import load_settings  # noqa: E402
from helpline import create_app  # noqa: E402
from helpline.devtools import simulator  # noqa: E402
from helpline.infra.embedded_redis import ensure_embedded_server, stop_embedded_server  # noqa: E402
from helpline.store import new_data_key  # noqa: E402
from helpline.web.twilio_signature import twilio_auth_token  # noqa: E402
from tests.twilio_fixtures import start_fake_twilio  # noqa: E402
from workers.__main__ import make_worker  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SUT = DATA / "substance-use-treatment-geocoded.csv"
HELPLINE = "+15555550100"
GOAL_BYTES = 1024
KEPT_FAMILIES = ("hl:texter:<id>", "hl:conversation:<id>")  # a texter's own keys, kept for the retention

# Three texts each, in the proportions a line sees (first contact, menus, searches, CALL, self-check).
CONVERSATIONS = (
    ("hi", "oih", "10001"),
    ("hello", "check", "yes"),
    ("what is this?", "tolerence", "call"),
    ("oih", "treatment", "60614 methadone"),
    ("hola", "señales", "78701"),
    ("10001", "more", "call"),
    ("Hi, I'm worried about my mom's pain meds", "4", "austin, tx"),
    ("info", "blah blah", "signs"),
    ("menu", "3", "call"),
    ("español", "2", "prueba"),
)

_FAMILY = (
    (re.compile(r"^hl:stat:.*"), "hl:stat:* (operators' counters)"),
    (re.compile(r"^rq:job:.*"), "rq:job:<id>"),
    (re.compile(r"^rq:results:.*"), "rq:results:<id>"),
    (re.compile(r"^rq:execution:.*"), "rq:execution:<id>"),
    (re.compile(r"[0-9a-f]{32}"), "<id>"),
    (re.compile(r"SM[0-9a-f]{32}"), "<sid>"),
    (re.compile(r"\b\d{6,}\b"), "<n>"),
    (re.compile(r"cb\d+"), "cb<n>"),
)


def family(key: str) -> str:
    for pattern, name in _FAMILY:
        if pattern.pattern.startswith("^"):
            if pattern.match(key):
                return name
            continue
        key = pattern.sub(name, key)
    return re.sub(r"(search|texts?)-[\w-]+", r"\1-<key>", key)


def import_directory(app) -> str:
    from helpline.services import directory_import as importer
    from helpline.store import directory as repository

    started = time.perf_counter()
    read = importer.read_directory_file(SUT)
    repository.replace_source(app.extensions["helpline"].store._r, "samhsa", read.providers, SUT.name)
    return f"{read.rows:,} rows imported in {time.perf_counter() - started:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--no-directory", action="store_true", help="searches find nothing (faster start)")
    opts = parser.parse_args()

    fake, fake_server = start_fake_twilio()
    var = Path(tempfile.mkdtemp(prefix="helpline-bench-memory-"))
    url = ensure_embedded_server(var)
    try:
        settings = load_settings(
            redis_url=url,
            var_dir=var,
            data_key=new_data_key(),
            secret_key="bench",
            log_level="WARNING",
            findtreatment_api_url="http://127.0.0.1:9",  # searches read the imported directory only
            twilio_account_sid=fake.account_sid,
            twilio_auth_token=fake.auth_token,
            twilio_api_url=fake.url,
            twilio_phone_number=HELPLINE,
        )
        app = create_app(settings, flask={"TESTING": True})
        helpline = app.extensions["helpline"]
        r = helpline.store._r
        if not opts.no_directory:
            print(import_directory(app))
        baseline_keys = set(r.scan_iter("*", count=1000))
        token = twilio_auth_token(app.config["SETTINGS"])
        client = app.test_client()
        url_signed = "http://localhost/twilio/sms"
        started = time.perf_counter()
        with app.app_context():
            worker = make_worker(helpline, job_slots=settings.worker_job_slots, job_context=app.app_context)
            for start in range(0, opts.conversations, 100):
                batch = range(start, min(start + 100, opts.conversations))
                for step in range(3):
                    for n in batch:
                        params = simulator.sms_params(
                            f"+1555{n:07d}", CONVERSATIONS[n % len(CONVERSATIONS)][step], HELPLINE
                        )
                        headers = {"X-Twilio-Signature": simulator.sign(token, url_signed, params)}
                        response = client.post("/twilio/sms", data=params, headers=headers)
                        if response.status_code != 200:
                            raise SystemExit(f"POST /twilio/sms answered {response.status_code}")
                    worker.work(burst=True, logging_level="WARNING")  # the searches' result texts
        print(
            f"{opts.conversations:,} conversations of 3 texts in {time.perf_counter() - started:.0f} s; "
            f"{len(fake.messages):,} texts sent by the worker"
        )

        sizes: dict[str, list[int]] = defaultdict(list)
        ttls: dict[str, list[int]] = defaultdict(list)
        for key in r.scan_iter("*", count=1000):
            if key in baseline_keys:
                continue
            name = family(key.decode())
            sizes[name].append(int(r.memory_usage(key, samples=0) or 0))
            ttls[name].append(int(r.ttl(key)))
    finally:
        fake_server.close()
        stop_embedded_server(var)

    per = opts.conversations
    print(f"{'key family':44}{'keys':>8}{'bytes/key':>11}{'per conv.':>11}  kept")
    for name in sorted(sizes, key=lambda n: -sum(sizes[n])):
        values, ttl = sizes[name], max(ttls[name])
        kept = "never expires" if ttl < 0 else f"{ttl / 86400:.1f} days" if ttl >= 86400 else f"{ttl} s"
        print(f"{name:44}{len(values):8}{sum(values) / len(values):11.0f}{sum(values) / per:11.0f}  {kept}")
    kept = sum(sum(sizes.get(name, [])) for name in KEPT_FAMILIES) / per
    verdict = "met" if kept <= GOAL_BYTES else "NOT met"
    print(
        f"a conversation keeps {kept:.0f} bytes for the retention period ({' + '.join(KEPT_FAMILIES)}); "
        f"goal <= {GOAL_BYTES}: {verdict}"
    )


if __name__ == "__main__":
    main()
