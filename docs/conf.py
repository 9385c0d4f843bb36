"""Sphinx configuration of the plms documentation: the guides and the API reference.

Build it with ``python3 dev.py docs`` (into ``docs/_build/html``, warnings as
errors). The build is offline: no inventory or theme asset is fetched.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The package is installed editable in .venv; the path also lets a plain
# ``sphinx-build docs docs/_build/html`` find it from a source checkout.
sys.path.insert(0, str(ROOT))

import plms  # noqa: E402

project = "plms"
author = "plms developers"
copyright = "plms developers, MIT licence"  # noqa: A001
release = plms.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# -- API reference -----------------------------------------------------------
# Objects are documented under their public package names (plms.score_edf,
# plms.io.read_annotations, ...): each package's __all__ says what is public.
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
# Show array arguments as ArrayLike, not as the union numpy spells it out into.
autodoc_type_aliases = {
    "npt.ArrayLike": "numpy.typing.ArrayLike",
    "npt.NDArray": "numpy.typing.NDArray",
}
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Markdown guides (README.md and docs/*.md) --------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"plms {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []
html_show_sourcelink = False
