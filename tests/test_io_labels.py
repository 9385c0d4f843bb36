"""Classification of free annotation texts (FORMATS.md spellings)."""

from __future__ import annotations

import pytest

from plms.io import RESPIRATORY_KINDS, classify_annotation

STAGES = {
    "Sleep stage W": "W", "Sleep stage N1": "N1", "Sleep stage N2": "N2",
    "Sleep stage N3": "N3", "Sleep stage R": "R", "Sleep stage 1": "N1",
    "Sleep stage 2": "N2", "Sleep stage 3": "N3", "Sleep stage 4": "N3",
    "Sleep stage ?": "U", "Movement time": "MT",
    # case, spacing, separators
    "sleep stage w": "W", "SLEEP STAGE N2": "N2", "Sleep_stage_R": "R", "Sleep stage  REM": "R",
    "Sleep Stage N4": "N3",
    # NSRR concepts
    "Wake|0": "W", "Stage 1 sleep|1": "N1", "Stage 2 sleep|2": "N2", "Stage 3 sleep|3": "N3",
    "Stage 4 sleep|4": "N3", "REM sleep|5": "R", "Unscored|9": "U", "Movement|6": "MT",
    # RemLogic
    "SLEEP-S0": "W", "SLEEP-S1": "N1", "SLEEP-S2": "N2", "SLEEP-S3": "N3", "SLEEP-S4": "N3",
    "SLEEP-REM": "R", "SLEEP-MT": "MT", "SLEEP-UNSCORED": "U",
    # bare stage names
    "W": "W", "N2": "N2", "REM": "R", "Wake": "W",
}
RESPIRATORY = {
    "Obstructive Apnea": "obstructive apnea", "Central Apnea": "central apnea",
    "Mixed Apnea": "mixed apnea", "Apnea": "apnea", "Hypopnea": "hypopnea", "RERA": "rera",
    "obstructive apnoea": "obstructive apnea", "HYPOPNOEA": "hypopnea",
    "Obstructive apnea|Obstructive Apnea": "obstructive apnea",
    "Central apnea|Central Apnea": "central apnea", "Mixed apnea|Mixed Apnea": "mixed apnea",
    "Hypopnea|Hypopnea": "hypopnea",
    "Respiratory effort related arousal|RERA": "rera",
    "APNEA": "apnea", "APNEA-OBSTRUCTIVE": "obstructive apnea", "APNEA-CENTRAL": "central apnea",
    "APNEA-MIXED": "mixed apnea", "HYPOPNEA-OBSTRUCTIVE": "hypopnea", "AROUSAL-RERA": "rera",
}
AROUSALS = [
    "Arousal", "Arousal ()", "Arousal|Arousal ()", "ASDA arousal|Arousal (ASDA)", "AROUSAL",
    "AROUSAL-SPONT", "AROUSAL-LM", "AROUSAL-PLM", "AROUSAL-RESP", "AROUSAL-APNEA",
    "Spontaneous arousal|Arousal (SPONT)", "Micro-arousal",
]
LEG_MOVEMENTS = {
    "LM": None, "PLM-LM": None, "Leg movement": None, "Limb movement": None,
    "Limb movement - left|Limb Movement (Left)": "left",
    "Limb movement - right|Limb Movement (Right)": "right",
    "Periodic leg movement - left|PLM (Left)": "left",
    "Periodic leg movement - right|PLM (Right)": "right",
    "PLM (Right)": "right", "LM left": "left", "LM@@LAT": "left", "LM@@RLEG1-RLEG2": "right",
    "LM@@EMG Chin": None, "Leg Movement (Left)@@RAT": "left",
}
OTHERS = [
    "Unsure|Unsure", "SpO2 desaturation|SpO2 desaturation", "DESAT", "SNORE", "Spindle",
    "Body position: supine", "2", "5", "Movement", "Respiratory artifact|Respiratory artifact",
    "Apnea unsure", "", "Recording starts",
]


@pytest.mark.parametrize(("text", "stage"), sorted(STAGES.items()))
def test_stage_texts(text, stage):
    assert classify_annotation(text) == ("stage", stage)


@pytest.mark.parametrize(("text", "kind"), sorted(RESPIRATORY.items()))
def test_respiratory_texts(text, kind):
    assert kind in RESPIRATORY_KINDS
    assert classify_annotation(text) == ("respiratory", kind)


@pytest.mark.parametrize("text", AROUSALS)
def test_arousal_texts(text):
    assert classify_annotation(text) == ("arousal", None)


@pytest.mark.parametrize(("text", "side"), sorted(LEG_MOVEMENTS.items()))
def test_leg_movement_texts(text, side):
    assert classify_annotation(text) == ("leg_movement", side)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("Lights off", "lights_off"), ("LIGHTS-OFF", "lights_off"), ("lights out", "lights_off"),
     ("Lights on", "lights_on"), ("LIGHTS-ON", "lights_on"), ("Lights On|Lights On", "lights_on")],
)
def test_lights_texts(text, kind):
    assert classify_annotation(text) == (kind, None)


@pytest.mark.parametrize("text", OTHERS)
def test_texts_that_are_none_of_these(text):
    assert classify_annotation(text) == ("other", None)
