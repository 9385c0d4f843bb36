"""Sleep/wake from ankle accelerometers (RULES.md section 6, ``docs/ACCEL.md``).

The method follows van Hees et al. 2015 (PLoS One 10:e0142533, "A novel,
open access method to assess sleep duration using a wrist-worn
accelerometer"):

1. per-axis rolling medians over 5 s;
2. the sensor's orientation averaged per 5 s;
3. the change of orientation between successive 5-s averages;
4. sustained inactivity: every change below 5 degrees for at least 5 minutes,
   which is classed as sleep; everything else is wake.

Adaptations to an *ankle* sensor on a sleeper with periodic leg movements
(each documented in ``docs/ACCEL.md``):

- the angle is the 3-D angle between successive orientations instead of the
  wrist's "z-angle", since an ankle strap has no agreed vertical axis (the
  3-D angle is never smaller than the z-angle change);
- a leg movement rotates the foot and returns it: a moving stretch after
  which the orientation is back within ``bridge_return_deg`` of where it was,
  within ``bridge_max_s``, does not break a still period (a posture change,
  or a fidget that leaves the foot elsewhere, still does);
- with two ankles, a moment is still only when both are;
- the change threshold (2 degrees) and the minimum still period (8 min) were
  tuned on generated nights (van Hees: 5 degrees, 5 min at the wrist).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import median_filter

from plms.hypnogram import DEFAULT_EPOCH_S, Hypnogram

#: Stage label for estimated sleep ("sleep, stage unknown", plms.hypnogram.UNSTAGED_SLEEP).
SLEEP_LABEL = "S"
WAKE_LABEL = "W"
#: Name of the method, recorded with every estimate.
METHOD = "van Hees 2015 sustained inactivity, ankle adaptation (plms)"
#: Axes a sleep/wake estimate needs.
N_AXES = 3
#: The signal is brought to about this rate (block means) before the rolling median, Hz;
#: 25 samples per 5-s median keep the median's meaning at a fraction of the cost.
WORK_RATE_HZ = 5.0
#: Segments between a run of movement and the orientations its return is judged on.
RETURN_MARGIN = 1


@dataclass(frozen=True)
class SleepWakeSettings:
    """Parameters of the sustained-inactivity sleep/wake estimate.

    Examples
    --------
    >>> SleepWakeSettings().min_inactive_s
    480.0
    >>> SleepWakeSettings(segment_s=0.0)
    Traceback (most recent call last):
    ...
    ValueError: segment_s must be a positive number, got 0.0
    """

    #: Rolling median of each axis and the segment the orientation is averaged over, s
    #: (van Hees 2015: 5 s).
    segment_s: float = 5.0
    #: Orientation changes below this are "no movement", degrees (van Hees 2015:
    #: 5 at the wrist; 2 here, tuned on generated nights: an ankle at rest is
    #: steadier than a wrist, and wake fidgets often move it little).
    angle_threshold_deg: float = 2.0
    #: Shortest still period classed as sleep, s (van Hees 2015: 5 min; 8 min
    #: here, tuned on generated nights: with leg movements bridged, restless
    #: wake between fidgets that leave the foot elsewhere is often still for 5-8 min).
    min_inactive_s: float = 480.0
    #: Longest run of moving segments that a return to the former orientation
    #: bridges, s (ankle adaptation for leg movements; 0 switches it off).
    bridge_max_s: float = 10.0
    #: ... when the orientation after the run is within this of the one before, degrees.
    bridge_return_deg: float = 2.5

    def __post_init__(self) -> None:
        for name in ("segment_s", "angle_threshold_deg", "min_inactive_s", "bridge_return_deg"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value}")
        if not (np.isfinite(self.bridge_max_s) and self.bridge_max_s >= 0):
            raise ValueError(f"bridge_max_s must be zero or positive, got {self.bridge_max_s}")


@dataclass(frozen=True, eq=False)
class SleepWakeEstimate:
    """An estimated hypnogram with what it was computed from.

    Attributes
    ----------
    hypnogram : Hypnogram
        ``"S"`` (sleep, stage unknown) and ``"W"`` per epoch; ``source`` names the method.
    angle_change_deg : array of float
        Largest orientation change over the ankles per segment (``params["segment_s"]``).
    still : array of bool
        Per segment: inside a sustained-inactivity (sleep) period.
    sleep_onset_s, sleep_end_s : float or None
        Start of the first and end of the last sleep epoch (the sleep period).
    method : str
    params : dict
    """

    hypnogram: Hypnogram
    angle_change_deg: npt.NDArray[np.float64]
    still: npt.NDArray[np.bool_]
    sleep_onset_s: float | None
    sleep_end_s: float | None
    method: str
    params: dict[str, float]


def _runs(mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Start and end (exclusive) of every run of True."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _angle_deg(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    na = np.linalg.norm(a, axis=-1)
    nb = np.linalg.norm(b, axis=-1)
    cos = np.sum(a * b, axis=-1) / np.maximum(na * nb, 1e-12)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def segment_orientation(acc: npt.ArrayLike, fs: float, segment_s: float) -> npt.NDArray[np.float64]:
    """Mean of the rolling per-axis median over each segment, shape (n_segments, 3), in g.

    Examples
    --------
    >>> acc = np.tile([0.0, 0.0, 1.0], (1000, 1))
    >>> segment_orientation(acc, 100.0, 5.0).round(3).tolist()
    [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    """
    if not (np.isfinite(fs) and fs > 0):
        raise ValueError(f"sampling rate must be positive, got {fs}")
    x = np.asarray(acc, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != N_AXES:
        raise ValueError(f"sleep/wake needs three axes, shape (n, 3); got {x.shape}")
    step = max(1, int(fs // WORK_RATE_HZ))
    rate = fs / step
    n = x.shape[0] // step
    work = x[: n * step].reshape(n, step, N_AXES).mean(axis=1)
    if np.isnan(work).any():  # NaN stretches: carry the last valid orientation
        bad = np.isnan(work).any(axis=1)
        idx = np.maximum.accumulate(np.where(bad, 0, np.arange(n)))
        work = work[idx]
    width = max(1, int(round(segment_s * rate)))
    med = median_filter(work, size=(width, 1), mode="nearest")
    n_seg = n // width
    return med[: n_seg * width].reshape(n_seg, width, N_AXES).mean(axis=1)


def _still_one(orient: npt.NDArray[np.float64], settings: SleepWakeSettings
               ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Angle change per segment and the van Hees "no movement" flag with LM bridging."""
    change = np.zeros(orient.shape[0])
    change[1:] = _angle_deg(orient[1:], orient[:-1])
    still = change < settings.angle_threshold_deg
    max_run = int(np.floor(settings.bridge_max_s / settings.segment_s + 1e-9))
    if max_run > 0:
        still = _bridge_returns(orient, still, max_run, settings.bridge_return_deg)
    return change, still


def _bridge_returns(orient: npt.NDArray[np.float64], still: npt.NDArray[np.bool_],
                    max_run: int, tolerance_deg: float) -> npt.NDArray[np.bool_]:
    """Mark as still the moving stretches after which the orientation comes back.

    From the start ``s`` of each moving run, the first segment within
    ``max_run`` segments (plus the margin) whose orientation is within
    ``tolerance_deg`` of the one before the run ends the movement; it and the
    segments before it are bridged. The reference lies :data:`RETURN_MARGIN`
    segments before the run, since the segment just before may hold the
    movement's edge. Searching segment by segment (not run by run) lets a
    movement that spans a segment boundary (moved, still at the moved
    orientation, moved back), and movements a few seconds apart, each return.
    """
    out = still.copy()
    n = orient.shape[0]
    s = 1
    while s < n:
        if out[s]:
            s += 1
            continue
        ref = orient[max(s - 1 - RETURN_MARGIN, 0)]
        stop = min(s + max_run + RETURN_MARGIN + 1, n)
        back = _angle_deg(orient[s:stop], ref[None, :]) < tolerance_deg
        if back.any():
            j = s + int(np.argmax(back))
            out[s: j + 1] = True
            s = j + 1
        else:
            s += 1
    return out


def estimate_sleep_wake(
    acc: npt.ArrayLike | Sequence[npt.ArrayLike],
    fs: float,
    *,
    epoch_s: float = DEFAULT_EPOCH_S,
    lights_off_s: float | None = None,
    lights_on_s: float | None = None,
    settings: SleepWakeSettings = SleepWakeSettings(),  # noqa: B008 - frozen
) -> SleepWakeEstimate:
    """Estimate sleep and wake per epoch from one or two ankle accelerometers.

    Parameters
    ----------
    acc : array_like (n, 3), or a list or tuple of them (one per ankle, same rate;
        the shortest sets the length)
        Acceleration in g.
    fs : float
        Sampling rate, Hz.
    epoch_s : float
        Epoch length of the hypnogram; an epoch is sleep when at least half of
        its segments lie in sustained inactivity.
    lights_off_s, lights_on_s : float, optional
        Lights markers (from a diary or the recording) passed to the hypnogram,
        which limits time in bed and so TST to the epochs between them.
    settings : SleepWakeSettings

    Returns
    -------
    SleepWakeEstimate

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> still = np.tile([0.0, 0.0, 1.0], (10 * 60 * 10, 1))     # 10 min still at 10 Hz
    >>> moving = rng.normal(size=(5 * 60 * 10, 3))               # then 5 min of fidgeting
    >>> est = estimate_sleep_wake(np.vstack([still, moving]), 10.0)
    >>> "".join(est.hypnogram.stages)
    'SSSSSSSSSSSSSSSSSSSSWWWWWWWWWW'
    >>> est.hypnogram.tst_min
    10.0
    """
    if not (np.isfinite(epoch_s) and epoch_s > 0):
        raise ValueError(f"epoch_s must be positive, got {epoch_s}")
    arrays = list(acc) if isinstance(acc, (list, tuple)) else [acc]
    if not arrays:
        raise ValueError("acc must hold at least one ankle's signal")
    orients = [segment_orientation(a, fs, settings.segment_s) for a in arrays]
    n_seg = min(o.shape[0] for o in orients)
    changes, stills = zip(*(_still_one(o[:n_seg], settings) for o in orients))
    change = np.max(np.vstack(changes), axis=0)
    still = np.logical_and.reduce(np.vstack(stills), axis=0)
    min_run = int(np.ceil(settings.min_inactive_s / settings.segment_s - 1e-9))
    sleep = np.zeros(n_seg, dtype=bool)
    for s, e in zip(*_runs(still)):
        if e - s >= min_run:
            sleep[s:e] = True
    per_epoch = max(1, int(round(epoch_s / settings.segment_s)))
    n_ep = n_seg // per_epoch
    share = sleep[: n_ep * per_epoch].reshape(n_ep, per_epoch).mean(axis=1)
    stages = np.where(share >= 0.5, SLEEP_LABEL, WAKE_LABEL)
    hyp = Hypnogram(stages, epoch_s=per_epoch * settings.segment_s, source=METHOD,
                    lights_off_s=lights_off_s, lights_on_s=lights_on_s)
    idx = np.flatnonzero((stages == SLEEP_LABEL) & hyp.tib_mask())
    onset = float(idx[0] * hyp.epoch_s) if idx.size else None
    end = float((idx[-1] + 1) * hyp.epoch_s) if idx.size else None
    params = {**asdict(settings), "epoch_s": hyp.epoch_s, "n_ankles": float(len(arrays))}
    return SleepWakeEstimate(hyp, change, still, onset, end, METHOD, params)
