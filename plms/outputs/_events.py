"""What the annotation writers share: the text of a leg movement, its leg parts,
and the other inputs of the rules (respiratory events, arousals, excluded stretches)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from plms.annotations import LEG_SIDES

if TYPE_CHECKING:  # pragma: no cover
    from plms.result import ScoreResult

#: Sides of a leg movement row (``docs/CONTRACT.md``; ``combined``: one channel of both legs).
SIDES = ("left", "right", "bilateral", "combined")
#: Times closer than this are equal when matching per-leg parts to rows, s.
PART_TOLERANCE_S = 1e-6
#: Shortest leg movement the rules keep when the result does not say, s.
DEFAULT_LM_MIN_DURATION_S = 0.5
#: Columns of the respiratory-event, arousal and excluded-stretch tables written.
RESPIRATORY_COLUMNS = ("onset", "duration", "kind")
AROUSAL_COLUMNS = ("onset", "duration")
EXCLUDED_COLUMNS = ("onset", "duration", "side")


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
    movements of the named side (``bilateral`` names no single leg;
    ``combined`` is the one channel of both legs).

    >>> lm_text("left"), lm_text("right", plm=True), lm_text("bilateral", resp=True)
    ('LM left', 'PLM right', 'LM bilateral (resp)')
    >>> lm_text("combined", plm=True)
    'PLM combined'
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
                parts = sorted(zip(on[sel].tolist(), du[sel].tolist(), strict=True))
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


# -- the other inputs of the rules --------------------------------------------
def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("onset", "duration") else object)
                         for c in columns})


@dataclass(frozen=True, eq=False)
class RulesInputs:
    """What the rules used beside the leg movements, as the writers write it.

    Attributes
    ----------
    respiratory : DataFrame or None
        ``onset``, ``duration`` (s), ``kind``; None when not scored (an empty
        table: scored, none found).
    arousals : DataFrame or None
        ``onset``, ``duration`` (s); None when not scored.
    excluded : DataFrame
        ``onset``, ``duration`` (s), ``side``: stretches of one leg left out
        of scoring (detached electrode), empty when none.
    """

    respiratory: pd.DataFrame | None
    arousals: pd.DataFrame | None
    excluded: pd.DataFrame = field(default_factory=lambda: _empty(EXCLUDED_COLUMNS))


def _times(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``table`` with ``columns`` (missing kinds None, missing durations 0), onset order."""
    out = pd.DataFrame({
        "onset": pd.to_numeric(table["onset"], errors="coerce").astype(float),
        "duration": (pd.to_numeric(table["duration"], errors="coerce").fillna(0.0).astype(float)
                     if "duration" in table else 0.0),
    }, index=table.index)
    for extra in columns[2:]:
        out[extra] = table.get(extra, None)
    out = out[out["onset"].notna() & (out["onset"] >= 0)]   # EDF+ and NSRR: from 0 s
    return out.sort_values("onset", kind="stable").reset_index(drop=True)[list(columns)]


def _scored_table(result: ScoreResult, name: str, columns: tuple[str, ...]
                  ) -> pd.DataFrame | None:
    """The table ``name`` the rules used, None when not scored.

    From ``details["rules_inputs"]`` (kept by :func:`plms.score_lms`), else
    from ``details["annotations"]``; when the summary says the events were
    scored but neither holds them, a warning says they are written as not
    scored (never as "scored, none found").
    """
    flag = f"{name}_scored"
    scored = result.summary.get(flag)
    given = result.details.get("rules_inputs")
    if isinstance(given, dict) and name in given:
        table = given[name]
    else:
        ann = result.details.get("annotations")
        table = getattr(ann, name, None) if ann is not None and getattr(ann, flag, False) else None
        if table is None and scored:
            what = "respiratory events" if name == "respiratory" else name
            warnings.warn(f"the result says {what} were scored but does not hold them: "
                          "they are written as not scored", UserWarning, stacklevel=3)
    if table is None or scored is False:
        return None
    return _times(table, columns)


def _excluded(result: ScoreResult) -> pd.DataFrame:
    """Excluded stretches: the detector's (``details["detections"]``), else the annotations'."""
    detections = result.details.get("detections")
    if isinstance(detections, dict) and detections:
        parts = [det.excluded.assign(side=side) for side, det in detections.items()
                 if side in LEG_SIDES and getattr(det, "excluded", None) is not None
                 and len(det.excluded)]
        return _times(pd.concat(parts, ignore_index=True), EXCLUDED_COLUMNS) if parts else (
            _empty(EXCLUDED_COLUMNS))
    ann = result.details.get("annotations")
    table = getattr(ann, "excluded", None)
    if table is None or not len(table):
        return _empty(EXCLUDED_COLUMNS)
    return _times(table, EXCLUDED_COLUMNS)


def rules_inputs(result: ScoreResult) -> RulesInputs:
    """The respiratory events, arousals and excluded stretches the scoring of ``result`` used."""
    return RulesInputs(
        respiratory=_scored_table(result, "respiratory", RESPIRATORY_COLUMNS),
        arousals=_scored_table(result, "arousals", AROUSAL_COLUMNS),
        excluded=_excluded(result),
    )


def marker_texts(inputs: RulesInputs) -> list[str]:
    """The texts that say whether respiratory events and arousals were scored.

    Written at 0 s by every writer, read back by :func:`plms.io.annotations._build.plms_marker`.

    >>> marker_texts(RulesInputs(respiratory=_empty(RESPIRATORY_COLUMNS), arousals=None))
    ['plms: respiratory events scored', 'plms: arousals not scored']
    """
    from plms.io.annotations._build import SCORING_MARKERS

    text = {detail: t for t, (_, detail) in SCORING_MARKERS.items()}
    return [text[f"{name} {'scored' if table is not None else 'not scored'}"]
            for name, table in (("respiratory", inputs.respiratory),
                                ("arousals", inputs.arousals))]


def excluded_text(side: str) -> str:
    """The text of a stretch of one leg excluded from scoring.

    >>> excluded_text("left"), excluded_text("combined")
    ('plms: excluded left leg', 'plms: excluded combined legs')
    """
    from plms.io.annotations._build import EXCLUDED_MARKERS

    return {detail: t for t, (_, detail) in EXCLUDED_MARKERS.items()}[side]
