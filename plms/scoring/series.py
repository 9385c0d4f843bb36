"""Respiratory and arousal association, and PLM series (RULES.md sections 3 and 4)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.rules import TIME_TOLERANCE_S, Rules


def intervals_touch(
    start: npt.NDArray[np.float64],
    end: npt.NDArray[np.float64],
    win_start: npt.NDArray[np.float64],
    win_end: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    """For each interval [start, end], whether it meets any window (closed bounds).

    Runs in O((n + m) log m): windows are sorted by start and, for every
    interval, the largest window end among the windows starting no later than
    the interval's end decides.

    Examples
    --------
    >>> intervals_touch(np.array([0.0, 5.0]), np.array([1.0, 6.0]),
    ...                 np.array([1.0]), np.array([2.0])).tolist()
    [True, False]
    """
    if win_start.size == 0 or start.size == 0:
        return np.zeros(start.size, dtype=bool)
    order = np.argsort(win_start, kind="stable")
    ws = win_start[order]
    we_max = np.maximum.accumulate(win_end[order])
    k = np.searchsorted(ws, end + TIME_TOLERANCE_S, side="right")
    out = np.zeros(start.size, dtype=bool)
    has = k > 0
    out[has] = we_max[k[has] - 1] >= start[has] - TIME_TOLERANCE_S
    return out


def respiratory_windows(
    respiratory: pd.DataFrame, rules: Rules
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The windows around respiratory events in which an LM is respiratory-related.

    WASM: [event end - 2.0 s, event end + 10.25 s]; AASM: [event start - 0.5 s,
    event end + 0.5 s] (RULES.md section 4; fields ``resp_window_*``).
    """
    on = respiratory["onset"].to_numpy(dtype=float)
    end = on + respiratory["duration"].to_numpy(dtype=float)
    anchor = end if rules.resp_window_anchor == "end" else on
    return anchor - rules.resp_window_before_s, end + rules.resp_window_after_s


def find_series(
    onset: npt.NDArray[np.float64],
    clm: npt.NDArray[np.bool_],
    in_sequence: npt.NDArray[np.bool_],
    rules: Rules,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Number the PLM series among the movements of a sequence.

    Parameters
    ----------
    onset : array of float
        Onsets of all movements, sorted.
    clm : array of bool
        Candidate LMs; a movement in the sequence that is not a CLM is a
        *breaker* (RULES.md section 3): it ends the run and no IMI is measured
        across it.
    in_sequence : array of bool
        Movements the series rules see (removed ones are bridged over).
    rules : Rules
        ``series_min_count``, ``imi_min_s`` and ``imi_max_s`` (bounds included).

    Returns
    -------
    series : array of int
        Series number (1, 2, ...) per movement, 0 where not in a series.
    imi : array of float
        IMI to the previous CLM of the sequence, NaN where not defined.

    Examples
    --------
    >>> from plms.rules import WASM2016
    >>> on = np.array([0.0, 20.0, 40.0, 45.0, 65.0, 85.0, 105.0])
    >>> s, imi = find_series(on, np.ones(7, bool), np.ones(7, bool), WASM2016)
    >>> s.tolist()
    [0, 0, 0, 1, 1, 1, 1]
    """
    n = onset.size
    series = np.zeros(n, dtype=np.int64)
    imi = np.full(n, np.nan)
    number = 0
    run: list[int] = []

    def close(run: list[int]) -> None:
        nonlocal number
        if len(run) >= rules.series_min_count:
            number += 1
            series[run] = number

    previous: int | None = None
    for i in np.flatnonzero(in_sequence).tolist():
        if not clm[i]:
            close(run)
            run, previous = [], None
            continue
        if previous is None:
            run = [i]
        else:
            imi[i] = onset[i] - onset[previous]
            if rules.imi_min_s - TIME_TOLERANCE_S <= imi[i] <= rules.imi_max_s + TIME_TOLERANCE_S:
                run.append(i)
            else:
                close(run)
                run = [i]
        previous = i
    close(run)
    return series, imi
