"""The EDF/BDF header, validated strictly, and the EDF+ time keeping.

Samples and annotation texts are read through edfio and pyedflib
(:mod:`plms.io._readers`); only what those libraries cannot do is done here:

* Strict validation, which edfio has no API for: it silently "repairs" a
  truncated file or a header with ``-1`` records (it only warns and shrinks
  the record count) and does not check the header size. EDFlib (pyedflib)
  checks, but refuses with a terse "not EDF(+) compliant (Digital Minimum)"
  and also refuses readable files (any non-ASCII header byte, e.g. 0xB5 in
  'µV'), so it cannot be the gate. Here the record count, record duration,
  header size and file size must agree, and every problem is one
  :class:`~plms.errors.PlmsInputError` sentence naming the field.
* The start of each data record (EDF+ time-keeping annotations), for the
  sub-second start and the EDF+D contiguity check: neither library exposes
  the record starts (edfio's ``is_continuous`` is a bare yes/no with exact
  decimal equality, EDFlib keeps them to itself), and the error must say
  which record leaves a gap.

Layout: EDF spec, https://www.edfplus.info/specs/edf.html and edfplus.html.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import numpy.typing as npt

from plms.errors import PlmsInputError

#: Size of the fixed part of the header, and of each signal's header.
FIXED_HEADER_BYTES = 256
SIGNAL_HEADER_BYTES = 256
#: First 8 bytes of an EDF file (the version '0', space padded) and of a BDF file.
EDF_VERSION = b"0       "
BDF_VERSION = b"\xffBIOSEMI"
#: Bytes per sample.
EDF_SAMPLE_BYTES = 2
BDF_SAMPLE_BYTES = 3
#: Bytes read from the data records at a time (no memory map: the pages of a
#: mapped file count in the resident memory of the process).
READ_CHUNK_BYTES = 1 << 23
#: Labels of EDF+/BDF+ annotation signals.
ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")
#: Encoding edfio is told to use for the header: latin-1 decodes every byte, so
#: edfio never fails on one. plms reads the texts itself (:func:`decode_header_text`).
HEADER_ENCODING = "latin-1"
#: Encoding tried first for a header text field (labels, units...): the EDF spec
#: asks for ASCII, but real files carry UTF-8 (``Jambe gauche é`` written by a
#: Unicode-aware recorder) or latin-1 (a single byte 0xB5 for 'µ', 0xE9 for 'é').
HEADER_FIRST_ENCODING = "utf-8"
#: Two-digit years from this one on are 19xx (EDF spec: 1985-2084).
EDF_CENTURY_PIVOT = 85

#: Fixed header fields: name and width in bytes, in file order.
_FIXED_FIELDS = (
    ("version", 8), ("patient", 80), ("recording", 80), ("startdate", 8),
    ("starttime", 8), ("header_bytes", 8), ("reserved", 44), ("n_records", 8),
    ("record_duration", 8), ("n_signals", 4),
)
#: Signal header fields: name and width; each field is stored for all signals in turn.
_SIGNAL_FIELDS = (
    ("label", 16), ("transducer", 80), ("unit", 8), ("physical_min", 8),
    ("physical_max", 8), ("digital_min", 8), ("digital_max", 8),
    ("prefiltering", 80), ("samples_per_record", 8), ("reserved", 32),
)
#: Numeric signal header fields: name, wording in messages, type.
_SIGNAL_NUMBERS = (
    ("samples_per_record", "number of samples per record", int),
    ("physical_min", "physical minimum", float),
    ("physical_max", "physical maximum", float),
    ("digital_min", "digital minimum", int),
    ("digital_max", "digital maximum", int),
)
#: Header fields of free text (the others are the version, numbers, dates and times).
TEXT_FIELDS = ("patient", "recording", "label", "transducer", "unit", "prefiltering")


def text_field_spans(n_signals: int) -> list[tuple[int, int]]:
    """``(offset, width)`` in the header of every :data:`TEXT_FIELDS` field of a file.

    >>> text_field_spans(2)[:3], text_field_spans(2)[-1]
    ([(8, 80), (88, 80), (256, 16)], (608, 80))
    """
    spans = []
    pos = 0
    for name, width in _FIXED_FIELDS:
        if name in TEXT_FIELDS:
            spans.append((pos, width))
        pos += width
    for name, width in _SIGNAL_FIELDS:
        if name in TEXT_FIELDS:
            spans.extend((pos + k * width, width) for k in range(n_signals))
        pos += width * n_signals
    return spans


_DATE_OR_TIME = re.compile(r"\s*(\d{1,2})[.:'/ -](\d{1,2})[.:'/ -](\d{1,2})\s*")
_EDFPLUS_STARTDATE = re.compile(r"Startdate \d{2}-[A-Z]{3}-(\d{4})\b")



@dataclass(frozen=True)
class SignalHeader:
    """One signal's header fields and where its samples sit in a data record."""

    index: int
    label: str
    transducer: str
    unit: str
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int
    prefiltering: str
    samples_per_record: int
    byte_offset: int

    @property
    def is_annotation(self) -> bool:
        """Whether this is an EDF+/BDF+ annotation signal."""
        return self.label in ANNOTATION_LABELS

    @property
    def gain(self) -> float:
        """Physical units per digital step (the header's calibration)."""
        return (self.physical_max - self.physical_min) / (self.digital_max - self.digital_min)

    @property
    def offset(self) -> float:
        """The physical value of digital 0: ``physical = digital * gain + offset``."""
        return self.physical_min - self.digital_min * self.gain


