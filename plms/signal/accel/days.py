"""Multi-day ankle recordings: per-segment features, non-wear, and the sleep periods of each day.

A wearable is worn for days; before any night can be scored the recording is
split (issue 16, ``docs/ACCEL.md``):

1. **Features per segment** (:func:`segment_features`): per 5-s segment and
   ankle, the orientation (the median of 5-Hz block means, in g), the
   standard deviation of each axis (mg) and the activity (the root of the
   summed variances, mg). Each segment is computed from its own samples, so
   a recording read in chunks of whole segments (:func:`features_from_chunks`)
   gives exactly the features of the whole recording.
2. **Non-wear** (:func:`nonwear_mask`), after van Hees et al. 2011 (PLoS One
   6:e22922) and 2013 (PLoS One 8:e61691): 60-min windows sliding by 15 min in
   which the standard deviation stays below 13 mg in at least 2 of 3 axes and
   the orientation's range stays small. Adapted to the ankle: the windows are
   laid inside quiet stretches (so a stretch's edges are found to the segment,
   not to the 15-min step), the range limit is 100 mg (a sensor cooling off the
   body drifts), and a stretch is kept as *worn* when it shows micro-motion: a
   worn ankle at rest wanders (seated sway, a sleeper's small shifts: the median
   change between successive segments reaches ``micro_deg``) or has livelier
   segments (twitches), whereas a sensor on a table stays at its noise floor.
   At the recording's start or end 15 min suffice. A motionless sleeper whose
   ankle shows no such micro-motion for 60 min cannot be told from a sensor on
   a table: that stretch is called non-wear (the limit of the method,
   documented in ``docs/ACCEL.md``).
3. **The main sleep period of each day** (:func:`find_sleep_periods`), in the
   spirit of van Hees et al. 2018 (Sci Rep 8:12975, HDCZA): the change of
   orientation between successive segments, its 5-min rolling median, a
   threshold from the recording's own distribution (a low percentile times a
   factor, clipped), the rolling median of the activity below a limit (steady
   walking keeps the orientation steady), blocks of at least 20 min, gaps under 60 min
   merged (never across non-wear); per day (noon to noon) the longest block
   overlapping the night hours is the night when long enough; other blocks
   are naps; a day without one has no main sleep period. With two ankles a
   segment is still when every worn ankle is; non-wear is never sleep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.signal.accel._filters import moving_median
from plms.signal.accel.days_features import (
    MG_PER_G, DaySettings, SegmentFeatures, features_from_chunks, nonwear_mask,
    samples_per_segment, segment_features,
)
from plms.signal.accel.sleepwake_rules import angle_deg
from plms.signal.events import true_runs

__all__ = ["DAY_COLUMNS", "MG_PER_G", "DaySettings", "SegmentFeatures", "SleepPeriods",
           "day_bounds", "features_from_chunks", "find_sleep_periods", "night_window",
           "nonwear_mask", "nonwear_table", "orientation_change", "samples_per_segment",
           "segment_features", "sleep_blocks", "still_threshold_deg"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Seconds in an hour and in a day.
S_PER_H = 3600.0
S_PER_DAY = 86400.0
#: Columns of the tables :func:`find_sleep_periods` returns.
DAY_COLUMNS = ("day", "date", "day_start_s", "day_end_s", "status", "start_s", "end_s",
               "nonwear_min", "reason")
PERIOD_COLUMNS = ("start_s", "end_s")
NONWEAR_COLUMNS = ("start_s", "end_s", "side")
#: ``status`` of a day (same words as :data:`plms.result.NIGHT_OK` and ``NIGHT_NO_SLEEP``).
DAY_SLEEP = "ok"
DAY_NO_SLEEP = "no sleep period"


def still_threshold_deg(change_median: FloatArray, usable: BoolArray,
                        settings: DaySettings) -> float:
    """The stillness threshold: percentile x factor of the usable rolling medians, clipped."""
    values = change_median[usable & np.isfinite(change_median)]
    if values.size == 0:
        return settings.threshold_min_deg
    raw = float(np.percentile(values, settings.threshold_percentile)) * settings.threshold_factor
    return float(np.clip(raw, settings.threshold_min_deg, settings.threshold_max_deg))


def orientation_change(features: Mapping[str, SegmentFeatures],
                       nonwear: Mapping[str, BoolArray]) -> tuple[FloatArray, FloatArray]:
    """Largest change of orientation between successive segments (deg) and largest
    activity (mg) over the worn ankles.

    ``inf`` where no ankle is worn or the samples were missing.
    """
    n = min(f.n for f in features.values())
    change = np.full(n, -np.inf)
    activity = np.full(n, -np.inf)
    worn_any = np.zeros(n, dtype=bool)
    for side, feat in features.items():
        orient = feat.orientation[:n]
        one = np.full(n, np.inf)
        one[1:] = angle_deg(orient[1:], orient[:-1])
        one[~np.isfinite(one)] = np.inf
        act = feat.activity_mg[:n]
        act = np.where(np.isfinite(act), act, np.inf)
        worn = ~nonwear[side][:n]
        change = np.where(worn, np.maximum(change, one), change)
        activity = np.where(worn, np.maximum(activity, act), activity)
        worn_any |= worn
    change[~worn_any] = np.inf
    activity[~worn_any] = np.inf
    return change, activity


def _rolling_median(x: FloatArray, width: int) -> FloatArray:
    return moving_median(np.where(np.isnan(x), np.inf, x)[:, None], width)[:, 0]


def sleep_blocks(change: FloatArray, activity: FloatArray, blocked: BoolArray,
                 settings: DaySettings) -> tuple[list[tuple[int, int]], float]:
    """Still blocks in segments ``[start, stop)`` and the threshold used, degrees.

    A segment is still when the rolling medians of the orientation change and
    of the activity are below their thresholds. ``blocked`` segments
    (non-wear) are never still and never bridged.
    """
    seg = settings.segment_s
    width = max(1, int(round(settings.median_s / seg)))
    med = _rolling_median(change, width)
    usable = ~blocked & np.isfinite(change)
    threshold = still_threshold_deg(med, usable, settings)
    calm = _rolling_median(activity, width) < settings.activity_max_mg
    still = (med < threshold) & calm & usable
    starts, stops = true_runs(still)
    keep = stops - starts >= int(np.ceil(settings.block_min_s / seg - 1e-9))
    gap_max = int(round(settings.gap_max_s / seg))
    blocks: list[tuple[int, int]] = []
    for a, b in zip(starts[keep], stops[keep], strict=True):
        if blocks and a - blocks[-1][1] < gap_max and not blocked[blocks[-1][1]:a].any():
            blocks[-1] = (blocks[-1][0], int(b))
        else:
            blocks.append((int(a), int(b)))
    return blocks, threshold


def day_bounds(start: dt.datetime | None, duration_s: float, settings: DaySettings
               ) -> list[tuple[float, float, str | None]]:
    """The days (start s, end s, evening date ISO) the recording covers enough of.

    Days run from ``day_start_h`` to the same hour the next day; without a
    clock time the recording's start is taken as the day's start.

    Examples
    --------
    >>> day_bounds(dt.datetime(2026, 1, 5, 12, 0), 2 * 86400.0, DaySettings())
    [(0.0, 86400.0, '2026-01-05'), (86400.0, 172800.0, '2026-01-06')]
    """
    if start is None:
        first, first_date = 0.0, None
    else:
        day0 = dt.datetime.combine(start.date(), dt.time()) + dt.timedelta(
            hours=settings.day_start_h)
        if day0 > start.replace(tzinfo=None):
            day0 -= dt.timedelta(days=1)
        first = (day0 - start.replace(tzinfo=None)).total_seconds()
        first_date = day0.date()
    out = []
    at = first
    k = 0
    while at < duration_s:
        end = at + S_PER_DAY
        cover = min(end, duration_s) - max(at, 0.0)
        if cover >= settings.day_min_cover_s:
            date = None if first_date is None else (first_date + dt.timedelta(days=k)).isoformat()
            out.append((at, end, date))
        at, k = end, k + 1
    return out


def _night_hours(day_start_s: float, settings: DaySettings) -> tuple[float, float]:
    """The night hours of a day, s from the recording start."""
    after = (settings.night_from_h - settings.day_start_h) % 24
    length = (settings.night_to_h - settings.night_from_h) % 24
    lo = day_start_s + after * S_PER_H
    return lo, lo + length * S_PER_H


def _runs_table(mask: BoolArray, seg: float, side: str | None = None) -> pd.DataFrame:
    starts, stops = true_runs(mask)
    table = pd.DataFrame({"start_s": starts * seg, "end_s": stops * seg})
    if side is not None:
        table["side"] = side
    return table.astype({"start_s": float, "end_s": float})


@dataclass(frozen=True, eq=False)
class SleepPeriods:
    """The split of a multi-day recording.

    Attributes
    ----------
    days : DataFrame
        One row per day (:data:`DAY_COLUMNS`): ``status`` ok (``start_s``/``end_s``:
        the main sleep period) or no sleep period (``reason`` says why).
    naps : DataFrame
        ``start_s``, ``end_s`` of the other sleep blocks.
    nonwear : DataFrame
        ``start_s``, ``end_s``, ``side`` (``left``/``right``/``both``).
    nonwear_mask : dict of side to array of bool
        Per segment.
    threshold_deg : float
        The stillness threshold used.
    """

    days: pd.DataFrame
    naps: pd.DataFrame
    nonwear: pd.DataFrame
    nonwear_mask: dict[str, BoolArray]
    threshold_deg: float


def nonwear_table(masks: Mapping[str, BoolArray], seg: float,
                  settings: DaySettings = DaySettings()  # noqa: B008
                  ) -> pd.DataFrame:
    """Non-wear stretches: ``both`` where every ankle is off, else the side that is.

    A one-side piece shorter than ``nonwear_side_min_s`` next to a ``both``
    stretch (one sensor put on a moment before the other) is not listed.
    """
    n = min(m.size for m in masks.values())
    if len(masks) == 1:
        side, mask = next(iter(masks.items()))
        return _runs_table(mask[:n], seg, side)
    both = np.logical_and.reduce([m[:n] for m in masks.values()])
    tables = [_runs_table(both, seg, "both")]
    short = int(np.ceil(settings.nonwear_side_min_s / seg - 1e-9))
    for side, mask in masks.items():
        starts, stops = true_runs(mask[:n] & ~both)
        touch = np.array([(a > 0 and both[a - 1]) or (b < n and both[b]) for a, b in
                          zip(starts, stops, strict=True)], dtype=bool)
        keep = ~(touch & (stops - starts < short)) if starts.size else np.zeros(0, bool)
        tables.append(pd.DataFrame({"start_s": starts[keep] * seg, "end_s": stops[keep] * seg,
                                    "side": side}).astype({"start_s": float, "end_s": float}))
    out = pd.concat(tables, ignore_index=True)
    return out.sort_values(["start_s", "side"], kind="stable").reset_index(drop=True)


def find_sleep_periods(features: Mapping[str, SegmentFeatures], start: dt.datetime | None,
                       duration_s: float, settings: DaySettings = DaySettings()  # noqa: B008
                       ) -> SleepPeriods:
    """Non-wear, the main sleep period of each day, and naps (see the module notes)."""
    if not features:
        raise ValueError("features must hold at least one ankle")
    seg = settings.segment_s
    masks = {side: nonwear_mask(f, settings) for side, f in features.items()}
    change, activity = orientation_change(features, masks)
    n = change.size
    off_all = np.logical_and.reduce([m[:n] for m in masks.values()])
    blocks, threshold = sleep_blocks(change, activity, off_all, settings)
    rows, used = [], set()
    for k, (lo, hi, date) in enumerate(day_bounds(start, duration_s, settings), start=1):
        night_lo, night_hi = _night_hours(lo, settings)
        mine = [(a, b) for a, b in blocks
                if lo <= (a + b) / 2 * seg < hi and a * seg < night_hi and b * seg > night_lo]
        a_s, b_s = max(lo, 0.0), min(hi, duration_s)
        i0, i1 = int(a_s // seg), int(np.ceil(b_s / seg))
        nw_min = float(off_all[i0:i1].sum() * seg / 60.0)
        row = {"day": k, "date": date, "day_start_s": lo, "day_end_s": hi,
               "status": DAY_NO_SLEEP, "start_s": None, "end_s": None,
               "nonwear_min": nw_min, "reason": None}
        best = max(mine, key=lambda blk: blk[1] - blk[0], default=None)
        night_i = (int(night_lo // seg), int(np.ceil(night_hi / seg)))
        night_off = off_all[night_i[0]:night_i[1]]
        if best is not None and (best[1] - best[0]) * seg >= settings.night_min_s:
            row.update(status=DAY_SLEEP, start_s=best[0] * seg, end_s=best[1] * seg)
            used.add(best)
        elif night_off.size and night_off.mean() > settings.night_off_share:
            row["reason"] = "the sensor was off the ankle for most of the night"
        elif best is None:
            row["reason"] = "no still period overlapping the night"
        else:
            row["reason"] = (f"the longest still period overlapping the night lasts "
                             f"{(best[1] - best[0]) * seg / 60:.0f} min, under "
                             f"{settings.night_min_s / 60:.0f} min")
        rows.append(row)
    days = pd.DataFrame(rows, columns=list(DAY_COLUMNS))
    nap_min = int(np.ceil(settings.nap_min_s / seg - 1e-9))
    naps = pd.DataFrame([(a * seg, b * seg) for a, b in blocks
                         if (a, b) not in used and b - a >= nap_min],
                        columns=list(PERIOD_COLUMNS)).astype(float)
    return SleepPeriods(days, naps, nonwear_table(masks, seg, settings), masks, threshold)


def night_window(start_s: float, end_s: float, duration_s: float,
                 settings: DaySettings = DaySettings(),  # noqa: B008
                 off: Iterable[tuple[float, float]] = ()) -> tuple[float, float]:
    """The scoring window of a sleep period: widened by the margin, rounded out, clipped.

    The margin never reaches into a stretch of ``off`` (non-wear, start and end s).

    >>> night_window(3605.0, 7200.0, 9000.0, DaySettings(window_margin_s=0.0))
    (3600.0, 7200.0)
    >>> night_window(3600.0, 7200.0, 9000.0, DaySettings(window_margin_s=300.0),
    ...              off=[(3000.0, 3500.0)])
    (3510.0, 7500.0)
    """
    r = settings.window_round_s
    lo = np.floor((start_s - settings.window_margin_s) / r + 1e-9) * r
    hi = np.ceil((end_s + settings.window_margin_s) / r - 1e-9) * r
    for a, b in off:
        if a < start_s and b > lo:
            lo = np.ceil(b / r - 1e-9) * r
        if b > end_s and a < hi:
            hi = np.floor(a / r + 1e-9) * r
    top = np.floor(duration_s / r + 1e-9) * r
    return float(max(lo, 0.0)), float(min(hi, top))
