"""What a free annotation text means: a stage, a respiratory event, an arousal...

Scoring software writes the same event in many spellings: ``Sleep stage N2``,
``Sleep_stage_2``, NSRR concepts such as ``Stage 2 sleep|2``, RemLogic codes
such as ``APNEA-OBSTRUCTIVE``. :func:`classify_annotation` maps them onto a few
kinds, case-insensitively.
"""

from __future__ import annotations

import re
from typing import Literal

from plms.annotations import COMBINED
from plms.io.channels import leg_side
from plms.stages import RK_DIGITS

AnnotationKind = Literal[
    "stage", "respiratory", "arousal", "lights_off", "lights_on", "leg_movement", "other"
]

#: Respiratory-event kinds (the ``kind`` column of the respiratory table).
RESPIRATORY_KINDS = (
    "obstructive apnea", "central apnea", "mixed apnea", "apnea", "hypopnea", "rera",
)

#: Separator MNE's EDF exporter puts between a description and its channel.
MNE_CHANNEL_SEPARATOR = "@@"

#: NSRR stage concepts end in ``|digit`` (R&K numbering, :data:`plms.stages.RK_DIGITS`).
_NSRR_STAGE_NAME = re.compile(r"^(?:wake|stage [1-4] sleep|rem sleep|unscored|movement)$")

#: Stage words after "sleep stage"/"stage"; R&K digits 1-4 are NREM (4 -> N3).
_STAGE_WORDS = {
    "w": "W", "wake": "W", "0": "W", "s0": "W",
    "n1": "N1", "1": "N1", "s1": "N1",
    "n2": "N2", "2": "N2", "s2": "N2",
    "n3": "N3", "3": "N3", "s3": "N3", "n4": "N3", "4": "N3", "s4": "N3",
    "r": "R", "rem": "R", "rem sleep": "R",
    "?": "U", "u": "U", "unscored": "U", "unknown": "U",
    "mt": "MT", "movement time": "MT",
}
# After a "sleep stage"/"stage"/"sleep" prefix a digit is unambiguous (R&K):
# "Sleep stage N2", "Sleep_stage_4", "Stage 2 sleep", "SLEEP-S0", "SLEEP-REM".
_STAGE_PREFIXED = re.compile(
    r"^(?:sleep stage|stage|sleep)[ :]*"
    r"(?P<stage>w|wake|n[1-4]|s?[0-4]|r|rem|\?|u|unscored|unknown|mt|movement time)(?: sleep)?$"
)
# Sleep of unknown stage estimated from actigraphy, as plms writes it:
# "Sleep (stage unknown, estimated)" (EDF+), "Sleep, stage unknown (estimated)" (NSRR).
_ESTIMATED_SLEEP = re.compile(r"^sleep stage unknown estimated$")
# A bare stage name (never a bare digit): "W", "N2", "REM", "Wake", "Movement time".
_STAGE_BARE = re.compile(
    r"^(?P<stage>w|wake|n[1-4]|s[0-4]|r|rem|rem sleep|unscored|movement time)$"
)

# Respiratory events. Desaturations and "Unsure" events are never respiratory.
_NOT_RESPIRATORY = re.compile(r"unsure|desat|spo2|artifact|artefact")
_RERA = re.compile(r"\brera\b|respiratory effort[ -]related arousal")
_APNEA = r"apn(?:o)?ea"
_RESP_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"obstructive {_APNEA}|{_APNEA} obstructive"), "obstructive apnea"),
    (re.compile(rf"central {_APNEA}|{_APNEA} central"), "central apnea"),
    (re.compile(rf"mixed {_APNEA}|{_APNEA} mixed"), "mixed apnea"),
    (re.compile(r"hypopn(?:o)?ea"), "hypopnea"),
    (re.compile(rf"\b{_APNEA}\b"), "apnea"),
)
_AROUSAL = re.compile(r"arousal")
_LIGHTS_OFF = re.compile(r"^lights? (?:off|out)$")
_LIGHTS_ON = re.compile(r"^lights? on$")
# Leg movements: "LM", "PLM (Right)", "Limb movement - left", "PLM-LM", "Leg movement".
_LEG_MOVEMENT = re.compile(
    r"\b(?:p?lms?|(?:periodic )?(?:leg|limb) movements?)\b"
)
#: The one channel of both legs, as plms writes it (``LM combined``, ``PLM (Combined)``).
_COMBINED = re.compile(r"\bcombined\b")
_LEFT = re.compile(r"\b(?:left|l|sx)\b")
_RIGHT = re.compile(r"\b(?:right|r|dx)\b")


