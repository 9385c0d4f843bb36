#!/usr/bin/env python3
"""Set-up and everyday tasks, with nothing but Python 3.10+ on the machine.

    python3 dev.py sample    # create .venv, install plms, score the embedded sample nights
                             # (PSG EMG, and the same sleeper's ankle accelerometers)
    python3 dev.py test      # create .venv, install plms with test extras, run the test suite
    python3 dev.py lint      # the gates: ruff, mypy and the import-layer contract (lint-imports);
                             # fails on any finding
    python3 dev.py docs      # create .venv, install plms with docs extras, build the guides and
                             # the API reference into docs/_build/html (warnings are errors)

The virtual environment lives in ``.venv`` next to this file; installing is
skipped when pyproject.toml has not changed since the last install.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
SAMPLES = (ROOT / "data_samples" / "sample.edf", ROOT / "data_samples" / "sample-ankles.edf")
SAMPLE_OUT = ROOT / "out" / "sample"
DOCS_SRC = ROOT / "docs"
DOCS_OUT = DOCS_SRC / "_build" / "html"


def _run(*cmd: str | os.PathLike[str]) -> int:
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def ensure_env(extras: str) -> None:
    """Create .venv and install the project (editable) with ``extras`` when needed."""
    if sys.version_info < (3, 10):  # noqa: UP036 - dev.py runs on any python3 to say this
        sys.exit(f"plms needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extras}]" if extras else "."
    print(f"installing plms{'[' + extras + ']' if extras else ''} into {VENV}", flush=True)
    code = _run(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target)
    if code != 0:
        sys.exit(f"installation failed (pip exit code {code})")
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    if task == "sample":
        ensure_env("")
        # --force: score it again each time (a batch rerun would skip a complete night)
        return _run(BIN / "plms", "score", *SAMPLES, "--out", SAMPLE_OUT, "--force", *argv[1:])
    if task == "test":
        ensure_env("test")
        return _run(PYTHON, "-m", "pytest", *argv[1:])
    if task == "lint":
        ensure_env("test")
        # each gate runs even when one before it failed, so that one run shows every finding
        codes = [_run(BIN / "ruff", "check", "."), _run(BIN / "mypy"), _run(BIN / "lint-imports")]
        return next((code for code in codes if code != 0), 0)
    if task == "docs":
        ensure_env("docs")
        # -E: read every page afresh, so that every warning shows on every build;
        # -W --keep-going: fail on any warning, after reporting them all.
        return _run(PYTHON, "-m", "sphinx", "-b", "html", "-E", "-W", "--keep-going", "-q",
                    DOCS_SRC, DOCS_OUT, *argv[1:])
    print(__doc__)
    return 0 if task == "help" else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
