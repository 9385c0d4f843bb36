"""Small builders shared by the hand-derived rules tests (tests/test_rules_*.py)."""

from __future__ import annotations

import pandas as pd


def lm_table(*rows):
    """Rows of (onset, duration[, side]); side defaults to 'left'."""
    recs = [
        {"onset": float(r[0]), "duration": float(r[1]), "side": r[2] if len(r) > 2 else "left"}
        for r in rows
    ]
    return pd.DataFrame(recs, columns=["onset", "duration", "side"]).astype(
        {"onset": float, "duration": float}
    )


def flags(df, col):
    return [bool(x) for x in df[col]]


def series_ids(df):
    return [None if pd.isna(x) else int(x) for x in df["series"]]


def imis(df):
    return [float(x) for x in df["imi"]]


def train(onsets, duration=1.0, side="left"):
    return lm_table(*[(o, duration, side) for o in onsets])

