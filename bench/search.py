"""Benchmark a ZIP text -> the 5 nearest providers with a service, against a raw Redis GEOSEARCH, in one run.

    python bench/search.py [--queries 2000] [--rounds 5] [--seed 7] [--hidden 0]

Imports ../shared/data/substance-use-treatment-geocoded.csv (14,034 rows) and the OTP file (methadone
clinics, most merged into a facility of the first file) into a throwaway embedded Redis, and tags
buprenorphine on a seeded ~40% of the listings (the SAMHSA files carry no such tag; the live
locator's rows do), so a service filter reads a tagged directory; `--hidden N` hides N listings
picked at random, as operators hide closed ones (every search then checks the hits it reads against
them). Then, for random US ZIPs, it times, interleaved query by query (which one goes first alternates):
  - full: places.locate(zip) + find_providers(helpline, place, service=<methadone|buprenorphine>,
          limit=5): the ZIP lookup, the filtered search with widening, hidden listings, callable-first
          ranking and the fallback, the rows parsed into providers
  - raw:  GEOSEARCH FROMLONLAT .. BYRADIUS 10 mi ASC COUNT 5 WITHDIST on that service's GEO set
Each round prints p50/p99 of both, the p99 ratio and how many each found (the raw search stops at
10 miles, so it finds fewer); the summary gives min/median/max of the ratio over the rounds against
the goal (full p99 <= 2 x raw p99), and how many listing rows the search found already parsed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import zipcodes  # noqa: E402

from config.settings import load_settings  # noqa: E402
from helpline import create_app  # noqa: E402
from helpline.domain import places  # noqa: E402
from helpline.infra.embedded_redis import ensure_embedded_server, stop_embedded_server  # noqa: E402
from helpline.services import directory_import as importer  # noqa: E402
from helpline.services.provider_search import find_providers  # noqa: E402
from helpline.store import Keys, new_data_key  # noqa: E402
from helpline.store import directory as repository  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SUT = DATA / "substance-use-treatment-geocoded.csv"
OTP = DATA / "opioid-treatment-programs-geocoded.csv"
SERVICES = ("buprenorphine", "methadone")
GOAL = 2.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def tagged(providers, rng: random.Random, share: float = 0.4):
    """The listings with buprenorphine on a seeded share of them (a stand-in for a tagged export)."""
    return [
        replace(p, services=(*p.services, "buprenorphine")) if rng.random() < share else p for p in providers
    ]


def timed_full(helpline, zip_code: str, service: str, out: list[float], found: list[int]) -> None:
    t0 = time.perf_counter()
    result = find_providers(helpline, places.locate(zip_code), service=service, limit=5)
    out.append((time.perf_counter() - t0) * 1000)
    found.append(len(result.providers))


def timed_raw(r, geo: str, place, out: list[float], found: list[int]) -> None:
    t0 = time.perf_counter()
    lng, lat = place.lng, place.lat
    hits = r.geosearch(
        geo, longitude=lng, latitude=lat, radius=10, unit="mi", sort="ASC", count=5, withdist=True
    )
    out.append((time.perf_counter() - t0) * 1000)
    found.append(len(hits))


def one_round(
    helpline, zips: list[str], version: str
) -> tuple[list[float], list[float], list[int], list[int]]:
    r = helpline.store._r
    full: list[float] = []
    raw: list[float] = []
    found: list[int] = []
    raw_found: list[int] = []
    for i, zip_code in enumerate(zips):
        service = SERVICES[i % 2]
        geo, place = Keys.directory_geo(version, service), places.zip_centroid(zip_code)
        if i % 2:  # alternate which goes first, so neither always meets a warmer cache
            timed_full(helpline, zip_code, service, full, found)
            timed_raw(r, geo, place, raw, raw_found)
        else:
            timed_raw(r, geo, place, raw, raw_found)
            timed_full(helpline, zip_code, service, full, found)
    return full, raw, found, raw_found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=2000, help="ZIPs per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (pairs of p99s); at least 3")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hidden", type=int, default=0, help="listings hidden by operators")
    opts = parser.parse_args()
    rng = random.Random(opts.seed)

    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as tmp:
        var = Path(tmp)
        url = ensure_embedded_server(var)
        try:
            key = new_data_key()
            settings = load_settings(
                redis_url=url, var_dir=var, data_key=key, secret_key="bench", findtreatment_api_url="off"
            )
            app = create_app(settings)
            helpline = app.extensions["helpline"]
            r = helpline.store._r
            started = time.perf_counter()
            sut = importer.read_directory_file(SUT)
            otp = importer.read_directory_file(OTP, default_services=importer.guess_services(OTP))
            sut_listings = tagged(sut.providers, rng)
            repository.replace_source(r, "samhsa", sut_listings, SUT.name, figures=sut.figures())
            version = repository.replace_source(r, "otp", otp.providers, OTP.name, figures=otp.figures())
            for p in random.Random(opts.seed + 1).sample(sut_listings, opts.hidden):
                repository.hide(r, p.id, "bench")
            meta = repository.meta(r, version)
            tags = ", ".join(f"{s} {meta['services'].get(s, 0):,}" for s in SERVICES)
            print(
                f"imported {sut.rows:,} + {otp.rows:,} rows as {meta['total']:,} listings "
                f"({meta['merged']:,} merged) in {time.perf_counter() - started:.1f} s; tagged: {tags}; "
                f"hidden: {opts.hidden}"
            )

            zips = [z["zip_code"] for z in zipcodes.list_all() if z.get("lat") and z.get("long")]
            one_round(helpline, [rng.choice(zips) for _ in range(300)], version)  # warm: scripts, pools
            columns = ("full p50", "full p99", "raw p50", "raw p99")
            print(f"{'round':>5}" + "".join(f"{c:>10}" for c in columns) + f"{'ratio':>8}  found full/raw")
            ratios, p50_ratios = [], []
            for n in range(1, max(3, opts.rounds) + 1):
                sample = [rng.choice(zips) for _ in range(opts.queries)]
                full, raw, found, raw_found = one_round(helpline, sample, version)
                ratio = percentile(full, 99) / percentile(raw, 99)
                ratios.append(ratio)
                p50_ratios.append(percentile(full, 50) / percentile(raw, 50))
                print(
                    f"{n:>5}{percentile(full, 50):10.3f}{percentile(full, 99):10.3f}"
                    f"{percentile(raw, 50):10.3f}{percentile(raw, 99):10.3f}{ratio:8.2f}  "
                    f"{statistics.mean(found):.2f}/{statistics.mean(raw_found):.2f} of 5"
                )
        finally:
            stop_embedded_server(var)

    low, mid, high = min(ratios), statistics.median(ratios), max(ratios)
    typical = statistics.median(p50_ratios)
    print(f"p50 full/raw (what the search adds in the typical case): median {typical:.2f}")
    rows = getattr(repository, "_listing", None)
    if rows is not None and hasattr(rows, "cache_info"):
        info = rows.cache_info()
        print(f"listing rows found already parsed: {info.hits / max(1, info.hits + info.misses):.0%}")
    verdict = "met" if mid <= GOAL else "NOT met"
    print(
        f"p99 full/raw over {len(ratios)} rounds: min {low:.2f}, median {mid:.2f}, max {high:.2f} "
        f"(goal <= {GOAL:g}: {verdict}{'' if high <= GOAL else f'; worst round over by {high - GOAL:.2f}'})"
    )


if __name__ == "__main__":
    main()
