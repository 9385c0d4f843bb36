"""The package layout (issue 13): modules where the data flow puts them.

Readers in ``plms.io`` (``psg``, ``accel``, ``annotations``), conditioning and
detection in ``plms.signal`` (``emg``, ``accel``), the rules in
``plms.scoring``, the pipelines in ``plms.pipeline``. The public names keep
working; the old flat modules are gone; the pipelines keep an excerpt without
importing ``plms.plots``; the accelerometer readers import one another one way
only; no module grows past the size limit. The import-layer contract itself
(``[tool.importlinter]`` in pyproject.toml) is run by ``python3 dev.py lint``.
"""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import plms

ROOT = Path(__file__).resolve().parents[1]
#: Longest module allowed in plms/, lines ("keep modules under ~500 lines").
MAX_MODULE_LINES = 500


@pytest.mark.parametrize(("public", "module"), [
    ("score_edf", "plms.pipeline.emg"),
    ("score_lms", "plms.pipeline.core"),
    ("score_accel", "plms.pipeline.accel"),
    ("rescore", "plms.pipeline.rescore"),
    ("detect_lm", "plms.signal.emg.detect"),
    ("compute_summary", "plms.scoring.indices"),
])
def test_top_level_names_come_from_the_new_modules(public: str, module: str) -> None:
    assert getattr(plms, public) is getattr(importlib.import_module(module), public)


def test_subpackages_re_export_their_readers_and_detectors() -> None:
    import plms.io
    import plms.io.accel
    import plms.io.accel.read
    import plms.signal.accel
    import plms.signal.accel.detect

    assert plms.io.read_accel is plms.io.accel.read_accel is plms.io.accel.read.read_accel
    assert plms.io.AccelSignal is plms.io.accel.AccelSignal
    assert plms.signal.accel.detect_lm_accel is plms.signal.accel.detect.detect_lm_accel
    assert plms.io.read_annotations.__module__ == "plms.io"
    assert callable(plms.io.read_recording) and callable(plms.io.choose_leg_channels)


@pytest.mark.parametrize("old", [
    "plms.accel", "plms.detect", "plms.conditioning", "plms.baseline", "plms.artifacts",
    "plms.cardiac", "plms.events", "plms.indices", "plms.pipeline_accel", "plms.rescoring",
    "plms.evaluation", "plms.cli_checks", "plms.io.edf", "plms.io.accel_csv", "plms.io.nsrr",
])
def test_the_old_flat_modules_are_gone(old: str) -> None:
    assert importlib.util.find_spec(old) is None, f"{old} still exists"


def test_an_emg_night_keeps_its_excerpt_without_importing_plots() -> None:
    """Eight bursts 20 s apart from 30 s make one PLM series: the default 90-s excerpt
    starts 5 s before its first movement (25 s) and ends at 115 s, 90 s x 200 Hz."""
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import plms
        from plms.api import EmgArrays

        fs, rng = 200.0, np.random.default_rng(0)
        left, right = rng.normal(0.0, 2.0, 60000), rng.normal(0.0, 2.0, 60000)
        for onset in np.arange(30.0, 190.0, 20.0):
            i = int(onset * fs)
            left[i:i + 300] += rng.normal(0.0, 40.0, 300)
        result = plms.score(EmgArrays(left=left, right=right, fs=fs))
        exc = result.details["emg_excerpt"]
        print(exc["start_s"], exc["end_s"], exc["series"], exc["legs"]["left"]["data"].size)
        print("plms.plots" in sys.modules, "matplotlib" in sys.modules)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    first, second = proc.stdout.split("\n")[:2]
    start, end, series, size = first.split()
    # the detector finds each onset on its 10-ms grid: within 0.05 s of the burst's
    assert float(start) == pytest.approx(25.0, abs=0.05)
    assert float(end) - float(start) == pytest.approx(90.0)
    assert (series, size) == ("1", "18000")
    assert second == "False False"


def test_the_accelerometer_readers_import_one_another_one_way() -> None:
    """The shared types (plms.io.accel._common) import no reader; no reader imports
    the dispatcher (plms.io.accel.read) back: the former read/csv/devices cycle is gone."""
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (test extra)")
    graph = grimp.build_graph("plms", exclude_type_checking_imports=True)
    readers = ("plms.io.accel.read", "plms.io.accel.csv", "plms.io.accel.devices")
    for reader in readers:
        assert graph.find_shortest_chain(importer="plms.io.accel._common",
                                         imported=reader) is None
    for fmt in ("plms.io.accel.csv", "plms.io.accel.devices"):
        assert graph.find_shortest_chain(importer=fmt, imported="plms.io.accel.read") is None
    assert graph.find_shortest_chain(importer="plms.pipeline.emg", imported="plms.plots") is None


def test_no_module_is_longer_than_the_limit() -> None:
    long = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / "plms").rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules above {MAX_MODULE_LINES} lines: {long}"
