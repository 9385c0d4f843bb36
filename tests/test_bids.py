"""BIDS in, BIDS out: a generated BIDS dataset scored end to end into a derivative."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import plms
from plms.cli import main
from plms.io._edfformat import read_header

mne_bids = pytest.importorskip("mne_bids")

#: Ten-minute nights, clean, many PLMs: scored in about a second each.
SPEC = dict(duration_h=1 / 6, fs_leg=256, difficulty="clean", plm_severity=80.0, ecg=True)
#: Leg labels that say nothing: only channels.tsv tells the legs apart.
BLIND_LABELS = ("EMG1", "EMG2")
#: The three recordings: (subject, session or None, seed, leg labels, leg unit).
RECORDINGS = (("01", "1", 11, ("Leg L", "Leg R"), "uV"),
              ("01", "2", 12, BLIND_LABELS, "uV"),
              ("02", None, 13, ("Leg L", "Leg R"), "mV"))
#: F1 of the derivative's movements against the truth after the same rules.
MIN_F1 = 0.9


def _stage_text(stage: str) -> str:
    return {"W": "Sleep stage W", "N1": "Sleep stage N1", "N2": "Sleep stage N2",
            "N3": "Sleep stage N3", "R": "Sleep stage R"}.get(stage, "Sleep stage ?")


def _events_tsv(night, path: Path, style: str) -> None:
    """The night's stages, respiratory events and arousals as a BIDS events.tsv.

    ``style`` ``trial_type``: the whole text in trial_type (as MNE-BIDS writes
    annotations); ``value``: ``trial_type`` says what, ``value`` which stage.
    """
    hyp = night.hypnogram
    rows = []
    for i, stage in enumerate(hyp.stages):
        onset = hyp.start_s + i * hyp.epoch_s
        if style == "value":
            rows.append((onset, hyp.epoch_s, "sleep stage", str(stage)))
        else:
            rows.append((onset, hyp.epoch_s, _stage_text(str(stage)), "n/a"))
    for r in night.respiratory.itertuples():
        rows.append((r.onset, r.duration, str(r.kind).title(), "n/a"))
    for a in night.arousals.itertuples():
        rows.append((a.onset, a.duration, "Arousal", "n/a"))
    if hyp.lights_off_s is not None:
        rows.append((hyp.lights_off_s, 0.0, "Lights off", "n/a"))
    if hyp.lights_on_s is not None:
        rows.append((hyp.lights_on_s, 0.0, "Lights on", "n/a"))
    rows.sort(key=lambda r: r[0])
    table = pd.DataFrame(rows, columns=["onset", "duration", "trial_type", "value"])
    table.to_csv(path, sep="\t", index=False, lineterminator="\n", float_format="%.3f")


def _set_leg_units(path: Path, labels: tuple[str, str], unit: str) -> None:
    """Write ``unit`` as the legs' physical dimension in the EDF header (a wrong header)."""
    header = read_header(path)
    ns = len(header.signals)
    raw = bytearray(path.read_bytes())
    for sig in header.signals:
        if sig.label in labels:
            at = 256 + 96 * ns + 8 * sig.index
            raw[at:at + 8] = unit.encode().ljust(8, b" ")
    path.write_bytes(bytes(raw))


def _channels_tsv(night, path: Path, leg_unit: str) -> None:
    left, right = night.left_label, night.right_label
    rows = [(left, "EMG", leg_unit, "left tibialis anterior", "good"),
            (right, "EMG", leg_unit, "Tibialis anterior, right leg", "good"),
            (night.ecg_label, "ECG", "uV", "electrocardiogram", "good")]
    table = pd.DataFrame(rows, columns=["name", "type", "units", "description", "status"])
    table.to_csv(path, sep="\t", index=False, lineterminator="\n")


