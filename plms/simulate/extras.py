"""The other channels of a PSG montage, made cheaply for ``write_edf``.

None of them is scored by plms; they exist so that files look like real PSG
exports (many channels at different rates) and carry plausible content: EEG
whose amplitude follows the stage, eye movements in REM, a chin EMG that
drops in REM, breathing that stops in apneas, desaturations after them, a
pulse from the ECG beats and the body position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import signal
from scipy.stats import norm

from plms.simulate.emg import emg_noise, smooth_noise, upsample_linear
from plms.simulate.night import POSITIONS, breathing_rate, stream_seed
from plms.simulate.sleep import StageTimeline
from plms.simulate.spec import S_PER_MIN, SimulatedNight
from plms.simulate.tone import BREATH_RATE_CORR_S, BREATH_RATE_SIGMA

Montage = Literal["full", "light"]

#: EEG / EOG / chin / snore sampling rate, Hz; breathing channels; slow channels.
FS_EEG = 256
FS_RESP = 32
FS_SLOW = 1
#: EEG: sd uV by stage, one-pole low-pass coefficient (1/f-like), share of white noise.
EEG_SD_UV = {"W": 12.0, "N1": 15.0, "N2": 22.0, "N3": 50.0, "R": 13.0, "MT": 30.0, "U": 15.0}
EEG_POLE = 0.97
EEG_WHITE_SHARE = 0.3
#: Occipital alpha in wake: frequency Hz, amplitude uV.
ALPHA_HZ = 10.0
ALPHA_UV = 15.0
ALPHA_WAX_CORR_S = 1.0
#: EOG: slow pole, sd uV by stage, rapid eye movements per second of REM, size uV.
EOG_POLE = 0.995
EOG_SD_UV = {"W": 25.0, "N1": 30.0, "N2": 8.0, "N3": 8.0, "R": 10.0, "MT": 40.0, "U": 10.0}
REM_PER_S = 0.5
REM_UV = (50.0, 200.0)
REM_DECAY_S = 0.4
#: Chin EMG level uV by stage.
CHIN_UV = {"W": 8.0, "N1": 5.0, "N2": 4.0, "N3": 3.5, "R": 1.2, "MT": 10.0, "U": 4.0}
#: Breathing: airflow amplitude (a.u. as uV), effort amplitude, pressure amplitude.
FLOW_UV = 200.0
EFFORT_UV = 300.0
PRESSURE_UV = 150.0
#: Nasal pressure looks flatter than thermistor flow (|sin| ** this); noise share, correlation s.
PRESSURE_SHAPE_EXPONENT = 0.5
BREATH_NOISE_SHARE = 0.03
BREATH_NOISE_CORR_S = 1.0
#: Residual flow/effort during events, by kind: (flow share, effort share).
EVENT_SHARES = {"obstructive apnea": (0.05, 1.0), "central apnea": (0.05, 0.05),
                "mixed apnea": (0.05, 0.5), "hypopnea": (0.4, 0.7), "rera": (0.75, 1.0)}
#: Recovery breaths after an event: gain and length s.
RECOVERY_GAIN = 1.6
RECOVERY_S = 8.0
#: SpO2 baseline % (uniform), drop by kind % (uniform), delay after the event end s.
SPO2_BASE = (94.0, 97.5)
SPO2_DROP = {"obstructive apnea": (3.0, 9.0), "central apnea": (2.0, 6.0),
             "mixed apnea": (3.0, 9.0), "hypopnea": (2.0, 5.0), "rera": (0.0, 1.0)}
SPO2_DELAY_S = 20.0
SPO2_WIDTH_S = 25.0
SPO2_NOISE = 0.3
SPO2_NOISE_CORR_S = 10.0
#: Body position codes written in the position channel.
POSITION_CODES = {name: float(code) for code, name in enumerate(POSITIONS, start=1)}
#: Snoring: share of sleep spent in snoring episodes, amplitude uV, episode correlation s.
SNORE_SHARE = 0.3
SNORE_UV = 30.0
SNORE_CORR_S = 300.0
#: Physical ranges written in the header.
RANGE_EEG_UV = (-500.0, 500.0)
RANGE_EOG_UV = (-1000.0, 1000.0)
RANGE_EMG_UV = (-250.0, 250.0)
RANGE_RESP_UV = (-1000.0, 1000.0)
RANGE_SPO2 = (0.0, 100.0)
RANGE_PULSE = (0.0, 250.0)
RANGE_POSITION = (0.0, 5.0)
#: Sub-streams of the "extras" random stream, one per channel kind.
EEG_KINDS = ("F4-M1", "C4-M1", "O2-M1", "F3-M2", "C3-M2", "O1-M2")
EXTRA_KINDS = (*EEG_KINDS, "E1-M2", "E2-M2", "Chin1-Chin2", "Airflow", "Nasal Pressure", "Thor",
               "Abdo", "SpO2", "Pulse", "Snore", "Position")
#: Random sub-streams: one per channel, plus shared ones (append only).
EXTRA_STREAMS = (*EXTRA_KINDS, "REMs", "breathing")
LIGHT_KINDS = ("Airflow", "SpO2", "Position")


@dataclass(frozen=True)
class ExtraChannel:
    """A channel to write: header fields and how to make its samples."""

    label: str
    fs: int
    unit: str
    physical_range: tuple[float, float]
    make: Callable[[], npt.NDArray[np.float64]]


def extra_channels(night: SimulatedNight, montage: Montage = "full") -> list[ExtraChannel]:
    """The non-leg, non-ECG channels of ``montage`` (samples made on demand)."""
    if montage not in ("full", "light"):
        raise ValueError(f"montage must be 'full' or 'light', got {montage!r}")
    kinds = EXTRA_KINDS if montage == "full" else LIGHT_KINDS
    seeds = stream_seed(night.seed, "extras").spawn(len(EXTRA_STREAMS))
    rngs = {k: np.random.default_rng(s) for k, s in zip(EXTRA_STREAMS, seeds, strict=True)}
    breaths = breathing_rate(night.seed)
    breath_phase = _breath_phase(rngs["breathing"], night, breaths)
    uv = "uV"
    eeg_range, eog_range, emg_range = RANGE_EEG_UV, RANGE_EOG_UV, RANGE_EMG_UV
    makers: dict[str, ExtraChannel] = {}
    for k in EEG_KINDS:
        makers[k] = ExtraChannel(k, FS_EEG, uv, eeg_range,
                                 partial(_eeg, rngs[k], night, occipital=k.startswith("O")))
    rem = _rem_events(rngs["REMs"], night)
    for k, sign in (("E1-M2", 1.0), ("E2-M2", -1.0)):
        makers[k] = ExtraChannel(k, FS_EEG, uv, eog_range,
                                 partial(_eog, rngs[k], night, rem, sign))
    makers["Chin1-Chin2"] = ExtraChannel("Chin1-Chin2", FS_EEG, uv, emg_range,
                                         lambda: _chin(rngs["Chin1-Chin2"], night))
    for k, amp, part in (("Airflow", FLOW_UV, 0), ("Nasal Pressure", PRESSURE_UV, 0),
                         ("Thor", EFFORT_UV, 1), ("Abdo", -EFFORT_UV, 1)):
        makers[k] = ExtraChannel(k, FS_RESP, uv, RANGE_RESP_UV,
                                 partial(_breathing, rngs[k], night, breath_phase, amp, part, k))
    makers["SpO2"] = ExtraChannel("SpO2", FS_SLOW, "%", RANGE_SPO2,
                                  lambda: _spo2(rngs["SpO2"], night))
    makers["Pulse"] = ExtraChannel("Pulse", FS_SLOW, "bpm", RANGE_PULSE, lambda: _pulse(night))
    makers["Snore"] = ExtraChannel("Snore", FS_EEG, uv, RANGE_EEG_UV,
                                   lambda: _snore(rngs["Snore"], night, breath_phase))
    makers["Position"] = ExtraChannel("Position", FS_SLOW, "", RANGE_POSITION,
                                      lambda: _position(night))
    return [makers[k] for k in kinds]


def _stage_curve(night: SimulatedNight, values: dict[str, float],
                 fs: int) -> npt.NDArray[np.float64]:
    """Per-sample value of ``values[stage]`` (wake value outside the hypnogram)."""
    hyp = night.hypnogram
    n = int(night.duration_s * fs)
    per_epoch = np.array([values[s] for s in hyp.stages.tolist()] + [values["W"]])
    idx = hyp.epoch_index(np.arange(0, night.duration_s + 1.0))
    return upsample_linear(per_epoch[idx], 1, fs, n)


def _eeg(rng: np.random.Generator, night: SimulatedNight, *,
         occipital: bool) -> npt.NDArray[np.float64]:
    """One EEG derivation: 1/f-like noise scaled by stage, alpha in wake (occipital)."""
    n = int(night.duration_s * FS_EEG)
    white = rng.standard_normal(n)
    pink = signal.lfilter([1.0], [1.0, -EEG_POLE], white) * np.sqrt(1 - EEG_POLE ** 2)
    x = (pink + EEG_WHITE_SHARE * white) * _stage_curve(night, EEG_SD_UV, FS_EEG)
    if occipital:
        awake = _stage_curve(night, {s: float(s == "W") for s in EEG_SD_UV}, FS_EEG)
        t = np.arange(n) / FS_EEG
        waxing = 0.5 + 0.5 * smooth_noise(rng, n, ALPHA_WAX_CORR_S * FS_EEG).clip(-1, 1)
        x += ALPHA_UV * awake * np.sin(2 * np.pi * ALPHA_HZ * t) * waxing
    return x


def _rem_events(rng: np.random.Generator,
                night: SimulatedNight) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Times and sizes (uV, alternating direction) of rapid eye movements in REM."""
    hyp = night.hypnogram
    rem_s = float(np.sum(hyp.stages == "R")) * hyp.epoch_s
    times = np.sort(StageTimeline(hyp).sample_times(rng, {"R": 1.0},
                                                    int(rng.poisson(REM_PER_S * rem_s))))
    sizes = rng.uniform(*REM_UV, size=times.size) * rng.choice((-1.0, 1.0), size=times.size)
    return times, sizes


