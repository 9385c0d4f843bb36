"""Heart beats, the ECG channel and the QRS spikes they leave in the leg EMG.

The heart rate follows the stage (higher awake and in REM), breathing (sinus
arrhythmia), a slow drift and a surge after every arousal. The ECG channel
draws a P-QRS-T complex at each beat; each leg receives a smaller QRS-like
spike of its own shape at the same beats.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from plms.hypnogram import Hypnogram
from plms.simulate.emg import periodic_sine, smooth_noise, upsample_linear
from plms.simulate.movements import log_uniform
from plms.simulate.spec import S_PER_MIN

#: Grid of the heart-rate curve, Hz.
HR_GRID_FS = 4
#: Night mean heart rate, bpm (uniform); offsets by stage, bpm.
HR_MEAN_BPM = (52.0, 75.0)
HR_STAGE_OFFSET_BPM = {"W": 8.0, "N1": 2.0, "N2": 0.0, "N3": -3.0, "R": 4.0, "MT": 8.0, "U": 0.0}
#: Slow drift sd, bpm; its correlation time, s.
HR_DRIFT_BPM = 3.0
HR_DRIFT_CORR_S = 300.0
#: Sinus arrhythmia amplitude, bpm (uniform).
RSA_BPM = (1.0, 4.0)
#: Surge after an arousal: size bpm (uniform), rise and decay time constants, s.
SURGE_BPM = (6.0, 15.0)
SURGE_RISE_S = 2.0
SURGE_DECAY_S = 8.0
SURGE_LENGTH_S = 40.0
#: Heart rate limits, bpm.
HR_LIMITS_BPM = (45.0, 110.0)
#: Beat timing jitter sd, s.
BEAT_JITTER_S = 0.003
#: Beats drawn per vectorised block.
BEAT_BLOCK = 2048

#: ECG complex: (amplitude uV, centre s from R, width s) of P, Q, R, S, T.
ECG_WAVES = ((120.0, -0.20, 0.025), (-100.0, -0.035, 0.010), (1000.0, 0.0, 0.011),
             (-250.0, 0.035, 0.012), (300.0, 0.28, 0.05))
#: Template support around the R peak, s.
ECG_SPAN_S = (-0.3, 0.5)
#: Per-night ECG gain (uniform), per-beat amplitude jitter sd, breathing modulation share.
ECG_GAIN = (0.6, 1.4)
BEAT_AMPLITUDE_SD = 0.04
ECG_RESP_MODULATION = 0.08
#: ECG channel extras: wander uV and its correlation s, white noise sd uV, mains uV.
ECG_WANDER_UV = 60.0
ECG_WANDER_CORR_S = 2.0
ECG_NOISE_UV = 6.0
ECG_MAINS_UV = 8.0

#: Leg QRS: peak uV (log-uniform), width s (uniform), delay after R s (uniform).
LEG_QRS_UV = (10.0, 60.0)
LEG_QRS_WIDTH_S = (0.06, 0.10)
LEG_QRS_DELAY_S = (0.0, 0.02)
#: The Gaussian sd is the width divided by this.
QRS_WIDTH_PER_SD = 6.0
#: Change of the leg QRS size at each posture change (uniform factor).
LEG_QRS_POSTURE_FACTOR = (0.6, 1.4)


def heart_rate(rng: np.random.Generator, hyp: Hypnogram, duration_s: float,
               arousal_onsets: npt.ArrayLike, breaths_per_min: float) -> npt.NDArray[np.float64]:
    """Heart rate in bpm on a ``HR_GRID_FS`` grid covering ``duration_s`` (+ 1 point)."""
    m = int(np.ceil(duration_s * HR_GRID_FS)) + 1
    t = np.arange(m) / HR_GRID_FS
    per_epoch = np.array([HR_STAGE_OFFSET_BPM[s] for s in hyp.stages.tolist()] + [0.0])
    hr = rng.uniform(*HR_MEAN_BPM) + per_epoch[hyp.epoch_index(t)]  # -1 picks the trailing 0
    hr = hr + HR_DRIFT_BPM * smooth_noise(rng, m, HR_DRIFT_CORR_S * HR_GRID_FS)
    hr += rng.uniform(*RSA_BPM) * np.sin(2 * np.pi * breaths_per_min / S_PER_MIN * t
                                         + rng.uniform(0, 2 * np.pi))
    k = np.arange(int(SURGE_LENGTH_S * HR_GRID_FS)) / HR_GRID_FS
    kernel = (1 - np.exp(-k / SURGE_RISE_S)) * np.exp(-k / SURGE_DECAY_S)
    kernel /= kernel.max()
    for onset in np.asarray(arousal_onsets, dtype=float):
        i = int(onset * HR_GRID_FS)
        j = min(i + kernel.size, m)
        if 0 <= i < m:
            hr[i:j] += rng.uniform(*SURGE_BPM) * kernel[:j - i]
    return np.clip(hr, *HR_LIMITS_BPM)


def beat_times(rng: np.random.Generator, hr_bpm: npt.NDArray[np.float64],
               duration_s: float) -> npt.NDArray[np.float64]:
    """R-peak times (s) from a heart-rate curve on the ``HR_GRID_FS`` grid."""
    t = np.arange(hr_bpm.size) / HR_GRID_FS
    phase = np.concatenate([[0.0], np.cumsum(hr_bpm[:-1] / S_PER_MIN / HR_GRID_FS)])
    k = np.arange(np.ceil(rng.uniform(0, 1)), np.floor(phase[-1]))
    beats = np.interp(k, phase, t) + rng.normal(0.0, BEAT_JITTER_S, k.size)
    return np.sort(beats[(beats >= 0) & (beats < duration_s)])


def _place(x: npt.NDArray[np.float64], fs: float, beats: npt.NDArray[np.float64],
           weights: npt.NDArray[np.float64], template: npt.NDArray[np.float64],
           first: int) -> None:
    """Add ``template`` (first sample at offset ``first``) scaled by weights at each beat.

    Beats are split into interleaved groups whose templates never overlap, so
    that a plain fancy-index addition is exact, and processed in blocks.
    """
    if beats.size == 0:
        return
    min_gap = float(np.min(np.diff(beats))) if beats.size > 1 else np.inf
    n_groups = max(1, int(np.ceil((template.size + 2) / fs / min_gap)))
    offsets = first + np.arange(template.size)
    starts = np.rint(beats * fs).astype(np.int64)
    for g in range(n_groups):
        for b in range(g, beats.size, n_groups * BEAT_BLOCK):
            sel = slice(b, min(b + n_groups * BEAT_BLOCK, beats.size), n_groups)
            idx = starts[sel][:, None] + offsets[None, :]
            vals = weights[sel][:, None] * template[None, :]
            inside = (idx >= 0) & (idx < x.size)
            x[idx[inside]] += vals[inside]


def ecg_channel(rng: np.random.Generator, beats: npt.NDArray[np.float64], fs: int, n: int,
                breaths_per_min: float, mains_hz: float | None) -> npt.NDArray[np.float64]:
    """The ECG lead in uV: P-QRS-T at every beat, wander, noise and some mains."""
    first = int(np.floor(ECG_SPAN_S[0] * fs))
    tt = (first + np.arange(int(np.ceil((ECG_SPAN_S[1] - ECG_SPAN_S[0]) * fs)))) / fs
    template = sum(a * np.exp(-0.5 * ((tt - c) / w) ** 2) for a, c, w in ECG_WAVES)
    resp = np.sin(2 * np.pi * breaths_per_min / S_PER_MIN * beats + rng.uniform(0, 2 * np.pi))
    weights = rng.uniform(*ECG_GAIN) * (1 + ECG_RESP_MODULATION * resp
                                        + BEAT_AMPLITUDE_SD * rng.standard_normal(beats.size))
    x = np.zeros(n)
    _place(x, fs, beats, weights, np.asarray(template), first)
    wander = ECG_WANDER_UV * smooth_noise(rng, int(np.ceil(n / fs)) + 2, ECG_WANDER_CORR_S)
    x += upsample_linear(wander, 1, fs, n)
    noise = rng.standard_normal(n)
    noise *= ECG_NOISE_UV
    x += noise
    del noise
    if mains_hz is not None and mains_hz < fs / 2:
        hum = periodic_sine(n, fs, mains_hz, rng.uniform(0, 2 * np.pi))
        hum *= ECG_MAINS_UV
        x += hum
    return x


def add_leg_qrs(rng: np.random.Generator, x: npt.NDArray[np.float64],
                beats: npt.NDArray[np.float64], fs: int, step_times: npt.ArrayLike) -> float:
    """Add the QRS spikes of every beat, as one leg sees them, to ``x`` (uV, in place).

    Returns their typical peak size, uV.
    """
    width = rng.uniform(*LEG_QRS_WIDTH_S)
    sd = width / QRS_WIDTH_PER_SD
    first = -int(np.ceil(width / 2 * fs))
    tt = (first + np.arange(2 * -first + 1)) / fs
    gauss = np.exp(-0.5 * (tt / sd) ** 2)
    shape = rng.uniform(-1, 1) * gauss + rng.uniform(-1, 1) * (-tt / sd) * gauss
    shape /= np.max(np.abs(shape))
    size = float(log_uniform(rng, *LEG_QRS_UV))
    steps = np.sort(np.asarray(step_times, dtype=float))
    seg_factor = rng.uniform(*LEG_QRS_POSTURE_FACTOR, size=steps.size + 1)
    factor = seg_factor[np.searchsorted(steps, beats, side="right")]
    weights = np.clip(size * factor, *LEG_QRS_UV) * (
        1 + BEAT_AMPLITUDE_SD * rng.standard_normal(beats.size))
    delay = rng.uniform(*LEG_QRS_DELAY_S)
    _place(x, fs, beats + delay, weights, shape, first)
    return size
