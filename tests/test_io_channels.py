"""Leg and ECG channel detection from labels (FORMATS.md montages)."""

from __future__ import annotations

import pytest

from plms.errors import PlmsInputError
from plms.io import ChannelChoice, choose_ecg_channel, choose_leg_channels, is_leg_label, leg_side

# Every leg label listed in FORMATS.md, and its side.
FORMATS_LABELS = {
    "LAT": "left", "RAT": "right",
    "Leg L": "left", "Leg R": "right",
    "Left Leg": "left", "Right Leg": "right",
    "LLEG1-LLEG2": "left", "RLEG1-RLEG2": "right",
    "EMG Tib L": "left", "Tib-L": "left", "L-Leg1": "left",
    "LAntib1-LAntib2": "left", "RAntib1-RAntib2": "right",
    "EMG.Tibialis-Leg-Left": "left", "EMG.Tibialis-Leg.Right": "right",
    "PLM l": "left", "PLM r": "right",
    "Tib sx": "left", "Tib dx": "right",
    "DX1-DX2": "right", "SX1-SX2": "left",
}
# Case, spacing and prefix variants of the same.
VARIANTS = {
    "lat": "left", " RAT ": "right", "EMG LAT": "left", "RAT EMG": "right", "leg l": "left",
    "LEG_R": "right", "Leg/L": "left", "EMG Leg R": "right", "TIB-R": "right", "Tib R": "right",
    "R-Leg1": "right", "LLEG1": "left", "RLEG2": "right", "LAT1-LAT2": "left",
    "Left Tibialis": "left", "Tibialis L": "left", "EMG Tib dx": "right", "PLM L": "left",
    "Tib ant sx": "left", "Leg Left": "left", "Right tibialis anterior": "right",
}
NOT_LEGS = [
    "EMG Chin", "Chin1-Chin2", "EMG submental", "ECG", "ECG L", "ECG LA-RA", "EKG",
    "EEG C3-M2", "C4-A1", "LOC", "ROC", "EOG L", "E1-M2", "Left Arm", "Arm L", "R Arm",
    "Ankle L X", "Ankle R Z", "Leg L X", "LAT-RAT", "Legs", "Leg", "Leg 1", "X3", "X4",
    "SpO2", "Pleth", "Thor", "Abdo", "Snore", "Lat. rectus", "Position", "EMG1", "PLM",
]


@pytest.mark.parametrize(("label", "side"), sorted({**FORMATS_LABELS, **VARIANTS}.items()))
def test_leg_labels_have_their_side(label, side):
    assert leg_side(label) == side
    assert is_leg_label(label)


@pytest.mark.parametrize("label", NOT_LEGS)
def test_other_channels_are_not_legs(label):
    assert leg_side(label) is None
    assert not is_leg_label(label)


@pytest.mark.parametrize(
    ("left", "right"),
    [("LAT", "RAT"), ("Leg L", "Leg R"), ("LLEG1-LLEG2", "RLEG1-RLEG2"), ("Tib sx", "Tib dx"),
     ("SX1-SX2", "DX1-DX2"), ("EMG.Tibialis-Leg-Left", "EMG.Tibialis-Leg.Right")],
)
def test_detects_pairs_in_a_montage(left, right):
    labels = ["F4-M1", "C4-M1", "E1-M2", "EMG Chin", right, "ECG I", left, "SpO2"]
    choice = choose_leg_channels(labels)
    assert (choice.left, choice.right) == (left, right)
    assert left in choice.reason and right in choice.reason


def test_bipolar_derivation_wins_over_its_electrodes():
    labels = ["LLEG1", "LLEG2", "LLEG1-LLEG2", "RLEG1", "RLEG2", "RLEG1-RLEG2"]
    choice = choose_leg_channels(labels)
    assert (choice.left, choice.right) == ("LLEG1-LLEG2", "RLEG1-RLEG2")
    assert "LLEG1" in choice.reason  # says what was passed over


def test_two_different_left_labels_are_ambiguous():
    with pytest.raises(PlmsInputError, match=r"several left-leg EMG channels.*LAT, Leg L.*--left"):
        choose_leg_channels(["LAT", "Leg L", "RAT"], path="n.edf")


def test_no_legs_lists_labels_and_suggests_options():
    pattern = r"no leg EMG channel.*'C3-M2', 'EMG Chin'.*--left and --right"
    with pytest.raises(PlmsInputError, match=pattern):
        choose_leg_channels(["C3-M2", "EMG Chin"])


def test_unsided_leg_labels_are_mentioned():
    # numbered electrodes without a side could be either leg: not guessed, but named
    with pytest.raises(PlmsInputError, match="without a side: Leg 1, Leg 2"):
        choose_leg_channels(["C3-M2", "Leg 1", "Leg 2"])


def test_one_unsided_leg_label_is_both_legs_on_one_channel():
    choice = choose_leg_channels(["C3-M2", "Legs"])
    assert choice.sides == ("combined",) and choice.combined == "Legs"
    assert (choice.left, choice.right) == (None, None)


def test_only_one_leg_is_that_leg_alone():
    choice = choose_leg_channels(["RAT", "ECG"])
    assert choice.sides == ("right",) and (choice.left, choice.right) == (None, "RAT")
    assert "no left-leg channel found" in choice.reason


def test_isruc_x3_x4():
    labels = ["F3-A2", "C3-A2", "X1", "X2", "X3", "X4", "X5", "SaO2"]
    choice = choose_leg_channels(labels)
    assert (choice.left, choice.right) == ("X3", "X4")
    assert "ISRUC" in choice.reason
    # a real leg label beats the ISRUC guess
    assert choose_leg_channels(["X3", "X4", "LAT", "RAT"]).left == "LAT"


def test_user_choice_wins_and_is_checked():
    choice = choose_leg_channels(["LAT", "RAT", "Leg L"], left="Leg L", right="RAT")
    assert choice == ChannelChoice("Leg L", "RAT", "Leg L, RAT: given by --left/--right")
    # one side given, the other detected
    assert choose_leg_channels(["LAT", "Leg L", "RAT"], left="LAT").right == "RAT"
    # loose matching of case and spaces
    assert choose_leg_channels(["lat ", "rat "], left="LAT", right="RAT").left == "lat "
    with pytest.raises(PlmsInputError, match=r"'Tib L' given by --left does not exist.*'LAT'"):
        choose_leg_channels(["LAT", "RAT"], left="Tib L")
    with pytest.raises(PlmsInputError, match="same channel"):
        choose_leg_channels(["LAT", "RAT"], left="LAT", right="LAT")


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["ECG L", "ECG R", "ECG I"], "ECG I"),
        (["ECG1", "ECG2", "ECG1-ECG2"], "ECG1-ECG2"),
        (["EKG", "LAT"], "EKG"),
        (["ECG II", "ECG I"], "ECG II"),
        (["ECG L"], "ECG L"),
        (["HR ECG rate", "ECG"], "ECG"),
        (["LAT", "RAT", "C3-M2"], None),
    ],
)
def test_ecg_choice(labels, expected):
    assert choose_ecg_channel(labels) == expected


def test_given_ecg_must_exist():
    assert choose_ecg_channel(["ECG I", "X2"], ecg="X2") == "X2"
    with pytest.raises(PlmsInputError, match="'EKG' given by --ecg does not exist"):
        choose_ecg_channel(["ECG I"], ecg="EKG")


def test_the_same_label_twice_is_ambiguous():
    with pytest.raises(PlmsInputError, match="several left-leg EMG channels"):
        choose_leg_channels(["LAT", "RAT", "LAT"])
