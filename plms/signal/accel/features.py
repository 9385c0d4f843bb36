"""Signal features that tell a foot movement from a bed vibration (docs/ACCEL.md).

A leg movement turns the foot and holds it: the sensor's gravity vector moves
to one side of its resting direction and stays there, a *quasi-static* change
with most of its energy below about 1 Hz. A shake of the mattress (the other
leg moving, a bed partner) is an oscillation about the resting direction at
0.5-6 Hz, and a knock is shorter than 0.2 s. Three features per event measure
this (all in the events table, so a user can see why an event was kept):

- ``held_mg``: the peak deviation of the **low-passed** vector (two moving
  averages, a triangular window; cut-off near 1 Hz) from the nearer gravity
  estimate: the orientation the foot was held at;
- ``sway_mg``: the **median** length of the band-passed vector (the
  0.2-s-smoothed vector minus the low-passed one) over the event. A
  movement's band-passed part is its ramps, a small share of the event; a
  vibration's fills it;
- ``coherence``: ``|mean d| / rms |d|``, ``d`` the smoothed vector minus
  gravity before the event. A movement to one side gives 0.8-1; a zero-mean
  oscillation over a whole cycle or more gives 0-0.3.

:func:`find_events` is the hysteresis both channels (activity and held
deviation) are read with (:func:`plms.signal.events.hysteresis_events`, shared with
the EMG detector).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from plms.signal.accel._filters import moving_average
from plms.signal.events import hysteresis_events, quiet_run_starts
from plms.rules import TIME_TOLERANCE_S, Rules

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def triangular_lowpass(x: FloatArray, width: int) -> FloatArray:
    """Two moving averages of ``width`` rows each (a triangular window).

    The gain is sinc squared: the first zero at ``rate / width`` Hz and side
    lobes below 5 %, so a sway above that frequency hardly passes.

    Examples
    --------
    >>> t = np.arange(250) / 25.0
    >>> x = np.sin(2 * np.pi * 3.0 * t)[:, None]          # a 3-Hz sway at 25 Hz
    >>> float(np.abs(triangular_lowpass(x, 15)[50:200]).max()) < 0.05
    True
    """
    return moving_average(moving_average(x, max(1, width)), max(1, width))


def nearer_distance(x: FloatArray, before: FloatArray, after: FloatArray) -> FloatArray:
    """Per row: the distance of ``x`` from the nearer of ``before`` and ``after``.

    Examples
    --------
    >>> nearer_distance(np.array([[3.0, 4.0]]), np.zeros((1, 2)), np.array([[3.0, 0.0]]))
    array([4.])
    """
    d = np.subtract(x, before)
    squared = np.einsum("ij,ij->i", d, d)
    np.subtract(x, after, out=d)
    np.minimum(squared, np.einsum("ij,ij->i", d, d), out=squared)
    return np.sqrt(squared, out=squared)


def add_disjoint(on: IntArray, off: IntArray, more_on: IntArray, more_off: IntArray
                 ) -> tuple[IntArray, IntArray]:
    """Events ``[on, off)`` plus those of ``more`` that overlap none of them, sorted.

    Examples
    --------
    >>> a = np.array([10, 50]), np.array([20, 60])
    >>> add_disjoint(*a, np.array([15, 30]), np.array([25, 40]))
    (array([10, 30, 50]), array([20, 40, 60]))
    """
    if more_on.size == 0:
        return on, off
    # the first event of ``on`` that ends after each new onset
    nxt = np.searchsorted(off, more_on, side="right")
    inside = nxt < on.size
    clash = np.zeros(more_on.size, dtype=bool)
    clash[inside] = on[nxt[inside]] < more_off[inside]
    all_on = np.concatenate([on, more_on[~clash]])
    all_off = np.concatenate([off, more_off[~clash]])
    order = np.argsort(all_on, kind="stable")
    return all_on[order], all_off[order]


def event_features(smoothed: FloatArray, lowpassed: FloatArray, held: FloatArray,
                   before: FloatArray, on: IntArray, off: IntArray
                   ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Held deviation, sway and coherence of each event ``[on, off)``.

    Parameters
    ----------
    smoothed, lowpassed : array, shape (n, axes)
        The 0.2-s-smoothed and the low-passed vector, mg.
    held : array, shape (n,)
        Distance of ``lowpassed`` from the nearer gravity estimate, mg (NaN
        where invalid).
    before : array, shape (len(on), axes)
        Gravity estimated before each event's onset, mg.
    on, off : array of int
        Event bounds in samples (``off > on``).

    Returns
    -------
    held_mg, sway_mg, coherence : array of float
        See the module docstring.

    Examples
    --------
    >>> n = 100
    >>> sm = np.zeros((n, 3)); sm[40:60, 0] = 50.0              # held to one side
    >>> lp = triangular_lowpass(sm, 5)
    >>> h, s, c = event_features(sm, lp, np.linalg.norm(lp, axis=1), np.zeros((1, 3)),
    ...                          np.array([38]), np.array([62]))
    >>> round(float(h[0])), round(float(c[0]), 2), bool(s[0] < h[0] / 2)
    (50, 0.91, True)
    """
    k = on.size
    held_mg, sway_mg, coherence = np.zeros(k), np.zeros(k), np.zeros(k)
    for i, (s, e) in enumerate(zip(on, off, strict=True)):
        peak = held[s:e]
        held_mg[i] = float(np.nanmax(peak)) if np.isfinite(peak).any() else 0.0
        band = smoothed[s:e] - lowpassed[s:e]
        sway_mg[i] = float(np.median(np.sqrt(np.sum(band * band, axis=1))))
        d = smoothed[s:e] - before[i]
        rms = float(np.sqrt(np.mean(np.sum(d * d, axis=1))))
        coherence[i] = float(np.linalg.norm(d.mean(axis=0))) / rms if rms > 0 else 0.0
    return held_mg, sway_mg, coherence


def find_events(act: npt.NDArray[np.float64], rate: float, on_level: float,
                 off_level: float, rules: Rules) -> tuple[npt.NDArray[np.int64],
                                                          npt.NDArray[np.int64]]:
    """Onset and offset samples by hysteresis and the rules' quiet period and minimum duration.

    Onset where ``act`` reaches ``on_level``, moved back to where it was last
    below ``off_level``; offset at the start of the first run of
    ``rules.lm_offset_quiet_s`` below ``off_level`` (or of NaN); events shorter
    than ``rules.lm_min_duration_s`` are dropped.

    Examples
    --------
    >>> from plms.rules import get_rules
    >>> act = np.zeros(100); act[40:60] = 50.0
    >>> find_events(act, 10.0, 30.0, 10.0, get_rules("wasm2016"))
    (array([40]), array([60]))
    """
    valid = np.isfinite(act)
    level = np.where(valid, act, 0.0)
    below = level < off_level
    q = max(1, int(np.ceil(rules.lm_offset_quiet_s * rate - TIME_TOLERANCE_S)))
    # a quiet period, or an excluded (NaN) stretch, ends a movement
    return hysteresis_events(level >= on_level, quiet_run_starts(below, q) | ~valid,
                             min_samples=rules.lm_min_duration_s * rate - TIME_TOLERANCE_S,
                             rewind=below)
