"""plms: score periodic leg movements in sleep from PSG recordings.

The public API:

- :func:`score` scores a night from a file (EMG or accelerometer, decided as
  ``plms score`` does), an ``mne.io.Raw`` or arrays, with typed options
  (:class:`ScoreOptions`); :mod:`plms.api` also writes a night's files;
  a recording of several days on the ankle gives a :class:`DaysResult`, one
  scored night per day (:func:`score_days`);
- :func:`score_edf` scores an EDF/BDF night end to end;
- :func:`score_accel` scores an ankle-accelerometer night (EDF, CSV, device files);
- :func:`score_lms` applies the rules to leg movements already detected or scored
  (the entry point on DataFrames);
- :func:`rescore` applies them to the leg movements scored in an annotation file;
- :func:`detect_lm` finds leg movements in one leg's EMG array;
- :func:`apply_rules` and :func:`compute_summary` are the two halves of :func:`score_lms`;
- :func:`validate` compares a test scoring with a reference (``plms validate``:
  leg movements, PLMS indices, and sleep/wake epoch by epoch);
- :class:`Rules` with the presets ``"wasm2016"`` and ``"aasm"``, :class:`Hypnogram`.

The subpackages (``plms.io``, ``plms.rules``, ``plms.validation``, ``plms.simulate``,
...) are imported on first access: ``import plms`` then
``plms.io.read_annotations(...)`` works.
"""

# No ``from __future__ import annotations`` here: it would bind the name
# ``annotations`` in this namespace and hide the submodule ``plms.annotations``.
from typing import TYPE_CHECKING, Any

from plms._version import __version__

__all__ = [
    "AASM", "WASM2016", "Annotations", "Hypnogram", "PlmsError", "PlmsInputError",
    "RescoreOptions", "Rules", "ScoreOptions", "ScoreResult", "Summary", "__version__",
    "apply_rules", "compute_summary", "detect_lm", "detect_lm_raw", "get_rules", "rescore",
    "score", "score_accel", "score_edf", "score_lms", "validate",
    "DaysResult", "score_days",
]

# Attributes are imported on first use, so that `import plms` (and the CLI)
# only pays for the modules a job needs.
_LAZY = {
    "AASM": "plms.rules", "WASM2016": "plms.rules", "Rules": "plms.rules",
    "get_rules": "plms.rules", "Hypnogram": "plms.hypnogram",
    "Annotations": "plms.annotations", "PlmsError": "plms.errors",
    "PlmsInputError": "plms.errors", "apply_rules": "plms.scoring",
    "compute_summary": "plms.scoring.indices", "detect_lm": "plms.signal.emg.detect",
    "detect_lm_raw": "plms.signal.emg.detect", "ScoreResult": "plms.result",
    "score_edf": "plms.pipeline.emg", "score_lms": "plms.pipeline.core",
    "rescore": "plms.pipeline.rescore",
    "score_accel": "plms.pipeline.accel", "score": "plms.api",
    "ScoreOptions": "plms.options", "RescoreOptions": "plms.options",
    "Summary": "plms.summary", "validate": "plms.validation",
    "DaysResult": "plms.result", "score_days": "plms.api",
}

#: Subpackages and modules reached as attributes (``plms.io.read_annotations``,
#: ``plms.rules.WASM2016``, ``plms.validation.validate``) without importing
#: them by hand; each is imported on first access.
_SUBMODULES = (
    "annotations", "api", "batch", "errors", "hypnogram", "io", "options", "outputs",
    "pipeline", "plots", "report", "result", "rules", "scoring", "signal", "simulate", "stages",
    "summary", "tuning", "validation",
)

if TYPE_CHECKING:  # pragma: no cover
    from plms.annotations import Annotations
    from plms.api import score
    from plms.signal.emg.detect import detect_lm, detect_lm_raw
    from plms.errors import PlmsError, PlmsInputError
    from plms.hypnogram import Hypnogram
    from plms.scoring.indices import compute_summary
    from plms.options import RescoreOptions, ScoreOptions
    from plms.pipeline.core import score_lms
    from plms.pipeline.emg import score_edf
    from plms.pipeline.accel import score_accel
    from plms.pipeline.rescore import rescore
    from plms.result import DaysResult, ScoreResult
    from plms.api import score_days
    from plms.rules import AASM, WASM2016, Rules, get_rules
    from plms.scoring import apply_rules
    from plms.summary import Summary
    from plms.validation import validate


def __getattr__(name: str) -> Any:
    """Import a public function, class or submodule of plms on first access."""
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"plms.{name}")
    raise AttributeError(f"module 'plms' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(_SUBMODULES))
