"""Crisis detector on the labelled corpus: recall and false alarms per language, every miss, and speed.

    python bench/crisis.py [--lexicon config/crisis.yaml]

Reads tests/data/crisis_messages.tsv (label: overdose | suicide | ordinary). Recall is the share of
crisis messages detected; a false alarm is an ordinary message taken for a crisis. Goal: 100 %
recall in both languages, false alarms under 5 %. Exits 1 when a crisis message is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpline.domain.crisis import LEXICON_FILE, CrisisLexicon  # noqa: E402
from tests.corpus import CRISIS_MESSAGES, read_labelled  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lexicon", type=Path, default=LEXICON_FILE)
    args = parser.parse_args()
    lexicon = CrisisLexicon.load(args.lexicon)
    rows = read_labelled(CRISIS_MESSAGES)

    missed, false_alarms, wrong_kind = [], [], []
    print(f"{'lang':<5} {'crisis':>6} {'ordinary':>8} {'recall':>8} {'false alarms':>13}")
    for lang in sorted({r.lang for r in rows}):
        crisis = [r for r in rows if r.lang == lang and r.label != "ordinary"]
        ordinary = [r for r in rows if r.lang == lang and r.label == "ordinary"]
        caught = 0
        for row in crisis:
            signal = lexicon.detect(row.text)
            if signal is None:
                missed.append(row)
                continue
            caught += 1
            if row.label not in signal.kinds:
                wrong_kind.append((row, signal.kind))
        alarms = [r for r in ordinary if lexicon.detect(r.text)]
        false_alarms += alarms
        recall = caught / len(crisis) if crisis else 1.0
        rate = len(alarms) / len(ordinary) if ordinary else 0.0
        print(
            f"{lang:<5} {len(crisis):>6} {len(ordinary):>8} {recall:>8.1%} "
            f"{rate:>6.1%} ({len(alarms)}/{len(ordinary)})"
        )

    for title, items in (("Missed crisis messages", missed), ("False alarms", false_alarms)):
        print(f"\n{title}: {len(items)}")
        for row in items:
            print(f"  line {row.line} [{row.lang}] {row.text}")
    if wrong_kind:
        print(f"\nCrisis caught, reply of another kind: {len(wrong_kind)}")
        for row, kind in wrong_kind:
            print(f"  line {row.line} [{row.lang}] labelled {row.label}, detected {kind}: {row.text}")

    timings = []
    for _ in range(5):
        for row in rows:
            start = time.perf_counter()
            lexicon.detect(row.text + " ")  # a new string each time: the per-text cache does not answer
            timings.append((time.perf_counter() - start) * 1e6)
    timings.sort()
    print(
        f"\nspeed: {len(timings)} detections, median {statistics.median(timings):.0f} us, "
        f"p99 {timings[int(len(timings) * 0.99)]:.0f} us"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
