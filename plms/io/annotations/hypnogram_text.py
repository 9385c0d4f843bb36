"""Hypnogram text files: one stage per line, one line per epoch.

Letters (``W``, ``N1``..``N4``, ``R``/``REM``, ``MT``, ``?``/``U``) are read
as they are. Digits mean different stages in different tools (REM is 5 in
R&K/NSRR and the EDF FAQ, 4 in YASA), so they are refused unless a mapping
is named: one of :data:`DIGIT_MAPPINGS` or a dictionary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.hypnogram import DEFAULT_EPOCH_S, Hypnogram, normalize_stage
from plms.io.annotations._textfiles import read_text
from plms.io.annotations.labels import classify_annotation
from plms.stages import RK_DIGITS, YASA_DIGITS

#: Named digit mappings. ``rk``: R&K / NSRR / EDF FAQ numbering (4 folded
#: into N3, 5 REM, 6 movement time, 9 unscored); ``yasa``: YASA's integers
#: (4 REM, -1 artefact and -2 unscored both become U).
DIGIT_MAPPINGS: dict[str, dict[str, str]] = {
    "rk": dict(RK_DIGITS),
    "yasa": dict(YASA_DIGITS),
}
DIGIT_MAPPINGS["nsrr"] = DIGIT_MAPPINGS["rk"]
#: Lines starting with this are comments.
COMMENT = "#"
_NUMBER = re.compile(r"^[+-]?\d+(?:\.0*)?$")


def resolve_mapping(mapping: Mapping[str, str] | str | None) -> dict[str, str] | None:
    """A digit mapping given by name or as a dictionary, with string keys.

    >>> resolve_mapping("yasa")["4"]
    'R'
    >>> resolve_mapping({5: "REM"})
    {'5': 'REM'}

    Raises
    ------
    ValueError
        An unknown mapping name.
    """
    if mapping is None:
        return None
    if isinstance(mapping, str):
        key = mapping.strip().lower()
        if key not in DIGIT_MAPPINGS:
            raise ValueError(
                f"unknown stage mapping {mapping!r}; named mappings: "
                f"{', '.join(sorted(DIGIT_MAPPINGS))} (or give a dictionary)"
            )
        return dict(DIGIT_MAPPINGS[key])
    return {str(k).strip(): str(v) for k, v in mapping.items()}


def _digit_key(token: str) -> str | None:
    """``'2'`` for ``2``, ``2.0`` or ``+2``; None when the token is not a number."""
    if not _NUMBER.match(token):
        return None
    return str(int(float(token)))


def stage_of(
    token: str, mapping: Mapping[str, str] | None, line: int, path: str | PathLike[str] | None
) -> str:
    """The plms stage a token names (through ``mapping`` first), or a PlmsInputError.

    >>> stage_of("rem", None, 1, None), stage_of("5", DIGIT_MAPPINGS["rk"], 1, None)
    ('R', 'R')
    """
    digits = _digit_key(token)
    if mapping is not None:
        mapped = mapping.get(token, mapping.get(digits, None) if digits is not None else None)
        if mapped is not None:
            token = mapped
        elif digits is not None:
            raise PlmsInputError(
                f"line {line}: the stage code {token!r} is not in the mapping given "
                f"(codes: {', '.join(sorted(mapping))})", path=path,
            )
    elif digits is not None:
        raise PlmsInputError(
            f"line {line}: the stage {token!r} is a digit, whose meaning differs between tools "
            "(REM is 5 in R&K/NSRR, 4 in YASA); name the mapping, e.g. mapping='rk' or "
            f"mapping='yasa' (named mappings: {', '.join(sorted(DIGIT_MAPPINGS))})",
            path=path,
        )
    try:
        return normalize_stage(token)
    except ValueError:
        kind, detail = classify_annotation(token)
        if kind == "stage" and detail is not None:
            return detail
    raise PlmsInputError(
        f"line {line}: unknown sleep stage {token!r}; allowed: W, N1, N2, N3, N4, R/REM, MT, U/?",
        path=path,
    )


def looks_like_hypnogram_text(text: str) -> bool:
    """Whether every non-empty, non-comment line of ``text`` holds one token,
    and some of them are stages (a digit or a stage spelling).

    >>> looks_like_hypnogram_text("W\\nW\\nN1\\n"), looks_like_hypnogram_text("a\\tb\\n")
    (True, False)
    >>> looks_like_hypnogram_text("garbage\\n")
    False
    """
    lines = [t.strip() for t in text.splitlines()[:500]]
    tokens = [t for t in lines if t and not t.startswith(COMMENT)]
    return (bool(tokens) and all(len(t.split()) == 1 for t in tokens)
            and any(_is_stage_token(t) for t in tokens))


def _is_stage_token(token: str) -> bool:
    """A digit (stage code of some tool) or a spelling :func:`normalize_stage` knows."""
    if token.isdigit():
        return True
    try:
        normalize_stage(token)
    except ValueError:
        return False
    return True


def read_hypnogram_text(
    path: str | PathLike[str],
    *,
    epoch_s: float = DEFAULT_EPOCH_S,
    start_s: float = 0.0,
    mapping: Mapping[str, str] | str | None = None,
    duration_s: float | None = None,
) -> Annotations:
    """Read a text hypnogram: one stage per line, one line per epoch.

    Parameters
    ----------
    path : path-like
        The text file (``.txt``, ``.hyp``...). Empty lines at the end and lines
        starting with ``#`` are skipped.
    epoch_s : float
        Epoch length in seconds.
    start_s : float
        Start of the first epoch, seconds from the recording start.
    mapping : str or mapping, optional
        How to read digits: a name from :data:`DIGIT_MAPPINGS` (``"rk"``,
        ``"nsrr"``, ``"yasa"``) or a dictionary from code to stage name.
        Without it digits are refused.
    duration_s : float, optional
        Recording length; epochs past it are dropped with a warning.

    Raises
    ------
    PlmsInputError
        Empty file, an empty line between stages, a digit without mapping,
        an unknown stage; the message names the line.
    ValueError
        ``mapping`` names no known mapping, or ``epoch_s`` is not positive.
    """
    if not epoch_s > 0:
        raise ValueError(f"epoch_s must be positive, got {epoch_s}")
    path = Path(path)
    codes = resolve_mapping(mapping)
    lines = read_text(path).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    stages: list[str] = []
    for number, text in enumerate(lines, start=1):
        token = text.strip()
        if token.startswith(COMMENT):
            continue
        if not token:
            raise PlmsInputError(
                f"line {number} is empty: every line must hold the stage of one epoch", path=path
            )
        if len(token.split()) > 1:
            raise PlmsInputError(
                f"line {number} holds {token!r}, not one stage: a hypnogram text file has "
                "one stage per line", path=path,
            )
        stages.append(stage_of(token, codes, number, path))
    if not stages:
        raise PlmsInputError("the hypnogram file holds no stages", path=path)
    hyp = Hypnogram.from_labels(stages, epoch_s=epoch_s, start_s=start_s, source=str(path))
    ann = Annotations(hypnogram=hyp, source=str(path))
    return ann if duration_s is None else ann.cropped(duration_s)
