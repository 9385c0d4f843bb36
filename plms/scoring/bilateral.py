"""Per-leg clean-up and bilateral combination (RULES.md sections 1 and 2).

Input is a table of monolateral LMs; output one row per LM after the legs are
combined, with the number of parts and whether every part is a candidate.
Movements of one channel holding both legs (side ``combined``, RULES.md "One
leg channel") are merged like one leg's and never combined: each is one LM.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.annotations import COMBINED, LEG_SIDES
from plms.rules import TIME_TOLERANCE_S, Rules

SIDES = ("left", "right")


def validate_lms(lms: pd.DataFrame) -> pd.DataFrame:
    """Check a table of per-leg LMs and return a clean, sorted copy.

    Parameters
    ----------
    lms : DataFrame
        Columns ``onset``, ``duration`` (s) and ``side`` (``left``/``right``,
        or ``combined`` alone: one channel of both legs); ``peak_uv`` is optional.

    Raises
    ------
    ValueError
        On missing columns, unknown sides, ``combined`` beside ``left``/``right``,
        negative durations or non-finite times.
    """
    missing = [c for c in ("onset", "duration", "side") if c not in lms.columns]
    if missing:
        raise ValueError(f"leg-movement table lacks column(s) {', '.join(missing)}")
    out = pd.DataFrame(
        {
            "onset": pd.to_numeric(lms["onset"], errors="coerce").astype(float).to_numpy(),
            "duration": pd.to_numeric(lms["duration"], errors="coerce").astype(float).to_numpy(),
            "side": lms["side"].astype(str).str.lower().to_numpy(),
            "peak_uv": (
                pd.to_numeric(lms["peak_uv"], errors="coerce").astype(float).to_numpy()
                if "peak_uv" in lms.columns
                else np.full(len(lms), np.nan)
            ),
        }
    )
    bad_side = sorted(set(out["side"]) - set(LEG_SIDES))
    if bad_side:
        raise ValueError(f"unknown side(s) {bad_side} in leg-movement table; allowed: left, "
                         f"right (or {COMBINED} alone: one channel of both legs)")
    if COMBINED in set(out["side"]) and len(set(out["side"])) > 1:
        raise ValueError(f"leg-movement table mixes {COMBINED} (one channel of both legs) "
                         "with left/right movements: score one montage at a time")
    if not np.isfinite(out[["onset", "duration"]].to_numpy()).all():
        raise ValueError("leg-movement table has missing or non-finite onset/duration")
    if (out["duration"] < 0).any():
        n = int((out["duration"] < 0).sum())
        raise ValueError(f"leg-movement table has {n} movement(s) with a negative duration")
    return out.sort_values(["onset", "side"], kind="stable").reset_index(drop=True)


def merge_same_leg(lms: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Merge the marks of one leg less than the quiet period apart, then drop too-short LMs.

    RULES.md section 1, in this order: two bursts on one leg closer than
    ``lm_offset_quiet_s`` are one LM (the offset rule: an LM ends only where
    the quiet period starts), so a short burst just after a movement delays
    its offset and two short bursts close together make one LM of their
    combined span; only a merged LM that stays shorter than
    ``lm_min_duration_s`` is not an LM (dropped, it breaks nothing). Marks of
    0 s (points some exports write, with no extent) are dropped before
    merging: they are not bursts.

    Examples
    --------
    >>> from plms.rules import WASM2016
    >>> t = pd.DataFrame({"onset": [0.0, 2.4, 10.0, 20.0, 20.5], "duration": [2.0, 1.0, 0.3,
    ...                   0.3, 0.3], "side": ["left"] * 5})
    >>> merge_same_leg(validate_lms(t), WASM2016)[["onset", "duration"]].round(6).values.tolist()
    [[0.0, 3.4], [20.0, 0.8]]
    """
    merged = same_leg_runs(lms.loc[lms["duration"] > TIME_TOLERANCE_S], rules)
    keep = merged["duration"] >= rules.lm_min_duration_s - TIME_TOLERANCE_S
    return merged.loc[keep].reset_index(drop=True)


