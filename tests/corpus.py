"""The labelled message corpora in tests/data/: read by the corpus tests and bench/crisis.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CRISIS_MESSAGES = DATA / "crisis_messages.tsv"
OPT_OUT_MESSAGES = DATA / "opt_out_messages.tsv"


@dataclass(frozen=True)
class Labelled:
    label: str
    lang: str
    text: str
    line: int


def read_labelled(path: Path) -> list[Labelled]:
    """`label<TAB>lang<TAB>text` lines; `#` starts a comment line."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, lang, text = line.split("\t", 2)
        rows.append(Labelled(label, lang, text, number))
    return rows
