"""Read raw accelerometer device files: Axivity .cwa, GENEActiv .bin, ActiGraph .gt3x.

The files are decoded by scikit-digital-health (``skdh.io.ReadCwa``,
``skdh.io.ReadBin``) and pygt3x, the optional extra
``pip install 'plms[devices]'``; they are imported only when such a file is
read. All three give acceleration in g and a timestamp per sample (the
device's local clock, as Unix seconds without a time zone).

The timestamps are checked like a table's
(:func:`plms.io.accel.csv.check_timeline`); the sampling rate used is the
one they give (a device's real rate may differ from its nominal one by a few
percent). Device clocks put short jumps at page or block boundaries (the
GENEActiv sample has one of 0.5 s), so gaps up to
:data:`DEVICE_MAX_FILLED_GAP_S` are filled by holding the last sample, with
a warning; a longer gap is an error.

The GENEActiv decoder crashes the interpreter on a damaged file, so its
layout is checked first. An Axivity file cut at a 512-byte block boundary
cannot be told from a shorter recording and is read as one.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
import warnings
from os import PathLike
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from plms.errors import PlmsInputError
from plms.io.accel._common import AccelRecording, clipped_at_range, make_signal
from plms.io.accel.csv import check_timeline, fill_gaps
from plms.io.accel.labels import assign_sides

#: Gaps in a device's timestamps up to this long are filled (see module docstring).
DEVICE_MAX_FILLED_GAP_S = 1.0
#: Longest library message quoted in an error.
MAX_QUOTED_CHARS = 200
#: Axivity files are made of blocks of this many bytes, the first being the header.
CWA_BLOCK_BYTES = 512
CWA_MAGIC = b"MD"
#: GENEActiv: first line, page marker, lines per page header, hex digits per sample.
GENEACTIV_MAGIC = b"Device Identity"
GENEACTIV_PAGE = b"Recorded Data"
GENEACTIV_PAGE_HEADER_LINES = 8
GENEACTIV_HEX_PER_SAMPLE = 12
_PAGE_COUNT = re.compile(rb"Number of Pages:\s*(\d+)")
_HEX = re.compile(rb"[0-9A-Fa-f]+")
_UNIX_EPOCH = dt.datetime(1970, 1, 1)
#: Device name by suffix, and the module that reads it.
DEVICES = {".cwa": ("Axivity", "skdh.io"), ".bin": ("GENEActiv", "skdh.io"),
           ".gt3x": ("ActiGraph", "pygt3x.reader")}


def _library(suffix: str, path: Path) -> ModuleType:
    module = DEVICES[suffix][1]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise PlmsInputError(f"reading {suffix} files needs the optional extra: "
                             "pip install 'plms[devices]'", path=path) from None


def _quote(exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= MAX_QUOTED_CHARS else text[:MAX_QUOTED_CHARS] + "..."


def _check_cwa(raw_size: int, head: bytes, path: Path) -> None:
    if not head.startswith(CWA_MAGIC):
        raise PlmsInputError("not an Axivity .cwa file (no header block)", path=path)
    if raw_size < 2 * CWA_BLOCK_BYTES:
        raise PlmsInputError(f"the file is truncated: {raw_size} bytes, less than a header "
                             "and one data block", path=path)
    if raw_size % CWA_BLOCK_BYTES:
        raise PlmsInputError(
            f"the file is truncated: its size ({raw_size} bytes) is not a whole number of "
            f"{CWA_BLOCK_BYTES}-byte blocks", path=path)


def _check_geneactiv(content: bytes, path: Path) -> None:
    """Every page the header announces is there, with a complete data line."""
    count = _PAGE_COUNT.search(content)
    if not content.startswith(GENEACTIV_MAGIC) or count is None:
        raise PlmsInputError("not a GENEActiv .bin file (no 'Device Identity' header "
                             "with a page count)", path=path)
    pages = content.split(GENEACTIV_PAGE)[1:]
    expected = int(count.group(1))
    if len(pages) != expected:
        raise PlmsInputError(f"the file is truncated: the header announces {expected} pages, "
                             f"only {len(pages)} found", path=path)
    width = None
    for k, page in enumerate(pages):
        lines = page.strip().splitlines()
        data = lines[-1].strip() if len(lines) > GENEACTIV_PAGE_HEADER_LINES else b""
        width = width or len(data)
        if (not data or len(data) != width or len(data) % GENEACTIV_HEX_PER_SAMPLE
                or not _HEX.fullmatch(data)):
            raise PlmsInputError(f"the file is truncated or damaged: page {k + 1} of "
                                 f"{expected} has no complete data line", path=path)


def _decode_skdh(path: Path, suffix: str) -> tuple[npt.NDArray[Any], npt.NDArray[Any], float]:
    module = _library(suffix, path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            content = handle.read() if suffix == ".bin" else handle.read(CWA_BLOCK_BYTES)
    except OSError as exc:
        raise PlmsInputError(f"cannot be read ({exc.strerror or exc})", path=path) from None
    if suffix == ".cwa":
        _check_cwa(size, content, path)
        reader = module.ReadCwa()
    else:
        _check_geneactiv(content, path)
        reader = module.ReadBin()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = reader.predict(file=str(path))
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - any decoder failure is one input error
            raise PlmsInputError(f"the {DEVICES[suffix][0]} file cannot be decoded "
                                 f"(scikit-digital-health says {_quote(exc)})",
                                 path=path) from None
    if "accel" not in result or "time" not in result:
        raise PlmsInputError(f"the {DEVICES[suffix][0]} file holds no acceleration", path=path)
    return np.asarray(result["accel"]), np.asarray(result["time"]), float(result["fs"])


def _decode_gt3x(path: Path) -> tuple[npt.NDArray[Any], npt.NDArray[Any], float, float]:
    """Acceleration, times, nominal rate and share of idle-sleep-mode samples."""
    module = _library(".gt3x", path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with module.FileReader(str(path)) as reader:
                frame = reader.to_pandas()
                fs = float(reader.info.sample_rate)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise PlmsInputError(f"the ActiGraph file cannot be decoded (pygt3x says "
                                 f"{_quote(exc)})", path=path) from None
    idle = frame["IdleSleepMode"].to_numpy(dtype=bool) if "IdleSleepMode" in frame else None
    accel = frame[["X", "Y", "Z"]].to_numpy(dtype=np.float64)
    idle_share = float(idle.mean()) if idle is not None and idle.size else 0.0
    return accel, frame.index.to_numpy(dtype=np.float64), fs, idle_share


def read_accel_device(
    path: str | PathLike[str], *, side: str | None = None,
    max_gap_s: float = DEVICE_MAX_FILLED_GAP_S,
) -> AccelRecording:
    """Read an Axivity (.cwa), GENEActiv (.bin) or ActiGraph (.gt3x) file.

    Parameters
    ----------
    path : path-like
    side : {"left", "right"}, optional
        The leg the device was on; without it the device is scored as left,
        with a warning.
    max_gap_s : float
        Gaps in the timestamps up to this long are filled; a longer one is an
        error.

    Raises
    ------
    PlmsInputError
        The optional extra is not installed; the file is not of its kind,
        truncated or damaged; timestamps go back or leave a long gap; values
        cannot be g.

    Examples
    --------
    >>> read_accel_device("night.xyz")
    Traceback (most recent call last):
    ...
    plms.errors.PlmsInputError: night.xyz: not a device file plms reads (.cwa, .bin, .gt3x)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DEVICES:
        raise PlmsInputError(f"not a device file plms reads ({', '.join(DEVICES)})", path=path)
    if not path.is_file():
        raise PlmsInputError("the file does not exist", path=path)
    notes: list[str] = []
    if suffix == ".gt3x":
        accel, times, nominal, idle_share = _decode_gt3x(path)
        if idle_share:
            notes.append(f"the ActiGraph was in idle sleep mode for {idle_share:.1%} of the "
                         "time (the last sample is repeated there)")
    else:
        accel, times, nominal = _decode_skdh(path, suffix)
    name = DEVICES[suffix][0]
    if accel.ndim != 2 or accel.shape[0] != times.shape[0]:
        raise PlmsInputError(f"the {name} file gives acceleration of shape {accel.shape} for "
                             f"{times.shape[0]} timestamps", path=path)
    timeline = check_timeline(times, path=path, place=lambda k: f"sample {k + 1}",
                              fs=nominal, fs_is_nominal=True,
                              max_gap_s=max_gap_s)
    notes += timeline.notes
    placed, side_notes = assign_sides([name], lambda _: None, lambda d: d, side, path)
    leg = next(iter(placed))
    data_g = fill_gaps(accel, timeline.positions)
    clipped, range_g = clipped_at_range(data_g)
    signal, signal_notes = make_signal(
        label=name, side=leg, data_g=data_g, axes=("x", "y", "z"),
        channel_labels=("x", "y", "z"), fs=timeline.fs, unit="g", path=path,
        clipped_fraction=clipped, range_g=range_g)
    return AccelRecording(
        path=path, start=_UNIX_EPOCH + dt.timedelta(seconds=float(times[0])),
        duration_s=signal.duration_s, signals={leg: signal}, file_type=name,
        warnings=tuple(side_notes + notes + signal_notes),
    )
