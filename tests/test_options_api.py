"""Typed options, one API (``plms.score``), the all-or-none night writer, no hidden state."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

import plms
from plms.annotations import Annotations
from plms.api import EmgArrays
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.options import (
    AccelOptions,
    Channels,
    OutputOptions,
    RescoreOptions,
    ScoreOptions,
    rescore_options,
    score_options,
)

FS = 200.0
#: Onsets of the generated left-leg bursts, s: 8 movements 20 s apart (IMIs in 10-90 s).
ONSETS = np.arange(30.0, 30.0 + 20.0 * 8, 20.0)
BURST_S = 1.5


def _legs(seed: int = 0, duration_s: float = 300.0) -> tuple[np.ndarray, np.ndarray]:
    """Quiet EMG (sd 2 µV) on both legs; bursts (sd 40 µV, 1.5 s) on the left at ONSETS."""
    rng = np.random.default_rng(seed)
    n = int(FS * duration_s)
    left, right = rng.normal(0.0, 2.0, n), rng.normal(0.0, 2.0, n)
    for onset in ONSETS:
        start, length = int(onset * FS), int(BURST_S * FS)
        left[start:start + length] += rng.normal(0.0, 40.0, length)
    return left, right


@pytest.fixture(scope="module")
def arrays() -> EmgArrays:
    left, right = _legs()
    return EmgArrays(left=left, right=right, fs=FS)


# ------------------------------------------------------------------ options
@pytest.mark.parametrize(("build", "words"), [
    (lambda: ScoreOptions(rules="wasm"), ["wasm2016", "aasm"]),
    (lambda: ScoreOptions(modality="ecg"), ["auto", "emg", "accel"]),
    (lambda: ScoreOptions(unit="furlongs"), ["uV", "m/s^2"]),
    (lambda: ScoreOptions(unit="mg", modality="emg"), ["mV"]),
    (lambda: ScoreOptions(threads=0), ["1 or more"]),
    (lambda: AccelOptions(sleep="guess"), ["auto", "estimate", "hypnogram"]),
    (lambda: AccelOptions(side="middle"), ["left", "right"]),
    (lambda: AccelOptions(fs=-5.0), ["positive"]),
    (lambda: AccelOptions(threshold_mg=float("nan")), ["positive"]),
    (lambda: OutputOptions(write=("pdf",)), ["edf-annotations", "edf-copy", "nsrr-xml"]),
    (lambda: OutputOptions(write="nsrr-xml"), ["tuple"]),
    (lambda: RescoreOptions(fmt="docx"), ["remlogic", "nsrr", "csv"]),
    (lambda: Channels(left=3), ["label"]),
])
def test_options_refuse_bad_values_naming_the_allowed_ones(build, words):
    with pytest.raises(ValueError) as caught:
        build()
    for word in words:
        assert word in str(caught.value)


def test_options_are_frozen_picklable_and_built_from_flat_names():
    opts = score_options(rules="aasm", left="EMG L", accel_threshold=20.0, write="nsrr-xml",
                         report=True, threads=1)
    assert (opts.rules, opts.channels.left, opts.accel.threshold_mg) == ("aasm", "EMG L", 20.0)
    assert opts.outputs == OutputOptions(write=("nsrr-xml",), report=True)
    assert opts.threads == 1 and opts.accel.sleep == "auto"          # untouched default
    assert pickle.loads(pickle.dumps(opts)) == opts
    with pytest.raises(AttributeError):
        opts.rules = "wasm2016"  # type: ignore[misc]
    with pytest.raises(TypeError, match="colour"):
        score_options(colour="red")
    assert rescore_options(format="nsrr").fmt == "nsrr"
    with pytest.raises(TypeError, match="left"):
        rescore_options(left="EMG L")                        # not an option of rescore


def test_rule_presets_are_read_only():
    from plms.rules import PRESETS, WASM2016

    assert isinstance(PRESETS, MappingProxyType)
    with pytest.raises(TypeError):
        PRESETS["wasm2016"] = replace(WASM2016, imi_min_s=1.0)  # type: ignore[index]
    assert plms.get_rules("wasm2016").imi_min_s == 10.0


# ------------------------------------------------------------------ plms.score
def test_score_on_arrays_finds_the_generated_movements(arrays):
    result = plms.score(arrays)
    ev = result.events
    assert len(ev) == len(ONSETS)
    assert np.allclose(ev["onset"], ONSETS, atol=0.1)
    assert np.allclose(ev["duration"], BURST_S, atol=0.1)
    assert set(ev["side"]) == {"left"}
    s = result.summary
    assert s["n_plm"] == 8                      # one series of 8, IMIs of 20 s
    assert s["modality"] == "emg" and s["file"] == "arrays" and result.stem == "night"
    assert s["recording_duration_s"] == pytest.approx(300.0)
    assert s["lm_index_recording"] == pytest.approx(8 / (300 / 3600))   # 96/h
    assert s["sleep_source"] is None            # no hypnogram


def test_score_on_arrays_takes_the_unit(arrays):
    left, right = _legs()
    in_mv = plms.score(EmgArrays(left=left / 1000.0, right=right / 1000.0, fs=FS, unit="mV"))
    assert np.allclose(in_mv.events["onset"], plms.score(arrays).events["onset"])
    with pytest.raises(ValueError, match="uV"):
        EmgArrays(left=left, right=right, fs=FS, unit="mg")
    with pytest.raises(ValueError, match="positive"):
        EmgArrays(left=left, right=right, fs=0.0)
    with pytest.raises(PlmsInputError, match="differ in length"):
        plms.score(EmgArrays(left=left, right=right[:-10], fs=FS))


def test_score_refuses_unknown_options_and_accel_arrays(arrays):
    with pytest.raises(TypeError, match="colour"):
        plms.score(arrays, colour="red")
    with pytest.raises(ValueError, match="a path or a list of two paths"):
        plms.score(arrays, modality="accel")


def test_threads_are_an_option_not_a_global(arrays, monkeypatch):
    """threads=1 conditions both legs in the calling thread; the default uses one
    thread per leg. There is no module-level setting any more."""
    import plms.pipeline.core
    import plms.pipeline.emg as pipeline

    assert not hasattr(plms.pipeline.core, "LEG_THREADS")
    assert not hasattr(pipeline, "LEG_THREADS")
    seen: list[str] = []
    real = pipeline.condition_leg

    def spy(*args, **kwargs):
        seen.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "condition_leg", spy)
    plms.score(arrays, threads=1, keep_excerpt=False)
    assert seen == [threading.current_thread().name] * 2
    seen.clear()
    plms.score(arrays, keep_excerpt=False)
    assert len(seen) == 2 and threading.current_thread().name not in seen


def test_details_are_complete_when_the_result_is_built(arrays, monkeypatch):
    """The pipelines build ScoreResult once: a result whose details cannot be changed
    afterwards still gets the detections, annotations and excerpt."""
    import plms.pipeline.core as pipeline
    from plms.result import ScoreResult

    def frozen(**kwargs):
        kwargs["details"] = MappingProxyType(dict(kwargs["details"]))
        return ScoreResult(**kwargs)

    monkeypatch.setattr(pipeline, "ScoreResult", frozen)
    result = plms.score(arrays)
    assert set(result.details) == {"rules_inputs", "detections", "annotations", "emg_excerpt"}


def test_no_excerpt_is_kept_unless_asked(arrays, monkeypatch):
    import plms.pipeline.emg

    def refuse(*args, **kwargs):
        raise AssertionError("the excerpt was computed")

    monkeypatch.setattr(plms.pipeline.emg, "emg_excerpt", refuse)
    result = plms.score(arrays, keep_excerpt=False)
    assert "emg_excerpt" not in result.details and "detections" in result.details


def test_score_dispatches_files_by_modality(tmp_path):
    from plms.simulate import (
        AccelSpec,
        NightSpec,
        simulate_accel_night,
        simulate_night,
        write_accel_edf,
        write_edf,
    )

    emg = write_edf(simulate_night(seed=3, spec=NightSpec(duration_h=0.05, fs_leg=200)),
                    tmp_path / "emg.edf", extra_channels=False)
    accel = write_accel_edf(simulate_accel_night(seed=3, spec=AccelSpec(duration_h=0.05)),
                            tmp_path / "ankles.edf")
    assert plms.score(emg).summary["modality"] == "emg"
    assert plms.score(accel).summary["modality"] == "accel"
    with pytest.raises(PlmsInputError, match="no leg EMG|leg"):
        plms.score(accel, modality="emg")
    with pytest.raises(PlmsInputError, match="per-ankle files"):
        plms.score([tmp_path / "n1-left.csv", tmp_path / "n1-right.csv"], modality="emg")


# ------------------------------------------------------------------ writing a night
def test_write_night_is_all_or_none_from_python(arrays, tmp_path, monkeypatch):
    import plms.outputs
    from plms.outputs import write_night

    result = plms.score(arrays, keep_excerpt=False)
    written = write_night(result, tmp_path / "ok")
    assert [p.name for p in written] == ["night.events.tsv", "night.summary.json"]

    def broken(result, out_dir, formats, *, source_edf=None):
        (Path(out_dir) / "night.plms-nsrr.xml").write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(plms.outputs, "write_extras", broken)
    with pytest.raises(OSError, match="disk full"):
        write_night(result, tmp_path / "bad", ["nsrr-xml"])
    assert list((tmp_path / "bad").iterdir()) == []      # nothing, not even a staging folder


def test_score_night_writes_the_files_and_refuses_edf_copy_of_arrays(arrays, tmp_path):
    from plms.api import score_night

    done = score_night(arrays, tmp_path, write="nsrr-xml")
    assert [p.name for p in done.paths] == ["night.events.tsv", "night.summary.json",
                                             "night.plms-nsrr.xml"]
    assert "emg_excerpt" not in done.result.details        # no report asked for
    with pytest.raises(PlmsInputError, match="edf-copy needs an EDF"):
        score_night(arrays, tmp_path / "copy", write="edf-copy")
    assert not (tmp_path / "copy").exists()


# ------------------------------------------------------------------ one summary header
def _scored_file(tmp_path: Path, with_hypnogram: bool) -> Annotations:
    lms = pd.DataFrame({"onset": [600.0, 620, 640, 660], "duration": 2.0, "side": "left"})
    hyp = Hypnogram.from_labels(["N2"] * 60) if with_hypnogram else None
    return Annotations(hypnogram=hyp, leg_movements=lms)


@pytest.mark.parametrize(("with_hypnogram", "expected"), [(True, "hypnogram"), (False, None)])
def test_rescore_summary_says_where_sleep_comes_from(tmp_path, with_hypnogram, expected):
    summary = plms.rescore(_scored_file(tmp_path, with_hypnogram)).summary
    assert "sleep_source" in summary and summary["sleep_source"] == expected


def test_every_pipeline_writes_the_header_in_one_order(arrays):
    """EMG and rescore share the header builder: their common fields come in the same
    order, plms_version first, and the figures after the header."""
    emg = list(plms.score(arrays, keep_excerpt=False).summary)
    scored = list(plms.rescore(_scored_file(Path("."), True)).summary)
    common = [k for k in emg if k in scored]
    assert common == [k for k in scored if k in emg]
    assert emg[:6] == ["plms_version", "file", "recording_start", "recording_duration_s",
                       "modality", "sleep_source"]
    assert emg.index("annotations_source") < emg.index("rules")


# ------------------------------------------------------------------ layering
def test_nothing_imports_the_command_line_but_its_entry_point():
    root = Path(plms.__file__).parent
    pattern = re.compile(r"(from\s+plms\s+import\s+cli\b|plms\.cli\b(?!_))")
    users = [p.relative_to(root).as_posix() for p in root.rglob("*.py")
             if p.name != "cli.py" and pattern.search(p.read_text(encoding="utf-8"))]
    assert users == []


def test_a_python_batch_runs_without_the_command_line(tmp_path):
    """run_batch in a fresh interpreter: the workers get typed options, plms.cli and
    argparse's parser of plms are never loaded."""
    from plms.simulate import NightSpec, simulate_night, write_edf

    edf = write_edf(simulate_night(seed=4, spec=NightSpec(duration_h=0.05, fs_leg=200)),
                    tmp_path / "n4.edf", extra_channels=False)
    code = ("import sys, plms.batch as b; "
            f"t = b.run_batch([{str(edf)!r}], {str(tmp_path / 'out')!r}, jobs=1, rules='aasm'); "
            "print(list(t.status), list(t.rules), 'plms.cli' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "['ok'] ['aasm'] False"


def test_run_batch_takes_typed_options(tmp_path):
    from plms.batch import run_batch

    with pytest.raises(ValueError, match="RescoreOptions"):
        run_batch([tmp_path], tmp_path / "out", command="rescore", options=ScoreOptions())
    with pytest.raises(ValueError, match="exactly one night"):
        run_batch([tmp_path / "a.edf", tmp_path / "b.edf"], tmp_path / "out",
                  options=ScoreOptions(annotations="night.xml"))


def test_resume_reads_outputs_through_the_results_reader(tmp_path):
    """A night whose summary.json is no plms summary (here '{}': no rules, no version) is
    not complete: the resumed run scores it again instead of copying empty figures."""
    from plms.batch import run_batch
    from plms.io.results import read_summary_json
    from plms.simulate import NightSpec, simulate_night, write_edf

    edf = write_edf(simulate_night(seed=6, spec=NightSpec(duration_h=0.05, fs_leg=200)),
                    tmp_path / "n6.edf", extra_channels=False)
    out = tmp_path / "out"
    first = run_batch([edf], out, jobs=1)
    assert list(first.status) == ["ok"] and first.n_lm.iloc[0] is not pd.NA
    (out / "n6.summary.json").write_text("{}")
    again = run_batch([edf], out, jobs=1)
    assert list(again.status) == ["ok"]
    assert again.n_lm.iloc[0] == first.n_lm.iloc[0] and again.rules.iloc[0] == "wasm2016"
    assert read_summary_json(out / "n6.summary.json")["rules"] == "wasm2016"


@pytest.mark.parametrize(("fs", "used"), [(64.0, False), (256.0, True)])
def test_arrays_ecg_below_the_r_peak_rate_is_not_used(fs, used):
    """An ECG array at 64 Hz cannot give R peaks (100 Hz needed): left out, with a warning."""
    n = int(60 * fs)
    rng = np.random.default_rng(0)
    rec = EmgArrays(rng.standard_normal(n), rng.standard_normal(n), fs,
                    ecg=rng.standard_normal(n)).recording()
    assert (rec.ecg is not None) == used
    notes = [w for w in rec.warnings if "'ECG'" in w]
    if used:
        assert notes == []
    else:
        assert len(notes) == 1 and "64 Hz" in notes[0] and "at least 100 Hz" in notes[0]