def make_dataset(root: Path) -> dict[str, object]:
    """Two subjects, the first with two sessions; returns the nights by recording stem.

    sub-01 ses-1: standard leg labels; ses-2: blind labels (EMG1/EMG2) that only
    channels.tsv names, stages as trial_type + value; sub-02: legs stored in mV
    with an EDF header that says uV, channels.tsv giving the right mV.
    """
    root.mkdir(parents=True)
    (root / "dataset_description.json").write_text(json.dumps(
        {"Name": "plms test cohort", "BIDSVersion": "1.10.0", "DatasetType": "raw"}))
    nights = {}
    for subject, session, seed, labels, unit in RECORDINGS:
        spec = plms.simulate.NightSpec(**SPEC, leg_labels=labels, leg_unit=unit)
        night = plms.simulate.simulate_night(seed=seed, spec=spec)
        folder = root / f"sub-{subject}" / (f"ses-{session}" if session else "") / "eeg"
        folder.mkdir(parents=True)
        stem = f"sub-{subject}" + (f"_ses-{session}" if session else "") + "_task-sleep"
        edf = plms.simulate.write_edf(night, folder / f"{stem}_eeg.edf",
                                      extra_channels=False, annotations=False)
        if unit == "mV":
            _set_leg_units(edf, labels, "uV")
        _channels_tsv(night, folder / f"{stem}_channels.tsv", unit)
        _events_tsv(night, folder / f"{stem}_events.tsv",
                    "value" if labels == BLIND_LABELS else "trial_type")
        nights[stem] = (night, folder.relative_to(root))
    return nights


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """The dataset and its derivative, scored once through the command line."""
    base = tmp_path_factory.mktemp("bids")
    root = base / "raw"
    nights = make_dataset(root)
    out = root / "derivatives" / "plms"
    code = main(["score", str(root), "--out", str(out), "--jobs", "1", "--quiet"])
    return root, out, nights, code


def _truth_f1(night, events: pd.DataFrame) -> float:
    from plms.scoring import apply_rules
    from plms.validation.agreement import match_events

    truth = apply_rules(night.truth_lms, "wasm2016", hypnogram=night.hypnogram)
    return match_events(truth, events, min_iou=0.5).f1


def test_the_derivative_tree_is_as_specified(scored):
    root, out, nights, code = scored
    assert code == 0
    description = json.loads((out / "dataset_description.json").read_text())
    assert description["DatasetType"] == "derivative"
    generated = description["GeneratedBy"][0]
    assert generated["Name"] == "plms" and generated["Version"] == plms.__version__
    assert generated["Description"]
    assert description["Name"] == "plms scoring of plms test cohort"
    for stem, (_, subdir) in nights.items():
        folder = out / subdir
        names = sorted(p.name for p in folder.iterdir())
        assert names == [f"{stem}_desc-plms_events.json", f"{stem}_desc-plms_events.tsv",
                         f"{stem}_desc-plms_summary.json"]
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "sub-01/ses-2/eeg/sub-01_ses-2_task-sleep_desc-plms_events.tsv" in written
    assert "sub-02/eeg/sub-02_task-sleep_desc-plms_summary.json" in written
    table = pd.read_csv(out / "summary.csv")
    assert sorted(table["night"]) == sorted(nights) and (table["status"] == "ok").all()


def test_each_recording_matches_its_truth(scored):
    root, out, nights, _ = scored
    for stem, (night, subdir) in nights.items():
        events = pd.read_csv(out / subdir / f"{stem}_desc-plms_events.tsv", sep="\t",
                             na_values="n/a", keep_default_na=False)
        assert list(events.columns[:3]) == ["onset", "duration", "trial_type"]
        f1 = _truth_f1(night, events)
        assert f1 >= MIN_F1, (stem, f1)
        # the stages come from events.tsv: the stage of each movement is the truth's
        expected = night.hypnogram.stage_at(events["onset"].to_numpy())
        np.testing.assert_array_equal(events["stage"].fillna("n/a").to_numpy(), expected)
        plm = events["plm"].astype(bool)
        texts = [f"{'PLM' if p else 'LM'} {s}" for p, s in zip(plm, events["side"],
                                                                  strict=True)]
        assert all(t.startswith(x) for t, x in zip(events["trial_type"], texts, strict=True))
        summary = json.loads((out / subdir / f"{stem}_desc-plms_summary.json").read_text())
        assert summary["annotations_source"].endswith(f"{stem}_events.tsv")
        assert summary["tst_min"] == pytest.approx(night.hypnogram.tst_min)
        assert summary["respiratory_scored"] is (len(night.respiratory) > 0)


def test_channels_tsv_names_the_legs_and_their_unit(scored):
    root, out, nights, _ = scored
    blind = json.loads((out / "sub-01/ses-2/eeg/sub-01_ses-2_task-sleep_desc-plms_summary.json"
                        ).read_text())
    assert (blind["channels"]["left"], blind["channels"]["right"]) == BLIND_LABELS
    assert blind["channels"]["ecg"] == "ECG"
    mv = json.loads((out / "sub-02/eeg/sub-02_task-sleep_desc-plms_summary.json").read_text())
    assert mv["units"] == {"left": "mV", "right": "mV"}
    assert any("channels.tsv gives the leg channels in 'mV'" in w for w in mv["warnings"])
    std = json.loads((out / "sub-01/ses-1/eeg/sub-01_ses-1_task-sleep_desc-plms_summary.json"
                      ).read_text())
    assert not any("channels.tsv" in w for w in std["warnings"])


