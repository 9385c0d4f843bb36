"""Simulated PSG nights with known truth, for testing and tuning the detector.

>>> from plms.simulate import simulate_night, NightSpec
>>> night = simulate_night(seed=1, spec=NightSpec(duration_h=0.25, fs_leg=256))
>>> night.truth_lms.columns[:4].tolist()
['onset', 'duration', 'side', 'peak_uv']

Signal model of a leg channel (uV; divided by 1000 for ``leg_unit="mV"``)::

    leg = noise * (rest + activation) + QRS spikes + mains + drift + pops

- ``noise``: Gaussian noise band-limited inside 10-100 Hz, scaled so that the
  mean rectified value after the reference 10-100 Hz band-pass is exactly 1
  (:func:`emg_level`); an envelope of A uV thus means an EMG level of A uV.
- ``rest``: resting tone 1.5-8 uV, drifting over tens of minutes, stepping at
  posture changes, a little higher awake and lower in REM.
- ``activation``: the leg movements (50-150 ms ramps, 2-3 sub-bursts in about
  30 %), twitches < 0.3 s and phasic REM twitch clusters.
- QRS spikes (10-60 uV) at the beats of the ECG channel; 50/60 Hz pick-up of
  1-5 uV; baseline wander below 1 Hz; electrode pops; in a hard night one
  electrode off for 2-10 min (mains of 200-2000 uV and noise).

The truth (:attr:`SimulatedNight.truth_lms`) is the LM rules applied to the
noise-free activation: onset where it first reaches 8 uV, offset where it
last is at 2 uV or more, one row per movement per leg, kept clear of the
rule edges. Harder recording conditions (a high resting tone with raised
stretches, an irregular rhythm with ectopic beats, the amplifier's band-pass
and notch, a coarse storage step, a DC offset with inverted polarity, mains
harmonics) are ``NightSpec`` fields, all off by default; named sets of them
are in :mod:`plms.simulate.conditions`. See :class:`NightSpec` for what can be varied and
:func:`write_edf` / :func:`write_nsrr_xml` to write a night as the files a
sleep lab exchanges.
"""

from plms.simulate.accel import AccelSpec, SimulatedAccelNight, simulate_accel_night
from plms.simulate.accel_days import SimulatedAccelDays, iter_accel_days, simulate_accel_days
from plms.simulate.accel_days_export import (
    write_accel_days_csv, write_accel_days_edf, write_accel_days_truth,
)
from plms.simulate.accel_days_plan import DaysSpec
from plms.simulate.accel_export import (
    write_accel_csv, write_accel_edf, write_accel_hypnogram_xml, write_accel_truth_tsv,
)
from plms.simulate.emg import emg_level, reference_bandpass
from plms.simulate.export import one_channel_truth, write_edf, write_nsrr_xml, write_truth_tsv
from plms.simulate.night import simulate_night
from plms.simulate.spec import NightSpec, SimChannel, SimulatedNight, truth_annotations

__all__ = [
    "AccelSpec",
    "DaysSpec",
    "NightSpec",
    "SimChannel",
    "SimulatedAccelDays",
    "SimulatedAccelNight",
    "SimulatedNight",
    "emg_level",
    "iter_accel_days",
    "one_channel_truth",
    "reference_bandpass",
    "simulate_accel_days",
    "simulate_accel_night",
    "simulate_night",
    "truth_annotations",
    "write_accel_csv",
    "write_accel_days_csv",
    "write_accel_days_edf",
    "write_accel_days_truth",
    "write_accel_edf",
    "write_accel_hypnogram_xml",
    "write_accel_truth_tsv",
    "write_edf",
    "write_nsrr_xml",
    "write_truth_tsv",
]