def _eog(rng: np.random.Generator, night: SimulatedNight,
         rem: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
         sign: float) -> npt.NDArray[np.float64]:
    """One EOG lead: slow drifting noise plus the REMs (opposite sign on E1 and E2)."""
    n = int(night.duration_s * FS_EEG)
    slow = signal.lfilter([1.0], [1.0, -EOG_POLE], rng.standard_normal(n)) * np.sqrt(
        1 - EOG_POLE ** 2)
    x = slow * _stage_curve(night, EOG_SD_UV, FS_EEG)
    kicks = np.zeros(n)
    times, sizes = rem
    np.add.at(kicks, np.clip((times * FS_EEG).astype(np.int64), 0, n - 1), sizes)
    decay = np.exp(-1.0 / (REM_DECAY_S * FS_EEG))
    return x + sign * signal.lfilter([1.0], [1.0, -decay], kicks)


def _chin(rng: np.random.Generator, night: SimulatedNight) -> npt.NDArray[np.float64]:
    """Chin EMG: tonic activity by stage, lowest in REM."""
    n = int(night.duration_s * FS_EEG)
    return emg_noise(rng, n, FS_EEG) * _stage_curve(night, CHIN_UV, FS_EEG)


def _breath_phase(rng: np.random.Generator, night: SimulatedNight,
                  breaths_per_min: float) -> npt.NDArray[np.float64]:
    """Breathing phase (radians) at FS_RESP, shared by the breathing channels."""
    n = int(night.duration_s * FS_RESP)
    rate = breaths_per_min / S_PER_MIN * np.exp(
        BREATH_RATE_SIGMA * smooth_noise(rng, n, BREATH_RATE_CORR_S * FS_RESP))
    return 2 * np.pi * np.cumsum(rate) / FS_RESP + rng.uniform(0, 2 * np.pi)


