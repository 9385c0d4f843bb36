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

from plms.signal.events import covered, true_runs

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
    # While the anchor is the segment before (it was still, or a movement that did not
    # return left the foot there), a segment is still when its change from that segment
    # is below the threshold: those changes are computed at once, and a run of such
    # segments is passed in one step. Only the segments after a larger change (the
    # movements) are looked at one by one.
    follows = np.zeros(n, dtype=bool)
    follows[1:] = angle_deg(orient[1:], orient[:-1]) < threshold_deg
    changes = np.flatnonzero(~follows)
    still[0] = True
    anchor = previous = 0  # indices of the anchor and of the anchor before it
    i = 1
    while i < n:
        if anchor == i - 1:
            k = int(np.searchsorted(changes, i))
            stop = int(changes[k]) if k < changes.size else n
            if stop > i:  # still segments, each the anchor of the next
                still[i:stop] = True
                previous, anchor = stop - 2, stop - 1
                i = stop
                continue
        elif angle_deg(orient[i], orient[anchor]) < threshold_deg:
            still[i] = True
            previous, anchor = anchor, i
            i += 1
            continue
        j = _return(orient, medians, i, min(i + max_excursion, n), orient[anchor],
                    orient[previous], tolerance_deg, min_back)
        if j >= 0:
            still[i: j + 1] = True
            i = j + 1
        else:
            previous = anchor = i
            i += 1
    return still


def _return(orient: FloatArray, medians: FloatArray | None, start: int, stop: int,
            anchor: FloatArray, previous: FloatArray, tolerance_deg: float,
            min_back: int) -> int:
    """The first segment in ``[start, stop)`` back at rest (:func:`anchored_still`), or -1."""
    ahead = orient[start:stop]
    back = ((angle_deg(ahead, anchor[None, :]) < tolerance_deg)
            | (angle_deg(ahead, previous[None, :]) < tolerance_deg))
    if medians is not None:
        near = angle_deg(medians[start:stop], anchor[None, None, :]) < tolerance_deg
        back |= near.sum(axis=1) >= min_back
    return start + int(np.argmax(back)) if back.any() else -1


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
    if isolation <= 0:
        return np.zeros_like(still, dtype=bool)
    starts, ends = true_runs(~still)
    if starts.size == 0:
        return np.zeros_like(still, dtype=bool)
    gaps = starts[1:] - ends[:-1]  # still segments between successive breaks
    before = np.concatenate([[isolation], gaps])
    after = np.concatenate([gaps, [isolation]])
    lone = (ends - starts <= longest) & (before >= isolation) & (after >= isolation)
    return covered(still.size, starts[lone], ends[lone])


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
    starts, stops = true_runs(marks)
    return sleep & ~covered(sleep.size, starts - before, stops + after)


def rescore_after_wake(sleep: BoolArray, first: int, after: int, rescore: int,
                       ratio: float = np.inf, onset: int | None = None) -> BoolArray:
    """Score wake the first segments of sleep after ``after`` or more of wake.

    The first sleep period (segments before ``first``, lights off or the start
    of the record, count as wake) loses ``onset`` segments (``rescore`` when
    None: lying still before falling asleep may last longer than after an
    awakening in the night); a later one
    loses ``ratio`` times the length of the wake bout before it, at most
    ``rescore`` (graded as in Webster's rules: a short awakening is followed
    by a short return to sleep, a long one by a longer one). ``rescore`` 0
    switches this off (``onset`` included); ``ratio`` infinite rescores
    ``rescore`` after every bout.

    Examples
    --------
    >>> sleep = np.array([True] * 6 + [False] * 3 + [True] * 6)
    >>> rescore_after_wake(sleep, 0, 3, 2).astype(int).tolist()
    [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    >>> rescore_after_wake(sleep, 0, 3, 2, ratio=0.34).astype(int).tolist()
    [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    >>> rescore_after_wake(sleep, 0, 3, 2, onset=4).astype(int).tolist()
    [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    """
    if not ratio >= 0:
        raise ValueError(f"ratio must be zero or positive, got {ratio}")
    onset = rescore if onset is None else onset
    out = sleep.copy()
    if rescore <= 0:
        return out
    wake = ~sleep
    wake[: max(first, 0)] = True
    starts, ends = true_runs(np.r_[True, wake])  # a leading wake bout of unlimited length
    bout = ends - starts
    if np.isinf(ratio):
        length = np.full(bout.size, rescore, dtype=np.int64)
    else:
        length = np.minimum(rescore, np.rint(ratio * bout).astype(np.int64))
    length[bout < after] = 0
    length[starts == 0] = onset  # the wake before lights off or the record
    ends -= 1  # index in ``sleep``: the first segment after the bout
    return out & ~covered(out.size, ends, ends + length)


def movement_runs(change: FloatArray, threshold_deg: float) -> tuple[npt.NDArray[np.int64],
                                                                        npt.NDArray[np.int64]]:
    """Starts and stops of the runs of segments whose change reaches ``threshold_deg``.

    Every movement is a run, bridged or not (a returning leg movement included).

    Examples
    --------
    >>> movement_runs(np.array([0.0, 3.0, 4.0, 0.5, 2.5]), 2.0)
    (array([1, 4]), array([3, 5]))
    """
    return true_runs(change >= threshold_deg)


def periodic_runs(starts: npt.NDArray[np.int64], longest: int, count: int) -> BoolArray:
    """Movements in a periodic series: ``count`` or more in a row, onsets at most ``longest`` apart.

    ``count`` 0 switches it off (none is periodic).

    Examples
    --------
    >>> periodic_runs(np.array([0, 5, 10, 15, 60, 90]), longest=6, count=4).tolist()
    [True, True, True, True, False, False]
    """
    out = np.zeros(starts.size, dtype=bool)
    if count <= 0 or starts.size < count:
        return out
    close = np.diff(starts) <= longest
    run_starts, run_stops = true_runs(close)   # runs of close intervals
    for a, b in zip(run_starts, run_stops, strict=True):
        if b - a + 1 >= count:   # b - a intervals join b - a + 1 movements
            out[a: b + 1] = True
    return out


def leading_restless_end(starts: npt.NDArray[np.int64], stops: npt.NDArray[np.int64],
                         first: int, gap: int, first_gap: int | None = None) -> int:
    """End of the restless wake at the start of the night: a chain of movements from ``first``.

    Lights off (segment ``first``) starts the chain; the first movement may
    begin up to ``first_gap`` segments after it (default ``gap``: stillness too
    short to be sleep), each later one at most ``gap`` segments after the end
    of the one before extends it, and
    the first longer gap ends it. Returns the segment after the chain's last
    movement (``first`` when none follows closely enough; ``gap`` 0: ``first``).

    Examples
    --------
    >>> leading_restless_end(np.array([2, 6, 20]), np.array([3, 8, 21]), 0, 4)
    8
    >>> leading_restless_end(np.array([9]), np.array([10]), 0, 4)
    0
    """
    end = first
    if gap <= 0:
        return end
    allowed = gap if first_gap is None else max(gap, first_gap)
    for a, b in zip(starts, stops, strict=True):
        if b <= end:
            continue
        if a - end > allowed:
            break
        end, allowed = int(b), gap
    return end
