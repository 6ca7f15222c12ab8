"""Crisis detector on the labelled corpora: recall and false alarms per file and language, every miss, speed.

    python bench/crisis.py [--lexicon config/crisis.yaml] [FILE.tsv ...]

Reads every tests/data/crisis_*.tsv (label: overdose | suicide | ordinary): the tuned corpus
(crisis_messages.tsv) and the held-out batches written without looking at the lexicon
(crisis_unseen*.tsv). Recall is the share of crisis messages detected; a false alarm is an
ordinary message taken for a crisis. Goal: 100 % recall in both languages, false alarms under
5 %. Exits 1 when a crisis message is missed.
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
from tests.corpus import DATA, Labelled, read_labelled  # noqa: E402

CRISIS_FILES = sorted(DATA.glob("crisis_*.tsv"))


def _table_row(name: str, rows: list[Labelled], lexicon: CrisisLexicon, lang: str) -> tuple[str, list, list]:
    crisis = [r for r in rows if r.lang == lang and r.label != "ordinary"]
    ordinary = [r for r in rows if r.lang == lang and r.label == "ordinary"]
    missed = [r for r in crisis if lexicon.detect(r.text) is None]
    alarms = [r for r in ordinary if lexicon.detect(r.text)]
    recall = 1 - len(missed) / len(crisis) if crisis else 1.0
    rate = len(alarms) / len(ordinary) if ordinary else 0.0
    line = (
        f"{name:<24} {lang:<4} {len(crisis):>6} {len(ordinary):>8} {recall:>8.1%} "
        f"{rate:>6.1%} ({len(alarms)}/{len(ordinary)})"
    )
    return line, missed, alarms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lexicon", type=Path, default=LEXICON_FILE)
    parser.add_argument("files", nargs="*", type=Path, default=CRISIS_FILES)
    args = parser.parse_args()
    lexicon = CrisisLexicon.load(args.lexicon)
    corpora = {path.name: read_labelled(path) for path in args.files}
    everything = [row for rows in corpora.values() for row in rows]
    if len(corpora) > 1:
        corpora["all files"] = everything

    missed, false_alarms, wrong_kind = [], [], []
    print(f"{'file':<24} {'lang':<4} {'crisis':>6} {'ordinary':>8} {'recall':>8} {'false alarms':>13}")
    for name, rows in corpora.items():
        for lang in sorted({r.lang for r in rows}):
            line, file_missed, file_alarms = _table_row(name, rows, lexicon, lang)
            print(line)
            if name != "all files":
                missed += [(name, r) for r in file_missed]
                false_alarms += [(name, r) for r in file_alarms]
    for name, rows in corpora.items():
        if name == "all files":
            continue
        for row in (r for r in rows if r.label != "ordinary"):
            signal = lexicon.detect(row.text)
            if signal and row.label not in signal.kinds:
                wrong_kind.append((name, row, signal.kind))

    for title, items in (("Missed crisis messages", missed), ("False alarms", false_alarms)):
        print(f"\n{title}: {len(items)}")
        for name, row in items:
            print(f"  {name}:{row.line} [{row.lang}] {row.text}")
    if wrong_kind:
        print(f"\nCrisis caught, reply of another kind: {len(wrong_kind)}")
        for name, row, kind in wrong_kind:
            print(f"  {name}:{row.line} [{row.lang}] labelled {row.label}, detected {kind}: {row.text}")

    # CPU time of this thread, not wall time: other processes on a shared machine do not count.
    fresh = CrisisLexicon.load(args.lexicon)
    first = [_cpu_us(fresh, row.text) for row in everything]  # every word new to the lexicon
    again = [_cpu_us(fresh, row.text + " ") for _ in range(5) for row in everything]  # words seen before
    for title, timings in (("words never seen", first), ("words seen before", again)):
        timings.sort()
        print(
            f"\nspeed, {title}: {len(timings)} detections, median {statistics.median(timings):.0f} us, "
            f"p99 {timings[int(len(timings) * 0.99)]:.0f} us, max {timings[-1]:.0f} us (CPU time)",
            end="",
        )
    print()
    return 1 if missed else 0


def _cpu_us(lexicon: CrisisLexicon, text: str) -> float:
    start = time.thread_time()
    lexicon.detect(text)  # a new string each time: the per-text cache does not answer
    return (time.thread_time() - start) * 1e6


if __name__ == "__main__":
    sys.exit(main())
