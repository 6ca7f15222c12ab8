"""Benchmark ZIP -> 5 nearest providers (with services) against a raw Redis GEOSEARCH, in one run.

    python bench/search.py [--queries 3000] [--seed 7]

Imports ../shared/data/substance-use-treatment-geocoded.csv (14,034 rows) into a throwaway
embedded Redis, then for random US ZIPs times, interleaved:
  - full:   places.zip_centroid(zip) + directory.search.find_providers(app, place, limit=5)
  - search: find_providers alone (the place already known)
  - raw:    GEOSEARCH FROMLONLAT .. BYRADIUS 10 mi ASC COUNT 5 WITHDIST on the same GEO set
and prints p50/p99 of each and the p99 ratio the goal is stated in (search/raw <= 2).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import zipcodes  # noqa: E402

from config.settings import load_settings  # noqa: E402
from helpline import create_app  # noqa: E402
from helpline.domain import places
from helpline.infra.embedded_redis import ensure_embedded_server, stop_embedded_server  # noqa: E402
from helpline.services import directory_import as importer  # noqa: E402
from helpline.services.provider_search import find_providers  # noqa: E402
from helpline.store import Keys, new_data_key  # noqa: E402
from helpline.store import directory as repository

DATA = ROOT.parent / "shared" / "data" / "substance-use-treatment-geocoded.csv"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as tmp:
        var = Path(tmp)
        url = ensure_embedded_server(var)
        try:
            settings = load_settings(
                redis_url=url,
                var_dir=var,
                data_key=new_data_key(),
                secret_key="bench",
                findtreatment_api_url="off",
            )
            app = create_app(settings)
            r = app.extensions["helpline"].store.r
            started = time.perf_counter()
            providers = importer.read_directory_file(DATA)
            version = repository.replace_source(r, "samhsa", providers, DATA.name)
            print(
                f"imported {len(providers)} rows in {time.perf_counter() - started:.2f} s (version {version})"
            )

            rng = random.Random(opts.seed)
            zips = [z["zip_code"] for z in zipcodes.list_all() if z.get("lat") and z.get("long")]
            sample = [rng.choice(zips) for _ in range(opts.queries)]
            geo = Keys.directory_geo(version, repository.ALL)
            for z in sample[:200]:  # warm: ZIP data, script cache, connections
                find_providers(app, places.zip_centroid(z), limit=5)

            full, search, raw, found, radii = [], [], [], [], []
            with app.app_context():
                for z in sample:
                    t0 = time.perf_counter()
                    place = places.zip_centroid(z)
                    t1 = time.perf_counter()
                    result = find_providers(app, place, limit=5)
                    t2 = time.perf_counter()
                    r.geosearch(
                        geo,
                        longitude=place.lng,
                        latitude=place.lat,
                        radius=10,
                        unit="mi",
                        sort="ASC",
                        count=5,
                        withdist=True,
                    )
                    t3 = time.perf_counter()
                    full.append((t2 - t0) * 1000)
                    search.append((t2 - t1) * 1000)
                    raw.append((t3 - t2) * 1000)
                    found.append(len(result.providers))
                    radii.append(result.radius_miles)
        finally:
            stop_embedded_server(var)

    print(
        f"queries: {opts.queries} random ZIPs (seed {opts.seed}); mean found {statistics.mean(found):.2f}/5"
    )
    print("radius reached: " + ", ".join(f"{m} mi {radii.count(m)}" for m in (10, 25, 50, 100)))
    print(f"{'':34}{'p50 ms':>10}{'p99 ms':>10}")
    for name, values in (
        ("full (ZIP lookup + find_providers)", full),
        ("search (find_providers)", search),
        ("raw GEOSEARCH 10 mi COUNT 5", raw),
    ):
        print(f"{name:34}{percentile(values, 50):10.3f}{percentile(values, 99):10.3f}")
    ratio = percentile(search, 99) / percentile(raw, 99)
    full_ratio = percentile(full, 99) / percentile(raw, 99)
    print(f"p99 ratio search/raw: {ratio:.2f}  (goal <= 2: {'met' if ratio <= 2 else 'NOT met'})")
    print(f"p99 ratio full/raw:   {full_ratio:.2f}  (includes the zipcodes lookup, which raw does not do)")


if __name__ == "__main__":
    main()
