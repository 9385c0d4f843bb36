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

# -- irregular rhythm (harder condition) ---------------------------------------------------
#: RR intervals, s (46-133 bpm), their night mean s (uniform) and log-normal sigma.
IRREGULAR_RR_S = (0.45, 1.3)
IRREGULAR_MEAN_RR_S = (0.65, 0.9)
IRREGULAR_RR_SIGMA = 0.22
#: Share of ectopic beats (uniform per night), their coupling interval and the pause after, s.
ECTOPIC_SHARE = (0.05, 0.12)
ECTOPIC_COUPLING_S = (0.45, 0.6)
ECTOPIC_PAUSE_S = (0.9, 1.3)
#: Ectopic beats in the legs: this times the usual QRS, this much wider (uniform).
ECTOPIC_GAIN = 2.0
ECTOPIC_WIDTH_FACTOR = (1.4, 2.0)
#: ECG pick-up of the stronger leg, uV (uniform), the weaker leg's share of it (uniform);
#: a posture change moves the size within these factors of it.
IRREGULAR_LEG_QRS_UV = (60.0, 80.0)
IRREGULAR_WEAK_SHARE = (0.25, 0.5)
IRREGULAR_QRS_CLIP = (0.85, 1.15)
#: Ectopic complex in the ECG lead: wide QRS, no P, inverted T ((uV, centre s, width s)).
ECTOPIC_ECG_WAVES = ((1400.0, 0.0, 0.035), (-400.0, 0.07, 0.03), (-350.0, 0.3, 0.06))


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
                breaths_per_min: float, mains_hz: float | None,
                ectopic: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.float64]:
    """The ECG lead in uV: P-QRS-T at every beat, wander, noise and some mains.

    With ``ectopic`` (a mask over ``beats``, irregular rhythm) the normal beats
    have no P wave (atrial fibrillation) and the ectopic ones a wide complex
    (:data:`ECTOPIC_ECG_WAVES`).
    """
    first = int(np.floor(ECG_SPAN_S[0] * fs))
    tt = (first + np.arange(int(np.ceil((ECG_SPAN_S[1] - ECG_SPAN_S[0]) * fs)))) / fs
    waves = ECG_WAVES if ectopic is None else ECG_WAVES[1:]
    template = sum(a * np.exp(-0.5 * ((tt - c) / w) ** 2) for a, c, w in waves)
    resp = np.sin(2 * np.pi * breaths_per_min / S_PER_MIN * beats + rng.uniform(0, 2 * np.pi))
    weights = rng.uniform(*ECG_GAIN) * (1 + ECG_RESP_MODULATION * resp
                                        + BEAT_AMPLITUDE_SD * rng.standard_normal(beats.size))
    x = np.zeros(n)
    if ectopic is None:
        _place(x, fs, beats, weights, np.asarray(template), first)
    else:
        wide = sum(a * np.exp(-0.5 * ((tt - c) / w) ** 2) for a, c, w in ECTOPIC_ECG_WAVES)
        _place(x, fs, beats[~ectopic], weights[~ectopic], np.asarray(template), first)
        _place(x, fs, beats[ectopic], weights[ectopic], np.asarray(wide), first)
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


def _leg_shape(rng: np.random.Generator, width: float,
               fs: int) -> tuple[int, npt.NDArray[np.float64]]:
    """A QRS-like spike of ``width`` s (first sample offset, shape of peak |1|)."""
    sd = width / QRS_WIDTH_PER_SD
    first = -int(np.ceil(width / 2 * fs))
    tt = (first + np.arange(2 * -first + 1)) / fs
    gauss = np.exp(-0.5 * (tt / sd) ** 2)
    shape = rng.uniform(-1, 1) * gauss + rng.uniform(-1, 1) * (-tt / sd) * gauss
    return first, shape / np.max(np.abs(shape))


def add_leg_qrs(rng: np.random.Generator, x: npt.NDArray[np.float64],
                beats: npt.NDArray[np.float64], fs: int, step_times: npt.ArrayLike,
                size_uv: float | None = None,
                ectopic: npt.NDArray[np.bool_] | None = None) -> float:
    """Add the QRS spikes of every beat, as one leg sees them, to ``x`` (uV, in place).

    ``size_uv`` fixes the typical peak size (irregular rhythm; else drawn from
    :data:`LEG_QRS_UV`); ``ectopic`` (a mask over ``beats``) gives those beats
    a wider spike of another shape and :data:`ECTOPIC_GAIN` times the size.
    Returns the typical peak size, uV.
    """
    width = rng.uniform(*LEG_QRS_WIDTH_S)
    first, shape = _leg_shape(rng, width, fs)
    size = float(log_uniform(rng, *LEG_QRS_UV)) if size_uv is None else float(size_uv)
    bounds = LEG_QRS_UV if size_uv is None else (size * IRREGULAR_QRS_CLIP[0],
                                                  size * IRREGULAR_QRS_CLIP[1])
    steps = np.sort(np.asarray(step_times, dtype=float))
    seg_factor = rng.uniform(*LEG_QRS_POSTURE_FACTOR, size=steps.size + 1)
    factor = seg_factor[np.searchsorted(steps, beats, side="right")]
    weights = np.clip(size * factor, *bounds) * (
        1 + BEAT_AMPLITUDE_SD * rng.standard_normal(beats.size))
    delay = rng.uniform(*LEG_QRS_DELAY_S)
    if ectopic is None:
        _place(x, fs, beats + delay, weights, shape, first)
        return size
    wide_first, wide = _leg_shape(rng, width * rng.uniform(*ECTOPIC_WIDTH_FACTOR), fs)
    if np.sign(wide[np.argmax(np.abs(wide))]) == np.sign(shape[np.argmax(np.abs(shape))]):
        wide = -wide  # another shape: wider, and its main deflection the other way
    _place(x, fs, beats[~ectopic] + delay, weights[~ectopic], shape, first)
    _place(x, fs, beats[ectopic] + delay, ECTOPIC_GAIN * weights[ectopic], wide, wide_first)
    return size


def irregular_beats(rng: np.random.Generator, duration_s: float
                    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """R-peak times (s) of an atrial-fibrillation-like rhythm, and which beats are ectopic.

    RR intervals are drawn independently (log-normal around a night mean,
    redrawn into :data:`IRREGULAR_RR_S`); a share of beats are ectopic: early
    (:data:`ECTOPIC_COUPLING_S` after the beat before) and followed by a
    pause (:data:`ECTOPIC_PAUSE_S`); two ectopic beats never follow each other.
    """
    lo, hi = IRREGULAR_RR_S
    m = int(np.ceil(duration_s / lo)) + 2
    mean_rr = rng.uniform(*IRREGULAR_MEAN_RR_S)
    rr = mean_rr * np.exp(IRREGULAR_RR_SIGMA * rng.standard_normal(m))
    bad = (rr < lo) | (rr > hi)
    rr[bad] = rng.uniform(lo, hi, size=int(bad.sum()))
    ectopic = rng.random(m) < rng.uniform(*ECTOPIC_SHARE)
    ectopic[0] = False
    ectopic[1:] &= ~ectopic[:-1]
    idx = np.flatnonzero(ectopic)
    rr[idx] = rng.uniform(*ECTOPIC_COUPLING_S, size=idx.size)
    after = idx[idx + 1 < m] + 1
    rr[after] = rng.uniform(*ECTOPIC_PAUSE_S, size=after.size)
    beats = rng.uniform(0.0, hi) + np.cumsum(rr) - rr[0]
    keep = beats < duration_s
    return beats[keep], ectopic[keep]
