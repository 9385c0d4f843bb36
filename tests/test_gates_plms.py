"""The configuration of the lint, type and import-layer gates in ``pyproject.toml``.

``python3 dev.py lint`` (and ``.ci/run``) runs them: ``[tool.ruff]`` (line length
100; rules E, F, B, UP, SIM and C90 with a complexity of at most 12),
``[tool.mypy]`` (``disallow_untyped_defs``, missing imports ignored only for the
third-party packages without types) and ``[tool.importlinter]`` (the layers).
These tests keep the configuration from being loosened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return dict(tomllib.load(handle))


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


def test_pyproject_configures_the_import_layer_gate() -> None:
    """Lower layers never import higher ones, and nothing imports ``plms.cli``."""
    config = _pyproject()["tool"]["importlinter"]
    assert config["root_package"] == "plms"
    assert config["exclude_type_checking_imports"] is True
    contracts = config["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers" and "containers" not in c)
    assert layers["layers"][0] == "plms.cli"
    assert not any(c.get("ignore_imports") for c in contracts)
    forbidden = next(c for c in contracts if c["type"] == "forbidden")
    assert forbidden["forbidden_modules"] == ["plms.cli"]
    top = {p.stem if p.is_file() else p.name for p in (ROOT / "plms").iterdir()
           if (p.suffix == ".py" and p.name != "__init__.py")
           or (p.is_dir() and (p / "__init__.py").exists())}
    sources = {m.removeprefix("plms.") for m in forbidden["source_modules"]}
    assert sources == top - {"cli"}
