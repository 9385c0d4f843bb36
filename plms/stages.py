"""The one vocabulary of sleep stages: plms's names and how other formats spell them.

Every stage plms holds is one of :data:`STAGES`:

==========  =====================================================
``W``       wake
``N1``      NREM 1
``N2``      NREM 2
``N3``      NREM 3 (R&K stage 4 is folded into N3, RULES.md section 5)
``R``       REM
``MT``      movement time (in bed, not sleep)
``U``       unscored / unknown (in bed, not sleep)
``S``       sleep, stage unknown: sleep/wake estimated from actigraphy
            (:mod:`plms.signal.accel.sleepwake`); counts as sleep
==========  =====================================================

The tables below are the only place the codes of other formats are
written down; readers (:mod:`plms.io`) and writers (:mod:`plms.outputs`)
import them from here:

- :data:`RK_DIGITS`: R&K / EDF FAQ / NSRR digit codes (``0`` wake .. ``5``
  REM, ``6`` movement time, ``9`` unscored; ``4`` folded into N3);
- :data:`NSRR_STAGE_CODES`: the code after ``|`` in an NSRR stage concept,
  and :data:`NSRR_STAGE_CONCEPTS`, the concepts plms writes;
- :data:`EDF_PLUS_STAGE_TEXT`: the EDF+ annotation texts plms writes;
- :data:`REMLOGIC_STAGE_EVENTS`: RemLogic ``SLEEP-*`` event names;
- :data:`YASA_DIGITS` and :data:`YASA_NAMES`: YASA's integers and names.

This module imports nothing from plms: every layer may use it.

>>> RK_DIGITS["5"], NSRR_STAGE_CODES["S"], REMLOGIC_STAGE_EVENTS["SLEEP-S4"]
('R', 'S', 'N3')
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

#: Every stage label a hypnogram may hold.
STAGES: Final[tuple[str, ...]] = ("W", "N1", "N2", "N3", "R", "MT", "U", "S")
#: Stages that count as sleep (RULES.md section 5, total sleep time).
SLEEP_STAGES: Final[tuple[str, ...]] = ("N1", "N2", "N3", "R", "S")
#: Sleep of unknown stage, as estimated from actigraphy.
UNSTAGED_SLEEP: Final = "S"

#: R&K / EDF FAQ / NSRR digit codes (4 folded into N3, 5 REM, 6 movement time, 9 unscored).
RK_DIGITS: Final = MappingProxyType({
    "0": "W", "1": "N1", "2": "N2", "3": "N3", "4": "N3", "5": "R", "6": "MT", "9": "U",
})
#: YASA's integer stages (4 is REM; -1 artefact and -2 unscored both become U).
YASA_DIGITS: Final = MappingProxyType({
    "0": "W", "1": "N1", "2": "N2", "3": "N3", "4": "R", "-1": "U", "-2": "U",
})
#: YASA's stage names (``Hypnogram.hypno``); artefact and unscored epochs are U.
YASA_NAMES: Final = MappingProxyType({
    "WAKE": "W", "W": "W", "N1": "N1", "N2": "N2", "N3": "N3", "REM": "R", "R": "R",
    "ART": "U", "UNS": "U",
})

#: The NSRR stage concept plms writes for each stage (R&K numbering, as NSRR exports them).
NSRR_STAGE_CONCEPTS: Final = MappingProxyType({
    "W": "Wake|0", "N1": "Stage 1 sleep|1", "N2": "Stage 2 sleep|2", "N3": "Stage 3 sleep|3",
    "R": "REM sleep|5", "MT": "Movement|6", "U": "Unscored|9",
    "S": "Sleep, stage unknown (estimated)|S",
})
#: The code after ``|`` of an NSRR stage concept: the R&K digits and plms's ``S``.
NSRR_STAGE_CODES: Final = MappingProxyType({
    **RK_DIGITS, **{c.rpartition("|")[2]: s for s, c in NSRR_STAGE_CONCEPTS.items()},
})

#: The EDF+ annotation text plms writes for each stage (one per epoch).
EDF_PLUS_STAGE_TEXT: Final = MappingProxyType({
    "W": "Sleep stage W", "N1": "Sleep stage N1", "N2": "Sleep stage N2",
    "N3": "Sleep stage N3", "R": "Sleep stage R", "MT": "Movement time",
    "U": "Sleep stage ?", "S": "Sleep (stage unknown, estimated)",
})

#: Prefix of RemLogic's sleep-stage events.
REMLOGIC_STAGE_PREFIX: Final = "SLEEP-"
#: RemLogic's sleep-stage events (R&K: S4 folded into N3).
REMLOGIC_STAGE_EVENTS: Final = MappingProxyType({
    "SLEEP-S0": "W", "SLEEP-S1": "N1", "SLEEP-S2": "N2", "SLEEP-S3": "N3", "SLEEP-S4": "N3",
    "SLEEP-REM": "R", "SLEEP-MT": "MT", "SLEEP-UNSCORED": "U",
})

#: Letter spellings :func:`normalize_stage` accepts (upper case), and the stage each names.
LETTER_ALIASES: Final = MappingProxyType({
    "W": "W", "WAKE": "W", "0": "W",
    "N1": "N1", "S1": "N1", "1": "N1",
    "N2": "N2", "S2": "N2", "2": "N2",
    "N3": "N3", "S3": "N3", "3": "N3", "N4": "N3", "S4": "N3", "4": "N3",
    "R": "R", "REM": "R",
    "MT": "MT", "MOVEMENT": "MT",
    "U": "U", "?": "U", "UNSCORED": "U", "UNKNOWN": "U", "A": "U",
    "S": "S", "SLEEP": "S",
})
_ALLOWED_SPELLINGS = "W, N1, N2, N3, N4, R/REM, MT, U/?, S/sleep"


def normalize_stage(label: str) -> str:
    """Map a common stage spelling onto the plms vocabulary.

    Digits are not accepted here (their meaning differs between tools); map
    them explicitly first (:data:`RK_DIGITS`, :data:`YASA_DIGITS`).

    Parameters
    ----------
    label : str
        A stage spelling, any case (``rem``, ``N4``, ``?``).

    Returns
    -------
    str
        One of :data:`STAGES`.

    Raises
    ------
    ValueError
        A digit, or a spelling not in :data:`LETTER_ALIASES`; the message
        lists the spellings allowed.

    Examples
    --------
    >>> normalize_stage("rem"), normalize_stage("N4"), normalize_stage("?")
    ('R', 'N3', 'U')
    >>> normalize_stage("5")
    Traceback (most recent call last):
    ...
    ValueError: unknown sleep stage '5'; allowed: W, N1, N2, N3, N4, R/REM, MT, U/?, S/sleep
    """
    key = str(label).strip().upper()
    if key.isdigit() or key not in LETTER_ALIASES:
        raise ValueError(f"unknown sleep stage {label!r}; allowed: {_ALLOWED_SPELLINGS}")
    return LETTER_ALIASES[key]
