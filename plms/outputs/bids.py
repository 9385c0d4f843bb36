"""A BIDS derivative: a night's movements as BIDS events, and the dataset's description.

``plms score BIDS_ROOT --out DIR`` writes, for each recording
``sub-01/ses-1/eeg/sub-01_ses-1_task-sleep_eeg.edf``, into the same folder
below ``DIR``:

- ``sub-01_ses-1_task-sleep_desc-plms_events.tsv``: the leg movements as BIDS
  events, ``onset``, ``duration``, ``trial_type`` (``LM left``, ``PLM right``,
  ``LM bilateral (resp)``, the texts of the EDF+ annotations) and then every
  column of ``STEM.events.tsv`` (``docs/CONTRACT.md``);
- its sidecar ``..._desc-plms_events.json`` describing each column;
- ``..._desc-plms_summary.json``: the night's summary, as ``STEM.summary.json``;

and ``DIR/dataset_description.json`` (``DatasetType: derivative``,
``GeneratedBy`` plms), ``DIR/README.md`` saying what the files hold, and
``DIR/.bidsignore`` naming the files that are not BIDS (the summaries,
``summary.csv``, reports and extras).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from plms._version import __version__
from plms.io.names import (
    BATCH_SUMMARY_CSV,
    BIDS_README,
    BIDS_SUMMARY_JSON,
    BIDSIGNORE,
    COHORT_INDEX_HTML,
    DATASET_DESCRIPTION_JSON,
    EXTRA_SUFFIXES,
    REPORT_HTML,
    night_files,
)
from plms.outputs._events import lm_text
from plms.outputs.files import (
    EVENT_COLUMN_DESCRIPTIONS,
    atomic_write_text,
    events_to_tsv,
    summary_to_json,
    write_all_or_nothing,
    write_staged,
)

if TYPE_CHECKING:  # pragma: no cover
    from plms.result import ScoreResult

#: Version of BIDS the derivative follows.
BIDS_VERSION = "1.10.0"
#: The BIDS events column plms fills with the movement's annotation text.
TRIAL_TYPE = "trial_type"
#: Description of ``trial_type`` in the events sidecar.
TRIAL_TYPE_DESCRIPTION = {
    "LongName": "Leg movement",
    "Description": "LM or PLM (member of a periodic series), the side (left, right, "
                   "bilateral) and '(resp)' for a respiratory-related movement; the texts "
                   "plms writes as EDF+ annotations",
}
#: ``Description`` of every ``*_desc-plms_events.json`` (recommended for derivatives).
EVENTS_DESCRIPTION = ("Leg movements detected by plms and scored by the rules named in the "
                      "summary beside this file (*_desc-plms_summary.json)")
#: The derivative's README.
README_TEXT = """# plms scoring

Periodic leg movements in sleep scored by plms {version}, one recording at a time.
Beside each recording's place in the raw dataset:

- `*_desc-plms_events.tsv`: the leg movements (BIDS events; columns described in
  the `.json` sidecar);
- `*_desc-plms_summary.json`: the night's figures (PLMS index, ...), the channels
  used and any warning.

`summary.csv` has one row per recording.
"""
#: What ``GeneratedBy`` says plms did.
GENERATED_BY_DESCRIPTION = ("Leg movements detected in the tibialis EMG and scored by the "
                            "rules of periodic leg movements in sleep (WASM 2016 or AASM)")


def bids_events_table(events: pd.DataFrame) -> pd.DataFrame:
    """The events with ``trial_type`` after ``onset`` and ``duration``."""
    texts = [lm_text(str(side), plm=bool(plm), resp=bool(resp))
             for side, plm, resp in zip(events["side"], events["plm"], events["resp"],
                                        strict=True)]
    table = events.copy()
    table.insert(min(2, len(table.columns)), TRIAL_TYPE, pd.Series(texts, index=table.index,
                                                                    dtype=object))
    return table


def bids_events_sidecar(columns: Sequence[str]) -> str:
    """The ``events.json`` sidecar describing the columns present."""
    described: dict[str, Any] = {"Description": EVENTS_DESCRIPTION}
    for column in columns:
        if column == TRIAL_TYPE:
            described[column] = TRIAL_TYPE_DESCRIPTION
        elif column in EVENT_COLUMN_DESCRIPTIONS:
            described[column] = EVENT_COLUMN_DESCRIPTIONS[column]
    return json.dumps(described, indent=2) + "\n"


def dataset_description(source: str | None = None) -> dict[str, Any]:
    """``dataset_description.json`` of the derivative (``source``: the raw dataset's name).

    >>> dataset_description("Sleep cohort")["Name"]
    'plms scoring of Sleep cohort'
    """
    return {
        "Name": f"plms scoring of {source}" if source else "plms scoring",
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "derivative",
        "GeneratedBy": [{"Name": "plms", "Version": __version__,
                         "Description": GENERATED_BY_DESCRIPTION}],
    }


def bidsignore_patterns() -> list[str]:
    """Files of the derivative that are not BIDS: summaries, table, reports, extras."""
    return [f"*{BIDS_SUMMARY_JSON}", BATCH_SUMMARY_CSV, COHORT_INDEX_HTML, f"*{REPORT_HTML}",
            *(f"*{suffix}" for suffix in EXTRA_SUFFIXES.values())]


def write_derivative_description(out_dir: str | os.PathLike[str],
                                 source: str | None = None) -> list[Path]:
    """Write ``dataset_description.json``, ``README.md`` and ``.bidsignore`` into ``out_dir``
    (each atomically)."""
    out = Path(out_dir)
    text = json.dumps(dataset_description(source), indent=2) + "\n"
    return [atomic_write_text(out / DATASET_DESCRIPTION_JSON, text),
            atomic_write_text(out / BIDS_README, README_TEXT.format(version=__version__)),
            atomic_write_text(out / BIDSIGNORE, "\n".join(bidsignore_patterns()) + "\n")]


def write_bids_night(result: ScoreResult, out_dir: str | os.PathLike[str],
                     formats: Sequence[str] = (), *,
                     source_edf: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write a night's derivative files (and the extras ``formats``), all of them or none.

    The names come from ``result.stem`` (:func:`plms.io.names.night_files`,
    layout ``bids``). As :func:`plms.outputs.write_night` does, everything is
    first written into a hidden staging folder ``.STEM.*.tmp`` inside
    ``out_dir`` and moved into place only when complete.

    Returns
    -------
    list of Path
        The events table and the summary first, then the extras, sorted
        (the events' ``.json`` sidecar is written but not listed).
    """
    def write_main(staging: Path) -> tuple[Path, Path, Path]:
        files = night_files(staging, result.stem, "bids")
        table = bids_events_table(result.events)
        write_all_or_nothing({
            files.events_tsv: events_to_tsv(table),
            files.events_json: bids_events_sidecar(list(table.columns)),
            files.summary_json: summary_to_json(result.summary),
        })
        return files.events_tsv, files.summary_json, files.events_json

    return write_staged(out_dir, result, write_main, formats, source_edf=source_edf)
