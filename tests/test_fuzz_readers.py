"""Property-based fuzzing of every reader: broken files are refused cleanly.

Valid seed files (EDF, EDF+ with annotations, EDF+D, BDF, accelerometer EDF,
NSRR XML, RemLogic exports, event tables, hypnogram text, accelerometer
CSV) are mutated by hypothesis: truncated, bytes flipped or inserted, header
numbers replaced by hostile ones (negative, 99999999, nan, 1e308...), text
re-encoded (latin-1, UTF-16...), numbers in text replaced. For every example
the reader must return or raise one PlmsInputError naming the file; any
other exception, a hang or a memory blow-up fails (tests/fuzz_helpers.py).

The default ("ci") profile is short and derandomized; for a long manual run::

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_fuzz_readers.py -q

(profiles are registered in tests/conftest.py).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fuzz_helpers import (
    EDITS,
    ENCODINGS,
    HOSTILE_NUMBERS,
    apply_edits,
    encode_text,
    must_read_or_refuse,
)
from hypothesis import given
from hypothesis import strategies as st
from test_io_edfwriter import Fixture, Sig, fixture_bytes, legs_fixture

from plms.errors import PlmsInputError
from plms.io import (
    read_accel,
    read_annotations,
    read_edf_annotations,
    read_events_table,
    read_hypnogram_text,
    read_nsrr_xml,
    read_recording,
    read_remlogic,
)
from plms.io.accel.csv import read_accel_csv

DATA = Path(__file__).parent / "data"

# -- seeds ---------------------------------------------------------------------------

_FIXED_FIELDS = ((168, 8), (176, 8), (184, 8), (192, 44), (236, 8), (244, 8), (252, 4))
_SIGNAL_WIDTHS = (16, 80, 8, 8, 8, 8, 8, 80, 8, 32)
_NUMERIC_SIGNAL_FIELDS = (2, 3, 4, 5, 6, 8)  # unit, physical/digital min/max, samples per record


def header_fields(n_signals: int) -> list[tuple[int, int]]:
    """(offset, width) of the fixed header's numbers and of every signal's numbers and unit."""
    fields = list(_FIXED_FIELDS)
    pos = 256
    for k, width in enumerate(_SIGNAL_WIDTHS):
        if k in _NUMERIC_SIGNAL_FIELDS:
            fields += [(pos + i * width, width) for i in range(n_signals)]
        pos += width * n_signals
    return fields


def _accel_fixture() -> Fixture:
    rng = np.random.default_rng(1)
    axes = [Sig(f"LAnkle {a}", rng.integers(-4000, 4000, 2 * 32), 32, unit="g",
                pmin=-8.0, pmax=8.0) for a in "XYZ"]
    return Fixture(signals=axes, n_records=2, reserved="EDF+C",
                   annotations=[(0.0, 30.0, "Sleep stage W")])


_ANNOTATIONS = [(0.0, 30.0, "Sleep stage W"), (0.5, 1.5, "Limb movement left"),
                (1.0, None, "Hypopnea"), (1.5, 2.0, "Arousal")]
EDF_SEEDS: dict[str, tuple[Fixture, str]] = {
    "edf": (legs_fixture(n_records=2), ".edf"),
    "edf_plus": (legs_fixture(n_records=3, reserved="EDF+C", annotations=_ANNOTATIONS), ".edf"),
    "edf_plus_d": (legs_fixture(n_records=3, reserved="EDF+D", record_onsets=[0.0, 1.0, 2.0],
                                annotations=_ANNOTATIONS[:2]), ".edf"),
    "bdf": (legs_fixture(n_records=2, fmt="BDF", reserved="BDF+C",
                         annotations=_ANNOTATIONS[:1]), ".bdf"),
    "accel_edf": (_accel_fixture(), ".edf"),
    "annotations_only": (Fixture(signals=[], n_records=1, record_duration=0.0,
                                 reserved="EDF+C", annotations=_ANNOTATIONS), ".edf"),
}
EDF_READERS: dict[str, Callable[[Path], object]] = {
    "read_recording": read_recording,
    "read_edf_annotations": read_edf_annotations,
    "read_annotations": read_annotations,
    "read_accel": read_accel,
}


def _n_signals(fx: Fixture) -> int:
    return len(fx.signals) + (1 if fx.reserved.startswith(("EDF+", "BDF+")) else 0)


NSRR_SEED = (DATA / "shhs_like-nsrr.xml").read_text(encoding="utf-8")
TEXT_SEEDS: dict[str, tuple[str, str, Callable[[Path], object]]] = {
    "nsrr": (NSRR_SEED, ".xml", read_nsrr_xml),
    "remlogic_iso": ((DATA / "remlogic_iso.txt").read_text(encoding="utf-8"), ".txt",
                     read_remlogic),
    "remlogic_clock": ((DATA / "remlogic_clock.txt").read_text(encoding="utf-8"), ".txt",
                       read_remlogic),
    "events_tsv": ((DATA / "events_per_leg.tsv").read_text(encoding="utf-8"), ".tsv",
                   read_events_table),
    "stages_csv": ("onset,duration,stage\n0,30,W\n30,60,N2\n90,30,R\n120,n/a,W\n", ".csv",
                   read_events_table),
    "events_csv": ('onset;duration;description\n0;30;"Sleep stage W"\n12,5;1,5;Limb movement R\n'
                   "20;10;Obstructive apnea\n", ".csv", read_events_table),
    "hypnogram": ("# stages\nW\nW\nN1\nN2\nN3\nREM\n?\nW\n", ".txt",
                  lambda p: read_hypnogram_text(p, duration_s=600.0)),
    "hypnogram_digits": ("0\n1\n2\n3\n5\n9\n", ".hyp",
                         lambda p: read_hypnogram_text(p, mapping="rk")),
    "auto_remlogic": ((DATA / "remlogic_iso.txt").read_text(encoding="utf-8"), ".txt",
                      read_annotations),
    "auto_hypnogram": ("W\nN2\nN2\nR\n", ".txt", read_annotations),
    "accel_csv": ("time,x,y,z\n" + "".join(
        f"{k / 50:.2f},{0.01 * (k % 7):.2f},-0.02,{0.98 + 0.001 * (k % 5):.3f}\n"
        for k in range(120)), ".csv", read_accel_csv),
    "accel_csv_iso": ("Device: AX3\nStart: today\ntimestamp;Ankle L X;Ankle L Y;Ankle L Z\n"
                      + "".join(
        f"2024-03-01T22:00:{k // 25:02d}.{(k % 25) * 40:03d};0.0{k % 9};0.0;1.0\n"
        for k in range(100)), ".csv", read_accel_csv),
    "accel_tsv_fs": ("x\ty\tz\n" + "0.1\t0.0\t1.0\n" * 80, ".tsv",
                     lambda p: read_accel_csv(p, fs=25.0)),
}

_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def _write(folder: str, name: str, raw: bytes) -> Path:
    path = Path(folder) / name
    path.write_bytes(raw)
    return path


def test_seeds_are_read(tmp_path):
    """Every unmutated seed is a valid file: the fuzzing starts from files that work."""
    for name, (fx, suffix) in EDF_SEEDS.items():
        path = _write(str(tmp_path), f"{name}{suffix}", fixture_bytes(fx))
        if name == "accel_edf":
            assert read_accel(path).signals["left"].data.shape == (64, 3)
        elif name == "annotations_only":
            assert read_edf_annotations(path).respiratory["kind"].tolist() == ["hypopnea"]
        else:
            assert read_recording(path).left.data.size == fx.n_records * 256
            read_edf_annotations(path)
    for name, (text, suffix, read) in TEXT_SEEDS.items():
        read(_write(str(tmp_path), f"{name}{suffix}", text.encode("utf-8")))


# -- EDF / BDF -----------------------------------------------------------------------

@given(seed=st.sampled_from(sorted(EDF_SEEDS)), reader=st.sampled_from(sorted(EDF_READERS)),
       edits=EDITS)
def test_mutated_edf_is_read_or_refused(seed, reader, edits):
    fx, suffix = EDF_SEEDS[seed]
    raw = apply_edits(fixture_bytes(fx), edits, header_fields(_n_signals(fx)))
    with tempfile.TemporaryDirectory() as folder:
        must_read_or_refuse(EDF_READERS[reader], _write(folder, f"fuzz{suffix}", raw))


@given(seed=st.sampled_from(sorted(EDF_SEEDS)), reader=st.sampled_from(sorted(EDF_READERS)),
       values=st.lists(st.tuples(st.integers(0, 200), st.sampled_from(HOSTILE_NUMBERS)),
                       min_size=1, max_size=3))
def test_hostile_header_numbers_are_refused_or_read(seed, reader, values):
    fx, suffix = EDF_SEEDS[seed]
    edits = [("field", k, text) for k, text in values]
    raw = apply_edits(fixture_bytes(fx), edits, header_fields(_n_signals(fx)))
    with tempfile.TemporaryDirectory() as folder:
        must_read_or_refuse(EDF_READERS[reader], _write(folder, f"fuzz{suffix}", raw))


@given(seed=st.sampled_from(("edf_plus", "edf_plus_d", "bdf", "accel_edf", "annotations_only")),
       edits=st.lists(st.tuples(st.integers(0, 4096), st.sampled_from(
           (b"\x14", b"\x15", b"\x00", b"+", b"-", b"1e9", b"\xff\xfe", b"\xc3", b"99999999",
            b"nan", b"\x14\x14\x00", b"+-1\x15", b".")),), min_size=1, max_size=6))
def test_mutated_annotation_bytes_are_read_or_refused(seed, edits):
    """Mutations inside the EDF+ annotation signal (TAL) of the data records."""
    fx, suffix = EDF_SEEDS[seed]
    raw = bytearray(fixture_bytes(fx))
    ns = _n_signals(fx)
    header = 256 * (ns + 1)
    sample_bytes = 2 if fx.fmt == "EDF" else 3
    record = sample_bytes * sum(s.spr for s in fx.signals)  # ordinary part of a record
    ann_width = (len(raw) - header) // fx.n_records - record
    for pos, chunk in edits:
        k = pos % fx.n_records
        start = header + k * (record + ann_width) + record + (pos // fx.n_records) % ann_width
        end = min(start + len(chunk), header + (k + 1) * (record + ann_width))
        raw[start:end] = chunk[: end - start]
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, f"fuzz{suffix}", bytes(raw))
        reader = read_accel if seed == "accel_edf" else read_recording
        must_read_or_refuse(reader, path)
        must_read_or_refuse(read_edf_annotations, path)


# -- text formats ----------------------------------------------------------------------

@given(seed=st.sampled_from(sorted(TEXT_SEEDS)), encoding=st.sampled_from(ENCODINGS),
       edits=st.one_of(st.just([]), EDITS))
def test_mutated_text_file_is_read_or_refused(seed, encoding, edits):
    text, suffix, read = TEXT_SEEDS[seed]
    raw = apply_edits(encode_text(text, encoding), edits) if edits else encode_text(text, encoding)
    with tempfile.TemporaryDirectory() as folder:
        must_read_or_refuse(read, _write(folder, f"fuzz{suffix}", raw))


@given(seed=st.sampled_from(sorted(TEXT_SEEDS)),
       values=st.lists(st.tuples(st.integers(0, 2000), st.sampled_from(
           HOSTILE_NUMBERS + ("1e300", "99999999999", "-99999999", "4294967296.5", "1e-320"))),
           min_size=1, max_size=4))
def test_text_numbers_out_of_range_are_read_or_refused(seed, values):
    """Numbers in text files (onsets, durations, times, samples) replaced by hostile ones."""
    text, suffix, read = TEXT_SEEDS[seed]
    for k, value in values:
        spots = list(_NUMBER.finditer(text))
        if spots:
            spot = spots[k % len(spots)]
            text = text[: spot.start()] + value + text[spot.end():]
    with tempfile.TemporaryDirectory() as folder:
        must_read_or_refuse(read, _write(folder, f"fuzz{suffix}", text.encode("utf-8")))


# -- fixed hostile files -----------------------------------------------------------------

_BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<PSGAnnotation><ScoredEvents><ScoredEvent><EventConcept>&lol9;</EventConcept>
</ScoredEvent></ScoredEvents></PSGAnnotation>
"""
_EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<PSGAnnotation><ScoredEvents><ScoredEvent><EventConcept>&xxe;</EventConcept>
</ScoredEvent></ScoredEvents></PSGAnnotation>
"""
_EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE PSGAnnotation SYSTEM "{dtd}">
<PSGAnnotation><ScoredEvents><ScoredEvent><EventConcept>&e;</EventConcept>
</ScoredEvent></ScoredEvents></PSGAnnotation>
"""