def same_leg_runs(lms: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Join the marks of each leg whose gap is less than the quiet period (the offset rule).

    No duration is checked here: :func:`merge_same_leg` drops the runs that
    stay too short. ``peak_uv`` of a run is the largest of its marks.

    Examples
    --------
    >>> from plms.rules import WASM2016
    >>> t = pd.DataFrame({"onset": [0.0, 2.4, 10.0], "duration": [2.0, 1.0, 0.3],
    ...                   "side": ["left"] * 3})
    >>> same_leg_runs(validate_lms(t), WASM2016)[["onset", "duration"]].round(6).values.tolist()
    [[0.0, 3.4], [10.0, 0.3]]
    """
    parts = []
    for side in LEG_SIDES:
        leg = lms.loc[lms["side"] == side].sort_values("onset", kind="stable")
        if leg.empty:
            continue
        onset = leg["onset"].to_numpy()
        offset = onset + leg["duration"].to_numpy()
        peak = leg["peak_uv"].to_numpy()
        # A new LM starts where the gap to the running offset reaches the quiet period.
        running_end = np.maximum.accumulate(offset)
        gap = onset[1:] - running_end[:-1]
        starts = np.r_[True, gap >= rules.lm_offset_quiet_s - TIME_TOLERANCE_S]
        group = np.cumsum(starts) - 1
        n = int(group[-1]) + 1
        g_on = onset[starts]
        g_off = np.full(n, -np.inf)
        np.maximum.at(g_off, group, offset)
        g_peak = _group_nanmax(peak, group, n)
        parts.append(pd.DataFrame({"onset": g_on, "duration": g_off - g_on, "side": side,
                                   "peak_uv": g_peak}))
    if not parts:
        return lms.iloc[0:0].reset_index(drop=True)
    return (
        pd.concat(parts, ignore_index=True)
        .sort_values(["onset", "side"], kind="stable")
        .reset_index(drop=True)
    )


def _group_nanmax(values: npt.NDArray[np.float64], group: npt.NDArray[np.int64], n: int
                  ) -> npt.NDArray[np.float64]:
    out = np.full(n, -np.inf)
    np.fmax.at(out, group, np.where(np.isnan(values), -np.inf, values))
    out[np.isneginf(out)] = np.nan
    return out


def _is_clm_duration(duration: npt.NDArray[np.float64], rules: Rules) -> npt.NDArray[np.bool_]:
    """Monolateral CLM duration test: [min, max], both included (RULES.md section 2)."""
    return (duration >= rules.lm_min_duration_s - TIME_TOLERANCE_S) & (
        duration <= rules.clm_max_duration_s + TIME_TOLERANCE_S
    )


def _groups_overlap(onset: npt.NDArray[np.float64], offset: npt.NDArray[np.float64],
                    rules: Rules) -> npt.NDArray[np.int64]:
    """WASM chaining: join while the next onset is < max_gap after the group's offset."""
    running_end = np.maximum.accumulate(offset)
    gap = onset[1:] - running_end[:-1]
    starts = np.r_[True, gap >= rules.bilateral_max_gap_s - TIME_TOLERANCE_S]
    return np.cumsum(starts) - 1


def _groups_onset(onset: npt.NDArray[np.float64], side: npt.NDArray[np.str_],
                  rules: Rules) -> npt.NDArray[np.int64]:
    """AASM chaining: an LM joins when its onset is < max_onset_diff after an
    onset of the *other* leg already in the group (our reading of RULES.md
    section 2: only the two legs combine; one leg's LMs stay separate)."""
    group = np.zeros(onset.size, dtype=np.int64)
    current = 0
    last_onset = {s: -np.inf for s in SIDES}
    for i in range(onset.size):
        other = SIDES[1] if side[i] == SIDES[0] else SIDES[0]
        joins = i > 0 and onset[i] - last_onset[other] < (
            rules.bilateral_max_onset_diff_s - TIME_TOLERANCE_S
        )
        if i > 0 and not joins:
            current += 1
            last_onset = {s: -np.inf for s in SIDES}
        group[i] = current
        last_onset[side[i]] = onset[i]
    return group


def combine_legs(lms: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Combine per-leg LMs into monolateral and bilateral LMs.

    Parameters
    ----------
    lms : DataFrame
        Output of :func:`merge_same_leg` (``onset``, ``duration``, ``side``, ``peak_uv``).
    rules : Rules

    Returns
    -------
    DataFrame
        ``onset``, ``duration``, ``side`` (``left``/``right``/``bilateral``;
        ``combined`` for one channel of both legs, never combined),
        ``peak_uv``, ``n_parts``, ``parts_clm`` (every part a monolateral CLM),
        ``lm`` (is a leg movement under the rules) and ``clm``.

    Examples
    --------
    >>> from plms.rules import WASM2016
    >>> t = pd.DataFrame({"onset": [0.0, 1.0], "duration": [2.0, 2.0],
    ...                   "side": ["left", "right"], "peak_uv": [20.0, 30.0]})
    >>> combine_legs(t, WASM2016)[["onset", "duration", "side", "n_parts", "clm"]].values.tolist()
    [[0.0, 3.0, 'bilateral', 2, True]]
    """
    columns = ["onset", "duration", "side", "peak_uv", "n_parts", "parts_clm", "lm", "clm"]
    if lms.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            columns, [float, float, object, float, int, bool, bool, bool], strict=True)})
    lms = lms.sort_values(["onset", "side"], kind="stable").reset_index(drop=True)
    part_clm = _is_clm_duration(lms["duration"].to_numpy(), rules)
    if rules.long_lm_policy == "not_lm":
        # AASM: an LM longer than the CLM maximum is not a leg movement at all;
        # it takes no part in combination (kept aside as a non-LM row).
        outsiders = lms.loc[~part_clm].assign(n_parts=1, parts_clm=False, lm=False, clm=False)
        lms = lms.loc[part_clm].reset_index(drop=True)
        part_clm = part_clm[part_clm]
    else:
        outsiders = None
    onset = lms["onset"].to_numpy()
    offset = onset + lms["duration"].to_numpy()
    side = lms["side"].to_numpy()
    if onset.size == 0 or (side == COMBINED).any():
        group = np.arange(onset.size, dtype=np.int64)   # both legs on one channel: no combining
    elif rules.bilateral_mode == "overlap":
        group = _groups_overlap(onset, offset, rules)
    else:
        group = _groups_onset(onset, side, rules)
    n = int(group[-1]) + 1 if group.size else 0
    g_on = np.full(n, np.inf)
    np.minimum.at(g_on, group, onset)
    g_off = np.full(n, -np.inf)
    np.maximum.at(g_off, group, offset)
    n_parts = np.bincount(group, minlength=n)
    n_left = np.bincount(group, weights=(side == "left").astype(float), minlength=n)
    all_parts_clm = np.bincount(group, weights=(~part_clm).astype(float), minlength=n) == 0
    g_side = np.where(n_left == n_parts, "left", np.where(n_left == 0, "right", "bilateral"))
    if (side == COMBINED).any():
        g_side = np.full(n, COMBINED)
    peak = _group_nanmax(lms["peak_uv"].to_numpy(), group, n)
    duration = g_off - g_on
    bilateral = g_side == "bilateral"
    clm = all_parts_clm.copy()
    if rules.bilateral_max_duration_s is not None:
        clm &= ~bilateral | (duration <= rules.bilateral_max_duration_s + TIME_TOLERANCE_S)
    if rules.bilateral_max_parts is not None:
        clm &= ~bilateral | (n_parts <= rules.bilateral_max_parts)
    # A monolateral group of one part: CLM by its duration (RULES.md section 2).
    out = pd.DataFrame({"onset": g_on, "duration": duration, "side": g_side, "peak_uv": peak,
                        "n_parts": n_parts.astype(int), "parts_clm": all_parts_clm,
                        "lm": np.ones(n, dtype=bool), "clm": clm})
    if outsiders is not None and not outsiders.empty:
        out = pd.concat([out, outsiders[columns]], ignore_index=True)
    return out.sort_values(["onset"], kind="stable").reset_index(drop=True)[columns]
