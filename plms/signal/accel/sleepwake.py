"""Sleep/wake from ankle accelerometers (RULES.md section 6, ``docs/ACCEL.md``).

The method follows van Hees et al. 2015 (PLoS One 10:e0142533, "A novel,
open access method to assess sleep duration using a wrist-worn
accelerometer"):

1. per-axis rolling medians over 5 s;
2. the sensor's orientation averaged per 5 s;
3. the change of orientation between 5-s averages;
4. sustained inactivity: every change below 5 degrees for at least 5 minutes,
   which is classed as sleep; everything else is wake.

Adaptations to an *ankle* sensor on a sleeper with periodic leg movements
(each documented in ``docs/ACCEL.md``; the rules are in
:mod:`plms.signal.accel.sleepwake_rules`):

- the angle is the 3-D angle between orientations instead of the wrist's
  "z-angle", since an ankle strap has no agreed vertical axis;
- the change is measured from the *resting* orientation (the last still
  segment), and a movement that rotates the foot and brings it back within
  ``bridge_return_deg`` within ``bridge_max_s`` does not break stillness.
  The resting orientation is kept through the movement, so a chain of
  returning movements (a PLM series, however dense) is judged by where the
  foot was before it; a segment whose rolling median is back at rest for
  ``RETURN_MIN_S`` also ends a movement (dense series leave no whole segment
  at rest); a fidget that leaves the foot elsewhere still breaks;
- periodic leg movements are a sign of sleep, a cluster of orientation
  changes a sign of wake: a lone short break (a posture turn) with no other
  break for ``isolation_s`` either side does not end the still period, but
  marks a brief awakening: ``turn_wake_before_s`` before it to
  ``turn_wake_after_s`` after it are wake;
- the first ``onset_rescore_s`` of stillness after lights off (or the start of
  the record) are wake: lying still before falling asleep is invisible to
  actigraphy (Webster et al. 1982 rescoring, lengthened for this quiet wake);
  after a wake bout of at least ``rescore_after_s`` in the night, the rescored
  time is ``rescore_ratio`` times the bout, at most ``rescore_s`` (graded as
  in Webster's rules: after a brief restless awakening sleep returns soon);
- restless wake at the start of the night is wake: from lights off (or the
  start of the record), movements that follow each other within
  ``restless_gap_s`` (returning ones included, which the bridge otherwise
  passes) are wake up to the last of them, the onset rescoring following;
  the movements of a periodic series (``periodic_count`` in a row at most
  ``periodic_interval_s`` apart: PLMs) neither extend nor end that chain.
  Lying awake *motionless* stays invisible (only the onset rescoring covers
  it);
- with two ankles, a moment is still only when both are;
- the thresholds were tuned on generated nights (seeds 0-9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from plms.signal.accel._filters import as_rows, block_means, moving_median
from plms.signal.accel.sleepwake_rules import (
    anchored_still, angle_deg, covered, leading_restless_end, lone_breaks, mark_brief_wake,
    movement_runs, periodic_runs, rescore_after_wake,
)
from plms.signal.events import true_runs
from plms.hypnogram import DEFAULT_EPOCH_S, Hypnogram

#: Stage label for estimated sleep ("sleep, stage unknown", plms.hypnogram.UNSTAGED_SLEEP).
SLEEP_LABEL = "S"
WAKE_LABEL = "W"
#: An epoch is sleep when at least this share of its segments is sleep.
SLEEP_EPOCH_SHARE = 0.5
#: Name of the method, recorded with every estimate.
METHOD = ("van Hees 2015 sustained inactivity, ankle adaptation with LM chains"
          " and brief awakenings (plms)")
#: Axes a sleep/wake estimate needs.
N_AXES = 3
#: The signal is brought to about this rate (block means) before the rolling median, Hz;
#: 25 samples per 5-s median keep the median's meaning at a fraction of the cost.
WORK_RATE_HZ = 5.0
#: Segments an excursion may span beyond ``ceil(bridge_max_s / segment_s)``: a movement
#: crosses at most one segment boundary more, and the return is seen one segment later.
EXCURSION_MARGIN = 2
#: A segment in which the rolling median is back at rest this long ends an excursion, s
#: (movements 8 s apart leave no whole 5-s segment at rest, but seconds of it).
RETURN_MIN_S = 2.0


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
    #: Longest movement that a return to the resting orientation bridges, s (the
    #: longest CLM, 10 s; 0 switches bridging off and falls back to van Hees'
    #: change between successive segments).
    bridge_max_s: float = 10.0
    #: ... when the orientation after it is within this of the resting one, degrees.
    bridge_return_deg: float = 2.5
    #: A break (movement that does not return) with no other break this long
    #: before and after it does not end the still period, s (posture turns come
    #: alone, a few per hour; restless wake breaks every minute or two; 0
    #: switches it off; 2 min tuned for epoch kappa on generated nights, seeds
    #: 0-9 and 10-19: 3 min, the value tuned before for TST, split more sleep).
    isolation_s: float = 120.0
    #: ... when it lasts at most this, s (a posture turn of 2-8 s plus its edges).
    turn_max_s: float = 15.0
    #: Such a lone break marks a brief awakening: wake from this before it ...
    turn_wake_before_s: float = 10.0
    #: ... to this after it, s (a position change in sleep usually comes with a
    #: brief awakening; 80 s in all is the mean wake around a lone break on the
    #: tuning nights, where 3 in 4 breaks had wake after them; both 0 switch it off).
    turn_wake_after_s: float = 70.0
    #: Wake of at least this (and the time before lights off or the record) ...
    rescore_after_s: float = 60.0
    #: ... rescores as wake, after a wake bout in the night, ``rescore_ratio``
    #: times the bout of the sleep that follows, at most this, s (Webster's
    #: rescoring is graded by the wake before it; 0 switches all rescoring off,
    #: ``onset_rescore_s`` included) ...
    rescore_s: float = 360.0
    #: ... (tuned on generated nights: 0.75 for epoch kappa, 1.0 before for TST;
    #: ``inf`` rescores ``rescore_s`` after every bout).
    rescore_ratio: float = 0.75
    #: The first sleep after lights off (or the start of the record) loses this
    #: much to wake, s: lying still before falling asleep is the longest quiet
    #: wake of most nights (10 min tuned for epoch kappa on generated nights,
    #: whose sleepers lie still for 1.5-17.5 min before sleep onset; ``None``:
    #: ``rescore_s``, as before).
    onset_rescore_s: float | None = 600.0
    #: Restless wake at the start of the night: movements (returning ones included)
    #: that follow lights off (or the record's start) and each other within this,
    #: s, are wake up to the last of them (lying awake and fidgeting before
    #: sleep; 0 switches it off; 4 min tuned on generated multi-day recordings,
    #: seeds 0-3, and single nights, seeds 0-9: 5 min ran into early sleep) ...
    restless_gap_s: float = 240.0
    #: ... except the movements of a periodic series (at least ``periodic_count``
    #: in a row, onsets at most ``periodic_interval_s`` apart: periodic leg
    #: movements, a sign of sleep), which neither extend nor end the chain
    #: (``periodic_count`` 0: no movement is periodic; 8, not the 4 of a PLM
    #: series, as restless wake's random movements often come 4 within 90 s).
    periodic_interval_s: float = 90.0
    periodic_count: int = 8
    #: The first movement of the chain may begin this long after lights off, s
    #: (``None``: ``restless_gap_s``; ``min_inactive_s`` lets a chain start after
    #: any stillness too short for sleep: the multi-day windows open 5 min before
    #: the sleep period, but it cost single nights TST, see docs/ACCEL.md).
    restless_first_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("segment_s", "angle_threshold_deg", "min_inactive_s", "bridge_return_deg",
                     "turn_max_s"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value}")
        for name in ("bridge_max_s", "isolation_s", "turn_wake_before_s", "turn_wake_after_s",
                     "rescore_after_s", "rescore_s", "restless_gap_s", "periodic_interval_s"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be zero or positive, got {value}")
        if self.onset_rescore_s is not None and not (np.isfinite(self.onset_rescore_s)
                                                     and self.onset_rescore_s >= 0):
            raise ValueError(f"onset_rescore_s must be None, zero or positive, "
                             f"got {self.onset_rescore_s}")
        if self.restless_first_s is not None and not (np.isfinite(self.restless_first_s)
                                                      and self.restless_first_s >= 0):
            raise ValueError(f"restless_first_s must be None, zero or positive, "
                             f"got {self.restless_first_s}")
        if self.periodic_count < 0:
            raise ValueError(f"periodic_count must be zero or positive, got {self.periodic_count}")
        if not self.rescore_ratio >= 0:  # infinite allowed, NaN refused
            raise ValueError(f"rescore_ratio must be zero or positive, got {self.rescore_ratio}")


@dataclass(frozen=True, eq=False)
class SleepWakeEstimate:
    """An estimated hypnogram with what it was computed from.

    Attributes
    ----------
    hypnogram : Hypnogram
        ``"S"`` (sleep, stage unknown) and ``"W"`` per epoch; ``source`` names the method.
    angle_change_deg : array of float
        Largest change between successive segments over the ankles (``params["segment_s"]``).
    still : array of bool
        Per segment: still on every ankle (returning movements and lone
        posture turns included, restless wake after lights off not), before
        the minimum still period applies.
    lone_turns : array of bool
        Per segment: a lone break (posture turn), scored as a brief awakening.
    sleep_onset_s, sleep_end_s : float or None
        Start of the first and end of the last sleep epoch (the sleep period).
    method : str
    params : dict
    """

    hypnogram: Hypnogram
    angle_change_deg: npt.NDArray[np.float64]
    still: npt.NDArray[np.bool_]
    lone_turns: npt.NDArray[np.bool_]
    sleep_onset_s: float | None
    sleep_end_s: float | None
    method: str
    params: dict[str, float]


def segment_orientation(acc: npt.ArrayLike, fs: float, segment_s: float) -> npt.NDArray[np.float64]:
    """Mean of the rolling per-axis median over each segment, shape (n_segments, 3), in g.

    Examples
    --------
    >>> acc = np.tile([0.0, 0.0, 1.0], (1000, 1))
    >>> segment_orientation(acc, 100.0, 5.0).round(3).tolist()
    [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    """
    return segment_medians(acc, fs, segment_s).mean(axis=1)


def segment_medians(acc: npt.ArrayLike, fs: float, segment_s: float) -> npt.NDArray[np.float64]:
    """The rolling per-axis median at about :data:`WORK_RATE_HZ`, per segment.

    Shape (n_segments, samples per segment, 3), in g.
    """
    if not (np.isfinite(fs) and fs > 0):
        raise ValueError(f"sampling rate must be positive, got {fs}")
    x = as_rows(acc)   # a signal read on demand is read a chunk at a time
    if x.ndim != 2 or x.shape[1] != N_AXES:
        raise ValueError(f"sleep/wake needs three axes, shape (n, 3); got {x.shape}")
    step = max(1, int(fs // WORK_RATE_HZ))
    rate = fs / step
    n = x.shape[0] // step
    work = block_means(x, step)
    if np.isnan(work).any():  # NaN stretches: carry the last valid orientation
        bad = np.isnan(work).any(axis=1)
        idx = np.maximum.accumulate(np.where(bad, 0, np.arange(n)))
        work = work[idx]
    width = max(1, int(round(segment_s * rate)))
    if np.isnan(work).any():  # a record that starts with NaN: scipy's filter, as always
        from scipy.ndimage import median_filter

        med = median_filter(work, size=(width, 1), mode="nearest")
    else:
        med = moving_median(work, width)
    n_seg = n // width
    return med[: n_seg * width].reshape(n_seg, width, N_AXES)


def _still_one(medians: npt.NDArray[np.float64], settings: SleepWakeSettings
               ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Change between successive segments, and the still flag of one ankle."""
    orient = medians.mean(axis=1)
    change = np.zeros(orient.shape[0])
    change[1:] = angle_deg(orient[1:], orient[:-1])
    if settings.bridge_max_s == 0:
        return change, change < settings.angle_threshold_deg
    span = int(np.ceil(settings.bridge_max_s / settings.segment_s - 1e-9)) + EXCURSION_MARGIN
    sample_s = settings.segment_s / medians.shape[1]
    min_back = max(1, int(round(RETURN_MIN_S / sample_s)))
    return change, anchored_still(orient, settings.angle_threshold_deg, span,
                                  settings.bridge_return_deg, medians=medians,
                                  min_back=min_back)


def _n_segments(seconds: float, segment_s: float) -> int:
    """Whole segments in ``seconds`` (rounded)."""
    return int(round(seconds / segment_s))


def _restless_start(still: npt.NDArray[np.bool_], change: npt.NDArray[np.float64], first: int,
                    settings: SleepWakeSettings) -> npt.NDArray[np.bool_]:
    """``still`` with the restless wake after lights off (segment ``first``) not still."""
    seg = settings.segment_s
    starts, stops = movement_runs(change, settings.angle_threshold_deg)
    keep = ~periodic_runs(starts, _n_segments(settings.periodic_interval_s, seg),
                          settings.periodic_count)
    end = leading_restless_end(starts[keep], stops[keep], max(first, 0),
                               _n_segments(settings.restless_gap_s, seg),
                               first_gap=_n_segments(settings.restless_gap_s
                                                     if settings.restless_first_s is None
                                                     else settings.restless_first_s, seg))
    if end <= first:
        return still
    out = still.copy()
    out[max(first, 0): end] = False
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
        which limits time in bed and so TST to the epochs between them; the
        time before lights off (else before the record) counts as wake.
    settings : SleepWakeSettings

    Returns
    -------
    SleepWakeEstimate

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> still = np.tile([0.0, 0.0, 1.0], (15 * 60 * 10, 1))     # 15 min still at 10 Hz
    >>> moving = rng.normal(size=(5 * 60 * 10, 3))               # then 5 min of fidgeting
    >>> est = estimate_sleep_wake(np.vstack([still, moving]), 10.0)
    >>> "".join(est.hypnogram.stages)   # the first 10 min: possibly awake, lying still
    'WWWWWWWWWWWWWWWWWWWWSSSSSSSSSSWWWWWWWWWW'
    >>> est.hypnogram.tst_min
    5.0
    """
    if not (np.isfinite(epoch_s) and epoch_s > 0):
        raise ValueError(f"epoch_s must be positive, got {epoch_s}")
    # a list or tuple holds one array per ankle; anything else is one ankle's array
    # (cast: numpy's ArrayLike also spans Sequence, which mypy cannot rule out here)
    arrays: list[npt.ArrayLike] = (list(acc) if isinstance(acc, (list, tuple))
                                   else [cast(npt.ArrayLike, acc)])
    if not arrays:
        raise ValueError("acc must hold at least one ankle's signal")
    medians = [segment_medians(a, fs, settings.segment_s) for a in arrays]
    return estimate_from_medians(medians, epoch_s=epoch_s, lights_off_s=lights_off_s,
                                 lights_on_s=lights_on_s, settings=settings)


def estimate_from_medians(
    medians: Sequence[npt.NDArray[np.float64]],
    *,
    epoch_s: float = DEFAULT_EPOCH_S,
    lights_off_s: float | None = None,
    lights_on_s: float | None = None,
    settings: SleepWakeSettings = SleepWakeSettings(),  # noqa: B008 - frozen
) -> SleepWakeEstimate:
    """:func:`estimate_sleep_wake` from each ankle's :func:`segment_medians` (same segment_s)."""
    if not medians:
        raise ValueError("medians must hold at least one ankle's segments")
    seg = settings.segment_s
    n_seg = min(m.shape[0] for m in medians)
    changes, stills = zip(*(_still_one(m[:n_seg], settings) for m in medians), strict=True)
    change = np.max(np.vstack(changes), axis=0)
    still = np.logical_and.reduce(np.vstack(stills), axis=0)
    turns = lone_breaks(still, _n_segments(settings.isolation_s, seg),
                        int(np.floor(settings.turn_max_s / seg + 1e-9)))
    still = still | turns
    first = int(np.ceil((lights_off_s or 0.0) / seg - 1e-9))
    still = _restless_start(still, change, first, settings)
    min_run = int(np.ceil(settings.min_inactive_s / seg - 1e-9))
    starts, stops = true_runs(still)
    long_enough = stops - starts >= min_run
    sleep = covered(n_seg, starts[long_enough], stops[long_enough])
    sleep = rescore_after_wake(sleep, first, _n_segments(settings.rescore_after_s, seg),
                               _n_segments(settings.rescore_s, seg), settings.rescore_ratio,
                               onset=_n_segments(settings.rescore_s if settings.onset_rescore_s
                                                 is None else settings.onset_rescore_s, seg))
    sleep = mark_brief_wake(sleep, turns, _n_segments(settings.turn_wake_before_s, seg),
                            _n_segments(settings.turn_wake_after_s, seg))
    per_epoch = max(1, _n_segments(epoch_s, seg))
    n_ep = n_seg // per_epoch
    share = sleep[: n_ep * per_epoch].reshape(n_ep, per_epoch).mean(axis=1)
    stages = np.where(share >= SLEEP_EPOCH_SHARE, SLEEP_LABEL, WAKE_LABEL)
    hyp = Hypnogram(stages, epoch_s=per_epoch * seg, source=METHOD,
                    lights_off_s=lights_off_s, lights_on_s=lights_on_s)
    onset, end = hyp.sleep_onset_s, hyp.sleep_offset_s
    params = {**asdict(settings), "epoch_s": hyp.epoch_s, "n_ankles": float(len(medians))}
    return SleepWakeEstimate(hyp, change, still, turns, onset, end, METHOD, params)
