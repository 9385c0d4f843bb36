"""The scored leg movements as :class:`mne.Annotations`."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from plms.outputs.edf_plus import STAGE_TEXT

if TYPE_CHECKING:  # pragma: no cover
    import mne

    from plms.result import ScoreResult

#: Columns of the events table carried in each annotation's ``extras``.
EXTRAS_COLUMNS = ("side", "stage", "lm", "clm", "plm", "series", "resp", "arousal",
                  "plm_incl_resp", "imi", "peak_uv", "n_parts", "note")


def _plain(value: Any) -> str | int | float | None:
    """A value MNE accepts in ``extras`` (str, int, float or None; booleans as 0/1)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    number = float(value)
    return None if math.isnan(number) else number


def to_mne_annotations(result: ScoreResult, *, orig_time: datetime | float | None = None,
                       hypnogram: bool = False) -> mne.Annotations:
    """The leg movements of ``result`` as :class:`mne.Annotations`.

    One annotation per row of ``result.events``, described ``PLM`` (member of
    a PLM series) or ``LM``; its ``extras`` hold the row's
    :data:`EXTRAS_COLUMNS` present in the table (``side``, ``clm``, ``plm``,
    ``series``, ``resp``, ``arousal``...; booleans as 0/1, missing as None),
    which MNE-BIDS writes as columns of ``events.tsv``.

    Parameters
    ----------
    result : ScoreResult
    orig_time : datetime or float, optional
        Passed to :class:`mne.Annotations`. The default None makes the onsets
        relative to the start of the data, which is what
        ``raw.set_annotations`` expects for a raw read from the scored file.
    hypnogram : bool
        Add one ``Sleep stage X`` annotation per epoch (extras: ``stage``).
    """
    import mne

    events = result.events
    columns = [c for c in EXTRAS_COLUMNS if c in events.columns]
    onset: list[float] = []
    duration: list[float] = []
    description: list[str] = []
    extras: list[dict[str, str | int | float | None]] = []
    for row in events.sort_values("onset", kind="stable").to_dict("records"):
        onset.append(float(row["onset"]))
        duration.append(float(row["duration"]))
        plm = _plain(row.get("plm"))
        description.append("PLM" if plm else "LM")
        extras.append({c: _plain(row[c]) for c in columns})
    hyp = result.hypnogram
    if hypnogram and hyp is not None:
        for t, stage in zip(hyp.epoch_onsets.tolist(), hyp.stages.tolist(), strict=True):
            onset.append(float(t))
            duration.append(float(hyp.epoch_s))
            description.append(STAGE_TEXT[stage])
            extras.append({"stage": stage})
    order = sorted(range(len(onset)), key=lambda i: onset[i])
    return mne.Annotations(
        onset=[onset[i] for i in order], duration=[duration[i] for i in order],
        description=[description[i] for i in order], orig_time=orig_time,
        extras=[extras[i] for i in order])