def test_the_derivative_passes_the_bids_validator(scored):
    """Raw names by bids-validator; the derivative's by the schema's derivative rules."""
    bids_validator = pytest.importorskip("bids_validator")
    schema_tools = pytest.importorskip("bidsschematools.schema")
    import bidsschematools.rules as schema_rules

    root, out, _, _ = scored
    validator = bids_validator.BIDSValidator()
    raw = [p for p in root.rglob("*") if p.is_file() and "derivatives" not in p.parts]
    assert raw and all(validator.is_bids("/" + p.relative_to(root).as_posix()) for p in raw)
    schema = schema_tools.load_schema()
    regexes = [rule["regex"] for group in (schema.rules.files.common, schema.rules.files.deriv)
               for rule in schema_rules.regexify_filename_rules(group, schema, level=2)]
    ignored = [line for line in (out / ".bidsignore").read_text().splitlines() if line]
    checked = 0
    for path in out.rglob("*"):
        name = path.relative_to(out).as_posix()
        if not path.is_file() or path.name == ".bidsignore":
            continue
        if any(Path(name).match(pattern) for pattern in ignored):
            assert name.endswith("_desc-plms_summary.json") or name == "summary.csv"
            continue
        assert any(re.match(rx, name) for rx in regexes), name
        checked += 1
    assert checked == 2 + 2 * len(RECORDINGS)   # description, README, events tsv/json


def test_the_derivative_passes_the_deno_bids_validator(scored):
    """The reference validator (bids-validator-deno, when installed): no error."""
    import shutil
    import subprocess

    exe = shutil.which("bids-validator-deno")
    if exe is None:
        pytest.skip("bids-validator-deno is not installed")
    _, out, _, _ = scored
    run = subprocess.run([exe, "--format", "json", str(out)], capture_output=True, text=True,
                         timeout=120, check=False)
    issues = json.loads(run.stdout)["issues"]["issues"]
    errors = [i for i in issues if i.get("severity") == "error"]
    assert errors == [], errors
    codes = {i["code"] for i in issues}
    assert not codes & {"SIDECAR_KEY_RECOMMENDED", "README_FILE_MISSING",
                        "TSV_ADDITIONAL_COLUMNS_UNDEFINED"}, codes


def test_a_rerun_skips_complete_recordings_and_force_redoes_them(scored, capsys):
    root, out, nights, _ = scored
    summary = next(out.rglob("*_desc-plms_summary.json"))
    before = summary.stat().st_mtime_ns
    assert main(["score", str(root), "--out", str(out), "--jobs", "1"]) == 0
    assert "outputs already complete, skipped" in capsys.readouterr().out
    assert summary.stat().st_mtime_ns == before
    table = pd.read_csv(out / "summary.csv")
    assert len(table) == len(nights) and (table["status"] == "ok").all()


def test_one_bad_recording_does_not_stop_the_others(tmp_path):
    root = tmp_path / "raw"
    nights = make_dataset(root)
    bad = root / "sub-02/eeg/sub-02_task-sleep_eeg.edf"
    bad.write_bytes(bad.read_bytes()[:300])
    table = plms.batch.run_batch(root, tmp_path / "out", jobs=1)
    by_night = dict(zip(table["night"], table["status"], strict=True))
    assert by_night == {**dict.fromkeys(nights, "ok"), "sub-02_task-sleep": "error"}
    assert not (tmp_path / "out/sub-02").exists() or not any(
        p.is_file() for p in (tmp_path / "out/sub-02").rglob("*"))
    leftovers = [p for p in (tmp_path / "out").rglob(".*") if p.name != ".bidsignore"]
    assert leftovers == []


def test_bids_events_tsv_with_trial_type_and_value_is_read(tmp_path):
    """trial_type alone, trial_type + value, value alone: each row understood once."""
    path = tmp_path / "sub-01_task-sleep_events.tsv"
    path.write_text("onset\tduration\ttrial_type\tvalue\tsample\n"
                    "0\t30\tSleep stage W\tn/a\t0\n"
                    "30\t30\tsleep stage\t2\t3000\n"
                    "60\t30\tn/a\tN3\t6000\n"
                    "90\t30\tstimulus\tREM\t9000\n"
                    "40\t10\tObstructive Apnea\t1\t4000\n"
                    "70\t3\tn/a\tArousal\t7000\n"
                    "80\t1\tbeep\t7\t8000\n")
    ann = plms.io.read_annotations(path)
    assert ann.hypnogram.stages.tolist() == ["W", "N2", "N3", "R"]
    assert ann.respiratory[["onset", "kind"]].values.tolist() == [[40.0, "obstructive apnea"]]
    assert ann.arousals["onset"].tolist() == [70.0]


