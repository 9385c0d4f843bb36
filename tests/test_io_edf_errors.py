"""Every broken EDF/BDF is a PlmsInputError with one clear sentence, never a traceback."""

from __future__ import annotations

import os

import numpy as np
import pytest
from test_io_edfwriter import fixture_bytes, legs_fixture, write_fixture

from plms.errors import PlmsInputError
from plms.io import read_annotations, read_edf_annotations, read_recording

N_RECORDS, SPR = 10, 256
LEG_BYTES_PER_RECORD = 2 * SPR * 2  # two EDF leg channels


def _good() -> bytes:
    return fixture_bytes(legs_fixture(n_records=N_RECORDS, spr=SPR))


def _patch(raw: bytes, start: int, text: str, width: int) -> bytes:
    """Overwrite a fixed-width header field."""
    return raw[:start] + text.encode("latin-1").ljust(width) + raw[start + width:]


def _expect(path, pattern: str) -> PlmsInputError:
    for reader in (read_recording, read_edf_annotations):
        with pytest.raises(PlmsInputError, match=pattern) as info:
            reader(path)
        message = str(info.value)
        assert message.startswith(str(path)) and "\n" not in message
    return info.value


CASES = {
    # name: (how to make the file's bytes from a good file, expected message)
    "empty": (lambda good: b"", "the file is empty"),
    "text": (lambda good: b"Hello, this is a text file\n" * 20, "not an EDF or BDF file"),
    "random": (lambda good: b"\x89PNG" + os.urandom(3000), "not an EDF or BDF file"),
    "short_header": (lambda good: good[:100], "truncated: it has 100 bytes"),
    "cut_in_signal_headers": (lambda good: good[:600], "ends inside the header of its 2 signals"),
    "garbage_numbers": (
        lambda good: _patch(good, 252, "ab", 4), "number of signals is not a number"
    ),
    "truncated_data": (
        lambda good: good[:-1000],
        "truncated: the header announces 10 data records .* 9 complete records",
    ),
    "minus_one_records": (lambda good: _patch(good, 236, "-1", 8), "gives -1 data records"),
    "more_records_than_file": (
        lambda good: _patch(good, 236, "12", 8), "truncated: the header announces 12 data records"
    ),
    "fewer_records_than_file": (
        lambda good: _patch(good, 236, "8", 8), "longer than its header says: 8 data records"
    ),
    "zero_records": (lambda good: _patch(good, 236, "0", 8), "holds no data records"),
    "header_size_lies": (lambda good: _patch(good, 184, "1024", 8), "gives its size as 1024 bytes"),
    "zero_record_duration": (lambda good: _patch(good, 244, "0", 8), "record duration is 0 s"),
    "bad_record_duration": (
        lambda good: _patch(good, 244, "one", 8), "data record duration is not a number"
    ),
    "bad_date": (lambda good: _patch(good, 168, "31.02.24", 8), "not a valid date"),
    "bad_time_format": (lambda good: _patch(good, 176, "noon", 8), "is not dd.mm.yy hh.mm.ss"),
    # samples per record of signal 1: after 256 + 2 * (16+80+8+8+8+8+8+80) bytes
    "bad_samples_per_record": (
        lambda good: _patch(good, 256 + 2 * 216, "x", 8),
        r"samples per record of signal 1 \('LAT'\) is not a number",
    ),
    "bad_physical_min": (
        lambda good: _patch(good, 256 + 2 * 104, "--", 8), r"physical minimum of signal 1 \('LAT'\)"
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_file_gives_one_clear_sentence(tmp_path, case):
    make, pattern = CASES[case]
    path = tmp_path / f"{case}.edf"
    path.write_bytes(make(_good()))
    _expect(path, pattern)


def test_missing_file_and_directory(tmp_path):
    _expect(tmp_path / "nope.edf", "the file does not exist")
    _expect(tmp_path, "is a directory")


def test_truncated_bdf(tmp_path):
    raw = fixture_bytes(legs_fixture(n_records=4, spr=128, fmt="BDF"))
    path = tmp_path / "t.bdf"
    path.write_bytes(raw[:-5])
    _expect(path, "truncated: the header announces 4 data records")


def test_unusable_calibration_of_a_leg(tmp_path):
    fx = legs_fixture(n_records=2)
    fx.signals[1].dmin, fx.signals[1].dmax = 0, 0
    path = write_fixture(tmp_path / "cal.edf", fx)
    with pytest.raises(PlmsInputError, match="channel 'RAT' has an unusable calibration"):
        read_recording(path)


def test_edf_plus_d_without_annotation_signal(tmp_path):
    raw = _patch(_good(), 192, "EDF+D", 44)
    path = tmp_path / "d.edf"
    path.write_bytes(raw)
    with pytest.raises(PlmsInputError, match=r"EDF\+D file without an annotation signal"):
        read_recording(path)


def test_edf_plus_d_record_without_time_keeping(tmp_path):
    fx = legs_fixture(n_records=3, spr=SPR, reserved="EDF+D", record_onsets=[0.0, 1.0, 2.0])
    raw = bytearray(fixture_bytes(fx))
    header_bytes = 256 * 4
    record_bytes = (len(raw) - header_bytes) // 3
    second = header_bytes + record_bytes + LEG_BYTES_PER_RECORD  # annotations of record 2
    raw[second: header_bytes + 2 * record_bytes] = bytes(record_bytes - LEG_BYTES_PER_RECORD)
    path = tmp_path / "tk.edf"
    path.write_bytes(bytes(raw))
    with pytest.raises(PlmsInputError, match="data record 2 does not start with its time-keeping"):
        read_recording(path)


def test_annotation_dispatch_refuses_unknown_formats(tmp_path):
    path = tmp_path / "events.json"
    path.write_text('{"onset": 1,\n "duration": 2}\n')
    with pytest.raises(PlmsInputError, match=r"format was not recognised.*NSRR XML.*EDF\+"):
        read_annotations(path)


def test_plain_edf_has_no_annotations_but_says_so(tmp_path):
    path = write_fixture(tmp_path / "plain.edf", legs_fixture(n_records=1))
    ann = read_edf_annotations(path)
    assert ann.hypnogram is None and ann.respiratory.empty
    assert any("without an annotation signal" in w for w in ann.warnings)
    assert np.isclose(read_recording(path).duration_s, 1.0)


def test_unparseable_annotation_record_in_edf_plus_c(tmp_path):
    fx = legs_fixture(n_records=3, spr=SPR, reserved="EDF+C")
    raw = bytearray(fixture_bytes(fx))
    header_bytes = 256 * 4
    record_bytes = (len(raw) - header_bytes) // 3
    second = header_bytes + record_bytes + LEG_BYTES_PER_RECORD  # annotations of record 2
    raw[second: second + 8] = b"garbage!"
    path = tmp_path / "tal.edf"
    path.write_bytes(bytes(raw))
    _expect(path, r"the EDF\+C annotations cannot be read \(edfio says ValueError")
    assert read_recording(path, read_annotations=False).file_type == "EDF+C"


@pytest.mark.parametrize("copied", [False, True])
@pytest.mark.parametrize("damage", ["cut", "deleted"])
def test_a_file_cut_or_gone_after_its_header_was_read_lazily(tmp_path, damage, copied,
                                                             monkeypatch):
    """A channel read on demand meets the damage only when read: still one clear sentence
    (read from the records, or in the pass that copies its bytes, SignalColumns, whose
    temporary files are then closed). ``read_recording(lazy=True)`` makes that copy at
    once, so its channels are built here."""
    from plms.io import psg
    from plms.io._edfformat import read_header
    from plms.io.psg.lazy import LazySamples, SignalColumns

    scratch = []
    made = psg.lazy._scratch_file

    def kept_scratch_file():
        scratch.append(made())
        return scratch[-1]

    monkeypatch.setattr(psg.lazy, "_scratch_file", kept_scratch_file)

    path = tmp_path / "night.edf"
    write_fixture(path, legs_fixture(n_records=N_RECORDS, spr=SPR))
    header = read_header(path)
    sig = header.ordinary_signals[0]
    leg = LazySamples(header, (sig,), 1.0, SignalColumns(header, [sig]) if copied else None)
    raw = path.read_bytes()
    if damage == "cut":
        path.write_bytes(raw[:len(raw) - LEG_BYTES_PER_RECORD * 3 // 2])   # mid record 9
        pattern = "ends inside data record 9 "
    else:
        path.unlink()
        pattern = "the data records cannot be read"
    with pytest.raises(PlmsInputError, match=pattern) as info:
        leg[0:leg.size]
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)
    assert len(scratch) == copied and all(fh.closed for fh in scratch)
