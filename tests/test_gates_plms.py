"""The lint and type gates on the package, as configured in ``pyproject.toml``.

``[tool.ruff]`` (line length 100; rules E, F, B, UP, SIM and C90 with a
complexity of at most 12) must find nothing in any module of ``plms/``, and
``[tool.mypy]`` (``disallow_untyped_defs``, missing imports ignored only for the
third-party packages without types) must find nothing in the package. Each
module of ``plms/`` is its own case, so that a finding names its file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "plms").rglob("*.py"))


def _pyproject() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return dict(tomllib.load(handle))


@cache
def _ruff_findings() -> dict[str, list[str]]:
    """Ruff's findings in ``plms/`` with the project's configuration, by file."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "json",
         "--exit-zero", "plms"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ruff did not run: {proc.stderr}")
    found: dict[str, list[str]] = {}
    for item in json.loads(proc.stdout):
        name = Path(item["filename"]).resolve().relative_to(ROOT).as_posix()
        where = item["location"]
        found.setdefault(name, []).append(
            f"{name}:{where['row']}:{where['column']}: {item['code']} {item['message']}")
    return found


def test_pyproject_configures_the_lint_gate() -> None:
    config = _pyproject()["tool"]["ruff"]
    assert config["line-length"] == 100
    assert config["target-version"] == "py310"
    assert set(config["lint"]["select"]) >= {"E", "F", "B", "UP", "SIM", "C90"}
    assert config["lint"]["mccabe"]["max-complexity"] == 12
    for part in ("plms", "tests", "scripts", "dev.py", "docs/conf.py"):
        assert any(pattern.startswith(part) for pattern in config["include"]), part


def test_pyproject_configures_the_type_gate() -> None:
    tool = _pyproject()["tool"]
    mypy = tool["mypy"]
    assert mypy["files"] == ["plms"]
    assert mypy["disallow_untyped_defs"] is True
    assert mypy["warn_unused_ignores"] is True
    # missing imports are ignored per package, never for the whole project
    assert "ignore_missing_imports" not in mypy
    ignored = [m for o in mypy["overrides"] if o.get("ignore_missing_imports")
               for m in o["module"]]
    assert "pandas" in ignored and "plms" not in ignored
    assert not any(m.startswith("plms") for m in ignored)


@pytest.mark.parametrize("module", MODULES)
def test_module_passes_ruff(module: str) -> None:
    pytest.importorskip("ruff", reason="ruff is not installed (pip install -e '.[test]')")
    findings = _ruff_findings().get(module, [])
    assert not findings, "\n".join(findings)


def test_package_passes_mypy() -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
