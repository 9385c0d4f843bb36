"""Writers of plms results: BIDS-style events TSV, summary JSON; all atomic."""

from plms.outputs.files import (
    atomic_write_text,
    events_sidecar,
    events_to_tsv,
    summary_to_json,
    write_all_or_nothing,
)

__all__ = [
    "atomic_write_text", "events_sidecar", "events_to_tsv", "summary_to_json",
    "write_all_or_nothing",
]
