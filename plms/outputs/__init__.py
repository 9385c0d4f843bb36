"""Writers of plms results: BIDS-style events TSV, summary JSON; all atomic.

Optional outputs (imported on first use, as they need pyedflib or MNE):
EDF+ annotations and an annotated copy of the recording
(:mod:`plms.outputs.edf_plus`), NSRR XML (:mod:`plms.outputs.nsrr_xml`),
:class:`mne.Annotations` (:mod:`plms.outputs.mne_annotations`), a BIDS derivative
(:func:`write_bids_night`, :func:`write_derivative_description`), and
:func:`write_extras` which writes a chosen set of them; :func:`write_night`
writes a night's files and the chosen extras, all of them or none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plms.outputs.files import (
    atomic_write_text,
    events_sidecar,
    events_to_tsv,
    summary_to_json,
    write_all_or_nothing,
    write_night,
)

__all__ = [
    "EXTRA_FORMATS", "atomic_write_text", "events_sidecar", "events_to_tsv",
    "extra_output_paths", "summary_to_json", "to_mne_annotations", "write_all_or_nothing",
    "write_annotated_copy", "write_bids_night", "write_derivative_description",
    "write_edf_annotations", "write_extras", "write_night", "write_nsrr_xml",
]

_LAZY = {
    "EXTRA_FORMATS": "plms.outputs.extras", "extra_output_paths": "plms.outputs.extras",
    "write_extras": "plms.outputs.extras",
    "write_edf_annotations": "plms.outputs.edf_plus",
    "write_annotated_copy": "plms.outputs.edf_plus",
    "write_nsrr_xml": "plms.outputs.nsrr_xml",
    "to_mne_annotations": "plms.outputs.mne_annotations",
    "write_bids_night": "plms.outputs.bids",
    "write_derivative_description": "plms.outputs.bids",
}

if TYPE_CHECKING:  # pragma: no cover
    from plms.outputs.bids import write_bids_night, write_derivative_description
    from plms.outputs.edf_plus import write_annotated_copy, write_edf_annotations
    from plms.outputs.extras import EXTRA_FORMATS, extra_output_paths, write_extras
    from plms.outputs.mne_annotations import to_mne_annotations
    from plms.outputs.nsrr_xml import write_nsrr_xml


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'plms.outputs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
