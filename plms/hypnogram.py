"""The hypnogram: one sleep stage per scoring epoch, aligned to the recording.

Times are seconds from the recording start. Stages use one vocabulary
everywhere in plms, defined in :mod:`plms.stages` (``W``, ``N1``, ``N2``,
``N3``, ``R``, ``MT``, ``U`` and ``S``, sleep of unknown stage estimated from
actigraphy), with the codes other formats give them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from plms.stages import SLEEP_STAGES, STAGES, UNSTAGED_SLEEP, normalize_stage

if TYPE_CHECKING:  # pragma: no cover - pandas is imported when a summary is asked for
    import pandas as pd

__all__ = ["DEFAULT_EPOCH_S", "NO_STAGE", "SLEEP_STAGES", "STAGES", "UNSTAGED_SLEEP", "Hypnogram",
           "normalize_stage"]

#: Default scoring epoch length.
DEFAULT_EPOCH_S = 30.0
#: What ``stage_at`` answers for a time outside the hypnogram.
NO_STAGE = "n/a"


@dataclass(frozen=True, eq=False)
class Hypnogram:
    """Sleep stages, one per epoch, starting ``start_s`` seconds into the recording.

    Parameters
    ----------
    stages : sequence of str
        One label per epoch from :data:`STAGES` (use :meth:`from_labels` for
        other spellings).
    epoch_s : float
        Epoch length in seconds.
    start_s : float
        Start of the first epoch, in seconds from the recording start.
    lights_off_s, lights_on_s : float, optional
        Lights markers; time in bed (TIB) is limited to the epochs between them.

    Examples
    --------
    >>> h = Hypnogram.from_labels(["W", "N1", "N2", "N2", "REM", "W"])
    >>> h.tib_min, h.tst_min, h.wake_min
    (3.0, 2.0, 1.0)
    >>> h.stage_at([0.0, 45.0, 179.9, 180.0]).tolist()
    ['W', 'N1', 'W', 'n/a']
    """

    stages: npt.NDArray[np.str_]
    epoch_s: float = DEFAULT_EPOCH_S
    start_s: float = 0.0
    lights_off_s: float | None = None
    lights_on_s: float | None = None
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        stages = np.asarray(self.stages, dtype="<U2")
        unknown = sorted(set(stages.tolist()) - set(STAGES))
        if unknown:
            raise ValueError(f"unknown stage labels {unknown}; allowed: {', '.join(STAGES)}")
        if not self.epoch_s > 0:
            raise ValueError(f"epoch_s must be positive, got {self.epoch_s}")
        if (
            self.lights_off_s is not None
            and self.lights_on_s is not None
            and self.lights_on_s < self.lights_off_s
        ):
            raise ValueError(
                f"lights on ({self.lights_on_s} s) is before lights off ({self.lights_off_s} s)"
            )
        stages.setflags(write=False)
        object.__setattr__(self, "stages", stages)

    @classmethod
    def from_labels(
        cls,
        labels: Iterable[str | int],
        *,
        epoch_s: float = DEFAULT_EPOCH_S,
        start_s: float = 0.0,
        mapping: Mapping[str | int, str] | None = None,
        lights_off_s: float | None = None,
        lights_on_s: float | None = None,
        source: str | None = None,
    ) -> Hypnogram:
        """Build a hypnogram from labels in any common spelling.

        ``mapping`` translates labels (e.g. digits) first; its values must be
        stage names that :func:`normalize_stage` knows.
        """
        mapped = [mapping.get(lab, lab) if mapping else lab for lab in labels]
        stages = [normalize_stage(str(lab)) for lab in mapped]
        return cls(
            np.asarray(stages, dtype="<U2"),
            epoch_s=epoch_s,
            start_s=start_s,
            lights_off_s=lights_off_s,
            lights_on_s=lights_on_s,
            source=source,
        )

    # -- geometry --------------------------------------------------------
    @property
    def n_epochs(self) -> int:
        """Number of epochs."""
        return int(self.stages.size)

    @property
    def end_s(self) -> float:
        """End of the last epoch, seconds from the recording start."""
        return self.start_s + self.n_epochs * self.epoch_s

    @property
    def epoch_onsets(self) -> npt.NDArray[np.float64]:
        """Start of every epoch, seconds from the recording start."""
        return self.start_s + self.epoch_s * np.arange(self.n_epochs, dtype=float)

    def epoch_index(self, times: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Index of the epoch holding each time, -1 outside the hypnogram."""
        t = np.asarray(times, dtype=float)
        idx = np.floor((t - self.start_s) / self.epoch_s).astype(np.int64)
        idx[(idx < 0) | (idx >= self.n_epochs) | ~np.isfinite(t)] = -1
        return idx

    def stage_at(self, times: npt.ArrayLike) -> npt.NDArray[np.str_]:
        """Stage of the epoch holding each time (``'n/a'`` outside)."""
        idx = self.epoch_index(times)
        out = np.full(idx.shape, NO_STAGE, dtype="<U3")
        inside = idx >= 0
        out[inside] = self.stages[idx[inside]]
        return out

    def tib_mask(self) -> npt.NDArray[np.bool_]:
        """Per epoch: whether it lies in bed, between lights off and lights on.

        An epoch is in bed when it starts at or after lights off and ends at
        or before lights on (RULES.md section 5, TIB).
        """
        onsets = self.epoch_onsets
        mask = np.ones(self.n_epochs, dtype=bool)
        if self.lights_off_s is not None:
            mask &= onsets >= self.lights_off_s - _EPS
        if self.lights_on_s is not None:
            mask &= onsets + self.epoch_s <= self.lights_on_s + _EPS
        return mask

    def in_tib(self, times: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether each time falls in an in-bed epoch."""
        idx = self.epoch_index(times)
        tib = self.tib_mask()
        out = np.zeros(idx.shape, dtype=bool)
        inside = idx >= 0
        out[inside] = tib[idx[inside]]
        return out

    @property
    def staged(self) -> bool:
        """Whether sleep is staged; False when any epoch is unstaged sleep (``S``).

        Examples
        --------
        >>> Hypnogram.from_labels(["W", "S", "S"]).staged
        False
        """
        return not bool(np.any(self.stages == UNSTAGED_SLEEP))

    # -- figures ---------------------------------------------------------
    def minutes(self, stages: Sequence[str]) -> float:
        """Minutes in bed spent in any of ``stages``."""
        sel = np.isin(self.stages, list(stages)) & self.tib_mask()
        return float(sel.sum() * self.epoch_s / 60.0)

    @property
    def tib_min(self) -> float:
        """Time in bed in minutes: all scored epochs between the lights markers."""
        return float(self.tib_mask().sum() * self.epoch_s / 60.0)

    @property
    def tst_min(self) -> float:
        """Total sleep time in minutes: N1, N2, N3, R (and S) epochs in bed."""
        return self.minutes(SLEEP_STAGES)

    @property
    def wake_min(self) -> float:
        """Wake time in minutes: W epochs in bed."""
        return self.minutes(("W",))

    @property
    def sleep_efficiency(self) -> float | None:
        """TST over time in bed (a fraction, 0-1); None without time in bed.

        Time in bed is lights off to lights on, or the whole scored record
        without lights markers (:attr:`tib_min`).

        Examples
        --------
        >>> Hypnogram.from_labels(["W", "N1", "N2", "W"]).sleep_efficiency
        0.5
        """
        tib = self.tib_min
        return self.tst_min / tib if tib > 0 else None

    def _sleep_epochs_in_bed(self) -> npt.NDArray[np.int64]:
        return np.flatnonzero(np.isin(self.stages, SLEEP_STAGES) & self.tib_mask())

    @property
    def sleep_onset_s(self) -> float | None:
        """Start of the first sleep epoch in bed (s from the recording start); None: no sleep."""
        sleep = self._sleep_epochs_in_bed()
        return float(self.epoch_onsets[sleep[0]]) if sleep.size else None

    @property
    def sleep_offset_s(self) -> float | None:
        """End of the last sleep epoch in bed (s from the recording start); None: no sleep.

        Examples
        --------
        >>> Hypnogram.from_labels(["W", "N1", "W", "N2", "W"], lights_on_s=120.0).sleep_offset_s
        120.0
        >>> Hypnogram.from_labels(["W", "N1", "W", "N2", "W"], lights_on_s=90.0).sleep_offset_s
        60.0
        """
        sleep = self._sleep_epochs_in_bed()
        return float(self.epoch_onsets[sleep[-1]] + self.epoch_s) if sleep.size else None

    @property
    def sol_min(self) -> float | None:
        """Sleep onset latency: lights off (else the first epoch) to the first sleep epoch.

        None when there is no sleep in bed. A lights-off marker before the
        first epoch counts from the first epoch.

        Examples
        --------
        >>> Hypnogram.from_labels(["W", "W", "W", "N1", "W", "N2"], lights_off_s=30.0).sol_min
        1.0
        """
        onset = self.sleep_onset_s
        if onset is None:
            return None
        start = self.start_s if self.lights_off_s is None else max(self.lights_off_s,
                                                                    self.start_s)
        return max(onset - start, 0.0) / 60.0

    @property
    def waso_min(self) -> float | None:
        """Wake after sleep onset: W epochs in bed from sleep onset to the last sleep epoch.

        Wake after the last sleep epoch (the final awakening) is not WASO; MT
        and unscored epochs are neither. None when there is no sleep in bed.

        Examples
        --------
        >>> Hypnogram.from_labels(["W", "N1", "W", "U", "N2", "W", "W"]).waso_min
        0.5
        """
        sleep = self._sleep_epochs_in_bed()
        if not sleep.size:
            return None
        between = self.stages[sleep[0]:sleep[-1] + 1] == "W"
        between &= self.tib_mask()[sleep[0]:sleep[-1] + 1]
        return float(between.sum() * self.epoch_s / 60.0)

    def summary(self) -> pd.DataFrame:
        """Minutes and share of time in bed per stage, as a DataFrame."""
        import pandas as pd

        tib = self.tib_min
        rows = [
            {"stage": s, "minutes": self.minutes((s,)),
             "percent_tib": (100.0 * self.minutes((s,)) / tib) if tib else float("nan")}
            for s in STAGES
        ]
        return pd.DataFrame(rows).set_index("stage")

    def cropped(self, duration_s: float) -> Hypnogram:
        """The same hypnogram without the epochs that start at or after ``duration_s``."""
        keep = self.epoch_onsets < duration_s - _EPS
        return Hypnogram(
            self.stages[keep], epoch_s=self.epoch_s, start_s=self.start_s,
            lights_off_s=self.lights_off_s, lights_on_s=self.lights_on_s, source=self.source,
        )

    def __repr__(self) -> str:
        return (
            f"Hypnogram({self.n_epochs} epochs of {self.epoch_s:g} s from {self.start_s:g} s, "
            f"TST {self.tst_min:g} min)"
        )


_EPS = 1e-6
