"""A byte-level EDF/BDF writer for io test fixtures, and checks of the writer.

pyedflib refuses to write the broken or unusual files the reader must
handle (a raw 0xB5 byte in a unit, EDF+D with chosen record starts, lying
headers), so fixtures are written here from the EDF spec
(https://www.edfplus.info/specs/edf.html, edfplus.html). The tests at the end
check the writer against two independent readers (edfio and pyedflib), so the
fixtures mean what the io tests assume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

EDF_SAMPLE_BYTES = 2
BDF_SAMPLE_BYTES = 3


@dataclass
class Sig:
    """One signal of a fixture: digital samples and header fields."""

    label: str
    digital: np.ndarray  # integers, n_records * spr of them
    spr: int
    unit: bytes | str = "uV"
    pmin: float = -3276.8
    pmax: float = 3276.7
    dmin: int = -32768
    dmax: int = 32767


@dataclass
class Fixture:
    """Everything needed to write an EDF/BDF file."""

    signals: list[Sig]
    n_records: int
    record_duration: float = 1.0
    fmt: str = "EDF"
    reserved: str = ""
    startdate: str = "25.11.26"
    starttime: str = "22.30.00"
    #: EDF+/BDF+: per record, the start time written in its time-keeping TAL.
    record_onsets: list[float] | None = None
    #: EDF+/BDF+: (onset, duration or None, text) annotations, all in record 0.
    annotations: list[tuple[float, float | None, str]] = field(default_factory=list)
    annotation_bytes: int = 0  # per record; computed when 0


def _field(value: str | bytes, width: int) -> bytes:
    raw = value if isinstance(value, bytes) else str(value).encode("latin-1")
    assert len(raw) <= width, (value, width)
    return raw.ljust(width, b" ")


def _num(value: float) -> str:
    """The most precise text of ``value`` that fits an 8-character field."""
    for digits in range(8, 0, -1):
        text = f"{value:.{digits}g}"
        if len(text) <= 8:
            return text
    raise ValueError(value)


def _tal(onset: float, duration: float | None, text: str) -> bytes:
    out = f"{onset:+g}".encode()
    if duration is not None:
        out += b"\x15" + _num(duration).encode()
    return out + b"\x14" + text.encode("utf-8") + b"\x14\x00"


def _annotation_records(fx: Fixture, sample_bytes: int) -> list[bytes]:
    onsets = fx.record_onsets or [k * fx.record_duration for k in range(fx.n_records)]
    records = []
    for k, onset in enumerate(onsets):
        rec = f"{onset:+g}".encode() + b"\x14\x14\x00"
        if k == 0:
            rec += b"".join(_tal(*a) for a in fx.annotations)
        records.append(rec)
    width = fx.annotation_bytes or max(len(r) for r in records) + 4
    width += -width % sample_bytes
    return [r.ljust(width, b"\x00") for r in records]


def fixture_bytes(fx: Fixture) -> bytes:
    """The complete file for ``fx``."""
    sample_bytes = EDF_SAMPLE_BYTES if fx.fmt == "EDF" else BDF_SAMPLE_BYTES
    signals = list(fx.signals)
    ann_records: list[bytes] = []
    if fx.reserved.startswith(("EDF+", "BDF+")):
        ann_records = _annotation_records(fx, sample_bytes)
        ann_label = "EDF Annotations" if fx.fmt == "EDF" else "BDF Annotations"
        signals.append(Sig(ann_label, np.zeros(0), len(ann_records[0]) // sample_bytes, unit="",
                           pmin=-1, pmax=1))
    ns = len(signals)
    version = b"0" if fx.fmt == "EDF" else b"\xffBIOSEMI"
    header = b"".join([
        _field(version, 8), _field("X X X X", 80), _field("Startdate 25-NOV-2026 X X X", 80),
        _field(fx.startdate, 8), _field(fx.starttime, 8), _field(str(256 * (ns + 1)), 8),
        _field(fx.reserved, 44), _field(str(fx.n_records), 8), _field(_num(fx.record_duration), 8),
        _field(str(ns), 4),
    ])
    columns = [
        ("label", 16), ("transducer", 80), ("unit", 8), ("pmin", 8), ("pmax", 8),
        ("dmin", 8), ("dmax", 8), ("prefilter", 80), ("spr", 8), ("reserved", 32),
    ]
    for name, width in columns:
        for s in signals:
            value = {
                "label": s.label, "transducer": "", "unit": s.unit, "pmin": _num(s.pmin),
                "pmax": _num(s.pmax), "dmin": str(s.dmin), "dmax": str(s.dmax), "prefilter": "",
                "spr": str(s.spr), "reserved": "",
            }[name]
            header += _field(value, width)
    body = bytearray()
    for k in range(fx.n_records):
        for s in signals:
            if s.label in ("EDF Annotations", "BDF Annotations"):
                body += ann_records[k]
                continue
            chunk = np.asarray(s.digital[k * s.spr:(k + 1) * s.spr], dtype="<i4")
            if fx.fmt == "EDF":
                body += chunk.astype("<i2").tobytes()
            else:
                body += chunk.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return header + bytes(body)


def write_fixture(path: Path, fx: Fixture) -> Path:
    """Write ``fx`` to ``path`` and return the path."""
    path.write_bytes(fixture_bytes(fx))
    return path


def legs_fixture(
    n_records: int = 4, spr: int = 256, *, fmt: str = "EDF", labels=("LAT", "RAT"),
    seed: int = 0, **kwargs,
) -> Fixture:
    """Two leg channels of random digital values (plus whatever kwargs say)."""
    rng = np.random.default_rng(seed)
    hi = 32767 if fmt == "EDF" else 8388607
    extra = {} if fmt == "EDF" else {"pmin": -8000.0, "pmax": 8000.0, "dmin": -hi - 1, "dmax": hi}
    signals = [
        Sig(lab, rng.integers(-hi // 4, hi // 4, n_records * spr), spr, **extra) for lab in labels
    ]
    return Fixture(signals=signals, n_records=n_records, fmt=fmt, **kwargs)


# -- checks of the writer against independent readers ------------------------

def test_writer_matches_pyedflib(tmp_path):
    import pyedflib

    fx = legs_fixture(reserved="EDF+C", annotations=[(2.0, 30.0, "Sleep stage W")])
    path = write_fixture(tmp_path / "w.edf", fx)
    with pyedflib.EdfReader(str(path)) as reader:
        assert reader.getSignalLabels() == ["LAT", "RAT"]
        assert reader.getSampleFrequency(0) == 256
        np.testing.assert_array_equal(reader.readSignal(1, digital=True), fx.signals[1].digital)
        onsets, durations, texts = reader.readAnnotations()
    assert list(texts) == ["Sleep stage W"] and onsets[0] == 2.0 and durations[0] == 30.0


def test_writer_bdf_matches_edfio(tmp_path):
    import edfio

    fx = legs_fixture(fmt="BDF", n_records=2, spr=64)
    path = write_fixture(tmp_path / "w.bdf", fx)
    bdf = edfio.read_bdf(path)
    np.testing.assert_array_equal(bdf.signals[0].digital, fx.signals[0].digital)
