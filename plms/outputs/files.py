"""Text outputs, written so that no half-written file is ever left behind.

Every file is first written under a temporary name in the target folder and
renamed into place only when all files of a result are complete.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from plms.outputs.atomic import write_paths_all_or_nothing

if TYPE_CHECKING:  # pragma: no cover
    from plms.result import ScoreResult

#: BIDS: missing values are written as this.
NA = "n/a"
#: Decimal places of times (s) and amplitudes in the TSV.
TIME_DECIMALS = 3
AMPLITUDE_DECIMALS = 1

#: Descriptions of the events columns, written as the BIDS ``events.json`` sidecar.
EVENT_COLUMN_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "onset": {"Description": "Start of the leg movement", "Units": "s"},
    "duration": {"Description": "Duration of the leg movement (onset to offset)", "Units": "s"},
    "side": {"Description": "left, right, or bilateral (combined by the rules)"},
    "stage": {"Description": "Sleep stage of the epoch holding the onset (W, N1, N2, N3, R); "
                             "n/a without hypnogram, outside it, or in MT/unscored epochs"},
    "clm": {"Description": "1 if a candidate leg movement under the rules, else 0"},
    "resp": {"Description": "1 if respiratory-related (RULES.md section 4), else 0"},
    "arousal": {"Description": "1 if arousal-related, else 0"},
    "plm": {"Description": "1 if member of a periodic leg movement series, else 0"},
    "series": {"Description": "Number of the PLM series (1, 2, ...), n/a if not a PLM"},
    "imi": {"Description": "Inter-movement interval (onset to onset) to the previous movement "
                           "of the sequence the series rules use; n/a for the first, after a "
                           "non-CLM, and for movements left out of the sequence", "Units": "s"},
    "peak_uv": {"Description": "Peak of the rectified EMG envelope above the resting baseline",
                "Units": "uV"},
    "lm": {"Description": "1 if a leg movement under the rules (AASM: LMs over 10 s are not)"},
    "n_parts": {"Description": "Number of monolateral movements combined into this one"},
    "plm_incl_resp": {"Description": "1 if in a PLM series when respiratory-related CLMs "
                                     "are kept"},
    "note": {"Description": "Why the movement is not a CLM or is left out of the series"},
}


def _format_column(col: pd.Series) -> pd.Series:
    if col.dtype == bool:
        return col.astype(int).astype(str)
    if pd.api.types.is_float_dtype(col.dtype):
        decimals = AMPLITUDE_DECIMALS if col.name == "peak_uv" else TIME_DECIMALS
        return col.map(lambda v: NA if pd.isna(v) else f"{v:.{decimals}f}")
    return col.map(lambda v: NA if (v is pd.NA or v is None or v == "" or
                                    (isinstance(v, float) and math.isnan(v))) else str(v))


def events_to_tsv(events: pd.DataFrame) -> str:
    """The events table as BIDS TSV text (``n/a`` for missing, booleans as 1/0)."""
    formatted = pd.DataFrame({c: _format_column(events[c]) for c in events.columns})
    return formatted.to_csv(sep="\t", index=False, lineterminator="\n")


def events_sidecar(columns: list[str]) -> str:
    """BIDS ``events.json`` describing the columns present."""
    return json.dumps({c: EVENT_COLUMN_DESCRIPTIONS[c] for c in columns
                       if c in EVENT_COLUMN_DESCRIPTIONS}, indent=2) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _clean(value: Any) -> Any:
    """Replace NaN floats by None recursively (JSON has no NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def summary_to_json(summary: Mapping[str, Any]) -> str:
    """The summary as indented JSON (NaN written as null)."""
    return json.dumps(_clean(dict(summary)), indent=2, default=_json_default,
                      ensure_ascii=False) + "\n"


def _text_writer(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    return write


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    return write_all_or_nothing({Path(path): text})[0]


def write_all_or_nothing(files: Mapping[Path, str]) -> list[Path]:
    """Write several text files so that either all appear complete or none changes.

    All contents go to temporary files first; only when every one is written
    are they renamed into place. On any error the temporary files are removed
    (:func:`plms.outputs.atomic.write_paths_all_or_nothing`).
    """
    return write_paths_all_or_nothing({Path(p): _text_writer(t) for p, t in files.items()})


def write_night(result: ScoreResult, out_dir: str | os.PathLike[str],
                formats: Sequence[str] = (), *,
                source_edf: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write a night's files, the extras too, all of them or none.

    ``STEM.events.tsv`` (with its BIDS ``.json``) and ``STEM.summary.json``,
    then each of ``formats`` (:data:`plms.outputs.EXTRA_FORMATS`; ``edf-copy``
    needs ``source_edf``). Everything is first written into a hidden staging
    folder inside ``out_dir``; only when every file is complete are they moved
    into place, so an error leaves no file of the night behind.

    Returns
    -------
    list of Path
        The events table and the summary first, then the extras, sorted
        (the events' ``.json`` sidecar is written but not listed).
    """
    if not formats:
        paths = result.write(Path(out_dir))
        return [paths["events"], paths["summary"]]

    def write_main(staging: Path) -> tuple[Path, Path, Path]:
        paths = result.write(staging)
        return paths["events"], paths["summary"], paths["events_json"]

    return write_staged(out_dir, result, write_main, formats, source_edf=source_edf)


def write_staged(out_dir: str | os.PathLike[str], result: ScoreResult,
                 write_main: Callable[[Path], tuple[Path, Path, Path]],
                 formats: Sequence[str] = (), *,
                 source_edf: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write a night into a hidden staging folder ``.STEM.*.tmp`` in ``out_dir``, then move it.

    The extras ``formats`` are written first, then ``write_main(staging)``
    writes the main files and returns the events table, the summary and the
    events' ``.json`` sidecar. Only when every file is complete are they moved
    into place, so an error leaves no file of the night behind. Returns the
    events table and the summary first, then the extras, sorted (the sidecar
    is moved but not listed).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{result.stem}.", suffix=".tmp", dir=out))
    try:
        if formats:
            import plms.outputs   # the package's write_extras (lazy; tests may stand in for it)

            plms.outputs.write_extras(result, staging, list(formats),
                                      source_edf=None if source_edf is None
                                      else Path(source_edf))
        events, summary, events_json = write_main(staging)
        staged = [p for p in staging.rglob("*") if p.is_file()]
        for path in staged:
            final = out / path.relative_to(staging)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, final)
        firsts = [events, summary]
        rest = [p for p in staged if p not in firsts and p != events_json]
        return [out / p.relative_to(staging) for p in firsts + sorted(rest)]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
