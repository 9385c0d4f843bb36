"""The documentation site (docs/, built by ``python3 dev.py docs``) covers the public API.

The build itself runs in CI (``.ci/run``, warnings are errors); these checks are
the fast part: every public package has a page, every public function and class
has a docstring (autodoc silently leaves out one without), the guides are in the
table of contents, and CI's test extra can build the site offline.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: The public API the reference documents, by its public package names.
PUBLIC_PACKAGES = (
    "plms", "plms.io", "plms.outputs", "plms.rules", "plms.scoring", "plms.scoring.indices",
    "plms.signal.accel", "plms.validation", "plms.tuning", "plms.simulate", "plms.batch",
    "plms.plots", "plms.report",
)


def _automodules() -> dict[str, str]:
    """Map each ``.. automodule::`` target in docs/api to its page (without suffix)."""
    found: dict[str, str] = {}
    for page in sorted((DOCS / "api").glob("*.rst")):
        for name in re.findall(r"^\.\. automodule:: (\S+)$", page.read_text("utf-8"), re.M):
            found[name] = page.stem
    return found


def _toctree_entries(page: Path) -> set[str]:
    """The document names listed in the toctrees of one reST page."""
    entries: set[str] = set()
    in_tree = False
    for line in page.read_text("utf-8").splitlines():
        if line.startswith(".. toctree::"):
            in_tree = True
        elif in_tree and line.strip() and not line.startswith("   "):
            in_tree = False
        elif in_tree and line.strip() and not line.strip().startswith(":"):
            entries.add(line.strip())
    return entries


def _public_names(package: str) -> list[str]:
    module = importlib.import_module(package)
    if hasattr(module, "__all__"):
        return [n for n in module.__all__ if not n.startswith("_")]
    return [n for n, obj in vars(module).items()
            if not n.startswith("_") and getattr(obj, "__module__", None) == package]


def test_every_public_package_has_a_page_in_the_reference() -> None:
    pages = _automodules()
    missing = [p for p in PUBLIC_PACKAGES if p not in pages]
    assert not missing, f"no docs/api page documents {missing}"
    listed = _toctree_entries(DOCS / "api" / "index.rst")
    assert {pages[p] for p in PUBLIC_PACKAGES} <= listed


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_every_public_function_and_class_has_a_docstring(package: str) -> None:
    module = importlib.import_module(package)
    bare = []
    for name in _public_names(package):
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        doc = obj.__doc__ or ""
        # a dataclass without a docstring gets its signature as __doc__
        if not doc.strip() or doc.startswith(f"{obj.__name__}("):
            bare.append(name)
    assert not bare, f"{package}: no docstring, so missing from the API reference: {bare}"


def test_the_guides_and_every_docs_page_are_in_the_table_of_contents() -> None:
    listed = _toctree_entries(DOCS / "index.rst")
    pages = {p.stem for p in DOCS.glob("*.md")}
    assert "guide" in pages, "docs/guide.md (README.md's guides) is missing"
    assert pages <= listed, f"not in docs/index.rst: {sorted(pages - listed)}"
    assert "../README.md" in (DOCS / "guide.md").read_text("utf-8")


def test_ci_can_build_the_docs_offline() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extras = project["optional-dependencies"]
    assert {"sphinx", "numpydoc", "myst-parser"} <= {re.split(r"[<>=\[]", r)[0]
                                                     for r in extras["docs"]}
    assert set(extras["docs"]) <= set(extras["test"]), "CI installs the test extra only"
    conf = (DOCS / "conf.py").read_text("utf-8")
    assert "intersphinx" not in conf, "the build must not fetch inventories"
    assert "python3 dev.py docs" in (ROOT / ".ci" / "run").read_text("utf-8")
