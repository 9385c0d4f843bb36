"""Posture changes of an accelerometer night: turns and the orientation at rest.

Each body position has its own rest direction of gravity per ankle (tilted a
little at every return to it); a posture change turns the sensor there over
2-8 s inside the PSG posture movement of that leg.

>>> import numpy as np
>>> g, fixed = rest_gravity(4, 1.0, np.array([0.0, 0.0, 1.0]), [], [])
>>> g.tolist()
[[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.simulate import accel_motion as am
from plms.simulate.movements import SIDES

#: A posture LM holds a position change when it lies within this of it, s.
TURN_MATCH_S = 2.0
#: Passive turns keep this far from the leg's movements, s.
TURN_CLEAR_S = 1.0


def plan_turns(rng: np.random.Generator, positions: pd.DataFrame, lms: pd.DataFrame,
                geometry: list[am.AnkleGeometry],
                bases: list[dict[str, npt.NDArray[np.float64]]],
                ) -> tuple[list[list[am.Turn]], set[int], list[npt.NDArray[np.float64]]]:
    """Posture turns per side at the PSG position changes.

    Each body position has its own rest direction per ankle (tilted a little
    at every return). A turn fills the PSG posture LM of that leg holding the
    change; a leg without one is turned passively over a few seconds (not a
    truth LM), unless that would overlap one of its movements. Returns the
    turns, the truth rows they use and the initial directions.
    """
    turns: list[list[am.Turn]] = [[], []]
    used: set[int] = set()
    names = positions["position"].astype(str).tolist()
    times = positions["onset"].to_numpy(dtype=float)
    initial = [am.jitter_orientation(rng, bases[s][names[0]], geometry[s]) for s in range(2)]
    current = [g.copy() for g in initial]
    onsets = lms["onset"].to_numpy(dtype=float)
    offsets = onsets + lms["duration"].to_numpy(dtype=float)
    sides = np.array([SIDES.index(s) for s in lms["side"]], dtype=int)
    posture = (lms["origin"] == "posture").to_numpy()
    for t, name in zip(times[1:], names[1:], strict=True):
        for side in range(2):
            after = am.jitter_orientation(rng, bases[side][name], geometry[side])
            turn_s = float(rng.uniform(*am.TURN_S))
            passive_s = float(rng.uniform(*am.PASSIVE_TURN_S))
            seed = int(rng.integers(am.SEED_BOUND))
            mine = sides == side
            hit = np.flatnonzero(mine & posture & (onsets - TURN_MATCH_S <= t)
                                 & (t <= offsets + TURN_MATCH_S))
            if hit.size:
                k = int(hit[np.argmin(np.abs((onsets[hit] + offsets[hit]) / 2 - t))])
                if k in used:
                    continue
                used.add(k)
                on, dur = float(onsets[k]), float(offsets[k] - onsets[k])
                span = min(turn_s, dur)
                start = float(np.clip(t - span / 2, on, on + dur - span))
                turns[side].append(am.Turn(on, dur, start, span, current[side], after, True,
                                           seed))
            else:
                on, dur = t - passive_s / 2, passive_s
                if np.any(mine & (onsets < on + dur + TURN_CLEAR_S)
                          & (offsets > on - TURN_CLEAR_S)):
                    continue
                turns[side].append(am.Turn(on, dur, on, dur, current[side], after, False, seed))
            current[side] = after
    return turns, used, initial


def rest_gravity(n: int, fs: float, initial: npt.NDArray[np.float64],
                 turns: list[tuple[int, am.Turn]], rotations: list[tuple[int, am.Rotation]],
                 ) -> tuple[npt.NDArray[np.float64], list[tuple[int, am.Turn]]]:
    """Gravity direction at rest (n, 3) through the night.

    It changes at the end of each turn and of each repositioning; the turns
    are returned with ``before`` set to the orientation they actually start from.
    """
    # (onset, 0 = turn / 1 = repositioning, position in its list)
    events = [(t.onset, 0, j) for j, (_, t) in enumerate(turns)]
    events += [(r.onset, 1, j) for j, (_, r) in enumerate(rotations) if r.end_deg]
    events.sort()
    gravity = np.empty((n, 3))
    current = np.asarray(initial, dtype=float)
    start = 0
    fixed: list[tuple[int, am.Turn]] = []
    for _, kind, j in events:
        if kind == 0:
            row, turn = turns[j]
            stop = am.window(turn.onset, turn.duration, fs, n)[1]
            gravity[start:stop] = current
            fixed.append((row, replace(turn, before=current)))
            current = turn.after
        else:
            rot = rotations[j][1]
            stop = am.window(rot.onset, rot.duration, fs, n)[1]
            gravity[start:stop] = current
            current = am.rotate(current[None, :], rot.axis, np.radians([rot.end_deg]))[0]
        start = max(start, stop)
    gravity[start:] = current
    return gravity, fixed