@dataclass(frozen=True)
class EdfHeader:
    """A validated EDF/BDF header: every size in it agrees with the file."""

    path: Path
    fmt: str  # "EDF" or "BDF"
    reserved: str
    recording_id: str
    start: dt.datetime
    header_bytes: int
    n_records: int
    record_duration_s: float
    signals: tuple[SignalHeader, ...]

    @property
    def sample_bytes(self) -> int:
        """Bytes per sample (2 for EDF, 3 for BDF)."""
        return EDF_SAMPLE_BYTES if self.fmt == "EDF" else BDF_SAMPLE_BYTES

    @property
    def record_bytes(self) -> int:
        """Bytes per data record."""
        return self.sample_bytes * sum(s.samples_per_record for s in self.signals)

    @property
    def duration_s(self) -> float:
        """Recorded time: number of records times record duration."""
        return self.n_records * self.record_duration_s

    @property
    def is_plus(self) -> bool:
        """Whether the header declares EDF+/BDF+."""
        return self.reserved.startswith(("EDF+", "BDF+"))

    @property
    def is_discontinuous(self) -> bool:
        """Whether the header declares EDF+D/BDF+D."""
        return self.is_plus and self.reserved[4:5] == "D"

    @property
    def file_type(self) -> str:
        """``EDF``, ``EDF+C``, ``EDF+D``, ``BDF`` or ``BDF+``."""
        if self.fmt == "BDF":
            return "BDF+" if self.is_plus else "BDF"
        if not self.is_plus:
            return "EDF"
        return "EDF+D" if self.is_discontinuous else "EDF+C"

    @property
    def ordinary_signals(self) -> tuple[SignalHeader, ...]:
        """Signals that hold samples (not annotations)."""
        return tuple(s for s in self.signals if not s.is_annotation)

    @property
    def annotation_signals(self) -> tuple[SignalHeader, ...]:
        """EDF+/BDF+ annotation signals; the first holds the time keeping."""
        return tuple(s for s in self.signals if s.is_annotation)

    def sampling_rate(self, signal: SignalHeader) -> float:
        """Samples per second of ``signal``."""
        return signal.samples_per_record / self.record_duration_s


def decode_header_text(raw: bytes) -> str:
    """One header field as text: UTF-8 when its bytes are valid UTF-8, else latin-1.

    ASCII (what the spec asks for) reads the same either way. A latin-1 text
    is almost never valid UTF-8 (an accented letter alone is an invalid UTF-8
    byte), so the order cannot mistake one for the other in practice, and
    latin-1 decodes every byte, so nothing is ever refused. Each field is
    decoded on its own: a file may mix them.

    >>> decode_header_text(b"Jambe gauche \\xc3\\xa9  "), decode_header_text(b"Jambe droite \\xe9")
    ('Jambe gauche é', 'Jambe droite é')
    >>> decode_header_text(b"\\xb5V      "), decode_header_text(b"\\xc2\\xb5V")
    ('µV', 'µV')
    """
    try:
        text = raw.decode(HEADER_FIRST_ENCODING)
    except UnicodeDecodeError:
        text = raw.decode(HEADER_ENCODING)
    return text.strip()


def _text(raw: bytes) -> str:
    return decode_header_text(raw)


def _number(raw: bytes, what: str, path: Path, kind: type = float) -> float:
    """Parse a numeric header field or raise a clear error."""
    text = _text(raw)
    try:
        value = kind(text)
    except ValueError:
        raise PlmsInputError(
            f"the header is corrupt: the {what} is not a number ({text!r})", path=path
        ) from None
    if not np.isfinite(value):
        raise PlmsInputError(f"the header is corrupt: the {what} is {text!r}", path=path)
    return value


