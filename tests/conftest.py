"""Shared pytest set-up: the hypothesis profiles of the fuzz tests.

``ci`` (the default) is short and derandomized, so CI runs the same examples
every time; ``long`` is for a manual run::

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_fuzz_readers.py -q
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=50, derandomize=True, database=None, deadline=5000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long", max_examples=2000, database=None, deadline=20000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
