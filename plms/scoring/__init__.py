"""Apply the scoring rules to a table of detected (or hand-scored) leg movements.

The single entry point is :func:`apply_rules`; the steps it chains are public
in :mod:`plms.scoring.bilateral` and :mod:`plms.scoring.series`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from plms.hypnogram import NO_STAGE, Hypnogram
from plms.rules import Rules, get_rules
from plms.scoring.bilateral import combine_legs, merge_same_leg, validate_lms
from plms.scoring.series import find_series, intervals_touch, respiratory_windows

__all__ = [
    "EVENT_COLUMNS", "apply_rules", "combine_legs", "find_series", "merge_same_leg",
    "sequence_mask",
]

#: Columns of the events table, in the order of ``events.tsv``: the output
#: contract first, then the extra columns plms adds.
EVENT_COLUMNS: tuple[str, ...] = (
    "onset", "duration", "side", "stage", "clm", "resp", "arousal", "plm", "series",
    "imi", "peak_uv", "lm", "n_parts", "plm_incl_resp", "note",
)
#: Stages written into the events table; MT and U epochs give ``n/a``.
_REPORTED_STAGES = ("W", "N1", "N2", "N3", "R", "S")


def apply_rules(
    lms: pd.DataFrame,
    rules: str | Rules = "wasm2016",
    *,
    hypnogram: Hypnogram | None = None,
    respiratory: pd.DataFrame | None = None,
    arousals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score per-leg leg movements by the rules: CLMs, bilateral LMs, PLM series.

    Parameters
    ----------
    lms : DataFrame
        One row per leg movement of one leg: ``onset``, ``duration`` (seconds
        from the recording start), ``side`` (``left``/``right``), optionally
        ``peak_uv``. Not modified.
    rules : {"wasm2016", "aasm"} or Rules
    hypnogram : Hypnogram, optional
        Gives each movement the stage of the epoch holding its onset
        (needed by the AASM wake rule).
    respiratory, arousals : DataFrame, optional
        ``onset`` and ``duration`` of respiratory events / arousals.

    Returns
    -------
    DataFrame
        One row per LM after bilateral combination, columns
        :data:`EVENT_COLUMNS` (see ``docs/CONTRACT.md``).

    Examples
    --------
    >>> lms = pd.DataFrame({"onset": [0.0, 20.0, 40.0, 60.0], "duration": 1.0, "side": "left"})
    >>> ev = apply_rules(lms)
    >>> ev["plm"].tolist(), ev["imi"].tolist()[1:]
    ([True, True, True, True], [20.0, 20.0, 20.0])
    """
    rules = get_rules(rules)
    table = combine_legs(merge_same_leg(validate_lms(lms), rules), rules)
    onset = table["onset"].to_numpy()
    offset = onset + table["duration"].to_numpy()
    n = onset.size

    stage = np.full(n, NO_STAGE, dtype="<U3")
    if hypnogram is not None:
        stage = hypnogram.stage_at(onset)
        stage[~np.isin(stage, _REPORTED_STAGES)] = NO_STAGE

    resp = np.zeros(n, dtype=bool)
    if respiratory is not None and len(respiratory):
        w_start, w_end = respiratory_windows(respiratory, rules)
        resp = intervals_touch(onset, offset, w_start, w_end)
    arousal = np.zeros(n, dtype=bool)
    if arousals is not None and len(arousals):
        a_on = arousals["onset"].to_numpy(dtype=float)
        a_off = a_on + arousals["duration"].to_numpy(dtype=float)
        arousal = intervals_touch(
            onset - rules.arousal_window_s, offset + rules.arousal_window_s, a_on, a_off
        )

    lm = table["lm"].to_numpy()
    clm = table["clm"].to_numpy()
    series, imi = find_series(onset, clm, sequence_mask(lm, clm, resp, stage, rules), rules)
    no_resp = np.zeros(n, dtype=bool)
    series_incl, _ = find_series(onset, clm, sequence_mask(lm, clm, no_resp, stage, rules), rules)

    events = pd.DataFrame(
        {
            "onset": onset,
            "duration": table["duration"].to_numpy(),
            "side": table["side"].to_numpy(dtype=object),
            "stage": stage.astype(object),
            "clm": clm,
            "resp": resp,
            "arousal": arousal,
            "plm": series > 0,
            "series": pd.array(np.where(series > 0, series, 0), dtype="Int64"),
            "imi": imi,
            "peak_uv": table["peak_uv"].to_numpy(dtype=float),
            "lm": lm,
            "n_parts": table["n_parts"].to_numpy(dtype=int),
            "plm_incl_resp": series_incl > 0,
            "note": _notes(table, stage, resp, rules),
        }
    )
    events.loc[series == 0, "series"] = pd.NA
    return events.loc[:, list(EVENT_COLUMNS)]


def sequence_mask(
    lm: np.ndarray, clm: np.ndarray, resp: np.ndarray, stage: np.ndarray, rules: Rules
) -> np.ndarray:
    """Rows the series rules see, in onset order (RULES.md sections 3 and 4).

    Leg movements only (AASM: LMs over 10 s are none); respiratory-related
    CLMs are removed and bridged over (a respiratory-related non-CLM stays and
    breaks); under a ``drop`` wake policy (AASM) movements in W epochs are
    removed and bridged over.
    """
    mask = lm & ~(clm & resp)
    if rules.wake_policy == "drop":
        mask &= stage != "W"
    return mask


def _notes(table: pd.DataFrame, stage: np.ndarray, resp: np.ndarray, rules: Rules) -> np.ndarray:
    """Why a row is not a CLM or is left out of the series sequence."""
    notes = np.full(len(table), "", dtype=object)
    max_lm = f"{rules.clm_max_duration_s:g} s"
    for i, row in enumerate(table.itertuples(index=False)):
        if not row.lm:
            notes[i] = f"longer than {max_lm}: not a leg movement under {rules.name}"
        elif not row.clm:
            notes[i] = "not a CLM, breaks series: " + _why_not_clm(row, rules)
        elif rules.wake_policy == "drop" and stage[i] == "W":
            notes[i] = f"in wake: not scored under {rules.name}"
        elif resp[i]:
            notes[i] = "respiratory-related: left out of series"
    return notes


def _why_not_clm(row: object, rules: Rules) -> str:
    if row.side != "bilateral":  # type: ignore[attr-defined]
        return f"longer than {rules.clm_max_duration_s:g} s"
    if not row.parts_clm:  # type: ignore[attr-defined]
        return f"a part is longer than {rules.clm_max_duration_s:g} s"
    if rules.bilateral_max_parts is not None and row.n_parts > rules.bilateral_max_parts:  # type: ignore[attr-defined]
        return f"more than {rules.bilateral_max_parts} parts"
    return f"bilateral longer than {rules.bilateral_max_duration_s:g} s"
