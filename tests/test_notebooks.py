"""The notebooks in ``notebooks/`` run without error and are stored clean.

Every notebook is executed here (nbclient, a kernel on this interpreter,
working directory ``notebooks/``), so a change that breaks one fails the
suite. They are stored without outputs or execution counts so that git
holds only their source.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
#: The notebooks the project promises (README of notebooks/).
REQUIRED = ("01_quickstart.ipynb", "02_rules_walkthrough.ipynb", "03_compare_scorings.ipynb",
            "04_wearables.ipynb")
CELL_TIMEOUT_S = 120
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def test_required_notebooks_exist() -> None:
    names = {p.name for p in NOTEBOOKS}
    assert set(REQUIRED) <= names, f"missing notebooks: {sorted(set(REQUIRED) - names)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_clean(path: Path) -> None:
    nb = _read(path)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} hold outputs or execution counts; "
                       "clear them before committing (e.g. `jupyter nbconvert "
                       "--clear-output --inplace`)")
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path) -> None:
    nb = _read(path)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",  # the interpreter running the tests (ipykernel)
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{_ANSI.sub('', str(exc))}", pytrace=False)
    executed = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in executed)