def test_channels_tsv_reading(tmp_path):
    from plms.io.bids import read_channels_tsv

    path = tmp_path / "sub-01_task-sleep_channels.tsv"
    path.write_text("name\ttype\tunits\tdescription\tstatus\n"
                    "C3\tEEG\tuV\tn/a\tgood\n"
                    "X1\tEMG\tmV\tleft anterior tibialis\tgood\n"
                    "X2\tEMG\tmV\tRight leg\tgood\n"
                    "X3\tEMG\tmV\tright tibialis (spare)\tbad\n"
                    "Chin\tEMG\tuV\tsubmental\tgood\n"
                    "EKG\tECG\tmV\tn/a\tgood\n")
    found = read_channels_tsv(path)
    assert (found.left, found.right, found.ecg) == ("X1", "X2", "EKG")
    assert found.units["X1"] == "mV" and "X3" not in found.units and found.notes == ()


def test_ordinary_folders_are_not_bids_and_bids_needs_one_root(tmp_path):
    from plms.batch.bids import bids_root

    plain = tmp_path / "plain"
    plain.mkdir()
    assert bids_root([plain]) is None
    assert bids_root([plain], force=True) == plain
    root = tmp_path / "ds"
    root.mkdir()
    (root / "dataset_description.json").write_text("{}")
    assert bids_root(root) == root and bids_root(root, force=False) is None
    with pytest.raises(ValueError, match="scored alone"):
        bids_root([root, plain])


def test_without_mne_bids_a_bids_root_asks_for_the_extra(tmp_path, monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "mne_bids", None)
    root = tmp_path / "ds"
    root.mkdir()
    (root / "dataset_description.json").write_text("{}")
    assert main(["score", str(root), "--out", str(tmp_path / "out")]) == 2
    assert "pip install 'plms[bids]'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_channels_tsv_naming_a_channel_the_recording_lacks_says_so(tmp_path, capsys):
    """The error names channels.tsv, not --left (which the user never gave)."""
    root = tmp_path / "raw"
    make_dataset(root)
    folder = root / "sub-01/ses-2/eeg"
    (folder / "sub-01_ses-2_task-sleep_channels.tsv").write_text(
        "name\ttype\tunits\tdescription\n"
        "NOPE1\tEMG\tuV\tleft leg\nEMG2\tEMG\tuV\tright leg\n")
    code = main(["score", str(root), "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    table = pd.read_csv(tmp_path / "out/summary.csv")
    row = table.set_index("night").loc["sub-01_ses-2_task-sleep"]
    assert row["status"] == "error"
    assert row["error"].startswith(str(folder / "sub-01_ses-2_task-sleep_channels.tsv"))
    assert "'NOPE1' (left leg)" in row["error"] and "--left" not in row["error"]
    assert not (tmp_path / "out/sub-01/ses-2").exists() or not any(
        p.is_file() for p in (tmp_path / "out/sub-01/ses-2").rglob("*"))


def _one_channel_bids(tmp_path: Path, label: str, tsv_rows: str) -> Path:
    """A recording with one leg channel ``label`` (header in uV) and its channels.tsv."""
    from test_io_edfwriter import legs_fixture, write_fixture

    edf = write_fixture(tmp_path / "sub-01_task-sleep_eeg.edf",
                        legs_fixture(labels=(label, "C3")))
    (tmp_path / "sub-01_task-sleep_channels.tsv").write_text(
        "name\ttype\tunits\tdescription\tstatus\n" + tsv_rows + "C3\tEEG\tuV\tn/a\tgood\n")
    return edf


def test_channels_tsv_unit_applies_to_the_one_channel_of_both_legs(tmp_path):
    """A one-channel night ('Leg', found by its label): channels.tsv's mV wins over the uV."""
    from plms.batch.bids import bids_options
    from plms.options import ScoreOptions

    edf = _one_channel_bids(tmp_path, "Leg", "Leg\tEMG\tmV\tboth legs\tgood\n")
    opts, notes = bids_options(edf, ScoreOptions())
    assert opts.unit == "mV" and opts.channels.left is None and opts.channels.right is None
    assert len(notes) == 1 and "'Leg'" in notes[0] and "'mV'" in notes[0]


def test_channels_tsv_unit_applies_to_the_legs_channel_the_user_names(tmp_path):
    """``--legs EMG5``: kept (not mixed with the sidecar's leg), and channels.tsv's unit used."""
    from plms.batch.bids import bids_options
    from plms.options import Channels, ScoreOptions

    edf = _one_channel_bids(tmp_path, "EMG5", "EMG5\tEMG\tmV\tleft tibialis\tgood\n")
    opts, _ = bids_options(edf, ScoreOptions(channels=Channels(legs="EMG5")))
    assert opts.channels == Channels(legs="EMG5") and opts.unit == "mV"
