"""Shared primitives on events: runs of a mask, hysteresis events, one-to-one matching.

One copy of each, used by EMG and accelerometer detection, artefact and
R-peak detection, the sleep/wake estimate, evaluation and validation:

- :func:`true_runs` - start and stop indices of the runs of True of a mask;
- :func:`quiet_run_starts` - where a run of at least ``q`` True samples starts;
- :func:`hysteresis_events` - onset where a signal crosses the onset level,
  offset where the first quiet period starts, the next onset searched from
  that offset, too-short events dropped;
- :func:`overlap_iou` and :func:`match_pairs` - the one event matcher
  (threshold first, then one-to-one assignment).

This module depends on numpy, scipy and pandas only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["MATCH_METHODS", "covered", "hysteresis_events", "match_pairs", "overlap_iou",
           "quiet_run_starts", "true_runs"]

IntArray = npt.NDArray[np.int64]
#: Ways two events can be paired by :func:`match_pairs`.
MATCH_METHODS = ("iou", "onset")
#: Slack on the onset tolerance, s (onsets stored as decimal seconds).
_ONSET_SLACK_S = 1e-9


def _bool_vector(mask: npt.ArrayLike, name: str) -> npt.NDArray[np.bool_]:
    """``mask`` as a 1-D boolean array (a view, never modified), or ValueError."""
    arr = np.asarray(mask)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D boolean array, got {arr.ndim} dimensions")
    if arr.dtype != np.bool_:
        raise ValueError(f"{name} must be a boolean array (dtype bool), got dtype {arr.dtype}")
    return arr


def true_runs(mask: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """Start (inclusive) and stop (exclusive) index of every run of True.

    Parameters
    ----------
    mask : array_like of bool, 1-D
        Not modified.

    Returns
    -------
    starts, stops : ndarray of int64
        ``mask[starts[i]:stops[i]]`` is the i-th run of True, in order; both
        empty when ``mask`` holds no True.

    Raises
    ------
    ValueError
        When ``mask`` is not a 1-D boolean array.

    Examples
    --------
    >>> starts, stops = true_runs(np.array([True, False, True, True]))
    >>> starts.tolist(), stops.tolist()
    ([0, 2], [1, 4])
    >>> [r.tolist() for r in true_runs(np.zeros(3, dtype=bool))]
    [[], []]
    """
    arr = _bool_vector(mask, "mask")
    edges = np.diff(np.concatenate(([0], arr.astype(np.int8), [0])))
    return (np.flatnonzero(edges == 1).astype(np.int64),
            np.flatnonzero(edges == -1).astype(np.int64))


def covered(n: int, starts: npt.ArrayLike, stops: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Mask of length ``n``, True inside any of the intervals ``[starts, stops)``.

    The intervals may overlap and reach beyond ``[0, n)`` (they are clipped).

    Examples
    --------
    >>> covered(8, [1, 2, 6], [3, 4, 20]).astype(int).tolist()
    [0, 1, 1, 1, 0, 0, 1, 1]
    """
    lo = np.clip(np.asarray(starts, dtype=np.int64), 0, n)
    hi = np.clip(np.asarray(stops, dtype=np.int64), 0, n)
    keep = hi > lo
    edges = np.zeros(n + 1, dtype=np.int64)
    np.add.at(edges, lo[keep], 1)
    np.add.at(edges, hi[keep], -1)
    return np.cumsum(edges[:n]) > 0


def quiet_run_starts(quiet: npt.ArrayLike, q: int) -> npt.NDArray[np.bool_]:
    """Per sample: whether ``q`` samples of ``quiet`` start there (all True).

    Near the end, a shorter run of True that reaches the end counts.

    Parameters
    ----------
    quiet : array_like of bool, 1-D
        Not modified.
    q : int
        Length of the quiet period, samples (>= 1).

    Raises
    ------
    ValueError
        When ``quiet`` is not a 1-D boolean array or ``q`` < 1.

    Examples
    --------
    >>> quiet_run_starts(np.array([True, True, False, True, True, True]), 2).tolist()
    [True, False, False, True, True, True]
    """
    arr = _bool_vector(quiet, "quiet")
    if int(q) != q or q < 1:
        raise ValueError(f"q (quiet period, samples) must be an integer >= 1, got {q!r}")
    n = arr.size
    loud = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(~arr, out=loud[1:])
    end = np.minimum(np.arange(n) + int(q), n)
    return np.asarray(loud[end] - loud[:n] == 0)


