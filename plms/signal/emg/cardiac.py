"""Heart beats: R-peak times from an ECG channel, and the gate that hides them in leg EMG.

Leg EMG carries the ECG's QRS complexes (tens of µV); left in, they chain into
false leg movements (RULES.md section 1 needs 0.5 s of quiet for an offset).
plms finds the beats on the ECG channel and leaves the samples around every
QRS out of the leg's amplitude envelope.

Beats of another shape (ectopic or aberrant beats, whose QRS is wide, as in a
rhythm with premature ventricular beats) are told apart on the ECG by how far
their slope energy spreads (:func:`detect_heartbeats`); their artifact in a leg
is wider and larger than a normal beat's, so its extent is measured on the leg
itself (:func:`leg_artifact_extent`) and gated accordingly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from plms.signal.emg.conditioning import Samples, moving_sum
from plms.signal.emg.rpeaks import RPeakSettings, find_heartbeats
from plms.signal.events import covered

#: Integration window of the squared ECG slope (about one QRS width).
QRS_INTEGRATION_S = 0.08
#: Adaptive threshold: this share of a high percentile of the slope energy ...
#: (a wide ectopic complex has a slower upstroke: its integrated slope energy
#: can be a fifth of a normal beat's, and 0.3 missed 2-5 % of them; a T wave's
#: is well under 1 %, so 0.15 keeps them out with room to spare)
R_THRESHOLD_FRACTION = 0.15
#: ... taken per block of this many seconds ...
R_THRESHOLD_BLOCK_S = 10.0
#: ... at this percentile.
R_THRESHOLD_PERCENTILE = 99.0
#: Two beats are at least this far apart (a heart rate of 200 bpm at most).
R_REFRACTORY_S = 0.3
#: Beats are sought on the ECG averaged down to at least this rate (QRS energy
#: lies below ~40 Hz; a coarser grid cuts the cost of a night fourfold at 512 Hz).
R_DETECTION_RATE_HZ = 128.0
#: Shape of a beat: the slope energy within this full width around it ...
QRS_SHAPE_WIDE_S = 0.24
#: ... over the slope energy within this full width (a normal QRS lies inside it) ...
QRS_SHAPE_NARROW_S = 0.08
#: ... is this many times the night's median ratio or more: a beat of another
#: shape (a normal beat's ratio lies within 3 % of the median, an ectopic beat
#: with a QRS three times as wide at +45 % or more on generated nights).
OTHER_SHAPE_RATIO = 1.25
#: All of them, for :func:`plms.signal.emg.rpeaks.find_heartbeats`.
R_PEAK_SETTINGS = RPeakSettings(
    integration_s=QRS_INTEGRATION_S, threshold_fraction=R_THRESHOLD_FRACTION,
    block_s=R_THRESHOLD_BLOCK_S, percentile=R_THRESHOLD_PERCENTILE,
    refractory_s=R_REFRACTORY_S, detection_rate_hz=R_DETECTION_RATE_HZ,
    shape_wide_s=QRS_SHAPE_WIDE_S, shape_narrow_s=QRS_SHAPE_NARROW_S,
    other_shape_ratio=OTHER_SHAPE_RATIO)


@dataclass(frozen=True, eq=False)
class Heartbeats:
    """Heart beats found on an ECG.

    Attributes
    ----------
    times_s : ndarray of float
        Beat times, s (the peak of the QRS slope energy).
    other_shape : ndarray of bool
        True for the beats whose QRS is much wider than the night's usual one
        (ectopic or aberrant beats; :data:`OTHER_SHAPE_RATIO`).
    """

    times_s: npt.NDArray[np.float64]
    other_shape: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        if np.shape(self.times_s) != np.shape(self.other_shape):
            raise ValueError("times_s and other_shape must have the same length, got "
                             f"{np.shape(self.times_s)} and {np.shape(self.other_shape)}")


def detect_r_peaks(ecg: npt.ArrayLike, fs: float) -> npt.NDArray[np.float64]:
    """Times (s) of the heart beats in an ECG, from the energy of its slope.

    Polarity-free (the slope is squared) and insensitive to baseline wander
    (the derivative removes it); the threshold adapts per 10-s block. The
    times of :func:`detect_heartbeats`.

    Examples
    --------
    >>> fs = 256.0
    >>> t = np.arange(int(20 * fs)) / fs
    >>> ecg = sum(np.exp(-0.5 * ((t - b) / 0.01) ** 2) for b in np.arange(0.5, 20, 0.8))
    >>> beats = detect_r_peaks(ecg, fs)
    >>> len(beats), bool(np.allclose(beats, np.arange(0.5, 20, 0.8), atol=0.02))
    (25, True)
    """
    return detect_heartbeats(ecg, fs).times_s


def detect_heartbeats(ecg: npt.ArrayLike | Samples, fs: float,
                      chunk_s: float | None = None) -> Heartbeats:
    """The heart beats of an ECG, with the beats of another shape marked.

    Beats are the peaks of the squared ECG slope integrated over
    :data:`QRS_INTEGRATION_S` above an adaptive threshold, at least
    :data:`R_REFRACTORY_S` apart. A beat is of another shape when its slope
    energy spreads far beyond a normal QRS: the energy within
    :data:`QRS_SHAPE_WIDE_S` over that within :data:`QRS_SHAPE_NARROW_S` is
    :data:`OTHER_SHAPE_RATIO` times the night's median ratio or more.

    Parameters
    ----------
    ecg : array or Samples
        The ECG samples (any unit; the polarity does not matter), held or
        read a stretch at a time.
    fs : float
        Sampling rate, Hz.
    chunk_s : float, optional
        Work on this long at a time (whole 10-s blocks; the same beats in less
        memory); None: the whole record at once.

    Returns
    -------
    Heartbeats

    Raises
    ------
    ValueError
        When ``fs`` is not positive.

    Examples
    --------
    >>> fs = 256.0
    >>> t = np.arange(int(30 * fs)) / fs
    >>> beats = np.arange(0.5, 30, 0.75)
    >>> wide = np.zeros(beats.size, dtype=bool); wide[5::8] = True
    >>> ecg = sum(np.exp(-0.5 * ((t - b) / (0.035 if w else 0.01)) ** 2)
    ...           for b, w in zip(beats, wide))
    >>> found = detect_heartbeats(ecg, fs)
    >>> found.times_s.size, bool((found.other_shape == wide).all())
    (40, True)
    """
    if not fs > 0:
        raise ValueError(f"sampling rate must be positive, got {fs}")
    x = ecg if isinstance(ecg, Samples) else np.asarray(ecg, dtype=np.float32)
    return Heartbeats(*find_heartbeats(x, fs, R_PEAK_SETTINGS, chunk_s))


def leg_artifact_extent(
    sums: npt.NDArray[np.floating], counts: npt.NDArray[np.floating], rate_hz: float,
    beats_s: npt.ArrayLike, *, span_s: float, margin_uv: float, min_beats: int,
    smoothing_s: float = 0.0,
) -> tuple[float, float] | None:
    """How far before and after its beats a set of beats disturbs one leg's EMG, s.

    The median over the beats of the leg's mean rectified amplitude per bin,
    within ``span_s`` of each beat, is the beats' typical artifact (the median
    ignores the beats that fall in a movement), smoothed over ``smoothing_s``
    (a QRS-like wave is rectified to lobes with dips between them); the
    artifact spans the bins around its highest point where it stands more than
    ``margin_uv`` above the median of that profile (the leg at rest between beats).

    Parameters
    ----------
    sums, counts : array
        Rectified sums and valid-sample counts per bin (:func:`binned_rectified`).
    rate_hz : float
        Bin rate, Hz.
    beats_s : array
        Beat times, s.
    span_s : float
        The artifact is sought within this long before and after each beat.
    margin_uv : float
        Height above the resting level that counts as artifact, µV.
    min_beats : int
        With fewer beats (inside the record) nothing is measured.
    smoothing_s : float
        Width of the moving average over the profile, s (0: none).

    Returns
    -------
    (before_s, after_s) or None
        The artifact's extent before and after the beat (whole bins), or None
        when there are too few beats or the leg shows no artifact.

    Examples
    --------
    >>> rate = 100.0
    >>> sums = np.full(6000, 2.0); counts = np.ones(6000)
    >>> beats = np.arange(1.0, 59.0, 0.8)
    >>> for b in beats:
    ...     k = int(b * rate); sums[k - 9: k + 13] = 40.0     # -90 ms to +130 ms
    >>> leg_artifact_extent(sums, counts, rate, beats, span_s=0.3, margin_uv=1.0, min_beats=20)
    (0.1, 0.13)
    """
    half = int(round(span_s * rate_hz))
    centre = artifact_centres(beats_s, rate_hz, sums.size, half)
    return extent_from_rows(artifact_rows(sums, counts, centre, half), half, rate_hz,
                            margin_uv=margin_uv, min_beats=min_beats, smoothing_s=smoothing_s)


def artifact_centres(beats_s: npt.ArrayLike, rate_hz: float, n_bins: int,
                     half: int) -> npt.NDArray[np.int64]:
    """The bins of the beats whose ``half`` bins on each side lie in a record of ``n_bins``."""
    centre = np.floor(np.asarray(beats_s, dtype=float) * rate_hz).astype(np.int64)
    return centre[(centre - half >= 0) & (centre + half < n_bins)]


def artifact_rows(sums: npt.NDArray[np.floating], counts: npt.NDArray[np.floating],
                  centre: npt.NDArray[np.int64], half: int) -> npt.NDArray[np.float64]:
    """The mean rectified level within ``half`` bins of each ``centre``, one row per beat.

    ``centre`` indexes ``sums`` (a stretch of the record, or all of it).
    """
    idx = centre[:, None] + np.arange(-half, half + 1)[None, :]
    n = counts[idx]
    return np.divide(sums[idx], n, out=np.full(idx.shape, np.nan), where=n > 0)


def extent_from_rows(level: npt.NDArray[np.float64], half: int, rate_hz: float, *,
                     margin_uv: float, min_beats: int, smoothing_s: float = 0.0
                     ) -> tuple[float, float] | None:
    """:func:`leg_artifact_extent` from the beats' rows (:func:`artifact_rows`)."""
    if level.shape[0] < max(1, min_beats) or half < 1:
        return None
    with np.errstate(all="ignore"):
        profile = np.nanmedian(level, axis=0)
    if not np.isfinite(profile).all():
        return None
    width = max(1, int(round(smoothing_s * rate_hz)))
    if width > 1:
        profile = moving_sum(profile, width) / moving_sum(np.ones(profile.size), width)
    rest = float(np.median(profile))
    artifact = profile > rest + margin_uv
    top = int(np.argmax(profile))
    if not artifact[top]:
        return None
    lo = top - int(np.argmin(artifact[top::-1])) + 1 if not artifact[: top + 1].all() else 0
    hi = top + int(np.argmin(artifact[top:])) if not artifact[top:].all() else artifact.size
    # bin j (offset j - half) covers [j, j + 1) / rate around the beat's bin
    return (half - lo + 1) / rate_hz, (hi - half) / rate_hz


