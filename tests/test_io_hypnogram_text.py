"""Hypnogram text files: letters, digits only with a named mapping, bad lines."""

from __future__ import annotations

import pytest

from plms.errors import PlmsInputError
from plms.io import DIGIT_MAPPINGS, read_annotations, read_hypnogram_text


def _write(tmp_path, text: str, name: str = "night.txt", newline: str = "\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def test_letters_in_every_spelling(tmp_path):
    path = _write(tmp_path, "W\nwake\nN1\nN2\nN3\nN4\nR\nREM\n?\nU\nMT\n\n\n", newline="\r\n")
    ann = read_hypnogram_text(path)
    assert ann.hypnogram.stages.tolist() == [
        "W", "W", "N1", "N2", "N3", "N3", "R", "R", "U", "U", "MT"]
    assert ann.hypnogram.epoch_s == 30 and ann.hypnogram.start_s == 0
    assert ann.source == str(path) and ann.respiratory.empty and not ann.respiratory_scored


def test_epoch_length_and_offset(tmp_path):
    hyp = read_hypnogram_text(_write(tmp_path, "W\nN2\n"), epoch_s=20, start_s=45).hypnogram
    assert (hyp.epoch_s, hyp.start_s, hyp.end_s) == (20, 45, 85)


def test_comments_are_skipped(tmp_path):
    path = _write(tmp_path, "# scored by A.B.\nW\nN1\n")
    assert read_hypnogram_text(path).hypnogram.stages.tolist() == ["W", "N1"]


def test_digits_are_refused_without_a_mapping(tmp_path):
    path = _write(tmp_path, "W\n0\n5\n")
    with pytest.raises(PlmsInputError, match=r"night.txt: line 2: the stage '0' is a digit.*"
                                             r"mapping='rk' or mapping='yasa'"):
        read_hypnogram_text(path)


@pytest.mark.parametrize("mapping, expected", [
    ("rk", ["W", "N1", "N2", "N3", "N3", "R"]),
    ("nsrr", ["W", "N1", "N2", "N3", "N3", "R"]),
    ("yasa", ["W", "N1", "N2", "N3", "R", "U"]),
    ({"0": "W", "1": "N1", "2": "N2", "3": "N3", "4": "R", "5": "W"},
     ["W", "N1", "N2", "N3", "R", "W"]),
])
def test_digits_with_a_mapping(tmp_path, mapping, expected):
    text = "0\n1\n2\n3\n4\n5\n" if mapping != "yasa" else "0\n1\n2\n3\n4\n-1\n"
    assert read_hypnogram_text(_write(tmp_path, text), mapping=mapping).hypnogram.stages.tolist() \
        == expected


def test_named_mappings():
    assert DIGIT_MAPPINGS["rk"]["5"] == "R" and DIGIT_MAPPINGS["yasa"]["4"] == "R"


def test_unknown_mapping_name_is_a_value_error(tmp_path):
    message = "unknown stage mapping 'sleepy'; named mappings: nsrr, rk"
    with pytest.raises(ValueError, match=message):
        read_hypnogram_text(_write(tmp_path, "W\n"), mapping="sleepy")


def test_code_missing_from_the_mapping(tmp_path):
    with pytest.raises(PlmsInputError, match=r"line 2: the stage code '7' is not in the mapping"):
        read_hypnogram_text(_write(tmp_path, "0\n7\n"), mapping="rk")


@pytest.mark.parametrize("text, problem", [
    ("W\nN5\n", r"line 2: unknown sleep stage 'N5'"),
    ("W\n\nN1\n", r"line 2 is empty"),
    ("W\nN1 N2\n", r"line 2 holds 'N1 N2', not one stage"),
    ("\n\n", r"holds no stages"),
])
def test_bad_lines(tmp_path, text, problem):
    with pytest.raises(PlmsInputError, match=problem):
        read_hypnogram_text(_write(tmp_path, text))


def test_dispatch_by_content_and_duration(tmp_path):
    path = _write(tmp_path, "W\nN1\nN2\nN2\n", name="night.hyp")
    ann = read_annotations(path, duration_s=60)
    assert ann.hypnogram.stages.tolist() == ["W", "N1"]
    assert any("2 epoch(s) after 60 s were ignored" in w for w in ann.warnings)
    assert read_annotations(path, fmt="hypnogram").hypnogram.n_epochs == 4
    digits = _write(tmp_path, "0\n5\n", name="digits.hyp")
    assert read_annotations(digits, stage_mapping="rk").hypnogram.stages.tolist() == ["W", "R"]