def _breathing(rng: np.random.Generator, night: SimulatedNight, phase: npt.NDArray[np.float64],
               amplitude: float, part: int, label: str) -> npt.NDArray[np.float64]:
    """Flow (part 0) or effort (part 1) at FS_RESP, shaped by the respiratory events."""
    n = phase.size
    gain = np.ones(n)
    for on, du, kind in night.respiratory.itertuples(index=False):
        i, j = int(on * FS_RESP), min(int((on + du) * FS_RESP), n)
        if kind == "mixed apnea" and part == 1:  # central first, obstructive after
            gain[i:(i + j) // 2] = EVENT_SHARES["central apnea"][1]
            gain[(i + j) // 2:j] = 1.0
        else:
            gain[i:j] = EVENT_SHARES[kind][part]
        gain[j:min(j + int(RECOVERY_S * FS_RESP), n)] = RECOVERY_GAIN
    wave = np.sin(phase)
    if label == "Nasal Pressure":
        wave = np.sign(wave) * np.abs(wave) ** PRESSURE_SHAPE_EXPONENT
    noise = BREATH_NOISE_SHARE * abs(amplitude) * smooth_noise(
        rng, n, BREATH_NOISE_CORR_S * FS_RESP)
    return amplitude * gain * wave + noise


def _spo2(rng: np.random.Generator, night: SimulatedNight) -> npt.NDArray[np.float64]:
    """Oxygen saturation (whole %) with a delayed dip after each respiratory event."""
    n = int(night.duration_s * FS_SLOW)
    t = np.arange(n) / FS_SLOW
    x = np.full(n, rng.uniform(*SPO2_BASE))
    for on, du, kind in night.respiratory.itertuples(index=False):
        centre = on + du + SPO2_DELAY_S - SPO2_WIDTH_S / 2
        dip = np.exp(-0.5 * ((t - centre) / (SPO2_WIDTH_S / 2)) ** 2)
        x -= rng.uniform(*SPO2_DROP[kind]) * dip
    x += SPO2_NOISE * smooth_noise(rng, n, SPO2_NOISE_CORR_S * FS_SLOW)
    return np.clip(np.round(x), 0.0, 100.0)


def _pulse(night: SimulatedNight) -> npt.NDArray[np.float64]:
    """Pulse rate (bpm) from the ECG beats, once per second."""
    n = int(night.duration_s * FS_SLOW)
    beats = night.beats_s
    if beats.size < 2:
        return np.zeros(n)
    rate = S_PER_MIN / np.diff(beats)
    return np.round(np.interp(np.arange(n) / FS_SLOW, beats[1:], rate))


def _snore(rng: np.random.Generator, night: SimulatedNight,
           phase: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Snoring sound: noise bursts on inspiration, in episodes, in sleep."""
    n = int(night.duration_s * FS_EEG)
    asleep = _stage_curve(night, {s: float(s in ("N1", "N2", "N3", "R")) for s in EEG_SD_UV},
                          FS_EEG)
    episodes = smooth_noise(rng, n, SNORE_CORR_S * FS_EEG) > norm.ppf(1 - SNORE_SHARE)
    inspiration = np.sin(upsample_linear(np.append(phase, phase[-1]), FS_RESP, FS_EEG, n)) > 0
    return SNORE_UV * emg_noise(rng, n, FS_EEG) * asleep * episodes * inspiration


def _position(night: SimulatedNight) -> npt.NDArray[np.float64]:
    """Body position code (:data:`POSITION_CODES`) once per second."""
    n = int(night.duration_s * FS_SLOW)
    pos = night.positions
    codes = pos["position"].map(POSITION_CODES).to_numpy(dtype=float)
    idx = np.searchsorted(pos["onset"].to_numpy(), np.arange(n) / FS_SLOW, side="right") - 1
    return codes[np.clip(idx, 0, codes.size - 1)]
