"""The recording chain of a leg channel: amplifier filters, polarity, offset, storage step.

These are the harder recording conditions of :class:`plms.simulate.NightSpec`
(issue 14) that act on the stored signal, applied in the order an amplifier
and its recorder would: band-pass, notch, polarity, DC offset, then the
storage resolution. All are off by default. The truth is untouched: it stays
defined on the noise-free activation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import signal

from plms.simulate.spec import MAX_AMPLIFIER_FRACTION_OF_FS, NightSpec

#: Order of the amplifier's Butterworth band-pass (causal, applied once).
AMPLIFIER_ORDER = 2
#: Quality factor of the amplifier's mains notch.
NOTCH_Q = 30.0
#: DC offset of a leg: this share of ``NightSpec.dc_offset_uv`` (uniform), sign drawn.
DC_OFFSET_SHARE = (0.5, 1.0)


def amplifier_band(band_hz: tuple[float, float], fs: float) -> tuple[float, float]:
    """The band actually applied at ``fs``: the upper edge capped at 0.45 fs."""
    lo, hi = band_hz
    return float(lo), float(min(hi, MAX_AMPLIFIER_FRACTION_OF_FS * fs))


def amplifier_filter(x: npt.NDArray[np.float64], fs: float, band_hz: tuple[float, float] | None,
                     notch_hz: float | None) -> npt.NDArray[np.float64]:
    """``x`` through the amplifier: causal band-pass and/or notch (scipy.signal).

    A notch at or above Nyquist is skipped (nothing to remove).
    """
    y = np.asarray(x, dtype=np.float64)
    if band_hz is not None:
        sos = signal.butter(AMPLIFIER_ORDER, amplifier_band(band_hz, fs), btype="bandpass",
                            fs=fs, output="sos")
        y = signal.sosfilt(sos, y)
    if notch_hz is not None and notch_hz < fs / 2:
        b, a = signal.iirnotch(notch_hz, NOTCH_Q, fs=fs)
        y = signal.lfilter(b, a, y)
    return y


def quantise(x: npt.NDArray[np.float64], step: float) -> npt.NDArray[np.float64]:
    """``x`` rounded to whole multiples of ``step`` (the storage resolution)."""
    if not step > 0:
        raise ValueError(f"storage step must be positive, got {step}")
    return np.rint(x / step) * step


def dc_offset(rng: np.random.Generator, size_uv: float) -> float:
    """The DC offset of one leg: ``size_uv`` times a share in DC_OFFSET_SHARE, sign drawn."""
    return float(size_uv * rng.uniform(*DC_OFFSET_SHARE) * rng.choice((-1.0, 1.0)))


def record(rng: np.random.Generator, x: npt.NDArray[np.float64], fs: float,
           spec: NightSpec) -> npt.NDArray[np.float64]:
    """One leg's signal (uV) as ``spec``'s amplifier and recorder store it.

    Returns ``x`` itself when no recording condition is on (so a default night
    is unchanged), else a new array.
    """
    notch = spec.mains_hz if spec.amplifier_notch else None
    if spec.amplifier_band_hz is not None or notch is not None:
        x = amplifier_filter(x, fs, spec.amplifier_band_hz, notch)
    if spec.invert_polarity:
        x = -x
    if spec.dc_offset_uv != 0.0:
        x = x + dc_offset(rng, spec.dc_offset_uv)
    if spec.storage_uv_per_bit is not None:
        x = quantise(x, spec.storage_uv_per_bit)
    return x