def hysteresis_events(
    onset: npt.ArrayLike,
    quiet_start: npt.ArrayLike,
    *,
    min_samples: float = 0.0,
    rewind: npt.ArrayLike | None = None,
) -> tuple[IntArray, IntArray]:
    """Onset and offset samples of events by onset level and quiet period.

    Scanning forward: an event starts at the next sample where ``onset`` is
    True; it ends at the first later sample where ``quiet_start`` is True (a
    quiet period starts there; the end of the signal when none), and the next
    onset is searched from that offset on. Events lasting fewer than
    ``min_samples`` samples are dropped.

    Parameters
    ----------
    onset : array_like of bool, 1-D
        Samples at or above the onset level.
    quiet_start : array_like of bool, 1-D, same length
        Samples where a quiet period (the offset criterion) starts, e.g. from
        :func:`quiet_run_starts`.
    min_samples : float
        Least ``offset - onset`` of a kept event, samples.
    rewind : array_like of bool, 1-D, same length, optional
        Samples below the offset level. When given, each onset moves back to
        just after the last such sample before it (not before the previous
        event's offset): the event starts where the signal left the offset
        level, not where it reached the onset level.

    Returns
    -------
    onsets, offsets : ndarray of int64
        Offsets exclusive, in samples. The inputs are not modified.

    Raises
    ------
    ValueError
        When a mask is not a 1-D boolean array, the lengths differ, or
        ``min_samples`` is not finite.

    Examples
    --------
    Onset level reached at 3-4 and 7, quiet from 9 on (and a quiet sample at 5
    that is too short a period to count):

    >>> onset = np.zeros(12, dtype=bool); onset[[3, 4, 7]] = True
    >>> quiet = np.ones(12, dtype=bool); quiet[1:9] = False
    >>> [a.tolist() for a in hysteresis_events(onset, quiet)]
    [[3], [9]]
    >>> below = np.ones(12, dtype=bool); below[2:9] = False
    >>> [a.tolist() for a in hysteresis_events(onset, quiet, rewind=below)]
    [[2], [9]]
    >>> [a.tolist() for a in hysteresis_events(onset, quiet, min_samples=7)]
    [[], []]
    """
    hit_mask = _bool_vector(onset, "onset")
    stop_mask = _bool_vector(quiet_start, "quiet_start")
    masks = [hit_mask, stop_mask]
    if rewind is not None:
        masks.append(_bool_vector(rewind, "rewind"))
    if len({m.size for m in masks}) != 1:
        raise ValueError("onset, quiet_start and rewind must have the same length, got "
                         + ", ".join(str(m.size) for m in masks))
    if not np.isfinite(min_samples):
        raise ValueError(f"min_samples must be a finite number, got {min_samples!r}")
    n = hit_mask.size
    hits = np.flatnonzero(hit_mask)
    stops = np.flatnonzero(stop_mask)
    lows = np.flatnonzero(masks[2]) if rewind is not None else None
    onsets: list[int] = []
    offsets: list[int] = []
    prev_off = 0
    k = 0
    while k < hits.size:
        hit = int(hits[k])
        on = hit
        if lows is not None:
            j = int(np.searchsorted(lows, hit)) - 1
            on = max(prev_off, int(lows[j]) + 1 if j >= 0 else 0)
        s = int(np.searchsorted(stops, hit + 1))
        off = int(stops[s]) if s < stops.size else n
        onsets.append(on)
        offsets.append(off)
        prev_off = off
        k = int(np.searchsorted(hits, off))
    on_arr = np.asarray(onsets, dtype=np.int64)
    off_arr = np.asarray(offsets, dtype=np.int64)
    keep = (off_arr - on_arr) >= min_samples
    return on_arr[keep], off_arr[keep]


def _bounds(events: pd.DataFrame, name: str) -> tuple[npt.NDArray[np.float64],
                                                       npt.NDArray[np.float64]]:
    """Onsets and offsets (s) of a table with ``onset`` and ``duration``."""
    missing = {"onset", "duration"} - set(events.columns)
    if missing:
        raise ValueError(f"{name} events need columns onset and duration; "
                         f"missing {', '.join(sorted(missing))}")
    on = events["onset"].to_numpy(float)
    return on, on + events["duration"].to_numpy(float)


