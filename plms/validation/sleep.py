"""Sleep/wake agreement of two hypnograms, epoch by epoch and night by night.

The epochs compared are the reference's epochs that lie in bed on both sides
(between each hypnogram's lights markers, or its whole record without them)
and hold a scored stage on both: any sleep stage (N1, N2, N3, R, or ``S``,
the sleep of an estimate) is sleep, ``W`` is wake; movement time (``MT``) and
unscored epochs (``U``) are neither and are left out (counted). The test's
stage of a reference epoch is the one at the epoch's middle plus the shift
(test clock minus reference clock), so a shifted or differently cut test
hypnogram is read on the reference's grid.

Sleep is the positive class: ``sensitivity`` is the share of the reference's
sleep epochs the test calls sleep, ``specificity`` the share of its wake
epochs the test calls wake. ``always_sleep_accuracy`` is the accuracy of a
test that calls every epoch sleep (the share of sleep in the reference), the
baseline a sleep/wake estimate has to beat.

The night figures (TST, sleep efficiency, WASO, sleep onset latency) are each
side's own, from its whole hypnogram (:class:`plms.hypnogram.Hypnogram`, the
definitions of plms's summary), and agree across nights by their bias and
Bland-Altman limits (:func:`plms.validation.metrics.bland_altman`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.hypnogram import NO_STAGE, Hypnogram
from plms.stages import SLEEP_STAGES
from plms.validation.metrics import bland_altman

__all__ = ["SLEEP_FIGURES", "EpochAgreement", "SleepAgreement", "SleepFigures", "SleepNight",
           "compare_epochs", "compare_sleep", "compare_sleep_night", "epoch_pairs"]

#: Night figures compared across nights: attribute of :class:`SleepFigures`, label, unit.
SLEEP_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("tst_min", "TST", "min"), ("sleep_efficiency", "sleep efficiency", ""),
    ("waso_min", "WASO", "min"), ("sol_min", "sleep onset latency", "min"))


def _sleep_wake(stages: npt.NDArray[np.str_]) -> npt.NDArray[np.float64]:
    """1 for sleep, 0 for wake, NaN for the rest: MT, unscored (U), outside the hypnogram."""
    out = np.full(stages.shape, np.nan)
    out[np.isin(stages, SLEEP_STAGES)] = 1.0
    out[stages == "W"] = 0.0
    return out


def epoch_pairs(reference: Hypnogram, test: Hypnogram, *, shift_s: float = 0.0
                ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], int]:
    """Sleep (True) or wake of the common epochs on both sides, and the unscored count.

    Parameters
    ----------
    reference, test : Hypnogram
        Times in seconds from each one's recording start.
    shift_s : float
        Test clock minus reference clock: the reference's time ``t`` is the
        test's ``t + shift_s``.

    Returns
    -------
    ref_sleep, test_sleep : bool arrays
        One entry per compared epoch (the reference's grid).
    n_unscored : int
        Epochs in bed on both sides but MT or unscored on at least one.

    Examples
    --------
    >>> ref = Hypnogram.from_labels(["W", "N2", "U", "R"])
    >>> est = Hypnogram.from_labels(["W", "S", "S", "W"], start_s=10.0)
    >>> r, t, n = epoch_pairs(ref, est, shift_s=10.0)
    >>> r.tolist(), t.tolist(), n
    ([False, True, True], [False, True, False], 1)
    """
    mid = reference.epoch_onsets + reference.epoch_s / 2
    test_idx = test.epoch_index(mid + shift_s)
    covered = test_idx >= 0
    in_bed = reference.tib_mask() & covered
    in_bed[covered] &= test.tib_mask()[test_idx[covered]]
    test_stage = np.full(mid.shape, NO_STAGE, dtype="<U3")
    test_stage[covered] = test.stages[test_idx[covered]]
    r, t = _sleep_wake(reference.stages), _sleep_wake(test_stage)
    scored = in_bed & np.isfinite(r) & np.isfinite(t)
    return r[scored] == 1.0, t[scored] == 1.0, int((in_bed & ~scored).sum())


@dataclass(frozen=True)
class EpochAgreement:
    """Epoch-by-epoch sleep/wake agreement; sleep is the positive class.

    ``tp``: sleep on both sides, ``fn``: reference sleep and test wake,
    ``fp``: reference wake and test sleep, ``tn``: wake on both. A rate is
    None where its denominator is 0; ``kappa`` (Cohen's, scikit-learn) is None
    when both sides hold one class only.
    """

    n_epochs: int
    n_unscored: int
    tp: int
    fn: int
    fp: int
    tn: int
    accuracy: float | None
    kappa: float | None
    sensitivity: float | None
    specificity: float | None
    always_sleep_accuracy: float | None

    @classmethod
    def from_epochs(cls, ref_sleep: npt.ArrayLike, test_sleep: npt.ArrayLike,
                    n_unscored: int = 0) -> EpochAgreement:
        """Count and rate paired sleep (True) / wake (False) epochs.

        Examples
        --------
        >>> a = EpochAgreement.from_epochs([1, 1, 1, 0], [1, 1, 0, 0])
        >>> a.accuracy, a.sensitivity, a.specificity, a.always_sleep_accuracy, a.kappa
        (0.75, 0.6666666666666666, 1.0, 0.75, 0.5)
        """
        from sklearn.metrics import cohen_kappa_score

        r = np.asarray(ref_sleep, dtype=bool)
        t = np.asarray(test_sleep, dtype=bool)
        if r.shape != t.shape:
            raise ValueError(f"the two sides hold {r.size} and {t.size} epochs; pair them first")
        tp, fn = int((r & t).sum()), int((r & ~t).sum())
        fp, tn = int((~r & t).sum()), int((~r & ~t).sum())
        n = int(r.size)
        kappa = None
        if n and len(set(r.tolist()) | set(t.tolist())) > 1:
            value = float(cohen_kappa_score(r, t, labels=[False, True]))
            kappa = value if np.isfinite(value) else None
        return cls(n, int(n_unscored), tp, fn, fp, tn, accuracy=_rate(tp + tn, n),
                   kappa=kappa, sensitivity=_rate(tp, tp + fn),
                   specificity=_rate(tn, tn + fp), always_sleep_accuracy=_rate(tp + fn, n))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _rate(a: int, b: int) -> float | None:
    return a / b if b else None


def compare_epochs(reference: Hypnogram, test: Hypnogram, *, shift_s: float = 0.0
                   ) -> EpochAgreement:
    """Sleep/wake agreement of two hypnograms of one night (:func:`epoch_pairs`).

    Examples
    --------
    >>> ref = Hypnogram.from_labels(["W", "W", "N1", "N2", "N2", "W", "R", "R"])
    >>> est = Hypnogram.from_labels(["W", "S", "S", "S", "S", "S", "S", "W"])
    >>> a = compare_epochs(ref, est)
    >>> (a.tp, a.fn, a.fp, a.tn), a.accuracy, a.specificity
    ((4, 1, 2, 1), 0.625, 0.3333333333333333)
    """
    return EpochAgreement.from_epochs(*epoch_pairs(reference, test, shift_s=shift_s))


@dataclass(frozen=True)
class SleepFigures:
    """One side's night figures (:class:`~plms.hypnogram.Hypnogram`'s definitions).

    ``sleep_efficiency`` is a fraction (TST / time in bed); the others are
    minutes; None where undefined (no sleep: no WASO nor latency).
    """

    tib_min: float
    tst_min: float
    sleep_efficiency: float | None
    waso_min: float | None
    sol_min: float | None

    @classmethod
    def of(cls, hypnogram: Hypnogram) -> SleepFigures:
        return cls(hypnogram.tib_min, hypnogram.tst_min, hypnogram.sleep_efficiency,
                   hypnogram.waso_min, hypnogram.sol_min)


@dataclass(frozen=True)
class SleepNight:
    """One night: its epoch agreement and each side's figures; None for a missing side."""

    night: str
    epochs: EpochAgreement | None
    reference: SleepFigures | None
    test: SleepFigures | None
    note: str | None = None
    ref_sleep: npt.NDArray[np.bool_] | None = None
    """The compared epochs (reference sleep), kept for pooling; not written."""
    test_sleep: npt.NDArray[np.bool_] | None = None

    def row(self) -> dict[str, Any]:
        """The night's columns of ``nights.csv`` (None where not computed)."""
        e = self.epochs
        row: dict[str, Any] = {
            "sleep_epochs": None if e is None else e.n_epochs,
            "sleep_unscored_epochs": None if e is None else e.n_unscored}
        for key in ("accuracy", "kappa", "sensitivity", "specificity",
                    "always_sleep_accuracy"):
            row[f"sleep_{key}"] = None if e is None else getattr(e, key)
        for side, figures in (("ref", self.reference), ("test", self.test)):
            for key, _, _ in SLEEP_FIGURES:
                row[f"{side}_{key}"] = None if figures is None else getattr(figures, key)
        return row


def compare_sleep_night(night: str, reference: Hypnogram | None, test: Hypnogram | None,
                        *, shift_s: float = 0.0) -> SleepNight:
    """One night's :class:`SleepNight`; a note says what is missing or left out."""
    ref_fig = None if reference is None else SleepFigures.of(reference)
    test_fig = None if test is None else SleepFigures.of(test)
    if reference is None or test is None:
        missing = [side for side, h in (("reference", reference), ("test", test)) if h is None]
        return SleepNight(night, None, ref_fig, test_fig, (
            f"night {night!r}: no hypnogram for the {' and the '.join(missing)}: sleep/wake "
            "agreement not computed (null)"))
    r, t, n_unscored = epoch_pairs(reference, test, shift_s=shift_s)
    notes = []
    if n_unscored:
        notes.append(f"{n_unscored} epoch(s) movement time or unscored on a side, left out "
                     "of the epoch comparison")
    if reference.epoch_s != test.epoch_s:
        notes.append(f"epochs of {reference.epoch_s:g} s (reference) and {test.epoch_s:g} s "
                     "(test): each reference epoch takes the test's stage at its middle")
    if not r.size:
        notes.append("no epoch in bed is scored on both sides: sleep/wake agreement not "
                     "computed (null)")
    note = f"night {night!r}: {'; '.join(notes)}" if notes else None
    epochs = EpochAgreement.from_epochs(r, t, n_unscored) if r.size else None
    return SleepNight(night, epochs, ref_fig, test_fig, note, r, t)


@dataclass(frozen=True)
class SleepAgreement:
    """Sleep/wake agreement over the nights: per night, pooled, and the night figures.

    Attributes
    ----------
    nights : tuple of SleepNight
    pooled : EpochAgreement or None
        Every compared epoch of every night together; None when no night has
        a hypnogram on both sides.
    figures : dict
        Per figure of :data:`SLEEP_FIGURES` (``tst_min``...): the
        :func:`~plms.validation.metrics.bland_altman` dict over the nights
        with that figure on both sides.
    """

    nights: tuple[SleepNight, ...]
    pooled: EpochAgreement | None
    figures: dict[str, dict[str, Any]]

    @property
    def n_nights(self) -> int:
        """Nights compared epoch by epoch."""
        return sum(1 for n in self.nights if n.epochs is not None)

    @property
    def notes(self) -> list[str]:
        return [n.note for n in self.nights if n.note]

    def to_dict(self) -> dict[str, Any]:
        """The ``sleep`` section of ``validation.json``."""
        return {
            "n_nights": self.n_nights,
            "positive_class": "sleep (any sleep stage, or S); W is wake; MT and unscored "
                              "epochs left out",
            "pooled": None if self.pooled is None else self.pooled.to_dict(),
            "figures": self.figures,
            "per_night": [{"night": n.night,
                           "epochs": None if n.epochs is None else n.epochs.to_dict(),
                           "reference": None if n.reference is None else dict(
                               n.reference.__dict__),
                           "test": None if n.test is None else dict(n.test.__dict__),
                           "note": n.note} for n in self.nights]}

    def frame(self) -> pd.DataFrame:
        """One row per night and a last ``pooled`` row (epoch figures only)."""
        rows = [{"night": n.night, **n.row()} for n in self.nights]
        pooled: dict[str, Any] = {"night": "pooled"}
        if self.pooled is not None:
            p = self.pooled
            pooled.update(sleep_epochs=p.n_epochs, sleep_unscored_epochs=p.n_unscored,
                          **{f"sleep_{k}": getattr(p, k) for k in (
                              "accuracy", "kappa", "sensitivity", "specificity",
                              "always_sleep_accuracy")})
        frame = pd.DataFrame(rows + [pooled])
        return frame.astype({c: float for c in frame if c != "night"}).set_index("night")


def compare_sleep(nights: Sequence[tuple[str, Hypnogram | None, Hypnogram | None, float]]
                  ) -> SleepAgreement:
    """Sleep agreement of (night, reference, test, shift s) tuples; None for a missing side.

    Examples
    --------
    >>> a = Hypnogram.from_labels(["W", "N2", "N2", "W"])
    >>> b = Hypnogram.from_labels(["W", "N2", "W", "W"])
    >>> s = compare_sleep([("n1", a, b, 0.0), ("n2", a, a, 0.0), ("n3", a, None, 0.0)])
    >>> s.n_nights, s.pooled.accuracy, s.figures["tst_min"]["bias"]
    (2, 0.875, -0.25)
    """
    per = tuple(compare_sleep_night(name, r, t, shift_s=shift) for name, r, t, shift in nights)
    both = [n for n in per if n.ref_sleep is not None and n.test_sleep is not None
            and n.epochs is not None]
    pooled = None
    if both:
        pooled = EpochAgreement.from_epochs(
            np.concatenate([n.ref_sleep for n in both if n.ref_sleep is not None]),
            np.concatenate([n.test_sleep for n in both if n.test_sleep is not None]),
            sum(n.epochs.n_unscored for n in both if n.epochs is not None))
    figures = {}
    for key, _, _ in SLEEP_FIGURES:
        paired = [(getattr(n.reference, key), getattr(n.test, key)) for n in per
                  if n.reference is not None and n.test is not None]
        figures[key] = bland_altman([p[0] for p in paired], [p[1] for p in paired])
    return SleepAgreement(per, pooled, figures)
