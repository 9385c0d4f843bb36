"""Optional outputs beside the events table: EDF+ annotations, annotated copy, NSRR XML."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plms.io.names import EXTRA_SUFFIXES
from plms.outputs.atomic import write_paths_all_or_nothing

if TYPE_CHECKING:  # pragma: no cover
    from plms.result import ScoreResult

#: Names of the optional outputs, in the order they are written (their file names:
#: :data:`plms.io.names.EXTRA_SUFFIXES`).
EXTRA_FORMATS: tuple[str, ...] = tuple(EXTRA_SUFFIXES)


def check_extra_formats(formats: Sequence[str], *, source_edf: Any = None) -> list[str]:
    """The requested formats without repeats; ValueError for an unknown one.

    Also refuses ``edf-copy`` without a ``source_edf``.
    """
    if isinstance(formats, str):
        formats = [formats]
    unknown = [f for f in formats if f not in EXTRA_FORMATS]
    if unknown:
        raise ValueError(f"unknown output format(s) {', '.join(map(repr, unknown))}; "
                         f"allowed: {', '.join(EXTRA_FORMATS)}")
    chosen = [f for f in EXTRA_FORMATS if f in formats]
    if "edf-copy" in chosen and source_edf is None:
        raise ValueError("the 'edf-copy' output needs the source EDF (source_edf)")
    return chosen


def extra_output_paths(stem: str, out_dir: str | os.PathLike[str],
                       formats: Sequence[str] = EXTRA_FORMATS) -> dict[str, Path]:
    """Where :func:`write_extras` puts each format: ``OUT/STEM.annotations.edf``..."""
    return {f: Path(out_dir) / f"{stem}{EXTRA_SUFFIXES[f]}" for f in check_extra_formats(
        formats, source_edf="")}


def write_extras(result: ScoreResult, out_dir: str | os.PathLike[str], formats: Sequence[str],
                 *, source_edf: str | os.PathLike[str] | None = None,
                 split_bilateral: bool = True) -> dict[str, Path]:
    """Write the optional outputs ``formats`` of ``result`` into ``out_dir``.

    Parameters
    ----------
    result : ScoreResult
    out_dir : path-like
        Created when missing.
    formats : sequence of str
        Names from :data:`EXTRA_FORMATS`:

        - ``edf-annotations``: ``STEM.annotations.edf``, the leg movements,
          the hypnogram with its lights markers, the respiratory events and
          arousals, whether these were scored, and the excluded stretches as
          EDF+ annotations (:func:`write_edf_annotations`);
        - ``edf-copy``: ``STEM.annotated.edf``, the signals of ``source_edf``
          with those annotations (:func:`write_annotated_copy`);
        - ``nsrr-xml``: ``STEM.plms-nsrr.xml`` (:func:`write_nsrr_xml`).
    source_edf : path-like, optional
        The scored recording; needed by ``edf-copy``.
    split_bilateral : bool
        In the EDF+ outputs, write a bilateral movement as its leg parts
        (``LM left`` + ``LM right``, which plms's readers and re-scoring take
        back) instead of one ``LM bilateral`` (clearer to review, but skipped
        by plms's readers as it names no single leg). The NSRR XML always
        holds the leg parts.

    Returns
    -------
    dict
        Format name -> written path.

    Raises
    ------
    ValueError
        An unknown format, or ``edf-copy`` without ``source_edf`` (checked
        before anything is written).

    All files are written under temporary names in ``out_dir`` and renamed
    only when every one is complete: on an error none appears. Every file
    rescores (:func:`plms.rescore`) to the night's figures (``docs/CONTRACT.md``).
    """
    from plms.outputs.edf_plus import write_annotated_copy, write_edf_annotations
    from plms.outputs.nsrr_xml import write_nsrr_xml

    chosen = check_extra_formats(formats, source_edf=source_edf)
    paths = {f: Path(out_dir) / f"{result.stem}{EXTRA_SUFFIXES[f]}" for f in chosen}
    makers: dict[str, Callable[[Path], Any]] = {
        "edf-annotations": lambda tmp: write_edf_annotations(
            result, tmp, split_bilateral=split_bilateral),
        "edf-copy": lambda tmp: write_annotated_copy(
            result, source_edf, tmp, split_bilateral=split_bilateral),  # type: ignore[arg-type]
        "nsrr-xml": lambda tmp: write_nsrr_xml(result, tmp),
    }
    write_paths_all_or_nothing({paths[f]: makers[f] for f in chosen})
    return paths
