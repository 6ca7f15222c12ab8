"""Benchmark the voice line's webhooks in process (real embedded Redis, signed requests, no network).

    python bench/voice.py [--calls 300]

Each simulated call: greeting, menu 1 (the OIH explainer), menu 3, confirm the caller ID (a callback
request on the queue). Prints p50 / p99 / max per step, in milliseconds: the time Twilio waits.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.settings import load_settings  # noqa: E402
from helpline import create_app  # noqa: E402
from helpline.devtools import simulator
from helpline.devtools.simulate_call import call_params  # noqa: E402
from helpline.infra.embedded_redis import ensure_embedded_server, stop_embedded_server  # noqa: E402
from helpline.store import new_data_key  # noqa: E402
from helpline.web.twilio_signature import twilio_auth_token  # noqa: E402

HELPLINE = "+15555550100"
STEPS = (("greeting", "/twilio/voice", {}), ("info", "/twilio/voice/step/menu?n=0", {"Digits": "1"}),
         ("callback", "/twilio/voice/step/menu?n=1", {"Digits": "3"}),
         ("confirm", "/twilio/voice/step/callback-confirm?n=2", {"Digits": "1"}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        url = ensure_embedded_server(Path(var))
        try:
            settings = load_settings(
                redis_url=url, var_dir=Path(var), data_key=new_data_key(), secret_key="b"
            )
            app = create_app(settings)
            client = app.test_client()
            token = twilio_auth_token(settings)
            timings: dict[str, list[float]] = {name: [] for name, _, _ in STEPS}
            for index in range(args.calls):
                caller = f"+1555{index:07d}"
                base = call_params(caller, HELPLINE, f"CA{index:032x}")
                for name, path, extra in STEPS:
                    params = dict(base, **extra)
                    headers = {"X-Twilio-Signature": simulator.sign(token, "http://localhost" + path, params)}
                    started = time.perf_counter()
                    response = client.post(path, data=params, headers=headers)
                    timings[name].append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.data
            print(f"{args.calls} calls, {len(STEPS)} webhooks each, in process (ms):")
            for name, values in timings.items():
                values.sort()
                p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
                print(
                    f"  {name:9s} p50 {statistics.median(values):6.2f}  p99 {p99:6.2f}  max {values[-1]:6.2f}"
                )
        finally:
            stop_embedded_server(Path(var))


if __name__ == "__main__":
    main()
