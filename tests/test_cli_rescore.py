"""End-to-end: ``plms rescore`` (and ``--write`` on both commands).

A bad file gives one clear line naming the file, a non-zero exit, no output
for it, and the other files of the same run are still rescored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import plms.outputs
from cli_helpers import output_names, run_cli
from plms.cli import RESCORE_FORMATS, main
from plms.pipeline.rescore import FORMATS
from test_rescore import NIGHT1_AROUSALS, NIGHT1_LMS, NIGHT2_APNEAS, NIGHT2_LMS, write_nsrr


_run = run_cli
_outputs = output_names


MAIN = ["{}.events.json", "{}.events.tsv", "{}.summary.json"]


def _main_files(*stems):
    return sorted(name.format(s) for s in stems for name in MAIN)


@pytest.fixture
def nights(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    return (write_nsrr(src / "night1.xml", NIGHT1_LMS, arousals=NIGHT1_AROUSALS),
            write_nsrr(src / "night2.xml", NIGHT2_LMS, apneas=NIGHT2_APNEAS))


def test_formats_match():
    assert RESCORE_FORMATS == FORMATS


def test_rescore_writes_events_and_summary(nights, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = _run(["rescore", *nights, "--out", out_dir], capsys)
    assert code == 0, err
    assert _outputs(out_dir) == _main_files("night1", "night2")
    assert "2 of 2 night(s) rescored" in out and "PLMS index" in out
    s1 = json.loads((out_dir / "night1.summary.json").read_text())
    s2 = json.loads((out_dir / "night2.summary.json").read_text())
    # the hand-checked figures of tests/test_rescore.py
    assert (s1["plms_index"], s1["plmw_index"], s1["n_lm"]) == (5.0, 24.0, 14)
    assert (s2["plms_index"], s2["plms_index_incl_resp"]) == (4.0, 16.0)
    assert s2["plmw_index"] == 0.0
    assert s1["modality"] == "scored" and s1["channels"] is None
    assert any("0 s (as some exports write them)" in w for w in s1["warnings"])
    events = pd.read_csv(out_dir / "night1.events.tsv", sep="\t", na_values="n/a")
    assert list(events.columns[:11]) == ["onset", "duration", "side", "stage", "clm", "resp",
                                         "arousal", "plm", "series", "imi", "peak_uv"]
    assert len(events) == 14 and int(events.plm.sum()) == 9


def test_rescore_aasm(nights, tmp_path, capsys):
    code, _, err = _run(["rescore", nights[0], "--out", tmp_path, "--rules", "aasm",
                         "--format", "nsrr"], capsys)
    assert code == 0, err
    s = json.loads((tmp_path / "night1.summary.json").read_text())
    assert s["rules"] == "aasm" and s["plms_index"] == 8.0 and s["plmw_index"] is None


def _malformed(path: Path) -> Path:
    path.write_text('<?xml version="1.0"?>\n<PSGAnnotation>\n<ScoredEvents>\n</Oops>\n')
    return path


def _bad_time(path: Path) -> Path:
    path.write_text('<?xml version="1.0"?>\n<PSGAnnotation><ScoredEvents>'
                    "<ScoredEvent><EventType>Stages|Stages</EventType>"
                    "<EventConcept>Wake|0</EventConcept><Start>0</Start>"
                    "<Duration>30</Duration></ScoredEvent>"
                    "<ScoredEvent><EventType>Limb Movement|Limb Movement</EventType>"
                    "<EventConcept>Limb movement - left|Limb Movement (Left)</EventConcept>"
                    "<Start>abc</Start><Duration>1</Duration></ScoredEvent>"
                    "</ScoredEvents></PSGAnnotation>\n")
    return path


def _nothing(path: Path) -> Path:
    path.write_text('<?xml version="1.0"?>\n<PSGAnnotation><ScoredEvents/></PSGAnnotation>\n')
    return path


@pytest.mark.parametrize("kind, words", [
    ("malformed", "line 4"),
    ("bad_time", "scored event 2"),
    ("nothing", "nothing to rescore"),
    ("missing", "does not exist"),
])
def test_bad_file_among_good_ones(kind, words, nights, tmp_path, capsys):
    bad = tmp_path / "in" / f"bad_{kind}.xml"
    {"malformed": _malformed, "bad_time": _bad_time, "nothing": _nothing,
     "missing": lambda p: p}[kind](bad)
    out_dir = tmp_path / "out"
    code, out, err = _run(["rescore", nights[0], bad, nights[1], "--out", out_dir], capsys)
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert str(bad) in lines[0] and words in lines[0]
    assert "Traceback" not in err
    assert _outputs(out_dir) == _main_files("night1", "night2")
    assert "2 of 3 night(s) rescored" in out


def test_same_stem_twice_refuses_the_second(nights, tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    twin = write_nsrr(other / "night1.xml", NIGHT2_LMS)
    out_dir = tmp_path / "out"
    code, _, err = _run(["rescore", nights[0], twin, "--out", out_dir], capsys)
    assert code == 1
    assert str(twin) in err and "same name stem" in err
    assert _outputs(out_dir) == _main_files("night1")
    s = json.loads((out_dir / "night1.summary.json").read_text())
    assert s["source"] == str(nights[0])


def test_unknown_format_is_a_usage_error(nights, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["rescore", str(nights[0]), "--out", str(tmp_path), "--format", "docx"])
    assert exc.value.code == 2
    assert "remlogic" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["score", "rescore"])
def test_unknown_write_is_a_usage_error(command, nights, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, str(nights[0]), "--out", str(tmp_path / "o"), "--write", "pdf,nsrr-xml"])
    assert exc.value.code == 2
    assert "--write" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_debug_shows_the_traceback(tmp_path, capsys):
    code, _, err = _run(["rescore", _malformed(tmp_path / "x.xml"), "--out", tmp_path / "o",
                         "--debug"], capsys)
    assert code == 1 and "Traceback" in err


# --------------------------------------------------------------------------
# --write: all or nothing with the main files (the writers are stubbed here, so
# that these tests hold whatever plms.outputs provides; see the real run below)
# --------------------------------------------------------------------------
@pytest.fixture
def fake_writer(monkeypatch):
    calls = []

    def write_extras(result, out_dir, formats, *, source_edf=None):
        calls.append((result.stem, tuple(formats), source_edf))
        if result.stem == "night2":
            raise OSError("disk full")
        paths = {}
        for fmt in formats:
            path = Path(out_dir) / f"{result.stem}.{fmt}.txt"
            path.write_text("x")
            paths[fmt] = path
        return paths

    monkeypatch.setattr(plms.outputs, "EXTRA_FORMATS",
                        ("edf-annotations", "edf-copy", "nsrr-xml"), raising=False)
    monkeypatch.setattr(plms.outputs, "write_extras", write_extras, raising=False)
    return calls


def test_write_extras_all_or_nothing(fake_writer, nights, tmp_path, capsys):
    out_dir = tmp_path / "out"
    # --jobs 1: in this process, where the writers are stubbed (workers would not see it)
    code, out, err = _run(["rescore", *nights, "--out", out_dir, "--write",
                           "nsrr-xml,edf-annotations", "--jobs", "1"], capsys)
    assert code == 1
    assert "night2" in err and "disk full" in err and len(err.strip().splitlines()) == 1
    # night1 complete with its extras; night2: nothing, not even its main files
    assert _outputs(out_dir) == sorted(_main_files("night1") + [
        "night1.edf-annotations.txt", "night1.nsrr-xml.txt"])
    assert fake_writer[0] == ("night1", ("nsrr-xml", "edf-annotations"), None)
    assert "night1.nsrr-xml.txt" in out


def test_write_edf_copy_needs_an_edf(fake_writer, nights, tmp_path, capsys):
    code, _, err = _run(["rescore", nights[0], "--out", tmp_path / "o", "--write", "edf-copy"],
                        capsys)
    assert code == 1 and "edf-copy" in err and str(nights[0]) in err
    assert not fake_writer and _outputs(tmp_path / "o") == []


@pytest.mark.skipif(not hasattr(plms.outputs, "write_extras"),
                    reason="plms.outputs has no extra writers yet")
def test_real_extra_writers(nights, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, _, err = _run(["rescore", nights[1], "--out", out_dir, "--write",
                         "nsrr-xml,edf-annotations"], capsys)
    assert code == 0, err
    names = _outputs(out_dir)
    assert set(_main_files("night2")) <= set(names) and len(names) > 3
    assert not [n for n in names if n.startswith(".")]


@pytest.fixture(scope="module")
def small_edf(tmp_path_factory):
    from plms.simulate import NightSpec, simulate_night, write_edf

    night = simulate_night(seed=7, spec=NightSpec(duration_h=0.1, fs_leg=256, plm_severity=60.0))
    return write_edf(night, tmp_path_factory.mktemp("edf") / "small.edf", extra_channels="light")


def test_score_write_gives_the_source_edf(fake_writer, small_edf, tmp_path, capsys):
    code, _, err = _run(["score", small_edf, "--out", tmp_path, "--write", "edf-copy"], capsys)
    assert code == 0, err
    assert fake_writer == [("small", ("edf-copy",), Path(str(small_edf)))]
    assert _outputs(tmp_path) == sorted(_main_files("small") + ["small.edf-copy.txt"])


@pytest.mark.skipif(not hasattr(plms.outputs, "write_extras"),
                    reason="plms.outputs has no extra writers yet")
def test_score_real_extra_writers(small_edf, tmp_path, capsys):
    code, out, err = _run(["score", small_edf, "--out", tmp_path, "--write",
                           "edf-copy,nsrr-xml,edf-annotations"], capsys)
    assert code == 0, err
    names = _outputs(tmp_path)
    assert set(_main_files("small")) <= set(names) and len(names) == 6, names
    assert not [n for n in names if n.startswith(".")]
    copy = [n for n in names if n not in _main_files("small")]
    assert all(n in out for n in copy)
