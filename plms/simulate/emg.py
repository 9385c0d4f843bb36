"""Band-limited EMG noise and the amplitude convention of the simulator.

Convention: an EMG *level* of A uV means that the mean of the rectified signal
after the reference 10-100 Hz band-pass (:func:`reference_bandpass`) is A uV.
:func:`emg_noise` returns Gaussian noise, band-limited inside that band, scaled
so that its level is exactly 1 (computed from the filters' responses, not
estimated from the draw); multiplying it by an envelope in uV gives EMG of that
level.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import signal

#: The band that defines EMG levels, Hz (RULES.md section 1, AASM pass band).
REFERENCE_BAND_HZ = (10.0, 100.0)
#: Its upper edge never goes above this share of the sampling rate.
REFERENCE_MAX_FRACTION_OF_FS = 0.45
#: Order of the reference Butterworth band-pass (applied forwards and backwards).
REFERENCE_ORDER = 4
#: Band of the generated EMG noise, Hz, and its upper edge limit as a share of fs.
EMG_BAND_HZ = (15.0, 95.0)
EMG_MAX_FRACTION_OF_FS = 0.42
#: Order of the Butterworth filter that shapes the noise.
EMG_ORDER = 4
#: Frequency grid used to compute the noise gain.
GAIN_GRID_POINTS = 16384
#: Smooth noise: coarse grid points per kernel sd, padding in kernel sds.
SMOOTH_COARSE_POINTS_PER_SD = 4.0
SMOOTH_PAD_SDS = 4.0
#: Mean absolute value of a standard normal variable.
MEAN_ABS_STD_NORMAL = float(np.sqrt(2.0 / np.pi))


def reference_band(fs: float) -> tuple[float, float]:
    """The reference band at sampling rate ``fs`` (upper edge capped below Nyquist)."""
    lo, hi = REFERENCE_BAND_HZ
    return lo, min(hi, REFERENCE_MAX_FRACTION_OF_FS * fs)


def reference_sos(fs: float) -> npt.NDArray[np.float64]:
    """Second-order sections of the reference band-pass at ``fs``."""
    return signal.butter(REFERENCE_ORDER, reference_band(fs), btype="bandpass", fs=fs,
                         output="sos")


def reference_bandpass(x: npt.ArrayLike, fs: float) -> npt.NDArray[np.float64]:
    """Zero-phase reference 10-100 Hz band-pass of ``x``."""
    return signal.sosfiltfilt(reference_sos(fs), np.asarray(x, dtype=float))


def emg_level(x: npt.ArrayLike, fs: float) -> float:
    """Level of an EMG segment: mean rectified value after the reference band-pass."""
    return float(np.mean(np.abs(reference_bandpass(x, fs))))


def _noise_sos(fs: float) -> npt.NDArray[np.float64]:
    lo, hi = EMG_BAND_HZ
    return signal.butter(EMG_ORDER, (lo, min(hi, EMG_MAX_FRACTION_OF_FS * fs)), btype="bandpass",
                         fs=fs, output="sos")


def noise_gain(fs: float) -> float:
    """Standard deviation of unit white noise after the shaping and reference filters."""
    _, g = signal.sosfreqz(_noise_sos(fs), worN=GAIN_GRID_POINTS)
    _, h = signal.sosfreqz(reference_sos(fs), worN=GAIN_GRID_POINTS)
    # the reference filter runs forwards and backwards: its power gain is |H|^4
    return float(np.sqrt(np.mean(np.abs(g) ** 2 * np.abs(h) ** 4)))


def emg_noise(rng: np.random.Generator, n: int, fs: float) -> npt.NDArray[np.float32]:
    """``n`` samples of band-limited Gaussian EMG noise of level 1 (float32)."""
    white = rng.standard_normal(n, dtype=np.float32)
    shaped = signal.sosfilt(_noise_sos(fs).astype(np.float32), white)
    shaped *= np.float32(1.0 / (noise_gain(fs) * MEAN_ABS_STD_NORMAL))
    return shaped.astype(np.float32, copy=False)


def upsample_linear(values: npt.ArrayLike, grid_fs: float, fs: float,
                    n: int) -> npt.NDArray[np.float64]:
    """Linear interpolation of a slow grid (``values[k]`` at ``k / grid_fs``) to ``n`` samples.

    Uses a reshape when ``fs`` is a whole multiple of ``grid_fs`` (fast), else
    :func:`numpy.interp`. The grid must reach at least ``(n - 1) / fs``.
    """
    v = np.asarray(values, dtype=float)
    step = fs / grid_fs
    needed = int(np.ceil((n - 1) / step)) + 1
    if v.size < needed:
        raise ValueError(f"grid of {v.size} points does not cover {n} samples")
    if float(step).is_integer():
        k = int(step)
        frac = np.arange(k) / k
        m = int(np.ceil(n / k))
        out = np.empty((m, k))
        np.multiply(np.diff(v[:m + 1])[:, None], frac[None, :], out=out)
        out += v[:m, None]
        return out.ravel()[:n]
    return np.interp(np.arange(n) / fs, np.arange(v.size) / grid_fs, v)


def smooth_noise(rng: np.random.Generator, n: int, corr_points: float) -> npt.NDArray[np.float64]:
    """Standardised smooth Gaussian process of ``n`` points, correlation ~``corr_points``.

    White noise through a Gaussian kernel of sd ``corr_points``; long kernels
    are applied on a coarse grid and interpolated linearly, which keeps the
    cost linear in ``n``.
    """
    from scipy.ndimage import gaussian_filter1d

    step = max(1.0, corr_points / SMOOTH_COARSE_POINTS_PER_SD)
    m = int(np.ceil((n - 1) / step)) + 1
    sd_coarse = corr_points / step
    pad = int(SMOOTH_PAD_SDS * sd_coarse) + 1
    coarse = gaussian_filter1d(rng.standard_normal(m + 2 * pad), sd_coarse)[pad:pad + m]
    x = coarse if step == 1.0 else np.interp(np.arange(n) / step, np.arange(m), coarse)
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros(n)


def periodic_sine(n: int, fs: int, freq_hz: float, phase: float) -> npt.NDArray[np.float64]:
    """``sin(2 pi f t + phase)`` for ``n`` samples, computed over one exact period and tiled."""
    f = int(round(freq_hz))
    if f != freq_hz or int(fs) != fs:
        return np.sin(2 * np.pi * freq_hz * np.arange(n) / fs + phase)
    period = int(fs) // int(np.gcd(int(fs), f))
    base = np.sin(2 * np.pi * f * np.arange(period) / fs + phase)
    return np.resize(base, n)