def qrs_valid_mask(
    n_samples: int, fs: float, beats_s: npt.ArrayLike, before_s: float | npt.ArrayLike,
    after_s: float | npt.ArrayLike, start: int = 0,
) -> npt.NDArray[np.bool_]:
    """False on the samples within [beat - before_s, beat + after_s] of any beat.

    ``before_s`` and ``after_s`` are one value for every beat or one per beat.
    The mask covers samples ``start:start + n_samples`` of the record.
    """
    beats = np.asarray(beats_s, dtype=float)
    if beats.size == 0:
        return np.ones(n_samples, dtype=bool)
    before = np.asarray(before_s, dtype=float)
    after = np.asarray(after_s, dtype=float)
    lo = np.clip(np.floor((beats - before) * fs).astype(np.int64) - start, 0, n_samples)
    hi = np.clip(np.ceil((beats + after) * fs).astype(np.int64) + 1 - start, 0, n_samples)
    return ~covered(n_samples, lo, hi)


def gate_widths(heartbeats: npt.ArrayLike | Heartbeats, before_s: float, after_s: float,
                extent: tuple[float, float] | None
                ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64],
                           npt.NDArray[np.float64]]:
    """Beat times and how long before and after each one the gate reaches, s.

    Beats of another shape are gated over ``extent`` (their artifact on the
    leg, :func:`leg_artifact_extent`) where that is wider.
    """
    if not isinstance(heartbeats, Heartbeats):
        times = np.asarray(heartbeats, dtype=float)
        return times, np.full(times.size, before_s), np.full(times.size, after_s)
    times = np.asarray(heartbeats.times_s, dtype=float)
    other = np.asarray(heartbeats.other_shape, dtype=bool)
    before, after = np.full(times.size, before_s), np.full(times.size, after_s)
    if extent is not None:
        before[other] = max(before_s, extent[0])
        after[other] = max(after_s, extent[1])
    return times, before, after


