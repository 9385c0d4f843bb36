"""Segment-level rules of the ankle sleep/wake estimate (:mod:`plms.signal.accel.sleepwake`).

Three steps turn the per-segment orientation of one ankle into sleep and wake:

1. :func:`anchored_still` - a segment is still when its orientation is within
   the change threshold of the *resting* orientation (the last still segment),
   and a brief excursion that comes back to it is still too. Because the
   anchor survives the excursion, a whole chain of returning leg movements is
   judged by the orientation before it, however dense the chain;
2. :func:`lone_breaks` and :func:`pass_isolated_breaks` - a lone break (a
   posture turn: short, with no other break for minutes on either side) does
   not end the still period, whereas the breaks of restless wake come in
   clusters; :func:`mark_brief_wake` then scores the minute around each lone
   turn wake (a position change in sleep usually comes with a brief awakening);
3. :func:`rescore_after_wake` - the first minutes of stillness after a wake
   bout (and after the start of the night) are scored wake: lying still
   before falling asleep looks like sleep to any movement-based method
   (Webster et al. 1982, Sleep 5:389, rescoring rules of actigraphy). As in
   Webster's rules, the rescored time grows with the wake bout before it.

>>> import numpy as np
>>> still = np.array([True] * 40 + [False] + [True] * 40)
>>> bool(pass_isolated_breaks(still, isolation=36, longest=3).all())
True
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from plms.signal.events import true_runs

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def angle_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Angle between vectors along the last axis, degrees (broadcasting)."""
    na = np.linalg.norm(a, axis=-1)
    nb = np.linalg.norm(b, axis=-1)
    cos = np.sum(a * b, axis=-1) / np.maximum(na * nb, 1e-12)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def anchored_still(orient: FloatArray, threshold_deg: float, max_excursion: int,
                   tolerance_deg: float, medians: FloatArray | None = None,
                   min_back: int = 1) -> BoolArray:
    """Still segments, judged against the resting orientation rather than the previous segment.

    Parameters
    ----------
    orient : array (n, 3)
        Orientation per segment.
    threshold_deg : float
        A segment within this of the anchor is still and becomes the anchor
        (slow drift is followed, as with van Hees' successive changes).
    max_excursion : int
        Longest excursion, in segments, that may return (0: none may).
    tolerance_deg : float
        An excursion returns when a segment within ``max_excursion`` is within
        this of the anchor (or of the anchor before it: the last still segment
        may hold the edge of the movement); the excursion is then still and the
        anchor is kept. An excursion that does not return is movement, and the
        orientation it reached becomes the anchor.
    medians : array (n, m, 3), optional
        The samples each orientation is the mean of; a segment with at least
        ``min_back`` of them within ``tolerance_deg`` of the anchor is a return
        too (the foot was back between two movements of a dense series).
    min_back : int

    Examples
    --------
    >>> up, tilt = np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.5, 0.87])
    >>> orient = np.array([up, up, tilt, up, tilt, up, tilt, tilt, tilt])
    >>> anchored_still(orient, 2.0, 2, 2.5).astype(int).tolist()
    [1, 1, 1, 1, 1, 1, 0, 1, 1]
    """
    n = orient.shape[0]
    still = np.zeros(n, dtype=bool)
    if n == 0:
        return still
    still[0] = True
    anchor = previous = orient[0]
    i = 1
    while i < n:
        if angle_deg(orient[i], anchor) < threshold_deg:
            still[i] = True
            previous, anchor = anchor, orient[i]
            i += 1
            continue
        stop = min(i + max_excursion, n)
        ahead = orient[i:stop]
        back = ((angle_deg(ahead, anchor[None, :]) < tolerance_deg)
                | (angle_deg(ahead, previous[None, :]) < tolerance_deg))
        if medians is not None:
            near = angle_deg(medians[i:stop], anchor[None, None, :]) < tolerance_deg
            back |= near.sum(axis=1) >= min_back
        if back.any():
            j = i + int(np.argmax(back))
            still[i: j + 1] = True
            i = j + 1
        else:
            previous = anchor = orient[i]
            i += 1
    return still


def lone_breaks(still: BoolArray, isolation: int, longest: int) -> BoolArray:
    """The short breaks with ``isolation`` still segments either side.

    A break is a run of non-still segments; it is lone when it is at most
    ``longest`` segments long and no other break lies within ``isolation``
    segments before or after it. The start and end of the record count as
    far away. ``isolation`` 0 switches this off (no break is lone).

    Examples
    --------
    >>> still = np.array([True] * 5 + [False] + [True] * 5 + [False] * 2 + [True] * 2)
    >>> lone_breaks(still, isolation=4, longest=1).astype(int).tolist()
    [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    """
    out = np.zeros_like(still, dtype=bool)
    if isolation <= 0:
        return out
    starts, ends = true_runs(~still)
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        before = a - ends[k - 1] if k > 0 else isolation
        after = starts[k + 1] - b if k + 1 < len(starts) else isolation
        if b - a <= longest and before >= isolation and after >= isolation:
            out[a:b] = True
    return out


def pass_isolated_breaks(still: BoolArray, isolation: int, longest: int) -> BoolArray:
    """Mark as still every lone break (:func:`lone_breaks`)."""
    return still | lone_breaks(still, isolation, longest)


def mark_brief_wake(sleep: BoolArray, marks: BoolArray, before: int, after: int) -> BoolArray:
    """Score wake each run of ``marks`` with ``before`` segments before it and ``after`` after.

    Examples
    --------
    >>> sleep = np.ones(10, dtype=bool)
    >>> marks = np.zeros(10, dtype=bool); marks[4] = True
    >>> mark_brief_wake(sleep, marks, 1, 2).astype(int).tolist()
    [1, 1, 1, 0, 0, 0, 0, 1, 1, 1]
    """
    if before < 0 or after < 0:
        raise ValueError(f"before and after must be zero or positive, got {before}, {after}")
    out = sleep.copy()
    for a, b in zip(*true_runs(marks), strict=True):
        out[max(a - before, 0): b + after] = False
    return out


def rescore_after_wake(sleep: BoolArray, first: int, after: int, rescore: int,
                       ratio: float = np.inf) -> BoolArray:
    """Score wake the first segments of sleep after ``after`` or more of wake.

    The first sleep period (segments before ``first``, lights off or the start
    of the record, count as wake) loses ``rescore`` segments; a later one
    loses ``ratio`` times the length of the wake bout before it, at most
    ``rescore`` (graded as in Webster's rules: a short awakening is followed
    by a short return to sleep, a long one by a longer one). ``rescore`` 0
    switches this off; ``ratio`` infinite rescores ``rescore`` after every bout.

    Examples
    --------
    >>> sleep = np.array([True] * 6 + [False] * 3 + [True] * 6)
    >>> rescore_after_wake(sleep, 0, 3, 2).astype(int).tolist()
    [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    >>> rescore_after_wake(sleep, 0, 3, 2, ratio=0.34).astype(int).tolist()
    [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    """
    if not ratio >= 0:
        raise ValueError(f"ratio must be zero or positive, got {ratio}")
    out = sleep.copy()
    if rescore <= 0:
        return out
    wake = ~sleep
    wake[: max(first, 0)] = True
    starts, ends = true_runs(np.r_[True, wake])  # a leading wake bout of unlimited length
    for a, b in zip(starts - 1, ends - 1, strict=True):
        if a < 0:
            out[b: b + rescore] = False
        elif b - a >= after:
            length = rescore if np.isinf(ratio) else min(rescore, int(round(ratio * (b - a))))
            out[b: b + length] = False
    return out
