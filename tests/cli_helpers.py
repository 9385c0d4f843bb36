"""Small helpers shared by the command-line tests."""

from __future__ import annotations

from pathlib import Path

from plms.cli import main


def run_cli(args, capsys):
    """Run ``plms ARGS``; return (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def output_names(out_dir: Path) -> list[str]:
    """Names of the nights' files in an output folder (empty when it does not exist).

    The run's table ``summary.csv`` is left out (tests/test_batch.py checks it).
    """
    if not out_dir.exists():
        return []
    return sorted(p.name for p in out_dir.iterdir() if p.name != "summary.csv")