def _normalize(text: str) -> str:
    """Lower case; underscores, hyphens and brackets become single spaces.

    >>> _normalize("  Limb movement - left|Limb Movement (Left) ")
    'limb movement left|limb movement left'
    """
    text = str(text).strip().lower()
    text = re.sub(r"[_\-()\[\],;]+", " ", text)
    return re.sub(r"\s+", " ", text).strip().replace(" |", "|").replace("| ", "|")


def _stage(text: str) -> str | None:
    """The plms stage a normalized text names, or None."""
    name, sep, code = text.rpartition("|") if "|" in text else (text, "", "")
    if _ESTIMATED_SLEEP.match(name):
        return "S"
    if sep and _NSRR_STAGE_NAME.match(name) and code in RK_DIGITS:
        return RK_DIGITS[code]
    match = _STAGE_PREFIXED.match(name) or _STAGE_BARE.match(name)
    return _STAGE_WORDS[match.group("stage")] if match else None


def _respiratory(text: str) -> str | None:
    """The respiratory-event kind a normalized text names, or None."""
    if _NOT_RESPIRATORY.search(text):
        return None
    if _RERA.search(text):
        return "rera"
    for pattern, kind in _RESP_RULES:
        if pattern.search(text):
            return kind
    return None


def _side(text: str) -> str | None:
    """``left``/``right`` when the text names exactly one side."""
    left, right = bool(_LEFT.search(text)), bool(_RIGHT.search(text))
    if left != right:
        return "left" if left else "right"
    return None


def classify_annotation(text: str) -> tuple[AnnotationKind, str | None]:
    """The kind of event an annotation text describes, and its detail.

    Returns
    -------
    kind : str
        ``stage``, ``respiratory``, ``arousal``, ``lights_off``, ``lights_on``,
        ``leg_movement`` or ``other``.
    detail : str or None
        The stage (``W``, ``N1``, ``N2``, ``N3``, ``R``, ``MT``, ``U``; ``S``
        for sleep of unknown stage estimated from actigraphy) for
        stages, the event kind (one of :data:`RESPIRATORY_KINDS`) for
        respiratory events, the side (``left``/``right``, ``combined`` for
        one channel of both legs, or None when not given) for leg
        movements; None otherwise.

    Examples
    --------
    >>> classify_annotation("Sleep stage 4")
    ('stage', 'N3')
    >>> classify_annotation("Obstructive apnea|Obstructive Apnea")
    ('respiratory', 'obstructive apnea')
    >>> classify_annotation("Limb movement - left|Limb Movement (Left)")
    ('leg_movement', 'left')
    >>> classify_annotation("LM@@RAT")
    ('leg_movement', 'right')
    >>> classify_annotation("AROUSAL-LM"), classify_annotation("Unsure|Unsure")
    (('arousal', None), ('other', None))
    """
    raw = str(text)
    channel = None
    if MNE_CHANNEL_SEPARATOR in raw:
        raw, _, channel = raw.partition(MNE_CHANNEL_SEPARATOR)
    norm = _normalize(raw)
    stage = _stage(norm)
    if stage is not None:
        return "stage", stage
    resp = _respiratory(norm)
    # An arousal "caused by" an apnea (AROUSAL-APNEA) is an arousal; only a
    # RERA is a respiratory event although it names an arousal.
    if _AROUSAL.search(norm) and resp != "rera":
        return "arousal", None
    if resp is not None:
        return "respiratory", resp
    name = norm.rpartition("|")[0] if "|" in norm else norm
    if _LIGHTS_OFF.match(name):
        return "lights_off", None
    if _LIGHTS_ON.match(name):
        return "lights_on", None
    if _LEG_MOVEMENT.search(norm):
        side = _side(_LEG_MOVEMENT.sub(" ", norm))
        if side is None and _COMBINED.search(norm):
            side = COMBINED
        if side is None and channel is not None:
            side = leg_side(channel)
        return "leg_movement", side
    return "other", None
