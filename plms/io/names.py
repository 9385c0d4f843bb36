"""Every file name plms knows: the inputs it reads by suffix, the outputs it writes.

Suffixes are lower case with their dot and compared case-insensitively
(:func:`has_suffix`). Nothing else in plms spells them out.

Inputs, by what reads them
--------------------------
- :data:`EDF_SUFFIXES`: EDF/EDF+/BDF/BDF+ recordings (PSG with leg EMG,
  accelerometers in EDF, EDF+ annotations);
- :data:`ACCEL_CSV_SUFFIXES` and :data:`ACCEL_DEVICE_SUFFIXES`: accelerometer
  text exports and device files (:data:`ACCEL_SUFFIXES` is all three);
- :data:`NSRR_XML_SUFFIXES`, :data:`TABLE_SUFFIXES`: annotation files
  recognised by suffix (RemLogic and hypnogram texts by their content);
  :data:`SIDECAR_SUFFIXES`: the annotation file beside ``STEM.edf``.

Inputs a folder search picks up
-------------------------------
``plms score DIR`` / ``plms rescore DIR`` do not take every file a reader
accepts (a folder of nights also holds notes, hypnogram texts, exports):
:data:`FOLDER_RECORDING_SUFFIXES`, :data:`FOLDER_ACCEL_SUFFIXES`,
:data:`FOLDER_ANNOTATION_SUFFIXES` and :data:`FOLDER_PER_ANKLE_SUFFIXES`;
each is a subset of what the readers accept.

Outputs
-------
One night scored as ``STEM`` in ``OUT`` (:func:`night_files`):

==============================  =============================================
``STEM.events.tsv``             the leg movements (:data:`EVENTS_TSV`)
``STEM.events.json``            its BIDS sidecar (:data:`EVENTS_JSON`)
``STEM.summary.json``           the night's figures (:data:`SUMMARY_JSON`)
``STEM.report.html``            the night report (:data:`REPORT_HTML`)
``STEM.annotations.edf``        ``--write edf-annotations`` (:data:`ANNOTATIONS_EDF`)
``STEM.annotated.edf``          ``--write edf-copy`` (:data:`ANNOTATED_EDF`)
``STEM.plms-nsrr.xml``          ``--write nsrr-xml`` (:data:`NSRR_XML`)
==============================  =============================================

A multi-day recording scored as ``STEM`` (:func:`days_files`, issue 16):

==============================  =============================================
``STEM.nights.csv``             one row per night (:data:`NIGHTS_CSV`)
``STEM.summary.json``           the multi-night figures, non-wear and naps
``STEM.report.html``            the recording's report (``--report``)
``STEM/night01.events.tsv``     each scored night's files, named ``nightNN``
                                (:func:`night_stem`): ``.events.tsv``,
                                ``.events.json``, ``.summary.json``,
                                ``.report.html``
==============================  =============================================

The same night in a BIDS derivative (``plms score BIDS_ROOT``, layout ``"bids"``), ``STEM``
being the recording's name without its datatype suffix (``sub-01_ses-1_task-sleep``):
``STEM_desc-plms_events.tsv`` (:data:`BIDS_EVENTS_TSV`) with its ``.json``
(:data:`BIDS_EVENTS_JSON`) and ``STEM_desc-plms_summary.json`` (:data:`BIDS_SUMMARY_JSON`);
the report and the extras keep the names above. The derivative's folder holds
``dataset_description.json`` (:data:`DATASET_DESCRIPTION_JSON`), ``README.md``
(:data:`BIDS_README`) and ``.bidsignore`` (:data:`BIDSIGNORE`).

A folder: ``summary.csv`` (:data:`BATCH_SUMMARY_CSV`, a batch run's table) and
``index.html`` (:data:`COHORT_INDEX_HTML`); ``plms validate --out DIR``:
``validation.json``, ``nights.csv`` and ``bland_altman.png``
(:data:`VALIDATION_JSON`, :data:`VALIDATION_NIGHTS_CSV`, :data:`BLAND_ALTMAN_PNG`).

Examples
--------
>>> files = night_files("out", "n1")
>>> files.summary_json.as_posix(), files.extra("nsrr-xml").name
('out/n1.summary.json', 'n1.plms-nsrr.xml')
>>> night_files("out", "sub-01_task-sleep", "bids").events_tsv.name
'sub-01_task-sleep_desc-plms_events.tsv'
>>> days = days_files("out", "week")
>>> days.nights_csv.as_posix(), days.night(3).events_tsv.as_posix()
('out/week.nights.csv', 'out/week/night03.events.tsv')
>>> stem_of("out/n1.Summary.JSON", SUMMARY_JSON), stem_of("n1.csv", SUMMARY_JSON)
('n1', None)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

# ---------------------------------------------------------------- inputs
#: EDF-like recordings: EDF/EDF+, BDF/BDF+ and the old ``.rec`` EDF suffix.
EDF_SUFFIXES: Final = (".edf", ".bdf", ".rec")
#: Accelerometer text exports (comma, tab or whitespace separated).
ACCEL_CSV_SUFFIXES: Final = (".csv", ".tsv", ".txt")
#: Accelerometer device files: Axivity, GENEActiv, ActiGraph.
ACCEL_DEVICE_SUFFIXES: Final = (".cwa", ".bin", ".gt3x")
#: Every accelerometer file :func:`plms.io.accel.read.read_accel` reads.
ACCEL_SUFFIXES: Final = EDF_SUFFIXES + ACCEL_CSV_SUFFIXES + ACCEL_DEVICE_SUFFIXES
#: NSRR and Compumedics Profusion XML annotations (told apart by the root element).
NSRR_XML_SUFFIXES: Final = (".xml",)
#: Annotation tables with ``onset`` and ``duration`` columns.
TABLE_SUFFIXES: Final = (".tsv", ".csv")
#: Annotation files tried beside ``STEM.edf``, in this order (``STEM-nsrr.xml`` first).
SIDECAR_SUFFIXES: Final = ("-nsrr.xml", "-profusion.xml", ".xml")

#: Recordings a folder search finds for ``plms score`` (EMG).
FOLDER_RECORDING_SUFFIXES: Final = (".edf", ".bdf")
#: Files a folder search finds for ``plms score --modality accel``.
FOLDER_ACCEL_SUFFIXES: Final = (".edf", ".bdf", ".csv", ".cwa", ".bin", ".gt3x")
#: Annotation files a folder search finds for ``plms rescore``.
FOLDER_ANNOTATION_SUFFIXES: Final = (".xml", ".txt", ".tsv", ".csv")
#: Files that may be one ankle of a two-ankle night (``n1-left.csv``, ``n1_R.cwa``).
FOLDER_PER_ANKLE_SUFFIXES: Final = (".csv", ".tsv", ".cwa", ".bin", ".gt3x")

# ---------------------------------------------------------------- outputs of a night
#: The leg movements, BIDS-style (tab separated, ``n/a`` for missing).
EVENTS_TSV: Final = ".events.tsv"
#: BIDS sidecar describing the columns of the events table.
EVENTS_JSON: Final = ".events.json"
#: The night's figures and how they were obtained.
SUMMARY_JSON: Final = ".summary.json"
#: The self-contained night report.
REPORT_HTML: Final = ".report.html"
#: EDF+ file of annotations only (``--write edf-annotations``).
ANNOTATIONS_EDF: Final = ".annotations.edf"
#: Copy of the recording with the annotations (``--write edf-copy``).
ANNOTATED_EDF: Final = ".annotated.edf"
#: NSRR XML of the scoring (``--write nsrr-xml``).
NSRR_XML: Final = ".plms-nsrr.xml"
#: File name suffix of each optional output format, in the order they are written.
EXTRA_SUFFIXES: Final = {"edf-annotations": ANNOTATIONS_EDF, "edf-copy": ANNOTATED_EDF,
                         "nsrr-xml": NSRR_XML}

# ---------------------------------------------------------------- outputs of a multi-day recording
#: One row per night of a multi-day recording (``STEM.nights.csv``).
NIGHTS_CSV: Final = ".nights.csv"
#: The name of night ``N`` of a multi-day recording: ``night`` and two digits at least.
NIGHT_STEM_FORMAT: Final = "night{:02d}"

# ---------------------------------------------------------------- BIDS datasets
#: The file that marks the root of a BIDS dataset (and describes a derivative).
DATASET_DESCRIPTION_JSON: Final = "dataset_description.json"
#: Files of a BIDS dataset the validator skips (glob patterns, one a line).
BIDSIGNORE: Final = ".bidsignore"
#: What a BIDS dataset (here: plms's derivative) is, for people.
BIDS_README: Final = "README.md"
#: Recordings a BIDS dataset search finds (EEG, iEEG and EMG data in EDF/BDF).
BIDS_RECORDING_SUFFIXES: Final = (".edf", ".bdf")
#: Sidecars of a BIDS recording ``STEM_<datatype>.edf``: ``STEM`` plus these.
BIDS_CHANNELS_TSV: Final = "_channels.tsv"
BIDS_EVENTS_SIDECAR: Final = "_events.tsv"
#: The ``desc`` entity of everything plms writes into a BIDS derivative.
BIDS_DESC: Final = "plms"
#: A night's files in a BIDS derivative: ``STEM`` plus these.
BIDS_EVENTS_TSV: Final = f"_desc-{BIDS_DESC}_events.tsv"
BIDS_EVENTS_JSON: Final = f"_desc-{BIDS_DESC}_events.json"
BIDS_SUMMARY_JSON: Final = f"_desc-{BIDS_DESC}_summary.json"
#: How a night's files are named: plms's own (``STEM.events.tsv``) or BIDS derivative.
LAYOUTS: Final = ("plms", "bids")

# ---------------------------------------------------------------- outputs of a folder
#: A batch run's table, one row per night.
BATCH_SUMMARY_CSV: Final = "summary.csv"
#: The cohort overview of a folder.
COHORT_INDEX_HTML: Final = "index.html"
#: ``plms validate``: the agreement figures.
VALIDATION_JSON: Final = "validation.json"
#: ``plms validate``: one row per paired night.
VALIDATION_NIGHTS_CSV: Final = "nights.csv"
#: ``plms validate``: the Bland-Altman plots, PLMS index and sleep figures (two nights or more).
BLAND_ALTMAN_PNG: Final = "bland_altman.png"


def has_suffix(path: str | os.PathLike[str], suffixes: tuple[str, ...]) -> bool:
    """Whether the file name ends in one of ``suffixes``, in any case.

    Parameters
    ----------
    path : path-like
        A file name or path; only its name is looked at.
    suffixes : tuple of str
        Lower-case suffixes with their dot (``.edf``, ``.events.tsv``).

    Examples
    --------
    >>> has_suffix("N1.EDF", EDF_SUFFIXES), has_suffix("n1.edf.gz", EDF_SUFFIXES)
    (True, False)
    """
    return Path(path).name.lower().endswith(suffixes)


def stem_of(path: str | os.PathLike[str], suffix: str) -> str | None:
    """The ``STEM`` of ``STEM<suffix>`` (suffix in any case), None for another name.

    Parameters
    ----------
    path : path-like
        A file name or path; only its name is looked at.
    suffix : str
        A (lower-case) output suffix such as :data:`SUMMARY_JSON`.
    """
    name = Path(path).name
    if not name.lower().endswith(suffix) or len(name) == len(suffix):
        return None
    return name[: -len(suffix)]


@dataclass(frozen=True)
class NightFiles:
    """Where the files of one night go: ``OUT/STEM`` plus a suffix.

    Build it with :func:`night_files`. Every attribute is a path; nothing is
    created or checked on disk.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    stem : str
        The night's name.
    layout : {"plms", "bids"}
        ``bids``: the events table, its sidecar and the summary are named as
        files of a BIDS derivative (``STEM_desc-plms_events.tsv``...).
    """

    out_dir: Path
    stem: str
    layout: str = "plms"

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {self.layout!r}")

    def _main(self, plms_suffix: str, bids_suffix: str) -> Path:
        return self._path(bids_suffix if self.layout == "bids" else plms_suffix)

    def _path(self, suffix: str) -> Path:
        return self.out_dir / f"{self.stem}{suffix}"

    @property
    def events_tsv(self) -> Path:
        """``OUT/STEM.events.tsv`` (BIDS: ``OUT/STEM_desc-plms_events.tsv``)."""
        return self._main(EVENTS_TSV, BIDS_EVENTS_TSV)

    @property
    def events_json(self) -> Path:
        """``OUT/STEM.events.json`` (BIDS: ``OUT/STEM_desc-plms_events.json``)."""
        return self._main(EVENTS_JSON, BIDS_EVENTS_JSON)

    @property
    def summary_json(self) -> Path:
        """``OUT/STEM.summary.json`` (BIDS: ``OUT/STEM_desc-plms_summary.json``)."""
        return self._main(SUMMARY_JSON, BIDS_SUMMARY_JSON)

    @property
    def report_html(self) -> Path:
        """``OUT/STEM.report.html``."""
        return self._path(REPORT_HTML)

    def extra(self, fmt: str) -> Path:
        """The file of an optional output format (a key of :data:`EXTRA_SUFFIXES`).

        Raises
        ------
        ValueError
            ``fmt`` is not one of the formats; the message lists them.
        """
        if fmt not in EXTRA_SUFFIXES:
            raise ValueError(f"unknown output format {fmt!r}; allowed: "
                             f"{', '.join(EXTRA_SUFFIXES)}")
        return self._path(EXTRA_SUFFIXES[fmt])


def night_files(out_dir: str | os.PathLike[str], stem: str, layout: str = "plms") -> NightFiles:
    """The output files of the night ``stem`` written into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        The output folder.
    stem : str
        The night's name (the recording's file name without its suffix).
    layout : {"plms", "bids"}
        How the files are named (:class:`NightFiles`).
    """
    return NightFiles(Path(out_dir), stem, layout)


def night_stem(number: int) -> str:
    """The stem of night ``number`` (1, 2, ...) of a multi-day recording: ``night01``.

    >>> night_stem(3), night_stem(12)
    ('night03', 'night12')
    """
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"a night number is an integer from 1, not {number!r}")
    return NIGHT_STEM_FORMAT.format(number)


@dataclass(frozen=True)
class DaysFiles:
    """Where the files of a multi-day recording go (build it with :func:`days_files`).

    Attributes
    ----------
    out_dir : Path
        The output folder.
    stem : str
        The recording's name.
    """

    out_dir: Path
    stem: str

    @property
    def nights_csv(self) -> Path:
        """``OUT/STEM.nights.csv``: one row per night."""
        return self.out_dir / f"{self.stem}{NIGHTS_CSV}"

    @property
    def summary_json(self) -> Path:
        """``OUT/STEM.summary.json``: the multi-night figures."""
        return self.out_dir / f"{self.stem}{SUMMARY_JSON}"

    @property
    def report_html(self) -> Path:
        """``OUT/STEM.report.html``: the recording's report."""
        return self.out_dir / f"{self.stem}{REPORT_HTML}"

    @property
    def night_dir(self) -> Path:
        """``OUT/STEM``: the folder of the nights' files."""
        return self.out_dir / self.stem

    def night(self, number: int) -> NightFiles:
        """The files of night ``number``: ``OUT/STEM/nightNN.*`` (:func:`night_stem`)."""
        return NightFiles(self.night_dir, night_stem(number))


def days_files(out_dir: str | os.PathLike[str], stem: str) -> DaysFiles:
    """The output files of the multi-day recording ``stem`` written into ``out_dir``."""
    return DaysFiles(Path(out_dir), stem)
