"""Samples and annotation texts of an EDF/BDF file, read through edfio or pyedflib.

The header has already been validated by :mod:`plms.io._edfformat`; this
module only fetches content, and only what is asked for:

* EDF/EDF+: edfio with lazy loading (a memory map): only the wanted
  channels are copied out (about 20 ms per 8-h channel at 512 Hz).
* BDF/BDF+: pyedflib, which reads single channels. edfio cannot load a BDF
  lazily: it decodes the whole file (4 s and 3 GB for an 8-h night), so it
  is only the fallback for files that pyedflib (EDFlib) refuses, e.g. a
  0xB5 byte in a unit or an annotation signal with a non-standard range.
* Annotations: edfio (``Edf.annotations``) for EDF, pyedflib for BDF; a file
  the first library cannot parse (edfio requires UTF-8 annotation texts) is
  tried with the other one.

Digital values are taken rather than physical ones: plms scales them itself
(faster than either library, and the clipping count needs them anyway).
Every library failure becomes a :class:`~plms.errors.PlmsInputError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from plms.errors import PlmsInputError
from plms.io._edfformat import HEADER_ENCODING, EdfHeader, SignalHeader

if TYPE_CHECKING:  # pragma: no cover
    import edfio

    #: edfio's ordinary signals of one file.
    _EdfioSignals = tuple[edfio.EdfSignal | edfio.BdfSignal, ...]

#: An annotation: onset in seconds from the first sample, duration or None, text.
Item = tuple[float, float | None, str]
#: Longest library message quoted in an error.
MAX_QUOTED_CHARS = 200
_T = TypeVar("_T")


class _Reader(Protocol):
    name: str

    def digital(self, position: int) -> npt.NDArray[np.signedinteger]: ...

    def annotations(self) -> list[Item]: ...

    def close(self) -> None: ...


class _EdfioReader:
    """edfio: lazy (memory-mapped) for EDF, the whole file decoded for BDF."""

    name = "edfio"

    def __init__(self, header: EdfHeader, with_annotations: bool) -> None:
        del with_annotations  # edfio reads annotations on demand
        import edfio  # imported when used (a recording read on demand does without it)

        self._file: edfio.Edf | edfio.Bdf | None
        if header.fmt == "EDF":
            self._file = edfio.read_edf(
                header.path, lazy_load_data=True, header_encoding=HEADER_ENCODING
            )
        else:
            self._file = edfio.read_bdf(header.path, header_encoding=HEADER_ENCODING)
        # ordinary signals, in file order
        self._signals: _EdfioSignals | None = self._file.signals
        _check_count(len(self._signals), header)

    def _opened(self) -> tuple[edfio.Edf | edfio.Bdf, _EdfioSignals]:
        if self._file is None or self._signals is None:
            raise ValueError("the edfio reader is closed")
        return self._file, self._signals

    def digital(self, position: int) -> npt.NDArray[np.signedinteger]:
        return self._opened()[1][position].digital

    def annotations(self) -> list[Item]:
        return [(a.onset, a.duration, a.text) for a in self._opened()[0].annotations]

    def close(self) -> None:
        self._file = self._signals = None


class _PyedflibReader:
    """pyedflib (EDFlib): reads one channel at a time; strict about the header."""

    name = "pyedflib"

    def __init__(self, header: EdfHeader, with_annotations: bool) -> None:
        import pyedflib  # only BDF (and EDF fallbacks) need it: not on the EDF path

        mode = (pyedflib.READ_ALL_ANNOTATIONS if with_annotations
                else pyedflib.DO_NOT_READ_ANNOTATIONS)
        self._file = pyedflib.EdfReader(str(header.path), annotations_mode=mode)
        try:
            _check_count(self._file.signals_in_file, header)
        except ValueError:
            self._file.close()
            raise

    def digital(self, position: int) -> npt.NDArray[np.signedinteger]:
        return self._file.readSignal(position, digital=True)

    def annotations(self) -> list[Item]:
        onsets, durations, texts = self._file.readAnnotations()
        return [
            (float(onset), None if duration < 0 else float(duration), str(text))
            for onset, duration, text in zip(onsets, durations, texts, strict=True)
        ]

    def close(self) -> None:
        self._file.close()


def _check_count(found: int, header: EdfHeader) -> None:
    """Signals are addressed by position: the library must see the same ones."""
    expected = len(header.ordinary_signals)
    if found != expected:
        raise ValueError(f"it sees {found} signals besides annotations, the header has {expected}")


#: The reader classes, tried in turn.
_ReaderKind = type[_EdfioReader] | type[_PyedflibReader]


def _failure(exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= MAX_QUOTED_CHARS else text[:MAX_QUOTED_CHARS] + "..."


class LibraryFile:
    """An EDF/BDF file opened through the libraries, the preferred one first.

    ``prefer_unmapped`` prefers pyedflib for EDF too: it reads the file (edfio
    maps it in memory, and every page it touches, e.g. for the annotations
    spread over all data records, counts in the process's resident memory).

    Use as a context manager. Each read is tried with the preferred library
    and, if that one fails, with the other; only when both fail is it a
    :class:`PlmsInputError` (quoting the preferred library's complaint).
    """

    def __init__(self, header: EdfHeader, *, annotations: bool = False,
                 prefer_unmapped: bool = False) -> None:
        self.header = header
        self._with_annotations = annotations
        kinds = (_EdfioReader, _PyedflibReader) if header.fmt == "EDF" and not prefer_unmapped \
            else (_PyedflibReader, _EdfioReader)
        self._kinds: list[_ReaderKind] = list(kinds)
        self._open: dict[_ReaderKind, _Reader | BaseException] = {}

    def __enter__(self) -> LibraryFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close whatever reader was opened."""
        for reader in self._open.values():
            if not isinstance(reader, BaseException):
                reader.close()
        self._open.clear()

    def _reader(self, kind: _ReaderKind) -> _Reader:
        if kind not in self._open:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._open[kind] = kind(self.header, self._with_annotations)
            except MemoryError:
                raise
            except Exception as exc:  # noqa: BLE001 - any library failure is reported below
                self._open[kind] = exc
        reader = self._open[kind]
        if isinstance(reader, BaseException):
            raise reader
        return reader

    def _attempt(self, what: str, read: Callable[[_Reader], _T]) -> _T:
        failures: list[BaseException] = []
        for kind in self._kinds:
            try:
                reader = self._reader(kind)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return read(reader)
            except MemoryError:
                raise
            except Exception as exc:  # noqa: BLE001
                failures.append(exc)
        raise PlmsInputError(
            f"{what} cannot be read ({self._kinds[0].name} says {_failure(failures[0])})",
            path=self.header.path,
        )

    def digital(self, signal: SignalHeader) -> npt.NDArray[np.signedinteger]:
        """The integer samples of one ordinary signal (all its data records)."""
        position = self.header.ordinary_signals.index(signal)
        expected = self.header.n_records * signal.samples_per_record

        def read(reader: _Reader) -> npt.NDArray[np.signedinteger]:
            values = np.asarray(reader.digital(position))
            if values.size != expected:
                raise ValueError(f"{reader.name} gave {values.size} samples, not {expected}")
            return values

        return self._attempt(f"the samples of channel {signal.label!r}", read)

    def annotations(self) -> list[Item]:
        """Every annotation with a text, onsets from the first sample.

        Time-keeping annotations are not included.
        """
        if not self._with_annotations:
            raise RuntimeError("LibraryFile(..., annotations=True) is needed to read annotations")
        items = self._attempt(
            f"the {self.header.file_type} annotations", lambda reader: reader.annotations()
        )
        return [item for item in items if item[2]]
