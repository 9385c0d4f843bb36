"""Per-night HTML reports and the cohort index: produced for every kind of night,
self-contained, and showing exactly the figures of the summary JSON."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from plms import Annotations, Hypnogram, rescore, score_lms  # noqa: E402
from plms.report import (  # noqa: E402
    FIGURE_ROWS,
    read_events_tsv,
    report_from_outputs,
    write_cohort_index,
    write_report,
)

DPI = 50


class _Page(HTMLParser):
    """Collects the figure cells, every tag with its attributes, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, dict[str, str]] = {}
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._cell: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "td" and "data-key" in a:
            self._cell = {**a, "shown": ""}
            self.cells[a["data-key"]] = self._cell

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell["shown"] += data


def parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def assert_self_contained(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lower = text.lower()
    assert "http://" not in lower and "https://" not in lower
    assert "<script" not in lower and "<link" not in lower and "@import" not in lower
    for tag, attrs in parse(path).tags:
        for name in ("src", "href"):
            if name in attrs:
                value = attrs[name]
                if name == "src":
                    assert value.startswith("data:image/png;base64,"), (tag, value[:40])
                else:   # only relative links to files beside the page
                    assert "//" not in value and ":" not in value, value


def _json_value(summary: dict, key: str):
    value = summary
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def assert_table_equals_summary(report: Path, summary_json: Path) -> None:
    summary = json.loads(summary_json.read_text())
    cells = parse(report).cells
    keys = [k for _, k, *_ in FIGURE_ROWS]
    assert set(keys) <= set(cells)
    for _, key, _, _, decimals in FIGURE_ROWS:
        cell = cells[key]
        if cell["data-source"] != "summary":
            continue
        expected = _json_value(summary, key)
        assert json.loads(cell["data-value"]) == expected, key
        if expected is None:
            assert cell["shown"] == "n/a", key
        elif isinstance(expected, float):
            assert float(cell["shown"]) == pytest.approx(round(expected, decimals)), key
        else:
            assert cell["shown"] == str(expected), key


def _series(start: float, n: int = 5, side: str = "left", step: float = 20.0) -> pd.DataFrame:
    return pd.DataFrame({"onset": start + step * np.arange(n), "duration": 2.0, "side": side})


_LMS = pd.concat([_series(300.0), _series(900.0, 6, "right"), _series(1500.0, 4),
                  pd.DataFrame({"onset": [200.0], "duration": [2.0], "side": ["left"]})],
                 ignore_index=True)
_HYP_WAKE = Hypnogram.from_labels(["W"] * 8 + ["N2"] * 30 + ["R"] * 10 + ["W"] * 4
                                  + ["N3"] * 20)
_HYP_SLEEP = Hypnogram.from_labels(["N2"] * 40 + ["R"] * 15 + ["N1"] * 17)
_RESP = pd.DataFrame({"onset": [1000.0], "duration": [15.0], "kind": ["hypopnea"]})
_AROUSALS = pd.DataFrame({"onset": [320.0, 1505.0], "duration": [5.0, 4.0]})
_NO_LMS = pd.DataFrame({"onset": pd.Series(dtype=float), "duration": pd.Series(dtype=float),
                        "side": pd.Series(dtype=str)})

NIGHTS = {
    "full": dict(lms=_LMS, hypnogram=_HYP_WAKE, respiratory=_RESP, arousals=_AROUSALS),
    "no_hypnogram": dict(lms=_LMS, respiratory=_RESP),
    "no_resp_no_wake": dict(lms=_LMS, hypnogram=_HYP_SLEEP),
    "aasm": dict(lms=_LMS, hypnogram=_HYP_WAKE, rules="aasm", arousals=_AROUSALS),
    "no_lms": dict(lms=_NO_LMS, hypnogram=_HYP_WAKE),
    "no_lms_no_hypnogram": dict(lms=_NO_LMS),
}


def _score(name: str):
    kwargs = dict(NIGHTS[name])
    result = score_lms(kwargs.pop("lms"), stem=name, **kwargs)
    ann = Annotations(hypnogram=kwargs.get("hypnogram"),
                      respiratory=kwargs.get("respiratory", _RESP.iloc[:0]),
                      arousals=kwargs.get("arousals", _AROUSALS.iloc[:0]),
                      respiratory_scored="respiratory" in kwargs,
                      arousals_scored="arousals" in kwargs)
    result.details["annotations"] = ann
    return result


@pytest.mark.parametrize("name", list(NIGHTS))
def test_report_for_every_kind_of_night(name, tmp_path):
    result = _score(name)
    paths = result.write(tmp_path)
    report = write_report(result, tmp_path / f"{name}.report.html", dpi=DPI)
    assert report == tmp_path / f"{name}.report.html" and report.is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left
    assert_self_contained(report)
    assert_table_equals_summary(report, paths["summary"])
    page = parse(report)
    text = " ".join(page.text)
    assert text.count("data:image") == 0        # images are in attributes, not text
    imgs = [a for t, a in page.tags if t == "img"]
    assert len(imgs) == 3                       # no EMG excerpt without a signal
    assert "No EMG signal at hand" in text
    assert "could not be drawn" not in text
    assert "Warnings" in text and result.summary["rules"] in text
    for warning in result.warnings:
        assert warning in text
    if name.startswith("no_lms"):
        assert "No leg movement was found" in text
        assert page.cells["n_lm"]["shown"] == "0"
    if result.summary["plms_index"] is not None:
        assert "clinical threshold (15/h)" in text
    if name == "no_resp_no_wake":   # PLMS index >= 15/h: marked
        assert result.summary["plms_index"] >= 15
        assert 'class="badge above"' in report.read_text() and "significant PLMS" in text
    if result.summary["tst_min"] is None:
        assert page.cells["derived.lm_sleep"]["shown"] == "n/a"


def test_derived_counts_match_events(tmp_path):
    result = _score("full")
    report = write_report(result, tmp_path, dpi=DPI)      # a folder: STEM.report.html
    assert report.name == "full.report.html"
    cells = parse(report).cells
    ev = result.events
    sleep = ev["stage"].isin(["N1", "N2", "N3", "R"])
    wake = ev["stage"] == "W"
    assert json.loads(cells["derived.lm_sleep"]["data-value"]) == int((ev.lm & sleep).sum())
    assert json.loads(cells["derived.lm_wake"]["data-value"]) == int((ev.lm & wake).sum())
    assert json.loads(cells["derived.clm_wake"]["data-value"]) == int((ev.clm & wake).sum())
    assert int((ev.lm & wake).sum()) > 0


def test_events_tsv_round_trip(tmp_path):
    result = _score("full")
    paths = result.write(tmp_path)
    back = read_events_tsv(paths["events"])
    ev = result.events
    assert back["plm"].tolist() == ev["plm"].tolist()
    assert back["series"].astype("Int64").equals(ev["series"].astype("Int64"))
    assert back["stage"].tolist() == ev["stage"].tolist()
    np.testing.assert_allclose(back["imi"], ev["imi"], atol=1e-3)


def test_report_from_outputs_rebuilds_what_it_can(tmp_path):
    result = _score("full")
    paths = result.write(tmp_path)
    out = report_from_outputs(paths["summary"], out=tmp_path / "rep")
    assert out == tmp_path / "rep" / "full.report.html"
    assert_self_contained(out)
    assert_table_equals_summary(out, paths["summary"])
    text = " ".join(parse(out).text)
    # a result built in Python names no annotation file: the report says so
    assert "could not rebuild" in text and "not named" in text
    assert "No EMG signal at hand" in text
    summary = json.loads(paths["summary"].read_text())
    summary["annotations_source"] = "given in Python"
    paths["summary"].write_text(json.dumps(summary))
    text = report_from_outputs(paths["summary"], out=tmp_path / "rep").read_text()
    assert "given in Python, not read from a file" in text


def test_report_from_outputs_rereads_the_annotation_file(tmp_path):
    from plms.io import read_annotations

    lms = _LMS.copy()
    src = tmp_path / "scored.tsv"
    pd.DataFrame({"onset": lms.onset, "duration": lms.duration,
                  "trial_type": "LM " + lms.side}).to_csv(src, sep="\t", index=False)
    assert len(read_annotations(src).leg_movements) == len(lms)
    result = rescore(src)
    paths = result.write(tmp_path / "out")
    report = report_from_outputs(paths["summary"])
    assert report.parent == tmp_path / "out"
    assert_table_equals_summary(report, paths["summary"])
    src.unlink()
    report = report_from_outputs(paths["summary"])
    assert "no longer there" in report.read_text()


def test_report_from_outputs_refuses_other_files(tmp_path):
    from plms.errors import PlmsInputError

    bad = tmp_path / "x.json"
    bad.write_text("{}")
    with pytest.raises(PlmsInputError):
        report_from_outputs(bad)
    bad = tmp_path / "x.summary.json"
    bad.write_text("not json")
    with pytest.raises(PlmsInputError, match="x.summary.json"):
        report_from_outputs(bad)


@pytest.fixture(scope="module")
def edf_night(tmp_path_factory):
    from plms.simulate import NightSpec, simulate_night, write_edf

    night = simulate_night(seed=5, spec=NightSpec(duration_h=0.1, fs_leg=200,
                                                  plm_severity=60.0))
    return write_edf(night, tmp_path_factory.mktemp("edf") / "sim1.edf", extra_channels=False)


def test_report_of_a_scored_edf(edf_night, tmp_path):
    from plms import score_edf

    result = score_edf(edf_night)
    kept = result.details["emg_excerpt"]
    assert kept["end_s"] - kept["start_s"] <= 90.0
    for leg in kept["legs"].values():     # a short excerpt only
        assert leg["data"].size <= 90 * leg["fs"] + 1
    paths = result.write(tmp_path)
    report = write_report(result, tmp_path / "sim1.report.html", dpi=DPI)
    assert_self_contained(report)
    assert_table_equals_summary(report, paths["summary"])
    text = report.read_text()
    assert "Leg L" in text and "chosen because" in text

    again = report_from_outputs(paths["summary"], out=tmp_path / "again")
    assert_table_equals_summary(again, paths["summary"])
    assert "no longer there" not in again.read_text()

    moved = tmp_path / "elsewhere.edf"
    shutil.copy(edf_night, moved)
    summary = json.loads(paths["summary"].read_text())
    summary["file"] = str(tmp_path / "gone.edf")
    paths["summary"].write_text(json.dumps(summary))
    lost = report_from_outputs(paths["summary"], out=tmp_path / "lost")
    lost_text = " ".join(parse(lost).text)
    assert "no longer there" in lost_text and "No EMG signal at hand" in lost_text
    assert "No EMG signal at hand" not in again.read_text()


def test_rescored_night_report_has_no_emg(tmp_path):
    ann = Annotations(hypnogram=_HYP_WAKE, leg_movements=_LMS, respiratory=_RESP,
                      respiratory_scored=True)
    result = rescore(ann, stem="scored")
    paths = result.write(tmp_path)
    report = write_report(result, tmp_path, dpi=DPI)
    assert_table_equals_summary(report, paths["summary"])
    assert "as scored in the annotation file" in report.read_text()


def test_cohort_index(tmp_path):
    for name in ("full", "no_lms", "no_hypnogram"):
        result = _score(name)
        result.write(tmp_path)
        if name != "no_hypnogram":
            write_report(result, tmp_path, dpi=DPI)
    (tmp_path / "summary.csv").write_text(
        "night,status,error\nfull,ok,\nno_lms,ok,\nno_hypnogram,ok,\n"
        "broken,failed,broken.edf: leg channel 'Leg L' is flat\n")
    index = write_cohort_index(tmp_path)
    assert index == tmp_path / "index.html"
    assert_self_contained(index)
    page = parse(index)
    text = " ".join(page.text)
    assert "broken" in text and "is flat" in text and "4 night(s)" in text
    links = sorted(a["href"] for t, a in page.tags if t == "a")
    assert links == ["full.report.html", "no_lms.report.html"]
    assert len([a for t, a in page.tags if t == "img"]) == 1
    summary = json.loads((tmp_path / "full.summary.json").read_text())
    # the full night's row shows its PLMS index
    values = [json.loads(a["data-value"]) for t, a in page.tags
              if t == "td" and a.get("data-key") == "plms_index"]
    assert summary["plms_index"] in values and None in values


def test_cohort_index_without_batch_csv_or_nights(tmp_path):
    index = write_cohort_index(tmp_path)
    assert "0 night(s)" in index.read_text()
    _score("full").write(tmp_path)
    text = " ".join(parse(write_cohort_index(tmp_path)).text)
    assert "1 night(s)" in text and "1 scored" in text


def test_cohort_index_with_batch_subfolders(tmp_path):
    sub = tmp_path / "site_a"
    result = _score("full")
    result.write(sub)
    write_report(result, sub, dpi=DPI)
    (tmp_path / "summary.csv").write_text(
        "input,night,status,error,plms_index_per_h,summary_json\n"
        f"in/site_a/full.edf,full,ok,,{result.summary['plms_index']},site_a/full.summary.json\n"
        "in/bad.edf,bad,error,in/bad.edf: not an EDF file,,\n")
    page = parse(write_cohort_index(tmp_path, dpi=DPI))
    assert [a["href"] for t, a in page.tags if t == "a"] == ["site_a/full.report.html"]
    text = " ".join(page.text)
    assert "site_a/full" in text and "not an EDF file" in text and "2 night(s)" in text


# --- issue 12: what exists, and what needs no sleep -----------------------------------

def test_single_ankle_report_shows_only_the_ankle_recorded(tmp_path):
    """A right-ankle-only night: the header names the right ankle and never 'None'."""
    summary = {"modality": "accel", "recording_duration_s": 1800.0,
               "recording_start": "2024-01-01T22:30:00",
               "channels": {"left": None, "right": "Ankle R", "ecg": None,
                            "axes": {"right": ["x", "y", "z"]}, "reason": "accelerometer (CSV)"},
               "fs_hz": {"right": 25.0}}
    result = score_lms(_series(300.0, side="right"), stem="one", extra_summary=summary)
    text = write_report(result, tmp_path, dpi=DPI).read_text()
    assert "None" not in text
    header = " ".join(parse(tmp_path / "one.report.html").text)
    assert "right 'Ankle R' at 25 Hz (one ankle only)" in header
    assert "left '" not in header


def test_night_without_hypnogram_reports_figures_per_hour_of_recording(tmp_path):
    """8 movements in a 2-h recording, no hypnogram: a left series of 5 (IMIs 20 s)
    and 3 isolated ones -> LM 8 / 2 h = 4.0/h, PLM 5 / 2 h = 2.5/h; sleep figures n/a."""
    lms = pd.concat([_series(300.0), pd.DataFrame({"onset": [2000.0, 4000.0, 6000.0],
                                                   "duration": 2.0, "side": "left"})],
                    ignore_index=True)
    result = score_lms(lms, stem="plain", extra_summary={"recording_duration_s": 7200.0})
    paths = result.write(tmp_path)
    report = write_report(result, tmp_path, dpi=DPI)
    assert_table_equals_summary(report, paths["summary"])
    cells = parse(report).cells
    assert cells["recording_min"]["shown"] == "120.0"
    assert cells["lm_index_recording"]["shown"] == "4.0"
    assert cells["plm_index_recording"]["shown"] == "2.5"
    assert cells["plms_index"]["shown"] == "n/a"
    assert "whole recording, wake included" in report.read_text()
    assert json.loads(paths["summary"].read_text())["plm_index_recording"] == 2.5


def test_report_overview_caption_names_the_excluded_stretch(tmp_path):
    from plms.signal.emg.detect import LegDetection

    result = _score("full")
    flat = np.full(2400 * 10, 2.0, dtype=np.float32)
    result.details["detections"] = {"right": LegDetection(
        events=pd.DataFrame(), envelope=flat, baseline=flat, rate_hz=10.0, mains_hz=None,
        excluded=pd.DataFrame({"onset": [1200.0], "duration": [90.0]}))}
    text = " ".join(parse(write_report(result, tmp_path, dpi=DPI)).text)
    assert "Hatched: excluded from scoring (right leg 1.5 min)" in text
    assert "could not be drawn" not in text