def qrs_gate(
    sums: npt.NDArray[np.floating], counts: npt.NDArray[np.floating], rate_hz: float,
    heartbeats: npt.ArrayLike | Heartbeats, *, before_s: float, after_s: float,
    span_s: float, margin_uv: float, min_beats: int, smoothing_s: float,
) -> npt.NDArray[np.bool_]:
    """Per bin of one leg: False where a heart beat's artifact is gated out of the envelope.

    Every beat is gated over [beat - ``before_s``, beat + ``after_s``]; the
    beats of another shape (given as :class:`Heartbeats`) over the extent of
    their median artifact on this leg where that is wider
    (:func:`leg_artifact_extent` with ``span_s``, ``margin_uv``,
    ``min_beats``, ``smoothing_s``; the settings of
    :class:`plms.signal.emg.detect.DetectorSettings`).
    """
    extent = None
    if isinstance(heartbeats, Heartbeats):
        times = np.asarray(heartbeats.times_s, dtype=float)
        extent = leg_artifact_extent(sums, counts, rate_hz, times[heartbeats.other_shape],
                                     span_s=span_s, margin_uv=margin_uv, min_beats=min_beats,
                                     smoothing_s=smoothing_s)
    times, before, after = gate_widths(heartbeats, before_s, after_s, extent)
    return qrs_valid_mask(sums.size, rate_hz, times, before, after)
