"""The sample README template.

CI (``.ci/run``, through ``python3 dev.py lint``) runs ruff on the whole project.
This check proves that wrapping ``scripts/make_samples.py``'s README template
for that gate left the committed ``data_samples/README.md`` reproducible.
"""

from __future__ import annotations

import importlib.util
import re
import string
from pathlib import Path
from types import ModuleType


ROOT = Path(__file__).resolve().parents[1]

def _load_make_samples() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_make_samples_under_test", ROOT / "scripts" / "make_samples.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(ROOT / "scripts" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _template_pattern(template: str) -> re.Pattern[str]:
    """A regex that matches ``template.format(...)``: each field is a named group,
    repeated fields must repeat the same text, and nothing spans a line break."""
    parts, seen = [], set()
    for literal, field, _spec, _conv in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is None:
            continue
        parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>[^\\n]+?)")
        seen.add(field)
    return re.compile("".join(parts))


def test_sample_readme_template_still_writes_the_committed_readme() -> None:
    make_samples = _load_make_samples()
    committed = (ROOT / "data_samples" / "README.md").read_text(encoding="utf-8")
    match = _template_pattern(make_samples.README).fullmatch(committed)
    assert match is not None, "data_samples/README.md no longer follows the template"
    assert match["seed"] == str(make_samples.SAMPLE_SEED)
    assert match["stem"] == "sample" and match["ankles"] == "sample-ankles"
    assert match["hours"] == "1"  # a 1-hour excerpt, formatted with :g
    # every row of the file table is one line: a row starts with "| `" and ends with " |"
    rows = [line for line in committed.splitlines() if line.startswith("| `")]
    assert len(rows) == 5 and all(row.endswith(" |") for row in rows)