@pytest.mark.parametrize("xml", [_BILLION_LAUGHS, _EXTERNAL_ENTITY, _EXTERNAL_DTD],
                         ids=["billion_laughs", "external_entity", "external_dtd"])
def test_hostile_xml_is_refused(tmp_path, xml):
    """Entity expansion, external entities and an external DTD are never followed."""
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY e "Sleep stage W">', encoding="utf-8")
    path = tmp_path / "hostile-nsrr.xml"
    path.write_text(xml.replace("{dtd}", dtd.as_uri()), encoding="utf-8")
    with pytest.raises(PlmsInputError, match="hostile-nsrr.xml: ") as info:
        read_nsrr_xml(path)
    assert "refused" in str(info.value) or "malformed" in str(info.value)


# -- regressions found by the fuzzing (each failed before its fix) -----------------------------

def test_csv_parser_error_is_one_sentence(tmp_path):
    """pandas ends its tokenizer message with a newline; the error stays one line."""
    path = tmp_path / "ragged.csv"
    path.write_text("time,x,y,z\n0.00,0,0,1\n0.02,0,0,1,7\n", encoding="utf-8")
    with pytest.raises(PlmsInputError, match="ragged.csv: cannot be read as a table") as info:
        read_accel_csv(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("value", ["inf", "-inf", "1e300"])
def test_accel_csv_time_out_of_range_is_refused(tmp_path, value):
    """A non-finite or astronomically large numeric time names its line, no OverflowError."""
    path = tmp_path / "times.csv"
    rows = [f"{k / 50:.2f},0,0,1" for k in range(100)]
    rows[0] = f"{value},0,0,1"
    path.write_text("time,x,y,z\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(PlmsInputError, match=r"times.csv: line 2, column 'time': the time"):
        read_accel_csv(path)


def test_nsrr_unknown_declared_encoding_is_refused(tmp_path):
    """An XML declaration naming an encoding Python does not know (LookupError)."""
    path = tmp_path / "night-nsrr.xml"
    path.write_text(NSRR_SEED.replace('encoding="UTF-8"', 'encoding="UTF-1"', 1)
                    if 'encoding="UTF-8"' in NSRR_SEED else
                    '<?xml version="1.0" encoding="UTF-1"?>\n' + NSRR_SEED, encoding="utf-8")
    with pytest.raises(PlmsInputError, match="night-nsrr.xml: the XML cannot be decoded"):
        read_nsrr_xml(path)


@pytest.mark.parametrize("epoch", ["1e-320", "0.001", "1e30"])
def test_nsrr_implausible_epoch_length_is_refused(tmp_path, epoch):
    """A tiny <EpochLength> would expand each stage into astronomically many epochs."""
    assert "<EpochLength>30</EpochLength>" in NSRR_SEED
    path = tmp_path / "epoch-nsrr.xml"
    path.write_text(NSRR_SEED.replace("<EpochLength>30</EpochLength>",
                                      f"<EpochLength>{epoch}</EpochLength>"), encoding="utf-8")
    with pytest.raises(PlmsInputError, match="epoch-nsrr.xml: the scoring epoch length"):
        read_nsrr_xml(path)


def test_table_with_tiny_stage_epochs_is_refused_quickly(tmp_path):
    """Stage rows 0.02 s long make a 0.02-s epoch: a 28-h stage would be 5 million epochs."""
    path = tmp_path / "stages.csv"
    path.write_text("onset,duration,stage\n0,0.02,W\n0.02,100000,N2\n", encoding="utf-8")
    assert must_read_or_refuse(read_events_table, path) is None  # within time and memory
    with pytest.raises(PlmsInputError, match="stages.csv: the scoring epoch length 0.02 s"):
        read_events_table(path)


@pytest.mark.parametrize("first", ["-1-03-01T22:00:00.000", "2024-03-01T22:00:00.000-1"],
                         ids=["year_minus_one", "mixed_time_zones"])
def test_accel_csv_unusable_date_times_are_refused(tmp_path, first):
    """A year Python cannot hold, or time zones mixed with naive times (pandas ValueErrors)."""
    path = tmp_path / "stamps.csv"
    rows = [f"2024-03-01T22:00:{k // 25:02d}.{(k % 25) * 40:03d},0,0,1" for k in range(100)]
    rows[0] = f"{first},0,0,1"
    path.write_text("timestamp,x,y,z\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(PlmsInputError, match=r"stamps.csv: .*column 'timestamp'"):
        read_accel_csv(path)


@pytest.mark.parametrize(("field", "value"), [(236, "99999999"), (256 + 2 * 216, "99999999")],
                         ids=["records", "samples_per_record"])
def test_header_claiming_huge_sizes_is_refused_before_allocating(tmp_path, field, value):
    """A header announcing ~100 million records (or samples per record) for a 3-kB file.

    The sizes are checked against the file before any sample is read, so the
    refusal costs neither time nor memory.
    """
    raw = bytearray(fixture_bytes(legs_fixture(n_records=2)))
    raw[field:field + 8] = value.encode().ljust(8)
    path = tmp_path / "huge.edf"
    path.write_bytes(bytes(raw))
    for reader in (read_recording, read_edf_annotations, read_accel):
        assert must_read_or_refuse(reader, path) is None
        with pytest.raises(PlmsInputError, match=r"huge.edf: the file is truncated: the header "
                                                 r"announces (2|99999999) data records"):
            reader(path)


@pytest.mark.parametrize(("date_line", "times", "message"), [
    ("Recording Date:\t12/31/9999\r\n", ("23:59:30", "00:00:00"),
     r"line 6: the time '00:00:00' falls after the year 9999"),
    ("", ("9999-12-31T23:59:59.9999999", "9999-12-31T23:59:59.9999999"),
     r"line 4: '9999-12-31T23:59:59.9999999' is not a time"),
], ids=["clock_rolls_past_9999", "iso_rounds_past_9999"])
def test_remlogic_time_past_year_9999_is_refused(tmp_path, date_line, times, message):
    """Midnight after 31 Dec 9999 (or a fraction rounding into it) is no OverflowError."""
    path = tmp_path / "export.txt"
    rows = "".join(f"{t}\tSLEEP-S0\t30\r\n" for t in times)
    path.write_text(f"RemLogic Event Export\r\n{date_line}\r\nTime [hh:mm:ss]\tEvent\t"
                    f"Duration[s]\r\n{rows}", encoding="utf-8")
    with pytest.raises(PlmsInputError, match="export.txt: " + message):
        read_remlogic(path)