def overlap_iou(ref: pd.DataFrame, test: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Intersection over union of every reference event with every test event.

    Parameters
    ----------
    ref, test : DataFrame
        Events with ``onset`` and ``duration`` in seconds.

    Returns
    -------
    ndarray, shape (len(ref), len(test))
        0 where events do not overlap.

    Examples
    --------
    >>> ref = pd.DataFrame({"onset": [0.0], "duration": [2.0]})
    >>> test = pd.DataFrame({"onset": [1.0, 5.0], "duration": [2.0, 1.0]})
    >>> overlap_iou(ref, test).round(3).tolist()
    [[0.333, 0.0]]
    """
    r_on, r_off = _bounds(ref, "reference")
    t_on, t_off = _bounds(test, "test")
    r_on, r_off = r_on[:, None], r_off[:, None]
    t_on, t_off = t_on[None, :], t_off[None, :]
    inter = np.clip(np.minimum(r_off, t_off) - np.maximum(r_on, t_on), 0, None)
    union = np.maximum(r_off, t_off) - np.minimum(r_on, t_on)
    return np.asarray(np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0))


#: Default pairing of two scorings' events (``plms validate --iou``): an intersection
#: over union above this.
DEFAULT_MIN_IOU = 0.2
#: Default onset tolerance of the onset matching (``plms validate --tolerance``), s.
DEFAULT_ONSET_TOLERANCE_S = 0.5


def match_pairs(
    ref: pd.DataFrame,
    test: pd.DataFrame,
    *,
    method: str = "iou",
    min_iou: float = DEFAULT_MIN_IOU,
    onset_tolerance_s: float = DEFAULT_ONSET_TOLERANCE_S,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The one-to-one matched pairs of two scorings of the same events.

    Threshold first: only pairs that may match are candidates, then one
    assignment (:func:`scipy.optimize.linear_sum_assignment`) picks among them.

    Parameters
    ----------
    ref, test : DataFrame
        Events with ``onset`` and ``duration`` in seconds. Not modified.
    method : {"iou", "onset"}
        ``"iou"``: two events may match when their intersection over union
        exceeds ``min_iou``; the assignment maximises the total IoU of the
        candidates. ``"onset"``: when their onsets differ by at most
        ``onset_tolerance_s``; as many pairs as possible, then the closest
        onsets.
    min_iou : float
        In [0, 1).
    onset_tolerance_s : float
        >= 0, seconds.

    Returns
    -------
    ref_index, test_index : ndarray of intp
        Row positions of the matched pairs, in the order of ``ref_index``.

    Raises
    ------
    ValueError
        For an unknown ``method``, ``min_iou`` outside [0, 1), a negative or
        non-finite ``onset_tolerance_s``, or a table without onset/duration.

    Examples
    --------
    Raw IoU would pair reference 0 with test 1 and leave two pairs; with the
    threshold applied first, three events match:

    >>> ref = pd.DataFrame({"onset": [2.6, 6.3, 2.4], "duration": [2.1, 1.0, 1.9]})
    >>> test = pd.DataFrame({"onset": [1.6, 2.1, 6.0], "duration": [1.5, 2.2, 3.9]})
    >>> [a.tolist() for a in match_pairs(ref, test, min_iou=0.2)]
    [[0, 1, 2], [1, 2, 0]]
    """
    if method not in MATCH_METHODS:
        raise ValueError(f"method must be one of {', '.join(MATCH_METHODS)}, got {method!r}")
    if not 0.0 <= min_iou < 1.0:
        raise ValueError(f"min_iou must lie in [0, 1), got {min_iou!r}")
    if not (np.isfinite(onset_tolerance_s) and onset_tolerance_s >= 0):
        raise ValueError(f"onset_tolerance_s must be a finite number >= 0, "
                         f"got {onset_tolerance_s!r}")
    r_on, _ = _bounds(ref, "reference")
    t_on, _ = _bounds(test, "test")
    if r_on.size == 0 or t_on.size == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    from scipy.optimize import linear_sum_assignment

    if method == "iou":
        weight = overlap_iou(ref, test)
        ok = weight > min_iou
    else:
        diff = np.abs(t_on[None, :] - r_on[:, None])
        ok = diff <= onset_tolerance_s + _ONSET_SLACK_S
        # as many pairs as possible first, then the closest onsets
        weight = np.where(ok, 1.0 + 1e-3 * (1.0 - diff / max(onset_tolerance_s, 1e-9)), 0.0)
    rows, cols = linear_sum_assignment(-np.where(ok, weight, 0.0))
    keep = ok[rows, cols]
    return rows[keep].astype(np.intp), cols[keep].astype(np.intp)
