"""Golden outputs: the nights whose outputs must not change when the code is reorganised.

Each case is a ``plms`` command line run from the project root with relative
paths (so the paths written into the summaries are the same on every machine).
``tests/test_golden.py`` runs every case into a temporary folder and compares
each ``events.tsv`` and ``summary.json`` with the copy kept in
``tests/data/golden``, field by field, except :data:`IGNORED_FIELDS`.

Regenerate the copies only for a change of behaviour that is meant, and say
which fields moved and why in the commit::

    .venv/bin/python tests/golden_cases.py
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden"

#: Summary fields that may differ between runs of the same behaviour.
IGNORED_FIELDS = frozenset({"plms_version"})

#: Case name -> arguments of ``plms`` (the ``--out`` folder is added).
CASES: dict[str, list[str]] = {}
for _rules in ("wasm2016", "aasm"):
    CASES[f"emg-sidecar-{_rules}"] = ["score", "data_samples/sample.edf", "--rules", _rules]
    CASES[f"accel-hypnogram-{_rules}"] = ["score", "data_samples/sample-ankles.edf",
                                          "--rules", _rules]
    CASES[f"accel-estimated-{_rules}"] = ["score", "data_samples/sample-ankles.edf",
                                          "--sleep", "estimate", "--rules", _rules]
    CASES[f"rescore-remlogic-{_rules}"] = ["rescore", "tests/data/remlogic_iso.txt",
                                           "tests/data/remlogic_clock.txt", "--rules", _rules]
    CASES[f"rescore-nsrr-{_rules}"] = ["rescore", "tests/data/shhs_like-nsrr.xml",
                                       "--rules", _rules]
    CASES[f"rescore-table-{_rules}"] = ["rescore", "tests/data/events_per_leg.tsv",
                                        "--rules", _rules]


def run_case(name: str, out: Path) -> list[Path]:
    """Run case ``name`` with its outputs in ``out``; the events and summary files written."""
    from plms.cli import main

    code = main([*CASES[name], "--out", str(out), "--force"])
    if code != 0:
        raise RuntimeError(f"golden case {name} exited with {code}")
    return sorted([*out.glob("*.events.tsv"), *out.glob("*.summary.json")])


def comparable_summary(path: Path) -> dict[str, object]:
    """A summary.json without the fields that may differ."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in IGNORED_FIELDS}


def write_all() -> None:
    """Run every case from the project root into ``tests/data/golden``."""
    import os

    os.chdir(ROOT)
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    for name in CASES:
        target = GOLDEN / name
        target.mkdir(parents=True)
        for path in run_case(name, target):
            print(path.relative_to(ROOT))


if __name__ == "__main__":
    sys.exit(write_all())
