"""Night-level figures from a scored events table (RULES.md section 5).

Every figure that cannot be computed is ``None`` and a warning says why;
nothing unknown is ever reported as 0.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.hypnogram import SLEEP_STAGES, Hypnogram
from plms.rules import TIME_TOLERANCE_S, Rules, get_rules
from plms.scoring import sequence_mask
from plms.summary import SummaryFigures

SECONDS_PER_HOUR = 3600.0
MINUTES_PER_HOUR = 60.0
SECONDS_PER_MINUTE = SECONDS_PER_HOUR / MINUTES_PER_HOUR
#: Width of the bins of the IMI histogram (IMIs up to ``imi_max_s``), seconds.
IMI_HIST_BIN_S = 2.0
#: Width and range of the bins of the ln(IMI) histogram.
LN_IMI_BIN = 0.1
LN_IMI_RANGE = (0.0, 4.5)
#: Stages reported per stage, in order.
STAGE_ORDER: tuple[str, ...] = ("N1", "N2", "N3", "R")


def _per_hour(count: int, minutes: float | None) -> float | None:
    if minutes is None or minutes <= 0:
        return None
    return count / (minutes / MINUTES_PER_HOUR)


def _recording_min(duration_s: float | None) -> float | None:
    """The recording length in minutes; None when unknown, NaN or not positive."""
    if duration_s is None:
        return None
    value = float(duration_s)
    if not np.isfinite(value) or value <= 0:
        return None
    return value / SECONDS_PER_MINUTE


def _in_sleep(events: pd.DataFrame, hypnogram: Hypnogram | None) -> npt.NDArray[np.bool_]:
    """Rows whose onset lies in a sleep epoch in bed."""
    if hypnogram is None:
        return np.zeros(len(events), dtype=bool)
    onset = events["onset"].to_numpy(dtype=float)
    return np.isin(events["stage"].to_numpy(dtype=str), SLEEP_STAGES) & hypnogram.in_tib(onset)


def _in_wake(events: pd.DataFrame, hypnogram: Hypnogram | None) -> npt.NDArray[np.bool_]:
    if hypnogram is None:
        return np.zeros(len(events), dtype=bool)
    onset = events["onset"].to_numpy(dtype=float)
    return (events["stage"].to_numpy(dtype=str) == "W") & hypnogram.in_tib(onset)


def periodicity_runs(imi: npt.NDArray[np.float64], in_sequence: npt.NDArray[np.bool_],
                     rules: Rules) -> npt.NDArray[np.bool_]:
    """Which IMIs belong to a run of >= ``periodicity_min_run`` consecutive IMIs in range.

    ``imi`` is the IMI column in row order and ``in_sequence`` marks the rows
    the series rules see; rows outside it (bridged over) are skipped, and a
    row of the sequence without an IMI (first movement, breaker, first after a
    breaker) interrupts runs (Ferri 2006, RULES.md section 5).

    Examples
    --------
    >>> from plms.rules import WASM2016
    >>> imi = np.array([np.nan, 20, 20, np.nan, 20, 5, 20, 20])
    >>> seq = np.array([True, True, True, False, True, True, True, True])
    >>> periodicity_runs(imi, seq, WASM2016).tolist()
    [False, True, True, False, True, False, False, False]
    """
    ok = (imi >= rules.periodicity_imi_min_s - TIME_TOLERANCE_S) & (
        imi <= rules.periodicity_imi_max_s + TIME_TOLERANCE_S
    )
    out = np.zeros(imi.size, dtype=bool)
    run: list[int] = []
    for i in [*np.flatnonzero(in_sequence), None]:
        if i is not None and ok[i]:
            run.append(int(i))
            continue
        if len(run) >= rules.periodicity_min_run:
            out[run] = True
        run = []
    return out


def imi_counts(imi: npt.NDArray[np.float64], rules: Rules) -> dict[str, int]:
    """Counts of IMIs below, within and above [10, 90] s (bounds in the middle bin)."""
    lo, hi = rules.periodicity_imi_min_s, rules.periodicity_imi_max_s
    imi = imi[~np.isnan(imi)]
    below = int((imi < lo - TIME_TOLERANCE_S).sum())
    above = int((imi > hi + TIME_TOLERANCE_S).sum())
    return {"lt10": below, "10to90": int(imi.size - below - above), "gt90": above}


def compute_summary(
    events: pd.DataFrame,
    rules: str | Rules = "wasm2016",
    hypnogram: Hypnogram | None = None,
    *,
    respiratory_scored: bool = False,
    arousals_scored: bool = False,
    recording_duration_s: float | None = None,
) -> SummaryFigures:
    """Night-level figures of a scored events table.

    Parameters
    ----------
    events : DataFrame
        Output of :func:`plms.scoring.apply_rules`.
    rules : {"wasm2016", "aasm"} or Rules
    hypnogram : Hypnogram, optional
        Without it no sleep figure can be computed (they are None).
    respiratory_scored, arousals_scored : bool
        Whether respiratory events / arousals were scored at all.
    recording_duration_s : float, optional
        Length of the recording, seconds: the basis of the figures per hour of
        recording (``lm_index_recording``, ``plm_index_recording``), which
        need no sleep scoring. Without it they are None.

    Returns
    -------
    SummaryFigures
        The figures of ``docs/CONTRACT.md``, JSON-ready (a typed dict).

    Examples
    --------
    >>> from plms.scoring import apply_rules
    >>> h = Hypnogram.from_labels(["N2"] * 120)          # one hour asleep
    >>> lms = pd.DataFrame({"onset": [0.0, 20, 40, 60], "duration": 1.0, "side": "left"})
    >>> s = compute_summary(apply_rules(lms, hypnogram=h), hypnogram=h)
    >>> s["plms_index"], s["n_plms"], s["tst_min"]
    (4.0, 4, 60.0)

    Without a hypnogram, the figures per hour of recording remain:

    >>> s = compute_summary(apply_rules(lms), recording_duration_s=7200.0)
    >>> s["plms_index"], s["n_plm"], s["plm_index_recording"], s["lm_index_recording"]
    (None, 4, 2.0, 2.0)
    """
    rules = get_rules(rules)
    warnings: list[str] = []
    lm = events["lm"].to_numpy(dtype=bool)
    clm = events["clm"].to_numpy(dtype=bool)
    plm = events["plm"].to_numpy(dtype=bool)
    resp = events["resp"].to_numpy(dtype=bool)
    arousal = events["arousal"].to_numpy(dtype=bool)
    plm_incl = events["plm_incl_resp"].to_numpy(dtype=bool)
    imi = events["imi"].to_numpy(dtype=float)
    sleep = _in_sleep(events, hypnogram)
    wake = _in_wake(events, hypnogram)

    tst = tib = wake_min = None
    if hypnogram is None:
        warnings.append(
            "no hypnogram: sleep time and every per-hour-of-sleep index are not computed; "
            "counts, IMIs and the indices per hour of recording (lm_index_recording, "
            "plm_index_recording) cover the whole recording, wake included"
        )
        if rules.wake_policy == "drop":
            warnings.append(f"no hypnogram: the {rules.name} wake rule could not be applied")
    else:
        tst, tib, wake_min = hypnogram.tst_min, hypnogram.tib_min, hypnogram.wake_min
        if tst <= 0:
            warnings.append("the hypnogram holds no sleep: no sleep index can be computed")
        if not hypnogram.staged:
            warnings.append("sleep is not staged (sleep/wake only): PLMS by stage is not computed")

    n_plms = int((plm & sleep).sum()) if hypnogram is not None else None
    n_plmw: int | None = int((plm & wake).sum()) if hypnogram is not None else None
    plmw_index = _per_hour(n_plmw, wake_min) if n_plmw is not None else None
    if rules.wake_policy == "drop":
        n_plmw = plmw_index = None
        warnings.append(f"PLMW is not defined under {rules.name} (wake movements are not scored)")
    elif hypnogram is not None and not wake_min:
        warnings.append("no wake time in bed: the PLMW index is not computed")

    arousal_index = _per_hour(int((plm & arousal & sleep).sum()), tst)
    if not arousals_scored:
        arousal_index = None
        warnings.append("no arousals were given: the PLMS-arousal index is not computed")
    if not respiratory_scored:
        warnings.append(
            "no respiratory events were given: respiratory-related movements could not "
            "be excluded (plms_index equals plms_index_incl_resp)"
        )

    scope = sleep if hypnogram is not None else np.ones(len(events), dtype=bool)
    imi_scope = imi[scope]
    seq = sequence_mask(lm, clm, resp, events["stage"].to_numpy(dtype=str), rules)
    in_runs = periodicity_runs(imi, seq, rules)[scope]
    n_imi = int((~np.isnan(imi_scope)).sum())
    periodicity = float(in_runs.sum() / n_imi) if n_imi else None
    if n_imi == 0:
        warnings.append("no inter-movement interval in scope: periodicity index not computed")
    eligible_clms = int((clm & ~resp & sleep).sum())
    ratio = (n_plms / eligible_clms) if (n_plms is not None and eligible_clms) else None
    if n_plms is not None and not eligible_clms:
        warnings.append("no CLM in sleep: PLM/CLM ratio not computed")

    recording_min = _recording_min(recording_duration_s)
    if recording_min is None:
        warnings.append("recording length unknown: the indices per hour of recording are "
                        "not computed")

    return {
        "rules": rules.name,
        "recording_min": recording_min,
        "tst_min": tst,
        "tib_min": tib,
        "wake_min": wake_min,
        "n_lm": int(lm.sum()),
        "n_clm": int(clm.sum()),
        "n_plm": int(plm.sum()),
        "n_plms": n_plms,
        "n_plmw": n_plmw,
        "plms_index": _per_hour(n_plms, tst) if n_plms is not None else None,
        "plms_index_incl_resp": _per_hour(int((plm_incl & sleep).sum()), tst),
        "plmw_index": plmw_index,
        "lms_index": _per_hour(int((lm & sleep).sum()), tst),
        "clms_index": _per_hour(int((clm & sleep).sum()), tst),
        "lm_index_recording": _per_hour(int(lm.sum()), recording_min),
        "plm_index_recording": _per_hour(int(plm.sum()), recording_min),
        "plms_arousal_index": arousal_index,
        "periodicity_index": periodicity,
        "plm_clm_ratio": ratio,
        "imi_counts": imi_counts(imi_scope, rules),
        "n_clm_resp": int((clm & resp).sum()),
        "respiratory_scored": bool(respiratory_scored),
        "arousals_scored": bool(arousals_scored),
        "plms_by_stage": (_by_stage(events, plm & sleep)
                          if hypnogram is not None and hypnogram.staged else None),
        "plms_by_hour": _by_hour(events, plm & sleep) if hypnogram is not None else None,
        "rules_detail": rules.as_dict(),
        "warnings": warnings,
    }


def _by_stage(events: pd.DataFrame, mask: npt.NDArray[np.bool_]) -> dict[str, int]:
    stages = events["stage"].to_numpy(dtype=str)[mask]
    return {s: int((stages == s).sum()) for s in STAGE_ORDER}


def _by_hour(events: pd.DataFrame, mask: npt.NDArray[np.bool_]) -> list[int]:
    """PLMS per hour of the night, hour 0 starting at the recording start."""
    hours = np.floor(events["onset"].to_numpy(dtype=float)[mask] / SECONDS_PER_HOUR).astype(int)
    if hours.size == 0:
        return []
    return np.bincount(hours).astype(int).tolist()


def imi_histograms(events: pd.DataFrame, rules: str | Rules = "wasm2016"
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Histograms of IMIs <= ``imi_max_s`` in 2-s bins and of ln(IMI) in 0.1 bins.

    Returns two DataFrames with ``left``, ``right`` (bin edges) and ``count``.
    """
    rules = get_rules(rules)
    imi = events["imi"].to_numpy(dtype=float)
    imi = imi[~np.isnan(imi)]
    edges = np.arange(0.0, rules.imi_max_s + IMI_HIST_BIN_S, IMI_HIST_BIN_S)
    counts, _ = np.histogram(imi[imi <= rules.imi_max_s + TIME_TOLERANCE_S], bins=edges)
    ln_edges = np.round(np.arange(LN_IMI_RANGE[0], LN_IMI_RANGE[1] + LN_IMI_BIN / 2, LN_IMI_BIN),
                        10)
    ln_counts, _ = np.histogram(np.log(imi[imi > 0]), bins=ln_edges)
    return (
        pd.DataFrame({"left": edges[:-1], "right": edges[1:], "count": counts}),
        pd.DataFrame({"left": ln_edges[:-1], "right": ln_edges[1:], "count": ln_counts}),
    )
