"""Event-level, clock-shift and night-level agreement of two scorings (:mod:`plms.validation`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.signal.events import DEFAULT_MIN_IOU, DEFAULT_ONSET_TOLERANCE_S, match_pairs
from plms.result import ScoreResult
from plms.rules import WASM2016, Rules, get_rules

__all__ = ["bland_altman", "compare_events", "compare_nights", "estimate_shift", "icc_a1"]

_LEGS = ("left", "right", "combined")


# ---------------------------------------------------------------- event level
def _tables(lms: Any, rules: Rules) -> dict[str, pd.DataFrame]:
    """Per-leg and combined movements of a scoring (ScoreResult or per-leg table)."""
    if not isinstance(lms, ScoreResult):
        from plms.pipeline.core import score_lms

        lms = score_lms(pd.DataFrame(lms), rules)
    per_leg, events = lms.per_leg, lms.events
    out = {}
    for leg in ("left", "right"):
        if per_leg is None or "side" not in per_leg:
            continue
        out[leg] = per_leg.loc[per_leg["side"].astype(str).str.lower() == leg,
                               ["onset", "duration"]].astype(float).reset_index(drop=True)
    out["combined"] = events[["onset", "duration"]].astype(float).reset_index(drop=True)
    return out


def _raw_rows(ref: dict[str, pd.DataFrame], test: dict[str, pd.DataFrame], min_iou: float,
              tol: float) -> list[dict[str, Any]]:
    rows = []
    for leg in _LEGS:
        if leg not in ref or leg not in test:
            continue
        r, t = ref[leg], test[leg]
        for method in ("iou", "onset"):
            i, j = match_pairs(r, t, method=method, min_iou=min_iou,
                               onset_tolerance_s=tol)
            on_r, on_t = r["onset"].to_numpy(float), t["onset"].to_numpy(float)
            off_r = on_r + r["duration"].to_numpy(float)
            off_t = on_t + t["duration"].to_numpy(float)
            rows.append({"leg": leg, "match": method, "n_ref": len(r), "n_test": len(t),
                         "tp": len(i), "onset_err": on_t[j] - on_r[i],
                         "offset_err": off_t[j] - off_r[i]})
    return rows


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def _summarise(raw: list[dict[str, Any]]) -> pd.DataFrame:
    """Counts, rates and error quantiles; rows of the same leg/match are pooled."""
    out = []
    keys = list(dict.fromkeys((r["leg"], r["match"]) for r in raw))
    for leg, method in keys:
        sel = [r for r in raw if r["leg"] == leg and r["match"] == method]
        n_ref = sum(r["n_ref"] for r in sel)
        n_test = sum(r["n_test"] for r in sel)
        tp = sum(r["tp"] for r in sel)
        row: dict[str, Any] = {"leg": leg, "match": method, "n_ref": n_ref, "n_test": n_test,
                               "tp": tp, "fn": n_ref - tp, "fp": n_test - tp,
                               "sensitivity": _ratio(tp, n_ref),
                               "precision": _ratio(tp, n_test),
                               "f1": _ratio(2 * tp, n_ref + n_test)}
        for name in ("onset", "offset"):
            err = np.concatenate([r[f"{name}_err"] for r in sel]) if sel else np.zeros(0)
            q = np.quantile(err, [0.25, 0.5, 0.75]) if len(err) else [math.nan] * 3
            row[f"{name}_error_median_s"] = float(q[1])
            row[f"{name}_error_iqr_s"] = float(q[2] - q[0])
            row[f"{name}_error_mae_s"] = float(np.mean(np.abs(err))) if len(err) else math.nan
        out.append(row)
    return pd.DataFrame(out)


def compare_events(ref_lms: pd.DataFrame | ScoreResult, test_lms: pd.DataFrame | ScoreResult,
                   *, min_iou: float = DEFAULT_MIN_IOU,
                   onset_tolerance_s: float = DEFAULT_ONSET_TOLERANCE_S,
                   rules: str | Rules = "wasm2016") -> pd.DataFrame:
    """Event-level agreement, per leg and after bilateral combination.

    Parameters
    ----------
    ref_lms, test_lms : DataFrame or ScoreResult
        Per-leg movements (``onset``, ``duration``, ``side`` left/right), combined
        by ``rules``; or scored nights (their ``per_leg`` and ``events``).
    min_iou : float
        ``match == "iou"``: two movements match when their intersection over
        union exceeds this.
    onset_tolerance_s : float
        ``match == "onset"``: two movements match when their onsets differ by at
        most this.

    Returns
    -------
    DataFrame
        One row per ``leg`` (left, right, combined) and ``match`` (iou, onset):
        ``n_ref``, ``n_test``, ``tp``, ``fn``, ``fp``, ``sensitivity``,
        ``precision``, ``f1`` and the test-minus-reference onset/offset error
        (``*_median_s``, ``*_iqr_s``, ``*_mae_s``) of the matched pairs.
        Matching is one to one (:func:`scipy.optimize.linear_sum_assignment`).

    Examples
    --------
    >>> ref = pd.DataFrame({"onset": [0.0, 30, 60], "duration": 2.0, "side": "left"})
    >>> test = pd.DataFrame({"onset": [0.2, 61.0, 90], "duration": 2.0, "side": "left"})
    >>> t = compare_events(ref, test).set_index(["leg", "match"])
    >>> int(t.loc[("left", "iou"), "tp"]), round(float(t.loc[("left", "iou"), "f1"]), 3)
    (2, 0.667)
    >>> int(t.loc[("left", "onset"), "tp"])
    1
    """
    rules = get_rules(rules)
    raw = _raw_rows(_tables(ref_lms, rules), _tables(test_lms, rules), min_iou,
                    onset_tolerance_s)
    return _summarise(raw)


# ---------------------------------------------------------------- clock shift
def estimate_shift(ref_onsets: Any, test_onsets: Any, *, max_shift_s: float = 120.0,
                   step_s: float = 0.1, tolerance_s: float = 0.5) -> float:
    """The clock offset (test minus reference, s) that lines up the most onsets.

    Every pairwise onset difference within ``max_shift_s`` is collected; the
    candidate shift (a grid of ``step_s``) with the most differences within
    ``tolerance_s`` wins (the smallest one on ties), refined to the median of
    those differences. 0.0 when either side has no onset.

    Examples
    --------
    >>> ref = np.array([10.0, 47.0, 71.0, 130.0, 166.0])
    >>> round(estimate_shift(ref, ref + 12.3), 2)
    12.3
    """
    ref = np.sort(np.asarray(ref_onsets, float))
    test = np.sort(np.asarray(test_onsets, float))
    if len(ref) == 0 or len(test) == 0:
        return 0.0
    lo = np.searchsorted(test, ref - max_shift_s, "left")
    hi = np.searchsorted(test, ref + max_shift_s, "right")
    diffs = np.concatenate([test[a:b] - r for r, a, b in zip(ref, lo, hi, strict=True)])
    if len(diffs) == 0:
        return 0.0
    diffs.sort()
    grid = np.arange(-max_shift_s, max_shift_s + step_s / 2, step_s)
    counts = (np.searchsorted(diffs, grid + tolerance_s, "right")
              - np.searchsorted(diffs, grid - tolerance_s, "left"))
    best = counts.max()
    cands = grid[counts == best]
    s = cands[np.argmin(np.abs(cands))]
    near = diffs[np.abs(diffs - s) <= tolerance_s]
    return float(np.median(near))


# ---------------------------------------------------------------- night level
#: Half-width of the Bland-Altman limits of agreement, in SDs of the differences.
LOA_SD = 1.96


def bland_altman(ref: npt.ArrayLike, test: npt.ArrayLike) -> dict[str, Any]:
    """Bias and Bland-Altman limits of agreement of paired figures (test - reference).

    Pairs with a missing value (None, NaN) on either side are left out.

    Returns
    -------
    dict
        ``n_nights`` (pairs used), ``mean_ref``, ``mean_test``, ``bias`` (mean
        difference), ``sd_diff`` (its SD, ddof 1) and ``loa_lower``/``loa_upper``
        (bias -/+ 1.96 SD); None where undefined (no pair; one pair for the SD
        and limits).

    Examples
    --------
    >>> d = bland_altman([5, 10, None], [7, 8, 3])
    >>> d["n_nights"], d["bias"], round(d["sd_diff"], 4), round(d["loa_upper"], 4)
    (2, 0.0, 2.8284, 5.5437)
    """
    r = np.array([math.nan if v is None else v for v in np.ravel(ref)], float)
    t = np.array([math.nan if v is None else v for v in np.ravel(test)], float)
    keep = np.isfinite(r) & np.isfinite(t)
    r, t = r[keep], t[keep]
    n = len(r)
    d = t - r
    sd = float(d.std(ddof=1)) if n >= 2 else math.nan
    return {"n_nights": n,
            "mean_ref": _none(r.mean()) if n else None,
            "mean_test": _none(t.mean()) if n else None,
            "bias": _none(d.mean()) if n else None,
            "sd_diff": _none(sd),
            "loa_lower": _none(d.mean() - LOA_SD * sd) if n >= 2 else None,
            "loa_upper": _none(d.mean() + LOA_SD * sd) if n >= 2 else None}


def _values(x: Any) -> pd.Series:
    if isinstance(x, pd.DataFrame):
        x = x["plms_index"]
    if isinstance(x, Mapping):
        x = pd.Series({k: (v.summary.get("plms_index") if isinstance(v, ScoreResult)
                           else v.get("plms_index") if isinstance(v, Mapping) else v)
                       for k, v in x.items()})
    return pd.Series(x, dtype=float)


def _none(v: float) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def icc_a1(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """ICC(A,1) (Shrout & Fleiss ICC(2,1)): two-way random, absolute agreement, single.

    >>> round(icc_a1([1, 2, 3], [2, 3, 4]), 4)
    0.6667
    """
    x = np.column_stack([np.asarray(a, float), np.asarray(b, float)])
    n, k = x.shape
    if n < 2:
        return math.nan
    grand = x.mean()
    msr = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    sse = ((x - grand) ** 2).sum() - msr * (n - 1) - msc * (k - 1)
    mse = sse / ((n - 1) * (k - 1))
    denom = msr + (k - 1) * mse + k * (msc - mse) / n
    return float((msr - mse) / denom) if denom > 0 else math.nan


def compare_nights(ref_summaries: Any, test_summaries: Any, *,
                   threshold_per_h: float = WASM2016.plms_index_threshold_per_h) -> dict[str, Any]:
    """Night-level agreement of the PLMS index.

    Parameters
    ----------
    ref_summaries, test_summaries
        PLMS indices by night: Series, mapping night -> index / summary dict /
        ScoreResult, or a DataFrame with a ``plms_index`` column. Nights are
        paired by index; nights missing on either side or without an index are
        left out.

    Returns
    -------
    dict
        ``n_nights``, ``bias`` (mean test - reference), ``sd_diff``,
        ``loa_lower``/``loa_upper`` (bias -/+ 1.96 SD, Bland-Altman), ``icc``
        (ICC(A,1): two-way random effects, absolute agreement, single
        measurement, by formula), ``pearson_r``/``spearman_rho`` (scipy) and,
        at ``threshold_per_h``, ``tp``/``fp``/``fn``/``tn``, ``sensitivity``,
        ``specificity`` and ``kappa`` (scikit-learn). None where undefined.

    Examples
    --------
    >>> d = compare_nights([5, 10, 20, 30], [7, 16, 18, 30])
    >>> d["bias"], d["sensitivity"], d["specificity"], d["kappa"]
    (1.5, 1.0, 0.5, 0.5)
    """
    from scipy import stats
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    ref, test = _values(ref_summaries), _values(test_summaries)
    pair = pd.concat([ref.rename("ref"), test.rename("test")], axis=1, join="inner").dropna()
    r, t = pair["ref"].to_numpy(float), pair["test"].to_numpy(float)
    n = len(r)
    out: dict[str, Any] = {"n_nights": n, "threshold_per_h": threshold_per_h,
                           "icc_type": "ICC(A,1) two-way random, absolute agreement"}
    out.update({k: v for k, v in bland_altman(r, t).items() if k != "n_nights"})
    out["icc"] = _none(icc_a1(r, t))
    varied = n >= 3 and np.ptp(r) > 0 and np.ptp(t) > 0
    out["pearson_r"] = _none(stats.pearsonr(r, t)[0]) if varied else None
    out["spearman_rho"] = _none(stats.spearmanr(r, t)[0]) if varied else None
    rp, tp_ = r >= threshold_per_h, t >= threshold_per_h
    tn, fp, fn, tp = (int(v) for v in
                      confusion_matrix(rp, tp_, labels=[False, True]).ravel()) if n else (0,) * 4
    out.update(tp=tp, fp=fp, fn=fn, tn=tn, sensitivity=_none(_ratio(tp, tp + fn)),
               specificity=_none(_ratio(tn, tn + fp)))
    kappa = None
    if n and len(set(rp) | set(tp_)) > 1:
        kappa = _none(cohen_kappa_score(rp, tp_, labels=[False, True]))
    out["kappa"] = kappa
    return out