def _start(startdate: bytes, starttime: bytes, recording_id: str, path: Path) -> dt.datetime:
    """Header start date and time as a naive local datetime."""
    date = _DATE_OR_TIME.fullmatch(_text(startdate))
    time = _DATE_OR_TIME.fullmatch(_text(starttime))
    if date is None or time is None:
        raise PlmsInputError(
            f"the header is corrupt: the start date/time {_text(startdate)!r} "
            f"{_text(starttime)!r} is not dd.mm.yy hh.mm.ss",
            path=path,
        )
    day, month, yy = (int(g) for g in date.groups())
    year = 1900 + yy if yy >= EDF_CENTURY_PIVOT else 2000 + yy
    full = _EDFPLUS_STARTDATE.search(recording_id)  # EDF+ keeps the 4-digit year here
    if full and int(full.group(1)) % 100 == yy:
        year = int(full.group(1))
    hour, minute, second = (int(g) for g in time.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise PlmsInputError(
            f"the header is corrupt: the start date/time {_text(startdate)!r} "
            f"{_text(starttime)!r} is not a valid date and time",
            path=path,
        ) from None


def _read_header_bytes(path: Path) -> tuple[bytes, bytes, str]:
    """The fixed header, all signal headers, and the format ('EDF'/'BDF')."""
    if not path.exists():
        raise PlmsInputError("the file does not exist", path=path)
    if path.is_dir():
        raise PlmsInputError("this is a directory, not an EDF or BDF file", path=path)
    with path.open("rb") as f:
        fixed = f.read(FIXED_HEADER_BYTES)
        version = fixed[:8]
        if not fixed:
            raise PlmsInputError("the file is empty", path=path)
        if version == BDF_VERSION:
            fmt = "BDF"
        elif version.rstrip(b" \x00") == b"0":
            fmt = "EDF"
        else:
            raise PlmsInputError(
                "not an EDF or BDF file: it does not start with the EDF version '0' "
                "or the BDF mark 0xFF 'BIOSEMI'",
                path=path,
            )
        if len(fixed) < FIXED_HEADER_BYTES:
            raise PlmsInputError(
                f"the file is truncated: it has {len(fixed)} bytes, fewer than the "
                f"{FIXED_HEADER_BYTES} of a header",
                path=path,
            )
        n_signals = int(_number(fixed[252:256], "number of signals", path, int))
        if n_signals < 1:
            raise PlmsInputError(f"the header declares {n_signals} signals", path=path)
        signal_part = f.read(SIGNAL_HEADER_BYTES * n_signals)
    if len(signal_part) < SIGNAL_HEADER_BYTES * n_signals:
        raise PlmsInputError(
            f"the file is truncated: it ends inside the header of its {n_signals} signals",
            path=path,
        )
    return fixed, signal_part, fmt


def _split_fields(
    raw: bytes, fields: tuple[tuple[str, int], ...], count: int
) -> dict[str, list[bytes]]:
    """Cut header bytes into named fields, ``count`` values each."""
    out: dict[str, list[bytes]] = {}
    pos = 0
    for name, width in fields:
        out[name] = [raw[pos + i * width: pos + (i + 1) * width] for i in range(count)]
        pos += width * count
    return out


def _signal_headers(
    raw: bytes, n: int, sample_bytes: int, path: Path
) -> tuple[SignalHeader, ...]:
    """Parse the ``n`` signal headers and place each signal in the data record."""
    cols = _split_fields(raw, _SIGNAL_FIELDS, n)
    signals = []
    offset = 0
    for i in range(n):
        label = _text(cols["label"][i])
        numbers = {
            name: _number(cols[name][i], f"{what} of signal {i + 1} ({label!r})", path, kind)
            for name, what, kind in _SIGNAL_NUMBERS
        }
        spr = int(numbers["samples_per_record"])
        if spr < 1:
            raise PlmsInputError(
                f"the header is corrupt: signal {i + 1} ({label!r}) has {spr} samples per record",
                path=path,
            )
        signals.append(SignalHeader(
            index=i, label=label, transducer=_text(cols["transducer"][i]),
            unit=_text(cols["unit"][i]),
            physical_min=numbers["physical_min"], physical_max=numbers["physical_max"],
            digital_min=int(numbers["digital_min"]), digital_max=int(numbers["digital_max"]),
            prefiltering=_text(cols["prefiltering"][i]), samples_per_record=spr,
            byte_offset=offset,
        ))
        offset += spr * sample_bytes
    return tuple(signals)


def read_header(path: str | PathLike[str]) -> EdfHeader:
    """Read and validate the header of an EDF/EDF+/BDF/BDF+ file.

    Raises
    ------
    PlmsInputError
        The file is missing, not EDF/BDF, truncated, or its header
        contradicts the file size.
    """
    path = Path(path)
    fixed_raw, signal_raw, fmt = _read_header_bytes(path)
    fixed = {name: raw[0] for name, raw in _split_fields(fixed_raw, _FIXED_FIELDS, 1).items()}
    n_signals = len(signal_raw) // SIGNAL_HEADER_BYTES
    header_bytes = int(_number(fixed["header_bytes"], "header size", path, int))
    expected = FIXED_HEADER_BYTES + SIGNAL_HEADER_BYTES * n_signals
    if header_bytes != expected:
        raise PlmsInputError(
            f"the header is corrupt: it gives its size as {header_bytes} bytes, but "
            f"{n_signals} signals make {expected}",
            path=path,
        )
    sample_bytes = EDF_SAMPLE_BYTES if fmt == "EDF" else BDF_SAMPLE_BYTES
    signals = _signal_headers(signal_raw, n_signals, sample_bytes, path)
    recording_id = _text(fixed["recording"])
    header = EdfHeader(
        path=path, fmt=fmt, reserved=_text(fixed["reserved"]), recording_id=recording_id,
        start=_start(fixed["startdate"], fixed["starttime"], recording_id, path),
        header_bytes=header_bytes,
        n_records=int(_number(fixed["n_records"], "number of data records", path, int)),
        record_duration_s=_number(fixed["record_duration"], "data record duration", path),
        signals=signals,
    )
    _check_sizes(header)
    return header


def _check_sizes(header: EdfHeader) -> None:
    """The record count, record duration and file length must agree."""
    path = header.path
    if header.n_records < 0:
        raise PlmsInputError(
            f"the header gives {header.n_records} data records (the recorder did not "
            "finish the file); repair the header, e.g. with EDFbrowser",
            path=path,
        )
    if header.n_records == 0:
        raise PlmsInputError("the file holds no data records", path=path)
    if header.record_duration_s < 0 or (header.record_duration_s == 0 and header.ordinary_signals):
        raise PlmsInputError(
            f"the header is corrupt: the data record duration is {header.record_duration_s:g} s",
            path=path,
        )
    size = path.stat().st_size
    expected = header.header_bytes + header.n_records * header.record_bytes
    if size < expected:
        complete = (size - header.header_bytes) // header.record_bytes
        raise PlmsInputError(
            f"the file is truncated: the header announces {header.n_records} data records "
            f"({expected} bytes) but the file has {size} bytes, {complete} complete records",
            path=path,
        )
    if size > expected:
        raise PlmsInputError(
            f"the file is longer than its header says: {header.n_records} data records of "
            f"{header.record_bytes} bytes make {expected} bytes, the file has {size}",
            path=path,
        )


def read_records(header: EdfHeader, first: int, last: int) -> npt.NDArray[np.uint8]:
    """The raw bytes of data records ``first:last``, one row per record.

    One seek and one read (no memory map: the pages of a mapped file count in
    the resident memory of the process).
    """
    try:
        with open(header.path, "rb") as fh:
            fh.seek(header.header_bytes + first * header.record_bytes)
            raw = np.fromfile(fh, dtype=np.uint8, count=(last - first) * header.record_bytes)
    except OSError as exc:   # moved or deleted since its header was read
        raise PlmsInputError(f"the data records cannot be read ({exc.strerror or exc})",
                             path=header.path) from exc
    if raw.size != (last - first) * header.record_bytes:
        raise PlmsInputError(
            f"the file ends inside data record {first + raw.size // header.record_bytes + 1} "
            "(it was cut after its header was read)", path=header.path)
    return raw.reshape(last - first, header.record_bytes)


def record_samples(header: EdfHeader, signal: SignalHeader, rows: npt.NDArray[np.uint8]
                   ) -> npt.NDArray[np.int32]:
    """The integer samples of one signal in records read by :func:`read_records`."""
    off, width = signal.byte_offset, header.sample_bytes
    return decode_samples(rows[:, off: off + signal.samples_per_record * width], width)


def decode_samples(raw: npt.NDArray[np.uint8], width: int) -> npt.NDArray[np.int32]:
    """Integers from samples of ``width`` bytes (EDF 2; BDF 3, 24-bit two's complement).
    >>> decode_samples(np.array([1, 0, 255, 255, 0, 128], np.uint8), 3).tolist()
    [-65535, -8388353]
    """
    cols = raw.reshape(-1, width)
    if width == EDF_SAMPLE_BYTES:
        return cols.view("<i2").reshape(-1).astype(np.int32)
    return (cols[:, 0].astype(np.int32) | (cols[:, 1].astype(np.int32) << 8)
            | (cols[:, 2].view(np.int8).astype(np.int32) << 16))


def read_digital_range(header: EdfHeader, signal: SignalHeader, start: int, stop: int
                       ) -> npt.NDArray[np.int32]:
    """The integer samples ``start:stop`` of one signal (clipped to its length), read from
    the records holding them only (one seek and one read, :func:`read_records`)."""
    spr = signal.samples_per_record
    start, stop = max(0, start), min(stop, header.n_records * spr)
    if stop <= start:
        return np.zeros(0, dtype=np.int32)
    first, last = start // spr, -(-stop // spr)
    values = record_samples(header, signal, read_records(header, first, last))
    return values[start - first * spr: stop - first * spr]
