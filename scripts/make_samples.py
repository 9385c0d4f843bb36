#!/usr/bin/env python
"""Write the sample files under data_samples/ (a simulated 1-hour PSG excerpt).

    python scripts/make_samples.py [--out data_samples]

Writes ``sample.edf`` (EDF+ with the scoring embedded as annotations),
``sample.truth.tsv`` (the truth leg movements), ``sample-nsrr.xml`` (the same
scoring as an NSRR XML sidecar), ``sample-ankles.edf`` and
``sample-ankles.truth.tsv`` (the same sleeper recorded by two ankle
accelerometers) and ``README.md``. The output is the same on
every run (fixed seed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from plms.simulate import (  # noqa: E402
    AccelSpec, NightSpec, simulate_accel_night, simulate_night, write_accel_edf, write_edf,
    write_nsrr_xml, write_truth_tsv,
)
from plms.simulate.export import DEFAULT_START, atomic_path  # noqa: E402

#: Seed of the sample (chosen for several PLM series, long LMs and REM in one hour).
SAMPLE_SEED = 4
#: The sample night: 1 h, 200 Hz legs, every nuisance on, clearly pathological PLMS.
SAMPLE_SPEC = NightSpec(duration_h=1.0, fs_leg=200, difficulty="hard", plm_severity=30.0,
                        respiratory_load=15.0)
#: Few, slow extra channels keep the file under 5 MB.
SAMPLE_MONTAGE = "light"
STEM = "sample"
#: The same sleeper with two ankle accelerometers at a common device rate (small file).
ANKLES_SPEC = AccelSpec(duration_h=SAMPLE_SPEC.duration_h, fs_hz=25.0, psg_spec=SAMPLE_SPEC)
ANKLES_STEM = "sample-ankles"

README = (
    """# data_samples

Everything here is **simulated**: no patient data. The files are written by
`scripts/make_samples.py` with `plms.simulate` (seed {seed}) and can be
regenerated at any time:

    python scripts/make_samples.py

| file | content |
|---|---|
"""
    "| `{stem}.edf` | EDF+C, {hours:g} h, {n_channels} signals: legs `{left}` / `{right}` "
    "({fs} Hz, {unit}), `{ecg}` ({fs_ecg} Hz, uV), {extras}; scoring embedded as EDF+ "
    "annotations (`Sleep stage W/N1/N2/N3/R` per 30-s epoch, respiratory events, `Arousal`, "
    "`Lights off` / `Lights on`) |\n"
    "| `{stem}.truth.tsv` | the truth leg movements, one row per leg movement per leg: "
    "`onset`, `duration` (s from the recording start), `side`, `peak_uv` (activation above "
    "the resting tone), `origin` (series / isolated / respiratory / posture), `n_bursts`, "
    "`channel` |\n"
    "| `{stem}-nsrr.xml` | stages, respiratory events and arousals as an NSRR (Compumedics) "
    "XML sidecar |\n"
    "| `{ankles}.edf` | the same sleeper and night recorded by two ankle accelerometers: "
    "EDF+C, `Ankle L X/Y/Z`, `Ankle R X/Y/Z` ({fs_acc:g} Hz, g), hypnogram and lights as "
    "EDF+ annotations; `plms score {ankles}.edf --out DIR` (add `--annotations "
    "{stem}-nsrr.xml` for the PSG's respiratory events and arousals, or `--sleep estimate` "
    "to estimate sleep from the acceleration instead) |\n"
    "| `{ankles}.truth.tsv` | its truth leg movements (the EMG-defined movements of "
    "`{stem}.truth.tsv` and the wake fidgets an ankle sensor sees), with the mechanical "
    "movement (`mech_onset`, `mech_duration`), rotation and the `weak` flag |\n"
    """
The night is a "hard" one: resting tone that drifts and steps at posture
changes, ECG spikes in the leg channels, mains pick-up, baseline drift,
electrode pops, short twitches and phasic REM twitches, restless leg
movements in wake, and one leg electrode off for a few minutes (its movements
then are not in the truth). Truth: {n_lm}
leg movements ({n_left} left, {n_right} right), {n_resp} respiratory events,
{n_ar} arousals; total sleep time {tst:g} min.

Specification: `{spec}`.
Header start date/time: {start} (fictitious).

Licence: CC0 1.0 (public-domain dedication). The generator code is under the
project's licence.
"""
)


def main(argv: list[str] | None = None) -> int:
    """Write the samples; returns the exit status."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data_samples")
    args = p.parse_args(argv)
    out: Path = args.out
    night = simulate_night(SAMPLE_SEED, SAMPLE_SPEC)
    edf = write_edf(night, out / f"{STEM}.edf", extra_channels=SAMPLE_MONTAGE)
    tsv = write_truth_tsv(night, out / f"{STEM}.truth.tsv")
    xml = write_nsrr_xml(night, out / f"{STEM}-nsrr.xml")
    ankles = simulate_accel_night(SAMPLE_SEED, ANKLES_SPEC)
    ankles_edf = write_accel_edf(ankles, out / f"{ANKLES_STEM}.edf")
    ankles_tsv = write_truth_tsv(ankles, out / f"{ANKLES_STEM}.truth.tsv")
    from plms.simulate.extras import LIGHT_KINDS

    truth = night.truth_lms
    text = README.format(
        seed=SAMPLE_SEED, stem=STEM, hours=SAMPLE_SPEC.duration_h,
        n_channels=3 + len(LIGHT_KINDS), left=night.left_label, right=night.right_label,
        fs=SAMPLE_SPEC.fs_leg, unit=SAMPLE_SPEC.leg_unit, ecg=night.ecg_label,
        fs_ecg=SAMPLE_SPEC.fs_ecg_hz, extras=", ".join(f"`{k}`" for k in LIGHT_KINDS),
        n_lm=len(truth), n_left=int((truth["side"] == "left").sum()),
        n_right=int((truth["side"] == "right").sum()), n_resp=len(night.respiratory),
        n_ar=len(night.arousals), tst=night.hypnogram.tst_min,
        spec=f"simulate_night({SAMPLE_SEED}, NightSpec(duration_h=1.0, fs_leg=200, "
             f"difficulty='hard', plm_severity=30.0, respiratory_load=15.0))",
        start=DEFAULT_START.isoformat(sep=" "), ankles=ANKLES_STEM, fs_acc=ANKLES_SPEC.fs_hz)
    with atomic_path(out / "README.md") as tmp:
        tmp.write_text(text, encoding="utf-8")
    for path in (edf, tsv, xml, ankles_edf, ankles_tsv, out / "README.md"):
        print(f"{path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
