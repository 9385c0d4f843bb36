"""BIDS in, BIDS out: the recordings of a BIDS dataset scored into a BIDS derivative.

``plms score BIDS_ROOT --out DIR`` (a folder holding ``dataset_description.json``,
or any folder with ``--bids``) plans one task per EDF/BDF recording
(:func:`plan_bids`); each worker runs :func:`score_bids_night`, which takes
the leg channels, the ECG and their units from the recording's
``channels.tsv`` and the stages and events from its ``events.tsv``, then
writes the derivative files into the recording's folder below ``DIR``
(:func:`plms.outputs.bids.write_bids_night`). The rest is the batch's:
resume, ``--force``, ``--jobs``, one bad recording never stopping the others,
``DIR/summary.csv``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plms.batch.worker import FAULTS, NightTask, error_row
from plms.errors import PlmsInputError
from plms.io.bids import (
    absent_channels,
    find_bids_recordings,
    is_bids_root,
    leg_unit,
    read_channels_tsv,
    recording_stem,
    sidecar,
)
from plms.io.names import BIDS_CHANNELS_TSV, BIDS_EVENTS_SIDECAR, DATASET_DESCRIPTION_JSON
from plms.options import Channels, ScoreOptions

if TYPE_CHECKING:  # pragma: no cover
    from plms.api import WrittenNight


def bids_root(inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
              force: bool | None = None) -> Path | None:
    """The BIDS dataset the inputs name, or None for ordinary inputs.

    ``force`` None detects it: one folder holding ``dataset_description.json``.
    True takes the one input as a BIDS root whatever it holds; False never.

    Raises
    ------
    ValueError
        A BIDS dataset among other inputs, several datasets, or ``force``
        with an input that is not a folder.
    """
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    roots = [Path(i) for i in items if is_bids_root(i)]
    if force is False or (force is None and not roots):
        return None
    if len(items) != 1:
        raise ValueError("a BIDS dataset is scored alone: give its root folder as the only "
                         f"input ({len(items)} inputs given"
                         + (f", {len(roots)} of them BIDS datasets)" if roots else ")"))
    root = Path(items[0])
    if not root.is_dir():
        raise ValueError(f"--bids needs the root folder of a BIDS dataset, not {root}")
    return root


def _dataset_name(root: Path) -> str | None:
    try:
        name = json.loads((root / DATASET_DESCRIPTION_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return str(name["Name"]) if isinstance(name, dict) and name.get("Name") else None


def plan_bids(root: str | os.PathLike[str], out: Path, options: ScoreOptions, *,
              faults: Mapping[str, str] | None = None
              ) -> tuple[list[NightTask], dict[int, dict[str, Any]]]:
    """One task per recording of the BIDS dataset ``root``, outputs mirrored below ``out``.

    Raises
    ------
    PlmsError
        mne-bids is not installed.
    PlmsInputError
        ``out`` is the dataset itself.
    """
    folder = Path(root)
    if out.resolve() == folder.resolve():
        raise PlmsInputError("the derivative cannot be written into the raw dataset itself; "
                             "use --out ROOT/derivatives/plms or another folder", path=out)
    tasks: list[NightTask] = []
    refused: dict[int, dict[str, Any]] = {}
    recordings = find_bids_recordings(folder)
    if not recordings:
        refused[0] = error_row(str(folder), folder.name, (
            f"{folder}: the BIDS dataset holds no EDF/BDF recording "
            "(sub-*/[ses-*/]<datatype>/*.edf)"))
    for index, rec in enumerate(recordings):
        fault = (faults or {}).get(rec.stem)
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; allowed: {', '.join(FAULTS)}")
        tasks.append(NightTask(index=index, path=str(rec.path), out_dir=str(out / rec.subdir),
                               options=options, job=score_bids_night, out_root=str(out),
                               fault=fault, name=rec.stem, layout="bids"))
    return tasks, refused


def write_description(root: str | os.PathLike[str], out: Path) -> list[Path]:
    """``OUT/dataset_description.json`` and ``OUT/.bidsignore`` of the derivative."""
    from plms.outputs.bids import write_derivative_description

    return write_derivative_description(out, _dataset_name(Path(root)))


def bids_options(recording: Path, options: ScoreOptions) -> tuple[ScoreOptions, list[str]]:
    """The options of one recording: its sidecars fill what the user left to plms.

    Channels named on the command line win over ``channels.tsv``; so do
    ``--unit`` and ``--annotations`` over its units and ``events.tsv``.
    Returns the options and the notes for the summary's warnings.
    """
    notes: list[str] = []
    channels_tsv = sidecar(recording, BIDS_CHANNELS_TSV)
    if channels_tsv is not None:
        found = read_channels_tsv(channels_tsv)
        given = options.channels
        sides = (found.left, found.right) if given.legs is None else (None, None)
        named = {role: label for role, label in (("left leg", sides[0]),
                                                 ("right leg", sides[1]), ("ECG", found.ecg))
                 if label is not None and getattr(given, role.split()[0].lower()) is None}
        absent = set(absent_channels(recording, list(named.values())))
        if absent:
            which = ", ".join(f"{label!r} ({role})" for role, label in named.items()
                              if label in absent)
            raise PlmsInputError(f"names channels the recording does not hold: {which}; "
                                 f"the recording is {recording.name}", path=channels_tsv)
        chosen = Channels(left=given.left or sides[0], right=given.right or sides[1],
                          ecg=given.ecg or found.ecg, legs=given.legs)
        options = replace(options, channels=chosen)
        notes += found.notes
        if options.unit is None:
            unit, unit_notes = leg_unit(recording, found, chosen.left, chosen.right,
                                        legs=chosen.legs)
            options = replace(options, unit=unit)
            notes += unit_notes
    events_tsv = sidecar(recording, BIDS_EVENTS_SIDECAR)
    if events_tsv is not None and options.annotations is None:
        options = replace(options, annotations=str(events_tsv))
    return options, notes


def score_bids_night(source: Any, out_dir: str, options: ScoreOptions | None = None
                     ) -> WrittenNight:
    """Score one recording of a BIDS dataset and write its derivative files into ``out_dir``.

    ``STEM_desc-plms_events.tsv`` (+ ``.json``), ``STEM_desc-plms_summary.json``
    and the extras of ``options.outputs.write``, all of them or none; then,
    with ``options.outputs.report``, ``STEM.report.html``. The job of the
    batch's BIDS tasks (a module-level function, so that it pickles).
    """
    from plms.api import WrittenNight, score_single as score
    from plms.io.names import night_files
    from plms.outputs.bids import write_bids_night

    path = Path(source)
    opts, notes = bids_options(path, options or ScoreOptions())
    opts = replace(opts, keep_excerpt=opts.outputs.report)
    result = score(path, opts)
    summary: Any = dict(result.summary)
    summary["warnings"] = [*summary.get("warnings", []), *notes]
    result = replace(result, summary=summary, stem=recording_stem(path))
    paths = write_bids_night(result, out_dir, opts.outputs.write, source_edf=path)
    if opts.outputs.report:
        from plms.report import write_report

        paths.append(write_report(result, night_files(out_dir, result.stem, "bids")
                                  .report_html))
    return WrittenNight(result, tuple(paths))
