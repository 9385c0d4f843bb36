"""Reorganising the code changes no output (tests/golden_cases.py says how the copies are made).

Every golden case is scored again and its ``events.tsv`` must equal the kept
copy byte for byte, its ``summary.json`` field for field (but for
``golden_cases.IGNORED_FIELDS``).
"""

from __future__ import annotations

import json

import pytest

from golden_cases import CASES, GOLDEN, ROOT, comparable_summary, run_case


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_equal_the_golden_copies(name, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    written = run_case(name, tmp_path)
    kept = sorted([*(GOLDEN / name).glob("*.events.tsv"), *(GOLDEN / name).glob("*.summary.json")])
    assert [p.name for p in written] == [p.name for p in kept]
    for new, old in zip(written, kept, strict=True):
        if new.suffix == ".tsv":
            assert new.read_text(encoding="utf-8") == old.read_text(encoding="utf-8"), new.name
            continue
        got, want = comparable_summary(new), comparable_summary(old)
        changed = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
        assert not changed, (f"{name}: {new.name} differs in {changed}: "
                             + json.dumps({k: [want.get(k), got.get(k)] for k in changed})[:2000])
