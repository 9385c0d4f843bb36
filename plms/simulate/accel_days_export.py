"""Write a simulated multi-day recording: a streamed EDF+, CSV, and truth TSVs.

:func:`write_accel_days_edf` renders and writes one segment (a night at
most) at a time, so a 7-day two-ankle 100-Hz recording is written without
holding it: the peak is one night's simulation. Its channels are those of
:func:`plms.simulate.write_accel_edf` (``Ankle L X`` ..., g, +-range over
the 16-bit range, 1-s records); the truth goes to TSV sidecars
(:func:`write_accel_days_truth`), not into the EDF (no annotations).

>>> import tempfile, pathlib
>>> from plms.simulate.accel_days_plan import DaysSpec
>>> spec = DaysSpec(days=1, fs_hz=25, sides=("left",), duration_h=1, nonwear=False)
>>> with tempfile.TemporaryDirectory() as d:
...     days = write_accel_days_edf(0, spec, pathlib.Path(d) / "x.edf")
...     days.duration_s
3600.0
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyedflib

from plms.outputs.atomic import atomic_path
from plms.outputs.edf_plus import EDF_DIGITAL
from plms.simulate.accel import SIDE_LABELS
from plms.simulate.accel_days import SimulatedAccelDays, _Nights, days_truth, iter_accel_days, \
    simulate_accel_days
from plms.simulate.accel_days_plan import DaysSpec, plan_days
from plms.simulate.accel_export import AXES, CSV_DECIMALS, timestamps

#: Data records written per call (bounded buffer), and the EDF record length (s).
RECORDS_PER_WRITE = 600
RECORD_S = 1
EQUIPMENT = "plms.simulate"
#: Truth sidecars written by write_accel_days_truth (suffix of STEM).
TRUTH_SUFFIXES = ("nights", "lms", "naps", "nonwear", "segments", "hypnogram")


def _digital(x: npt.NDArray[np.float32], top: float) -> npt.NDArray[np.int32]:
    lo, hi = EDF_DIGITAL
    scaled = (np.clip(x.astype(np.float64), -top, top) + top) / (2 * top) * (hi - lo) + lo
    return np.rint(scaled).astype(np.int32)


def write_accel_days_edf(seed: int, spec: DaysSpec, path: str | os.PathLike[str],
                         ) -> SimulatedAccelDays:
    """Render recording ``seed`` and stream it into one EDF+ file (replaced atomically).

    Parameters
    ----------
    seed : int
    spec : DaysSpec
    path : path-like
        Target ``.edf``.

    Returns
    -------
    SimulatedAccelDays
        The truth, with ``signals`` empty (give it to :func:`write_accel_days_truth`).
    """
    if not isinstance(spec, DaysSpec):
        raise TypeError(f"spec must be a DaysSpec, got {type(spec).__name__}")
    fs = int(spec.fs_hz)
    plan = plan_days(seed, spec)
    labels = [f"{SIDE_LABELS[s]} {axis}" for s in spec.sides for axis in AXES]
    top = float(spec.range_g)
    store = _Nights()
    final = Path(path)
    with atomic_path(final) as tmp:
        writer = pyedflib.EdfWriter(str(tmp), len(labels), file_type=pyedflib.FILETYPE_EDFPLUS)
        try:
            writer.setSignalHeaders([{
                "label": label, "dimension": "g", "sample_frequency": fs,
                "physical_min": -top, "physical_max": top,
                "digital_min": EDF_DIGITAL[0], "digital_max": EDF_DIGITAL[1],
                "transducer": "accelerometer", "prefilter": ""} for label in labels])
            writer.setStartdatetime(spec.start)
            writer.setEquipment(EQUIPMENT)
            writer.setPatientCode(f"SIM{int(seed)}")
            for _, pieces in iter_accel_days(seed, spec, plan=plan, nights=store):
                _write_piece(writer, [pieces[SIDE_LABELS[s]] for s in spec.sides], fs, top)
        finally:
            writer.close()
    return days_truth(seed, spec, plan, store, {})


def _write_piece(writer: pyedflib.EdfWriter, sides: list[npt.NDArray[np.float32]], fs: int,
                 top: float) -> None:
    """Write whole 1-s records of every channel (pieces are whole epochs)."""
    n = sides[0].shape[0]
    if n % fs:
        raise ValueError(f"a piece of {n} samples is not whole records of {fs}")
    width = fs * len(AXES) * len(sides)
    for r0 in range(0, n // fs, RECORDS_PER_WRITE):
        m = min(RECORDS_PER_WRITE, n // fs - r0)
        block = np.empty((m, width), dtype=np.int32)
        for k, x in enumerate(sides):
            d = _digital(x[r0 * fs:(r0 + m) * fs], top)
            for axis in range(len(AXES)):
                col = (k * len(AXES) + axis) * fs
                block[:, col:col + fs] = d[:, axis].reshape(m, fs)
        for row in block:
            if writer.blockWriteDigitalSamples(np.ascontiguousarray(row)) != 0:
                raise OSError("pyedflib could not write a data record")


def write_accel_days_csv(days: SimulatedAccelDays, path: str | os.PathLike[str],
                         side: str) -> Path:
    """One ankle of an in-memory recording as CSV: ``timestamp, x, y, z`` (g), for short ones."""
    if side not in days.sides:
        raise ValueError(f"side must be one of {sorted(days.sides)}, got {side!r}")
    data = days.signals[days.sides[side]]
    table = pd.DataFrame({"timestamp": timestamps(data.shape[0], days.fs, days.start),
                          "x": data[:, 0], "y": data[:, 1], "z": data[:, 2]})
    final = Path(path)
    with atomic_path(final) as tmp:
        table.to_csv(tmp, index=False, float_format=f"%.{CSV_DECIMALS}f")
    return final


def write_accel_days_truth(days_or_seed: SimulatedAccelDays | int, out_dir: str | os.PathLike[str],
                           stem: str, spec: DaysSpec | None = None) -> list[Path]:
    """Write the truth as TSVs ``OUT/STEM.{nights,lms,naps,nonwear,segments,hypnogram}.tsv``.

    ``days_or_seed``: a simulated recording (signals may be empty), or a seed
    (simulated here with ``spec``: costs the rendering, held in memory).
    The hypnogram TSV has ``onset``, ``duration``, ``stage`` per 30-s epoch.
    """
    days = days_or_seed if isinstance(days_or_seed, SimulatedAccelDays) else \
        simulate_accel_days(int(days_or_seed), spec)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    h = days.hypnogram
    tables = {"nights": days.truth_nights, "lms": days.truth_lms, "naps": days.naps,
              "nonwear": days.nonwear, "segments": days.segments,
              "hypnogram": pd.DataFrame({"onset": h.epoch_onsets, "duration": h.epoch_s,
                                         "stage": h.stages})}
    paths = []
    for suffix in TRUTH_SUFFIXES:
        final = out / f"{stem}.{suffix}.tsv"
        with atomic_path(final) as tmp:
            tables[suffix].to_csv(tmp, sep="\t", index=False, na_rep="n/a")
        paths.append(final)
    return paths
