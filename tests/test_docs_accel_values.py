"""The accelerometer levels stated in README.md and docs/ACCEL.md are the code's defaults.

One source: :class:`plms.signal.accel.AccelDetectorSettings` (and the rules preset for
the quiet period and the shortest movement). Changing a default without the
pages (or the other way round) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plms.signal.accel import AccelDetectorSettings
from plms.rules import WASM2016

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = AccelDetectorSettings()


def _number(pattern: str, text: str, where: str) -> float:
    found = re.findall(pattern, text)
    if not found:
        pytest.fail(f"{where}: no match for {pattern!r}")
    values = {float(v) for v in found}
    if len(values) != 1:
        pytest.fail(f"{where}: {pattern!r} states several values {sorted(values)}")
    return values.pop()


def test_readme_states_the_detector_defaults():
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert _number(r"onset at (\d+(?:\.\d+)?) mg", text, "README") == DEFAULTS.threshold_mg
    assert _number(r"offset below (\d+(?:\.\d+)?) mg", text, "README") == DEFAULTS.offset_mg
    quiet = _number(r"offset below \d+ mg for (\d+(?:\.\d+)?) s", text, "README")
    assert quiet == WASM2016.lm_offset_quiet_s
    shortest = _number(r"movements under (\d+(?:\.\d+)?) s dropped", text, "README")
    assert shortest == WASM2016.lm_min_duration_s
    assert "40 mg" not in text


def test_accel_doc_table_states_the_detector_defaults():
    text = (ROOT / "docs" / "ACCEL.md").read_text(encoding="utf-8")
    for name in ("threshold_mg", "offset_mg", "noise_factor", "held_fraction",
                 "min_held_to_sway", "min_coherence"):
        row = _number(rf"(?m)^\| `{name}` \| (\d+(?:\.\d+)?) \|", text, f"ACCEL.md {name}")
        assert row == getattr(DEFAULTS, name), name
    prose = " ".join(text.split())
    assert _number(r"`threshold_mg` \((\d+(?:\.\d+)?) mg", prose, "ACCEL.md") \
        == DEFAULTS.threshold_mg
    assert _number(r"`offset_mg` \((\d+(?:\.\d+)?) mg\)", prose, "ACCEL.md") \
        == DEFAULTS.offset_mg



def test_accel_doc_states_the_sleep_wake_defaults():
    """The sleep/wake settings the prose quotes (minutes, or a plain ratio) are the defaults."""
    from plms.signal.accel import SleepWakeSettings

    sw = SleepWakeSettings()
    prose = " ".join((ROOT / "docs" / "ACCEL.md").read_text(encoding="utf-8").split())
    minutes = {"isolation_s": sw.isolation_s, "onset_rescore_s": sw.onset_rescore_s}
    for name, seconds in minutes.items():
        stated = _number(rf"`{name}` \((\d+(?:\.\d+)?) min", prose, f"ACCEL.md {name}")
        assert stated * 60 == seconds, name
    assert _number(r"`rescore_ratio` \((\d+(?:\.\d+)?)\)", prose, "ACCEL.md") == sw.rescore_ratio
    assert _number(r"at most `rescore_s` \((\d+(?:\.\d+)?) min\)", prose, "ACCEL.md") * 60 \
        == sw.rescore_s
    assert _number(r"still period\*\* (\d+) min \(`min_inactive_s`", prose, "ACCEL.md") * 60 \
        == sw.min_inactive_s
