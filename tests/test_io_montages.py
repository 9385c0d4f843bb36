"""Montages of real labs and cohorts: header encodings, electrode pairs, ambiguity."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_io_edfwriter import legs_fixture, write_fixture

import plms
from plms.io import read_recording
from plms.io._edfformat import read_header

#: ``Jambe gauche é`` as a UTF-8 recorder writes it, ``Jambe droite é`` in latin-1.
UTF8_LEFT = "Jambe gauche \u00e9".encode()
LATIN1_RIGHT = "Jambe droite \u00e9".encode("latin-1")


def test_non_ascii_labels_are_read_in_their_encoding(tmp_path):
    assert UTF8_LEFT.endswith(b"\xc3\xa9") and LATIN1_RIGHT.endswith(b"\xe9")
    fx = legs_fixture(labels=(UTF8_LEFT, LATIN1_RIGHT))
    path = write_fixture(tmp_path / "fr.edf", fx)
    labels = [s.label for s in read_header(path).signals]
    assert labels == ["Jambe gauche \u00e9", "Jambe droite \u00e9"]
    rec = read_recording(path, left="Jambe gauche \u00e9", right="Jambe droite \u00e9")
    assert (rec.left.label, rec.right.label) == ("Jambe gauche \u00e9", "Jambe droite \u00e9")
    np.testing.assert_allclose(rec.left.data, fx.signals[0].digital * 0.1, atol=1e-3)
    np.testing.assert_allclose(rec.right.data, fx.signals[1].digital * 0.1, atol=1e-3)


def test_non_ascii_label_reaches_the_summary(tmp_path):
    """End to end: --left with the accented label, and the summary shows it as written."""
    night = plms.simulate.simulate_night(seed=3, spec=plms.simulate.NightSpec(
        duration_h=0.1, fs_leg=256, difficulty="clean"))
    path = plms.simulate.write_edf(night, tmp_path / "fr.edf", extra_channels=False)
    raw = bytearray(path.read_bytes())
    header = read_header(path)
    for sig, new in zip((s for s in header.signals if s.label in night.leg_labels),
                        (UTF8_LEFT, LATIN1_RIGHT), strict=True):
        at = 256 + 16 * sig.index
        raw[at:at + 16] = new.ljust(16, b" ")
    path.write_bytes(bytes(raw))
    result = plms.score_edf(path, left="Jambe gauche \u00e9", right="Jambe droite \u00e9")
    assert result.summary["channels"]["left"] == "Jambe gauche \u00e9"
    assert result.summary["channels"]["right"] == "Jambe droite \u00e9"
    written = result.write(tmp_path / "out")["summary"]
    summary = json.loads(written.read_text(encoding="utf-8"))
    assert summary["channels"]["left"] == "Jambe gauche \u00e9"


@pytest.mark.parametrize("unit", [b"\xb5V", "\u00b5V".encode(), b"uV"])
def test_micro_sign_in_either_encoding_is_microvolts(tmp_path, unit):
    fx = legs_fixture()
    for sig in fx.signals:
        sig.unit = unit
    rec = read_recording(write_fixture(tmp_path / "u.edf", fx))
    assert rec.left.unit in ("\u00b5V", "uV")
    np.testing.assert_allclose(rec.left.data, fx.signals[0].digital * 0.1, atol=1e-3)
