"""What the annotation writers share: the text of a leg movement, its leg parts."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from plms.result import ScoreResult

#: Sides of a leg movement row (``docs/CONTRACT.md``).
SIDES = ("left", "right", "bilateral")
#: Times closer than this are equal when matching per-leg parts to rows, s.
PART_TOLERANCE_S = 1e-6
#: Shortest leg movement the rules keep when the result does not say, s.
DEFAULT_LM_MIN_DURATION_S = 0.5


@dataclass(frozen=True)
class LegMovement:
    """One leg movement as written: interval, side and flags of its row."""

    onset: float
    duration: float
    side: str
    plm: bool
    resp: bool


def _flag(value: Any) -> bool:
    if value is None or value is pd.NA:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def lm_text(side: str, *, plm: bool = False, resp: bool = False) -> str:
    """Annotation text of a leg movement: ``LM left``, ``PLM right``, ``LM left (resp)``.

    The texts are read back by :func:`plms.io.classify_annotation` as leg
    movements of the named side (``bilateral`` names no single leg).

    >>> lm_text("left"), lm_text("right", plm=True), lm_text("bilateral", resp=True)
    ('LM left', 'PLM right', 'LM bilateral (resp)')
    """
    return f"{'PLM' if plm else 'LM'} {side}" + (" (resp)" if resp else "")


def event_rows(result: ScoreResult) -> Iterator[LegMovement]:
    """One :class:`LegMovement` per row of ``result.events``, in onset order."""
    ev = result.events
    if ev is None or len(ev) == 0:
        return
    for row in ev.sort_values("onset", kind="stable").itertuples(index=False):
        yield LegMovement(float(row.onset), float(row.duration), str(row.side),
                          _flag(getattr(row, "plm", False)), _flag(getattr(row, "resp", False)))


def _lm_min_duration(result: ScoreResult) -> float:
    detail = result.summary.get("rules_detail") or {}
    value = detail.get("lm_min_duration_s") if isinstance(detail, dict) else None
    return float(value) if value is not None else DEFAULT_LM_MIN_DURATION_S


def leg_rows(result: ScoreResult) -> Iterator[LegMovement]:
    """The leg movements of ``result`` with every bilateral row split into its legs.

    A left or right row is given as it is. A bilateral row is given as the
    per-leg movements (``result.per_leg``) that lie within it and are long
    enough to count (``lm_min_duration_s`` of the rules), each with the flags
    of the row; re-scoring them combines them into the same row again. When
    ``per_leg`` holds no part of one leg, that leg gets the whole interval.
    """
    per_leg = result.per_leg
    min_dur = _lm_min_duration(result) - PART_TOLERANCE_S
    for row in event_rows(result):
        if row.side != "bilateral":
            yield row
            continue
        offset = row.onset + row.duration
        for side in ("left", "right"):
            parts: list[tuple[float, float]] = []
            if per_leg is not None and len(per_leg) and {"onset", "duration", "side"} <= set(
                    per_leg.columns):
                on = per_leg["onset"].to_numpy(dtype=float)
                du = per_leg["duration"].to_numpy(dtype=float)
                sel = ((per_leg["side"].to_numpy() == side) & (du >= min_dur)
                       & (on >= row.onset - PART_TOLERANCE_S)
                       & (on + du <= offset + PART_TOLERANCE_S))
                parts = sorted(zip(on[sel].tolist(), du[sel].tolist()))
            for onset, duration in parts or [(row.onset, row.duration)]:
                yield LegMovement(onset, duration, side, row.plm, row.resp)


def recording_start(result: ScoreResult) -> datetime | None:
    """The recording start the result names (``summary["recording_start"]``), if any."""
    text = result.summary.get("recording_start")
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def leg_channel(result: ScoreResult, side: str) -> str | None:
    """The label of the channel of one leg, when the result names it."""
    channels = result.summary.get("channels")
    if isinstance(channels, dict) and channels.get(side):
        return str(channels[side])
    return None
