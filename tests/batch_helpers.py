"""A small cohort of generated nights, a few of them corrupt, for the batch tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from plms.simulate import NightSpec, simulate_night, write_edf

SPEC = NightSpec(duration_h=0.06, fs_leg=200, plm_severity=60.0)
#: The good nights (relative paths); one in a subfolder, one with an upper-case suffix.
GOOD = ("n1.edf", "n2.edf", "n3.edf", "N4.EDF", "visit2/n5.edf")
#: The corrupt ones and a word their error must hold.
BAD = {"bad_truncated.edf": "truncated", "bad_not_edf.edf": "not an EDF", "bad_no_legs.edf": "leg"}


def make_cohort(folder: Path) -> Path:
    """Write the cohort into ``folder``; return it."""
    for seed, name in enumerate(GOOD, start=40):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_edf(simulate_night(seed, SPEC), path, extra_channels=False)
    data = (folder / "n1.edf").read_bytes()
    (folder / "bad_truncated.edf").write_bytes(data[: len(data) // 2])
    (folder / "bad_not_edf.edf").write_text("this is a text file, not an EDF\n" * 20)
    spec = dataclasses.replace(SPEC, leg_labels=("Chin A", "Chin B"))
    write_edf(simulate_night(1, spec), folder / "bad_no_legs.edf", extra_channels=False)
    (folder / "notes.txt").write_text("not a recording: ignored")
    return folder


def night_files(out: Path) -> dict[str, bytes]:
    """Every file below ``out`` but the run's table, with its content."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "summary.csv"}


def read_table(out: Path) -> pd.DataFrame:
    from plms.batch import read_summary

    return read_summary(out / "summary.csv")
