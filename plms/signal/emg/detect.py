"""Leg-movement detection in one leg's EMG (RULES.md section 1).

The rules are applied on the rectified EMG's amplitude envelope at 100 Hz:

1. band-pass 10-100 Hz with notches at the mains frequency found in the
   signal (:mod:`plms.signal.emg.conditioning`);
2. samples around heart beats left out when beat times are given
   (:mod:`plms.signal.emg.cardiac`), stretches with a detached electrode excluded
   (:mod:`plms.signal.emg.artifacts`);
3. mean rectified amplitude per 10-ms bin, smoothed over ``envelope_smoothing_s``;
4. resting baseline estimated locally (:mod:`plms.signal.emg.baseline`);
5. onset: first bin >= baseline + 8 µV; offset: start of the first run of
   >= 0.5 s below baseline + 2 µV; LMs shorter than 0.5 s dropped; WASM
   morphology: a 0.5-s window with median >= baseline + 2 µV.

Like MNE's detectors, the functions take data and return events; they never
modify their input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.signal.emg.cardiac import Heartbeats
from plms.signal.emg.chunked import ArrayBins, Sink, detect_bins
from plms.signal.emg.conditioning import ENVELOPE_RATE_HZ, count_bins, window_sums
from plms.signal.emg.settings import DetectorSettings
from plms.signal.emg.streaming import StreamedLeg
from plms.signal.events import hysteresis_events
from plms.rules import TIME_TOLERANCE_S, Rules, get_rules

if TYPE_CHECKING:  # mne is optional and imported by the caller
    import mne

#: Seconds in a minute (the minutes of raised tone are reported).
SECONDS_PER_MINUTE = 60.0

#: Columns of the table :func:`detect_lm` returns.
LM_COLUMNS = ("onset", "duration", "peak_uv", "baseline_uv")

#: Units :func:`detect_lm` takes, with their factor to µV ("μV" with a Greek mu
#: is taken too).
EMG_UNITS = {"uV": 1.0, "\u00b5V": 1.0, "\u03bcV": 1.0, "mV": 1e3, "V": 1e6}
_EMG_UNITS_SHOWN = "'uV', '\u00b5V', 'mV', 'V'"
#: The 99th percentile of a leg EMG's |amplitude| lies between these, µV: at rest
#: a few µV, a movement tens to hundreds. Below the lower bound the signal is
#: most likely in volts (or mV) read as µV; above the upper one, in nV or raw counts.
PLAUSIBLE_EMG_P99_UV = (0.05, 1e5)
#: The plausibility check looks at about this many evenly spaced samples (every
#: ``size // AMPLITUDE_CHECK_SAMPLES``-th), not the whole night.
AMPLITUDE_CHECK_SAMPLES = 200_000


class AmplitudeWarning(UserWarning):
    """The EMG's amplitudes are implausible for the unit it was given in."""


def emg_to_microvolts(emg: npt.ArrayLike, unit: str = "uV") -> npt.NDArray[np.float64]:
    """One leg's EMG in ``unit`` converted to µV, with a warning when implausible.

    Parameters
    ----------
    emg : array
        The samples.
    unit : {"uV", "µV", "mV", "V"}
        Their unit; MNE's ``Raw.get_data()`` returns volts.

    Returns
    -------
    ndarray
        The samples in µV (a new array unless ``unit`` is µV).

    Raises
    ------
    ValueError
        ``unit`` is none of the allowed values.

    Warns
    -----
    AmplitudeWarning
        The 99th percentile of |EMG| is below 0.05 µV or above 1e5 µV once
        converted (:data:`PLAUSIBLE_EMG_P99_UV`); an all-zero signal is not
        judged.

    Examples
    --------
    >>> emg_to_microvolts([0.5, -1.0], "mV").tolist()
    [500.0, -1000.0]
    """
    if not isinstance(unit, str) or unit not in EMG_UNITS:
        raise ValueError(f"unit must be one of {_EMG_UNITS_SHOWN}, got {unit!r}")
    x = np.asarray(emg)
    scale = EMG_UNITS[unit]
    if scale != 1.0:
        x = np.multiply(x, scale, dtype=np.float64)
    if x.ndim == 1 and x.size:
        step = max(1, x.size // AMPLITUDE_CHECK_SAMPLES)
        a = np.abs(x[::step].astype(np.float64, copy=False))
        a = a[np.isfinite(a)]
        p99 = float(np.percentile(a, 99)) if a.size else 0.0
        low, high = PLAUSIBLE_EMG_P99_UV
        if 0.0 < p99 < low:
            import warnings

            warnings.warn(
                f"the EMG given in {unit} has tiny amplitudes (99th percentile of |EMG| "
                f"{p99:.3g} \u00b5V, leg EMG is a few \u00b5V at rest): is it in volts "
                "(MNE's get_data() returns V)? Then pass unit='V'; as it is, no movement "
                f"can reach the {Rules.lm_onset_above_baseline_uv:g}-\u00b5V onset threshold",
                AmplitudeWarning, stacklevel=3)
        elif p99 > high:
            import warnings

            warnings.warn(
                f"the EMG given in {unit} has implausibly large amplitudes (99th percentile "
                f"of |EMG| {p99:.3g} \u00b5V): check its unit (unit= one of "
                f"{_EMG_UNITS_SHOWN})", AmplitudeWarning, stacklevel=3)
    return x


@dataclass(frozen=True, eq=False)
class LegDetection:
    """Everything the detector found on one leg.

    Attributes
    ----------
    events : DataFrame
        One row per LM: ``onset``, ``duration`` (s), ``peak_uv`` (peak of the
        envelope above the baseline), ``baseline_uv`` (baseline at onset).
    envelope, baseline : array of float32
        Amplitude envelope and resting baseline (µV) at ``rate_hz``.
    rate_hz : float
    excluded : DataFrame
        ``onset``, ``duration`` of stretches not scored (electrode off).
    mains_hz : float or None
        Mains frequency found and notched.
    high_tone_min : float
        Minutes (outside the excluded stretches) where the resting EMG
        fluctuated so much that the onset threshold was raised above the
        rules' (``DetectorSettings.noise_onset_sd``): movements of the rules'
        smallest amplitude cannot be told from the noise there.
    """

    events: pd.DataFrame
    envelope: npt.NDArray[np.floating]
    baseline: npt.NDArray[np.floating]
    rate_hz: float
    excluded: pd.DataFrame
    mains_hz: float | None
    high_tone_min: float = 0.0


def quiet_from(level: npt.NDArray[np.float64], base: npt.NDArray[np.float64],
               rate_hz: float, rules: Rules,
               offset_uv: float | npt.NDArray[np.float64] | None = None
               ) -> npt.NDArray[np.bool_]:
    """Per bin: whether the EMG stays quiet for the offset period starting there.

    RULES.md section 1: an offset starts a period of >= 0.5 s in which the EMG
    stays < 2 µV above the resting baseline. On a real envelope, which
    fluctuates by 10-35 % at rest, "every moment below" would hang on noise
    peaks at high resting tone; the period is quiet when the *mean* of the
    envelope's excess over the baseline (dips below it count as 0, so they
    cannot hide a burst) is below the threshold: ``offset_uv`` (µV above the
    baseline, per bin or one number), the rules' offset threshold when not given.
    """
    q = max(1, int(np.ceil(rules.lm_offset_quiet_s * rate_hz - TIME_TOLERANCE_S)))
    n = level.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    q = min(q, n)
    # mean over [i, i + q), and over the shorter windows that reach the end
    # (window_sums: the same figures on a stretch cut out of a longer record)
    excess = np.zeros(n + q - 1)
    np.clip(level - base, 0.0, None, out=excess[:n])
    total = window_sums(excess, q)
    length = np.full(n, float(q))
    length[n - q + 1 :] = np.arange(q - 1, 0, -1)
    limit = rules.lm_offset_above_baseline_uv if offset_uv is None else offset_uv
    return total / length < limit


def find_movements(
    env: npt.NDArray[np.float64],
    base: npt.NDArray[np.float64],
    rate_hz: float,
    rules: Rules,
    level: npt.NDArray[np.float64] | None = None,
    onset_uv: float | npt.NDArray[np.float64] | None = None,
    offset_uv: float | npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Onset and offset bins of the LMs in an envelope, by the rules' thresholds.

    Onset: first bin of ``env`` >= baseline + 8 µV; offset: first later bin
    where a quiet period starts (:func:`quiet_from` on ``level``, the lightly
    smoothed envelope, ``env`` when not given); the next onset is searched
    from the offset on (:func:`plms.signal.events.hysteresis_events`). LMs shorter
    than the minimum duration are dropped. ``onset_uv`` and ``offset_uv``
    (µV above the baseline, per bin or one number) replace the rules' onset
    and offset thresholds where the resting noise raised them
    (:func:`noise_thresholds`).

    Examples
    --------
    >>> from plms.rules import WASM2016
    >>> env = np.full(1000, 2.0); env[300:420] = 30.0; env[440:470] = 30.0
    >>> on, off = find_movements(env, np.full(1000, 2.0), 100.0, WASM2016)
    >>> (on / 100).tolist(), (off / 100).tolist()
    ([3.0], [4.67])
    """
    level = env if level is None else level
    onset = rules.lm_onset_above_baseline_uv if onset_uv is None else onset_uv
    return hysteresis_events(
        env >= base + onset, quiet_from(level, base, rate_hz, rules, offset_uv),
        min_samples=rules.lm_min_duration_s * rate_hz - TIME_TOLERANCE_S)


def refine_onsets(
    on: npt.NDArray[np.int64], off: npt.NDArray[np.int64], fine: npt.NDArray[np.float64],
    base: npt.NDArray[np.float64], smoothing_bins: int, rules: Rules,
    onset_uv: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.int64]:
    """Place onsets on a lightly smoothed envelope.

    Smoothing over ``w`` bins moves a rising edge up to ``w/2`` earlier; the
    onset becomes the first bin of the light envelope at or above the onset
    threshold (``onset_uv`` per bin above the baseline, the rules' when not
    given), searched from ``w/2`` before the decided onset.
    """
    half = smoothing_bins // 2
    new_on = on.copy()
    level = base + (rules.lm_onset_above_baseline_uv if onset_uv is None else onset_uv)
    for i, (a, b) in enumerate(zip(on, off, strict=True)):
        lo = max(0, a - half)
        hit = np.flatnonzero(fine[lo:b] >= level[lo:b])
        if hit.size:
            new_on[i] = lo + hit[0]
    return new_on


@dataclass(frozen=True, eq=False)
class ConditionedLeg:
    """One leg after conditioning: rectified sums and valid-sample counts per bin.

    The full-rate work (filtering, mains and electrode checks) ends here; what
    follows works on the 100-Hz bins only.
    """

    sums: npt.NDArray[np.float32]
    counts: npt.NDArray[np.float32]
    rate_hz: float
    mains_hz: float | None
    electrode_off: npt.NDArray[np.float64]
    """(onset, offset) rows in seconds."""

    @property
    def bins(self) -> ArrayBins:
        """The bins as a :class:`~plms.signal.emg.chunked.BinSource`."""
        return ArrayBins(self.sums, self.counts)

    @property
    def mean_count(self) -> float:
        """Mean samples per bin (1 when there are no bins)."""
        return float(np.mean(self.counts, dtype=np.float64)) if self.counts.size else 1.0


def condition_leg(
    emg_uv: npt.ArrayLike,
    fs: float,
    *,
    rules: str | Rules = "wasm2016",
    settings: DetectorSettings = DetectorSettings(),  # noqa: B008 - frozen, immutable
) -> ConditionedLeg:
    """Filter, rectify and bin one leg's EMG; find a detached electrode.

    ``rules`` gives the onset threshold a detached stretch must exceed
    (:class:`~plms.signal.emg.artifacts.DetachedSettings`).
    """
    if fs <= 0:
        raise ValueError(f"sampling rate must be positive, got {fs}")
    x = np.asarray(emg_uv, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected a 1-D signal, got shape {x.shape}")
    from plms.signal.emg.streaming import condition_signal

    n_bins = count_bins(x.size, fs, ENVELOPE_RATE_HZ)
    sums, counts = np.empty(n_bins, np.float32), np.empty(n_bins, np.float32)

    def keep(k0: int, part_sums: npt.NDArray[np.float32],
             part_counts: npt.NDArray[np.float32]) -> None:
        sums[k0: k0 + part_sums.size], counts[k0: k0 + part_sums.size] = part_sums, part_counts

    found = condition_signal(x, fs, rules=get_rules(rules), settings=settings, keep=keep)
    return ConditionedLeg(sums, counts, found.rate_hz, found.mains_hz, found.electrode_off)


def detect_conditioned(
    leg: ConditionedLeg | StreamedLeg,
    *,
    rules: str | Rules = "wasm2016",
    heartbeats_s: npt.ArrayLike | Heartbeats | None = None,
    settings: DetectorSettings = DetectorSettings(),  # noqa: B008 - frozen, immutable
    chunk_bins: int | None = None,
    sink: Sink | None = None,
) -> LegDetection:
    """Gate the heart beats out of a conditioned leg and apply the LM rules (RULES.md section 1).

    The 100-Hz stage is :func:`plms.signal.emg.chunked.detect_bins`, here on
    the whole record at once (``chunk_bins`` bins at a time when given: the
    same result in less memory; ``sink`` receives the envelope and baseline).
    """
    rules = get_rules(rules)
    found = detect_bins(
        leg.bins, leg.rate_hz, rules=rules, settings=settings, electrode_off=leg.electrode_off,
        heartbeats_s=heartbeats_s, chunk_bins=chunk_bins, mean_count=leg.mean_count, sink=sink)
    off_iv = leg.electrode_off
    excluded_df = pd.DataFrame({"onset": off_iv[:, 0], "duration": off_iv[:, 1] - off_iv[:, 0]})
    # kept for plots and review: float32 halves their memory (2 x 11 MB per 8-h leg)
    return LegDetection(found.events, found.envelope, found.baseline, leg.rate_hz,
                        excluded_df, leg.mains_hz, found.high_tone_min)


def detect_leg(
    emg_uv: npt.ArrayLike,
    fs: float,
    *,
    rules: str | Rules = "wasm2016",
    heartbeats_s: npt.ArrayLike | Heartbeats | None = None,
    settings: DetectorSettings = DetectorSettings(),  # noqa: B008 - frozen, immutable
) -> LegDetection:
    """Detect the leg movements of one leg, with the intermediate signals.

    :func:`condition_leg` then :func:`detect_conditioned`.

    Parameters
    ----------
    emg_uv : array
        The leg's EMG in µV (convert first: :func:`plms.io.psg.edf.to_microvolts`).
    fs : float
        Sampling rate, Hz.
    rules : {"wasm2016", "aasm"} or Rules
    heartbeats_s : array or Heartbeats, optional
        Heart-beat times (s), e.g. from :func:`plms.signal.emg.cardiac.detect_r_peaks` on
        the ECG channel; the QRS complexes are then left out of the envelope.
        :class:`~plms.signal.emg.cardiac.Heartbeats` (from
        :func:`~plms.signal.emg.cardiac.detect_heartbeats`) also marks the beats
        of another shape, whose wider artifact is measured on the leg
        (:func:`~plms.signal.emg.cardiac.qrs_gate`).
    settings : DetectorSettings
    """
    rules = get_rules(rules)
    leg = condition_leg(emg_uv, fs, rules=rules, settings=settings)
    return detect_conditioned(leg, rules=rules, heartbeats_s=heartbeats_s, settings=settings)


def detect_lm(
    emg_uv: npt.ArrayLike,
    fs: float,
    *,
    unit: str = "uV",
    rules: str | Rules = "wasm2016",
    heartbeats_s: npt.ArrayLike | Heartbeats | None = None,
    settings: DetectorSettings = DetectorSettings(),  # noqa: B008 - frozen, immutable
) -> pd.DataFrame:
    """Leg movements of one leg's EMG: ``onset``, ``duration`` (s), ``peak_uv``, ``baseline_uv``.

    See :func:`detect_leg` for the other parameters and the intermediate signals.

    Parameters
    ----------
    emg_uv : array
        The leg's EMG, in ``unit``.
    fs : float
        Sampling rate, Hz.
    unit : {"uV", "µV", "mV", "V"}
        Unit of ``emg_uv`` (default µV). Data from MNE's ``Raw.get_data()`` are
        in volts: pass ``unit="V"`` (or use :func:`detect_lm_raw`).

    Raises
    ------
    ValueError
        An unknown ``unit``, a signal that is not 1-D, a rate that is not positive.

    Warns
    -----
    AmplitudeWarning
        The amplitudes are implausible for leg EMG in ``unit`` (e.g. volts
        given as µV): see :func:`emg_to_microvolts`.

    Examples
    --------
    >>> fs = 256.0
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(int(60 * fs)) / fs
    >>> amp = np.where((t >= 20) & (t < 22), 50.0, 3.0)      # a 2-s movement at 20 s
    >>> emg = rng.standard_normal(t.size) * amp * 1.25
    >>> lm = detect_lm(emg, fs)
    >>> len(lm), bool(abs(lm.onset[0] - 20.0) < 0.1), bool(abs(lm.duration[0] - 2.0) < 0.25)
    (1, True, True)
    """
    emg = emg_to_microvolts(emg_uv, unit)
    return detect_leg(emg, fs, rules=rules, heartbeats_s=heartbeats_s,
                      settings=settings).events


def detect_lm_raw(
    raw: mne.io.BaseRaw,
    left: str | None = None,
    right: str | None = None,
    *,
    ecg: str | None = None,
    rules: str | Rules = "wasm2016",
    settings: DetectorSettings = DetectorSettings(),  # noqa: B008 - frozen, immutable
    legs: str | None = None,
) -> pd.DataFrame:
    """Leg movements of the legs of an :class:`mne.io.Raw` (``onset``, ``duration``, ``side``).

    The leg channels are chosen from ``raw.ch_names`` as
    :func:`plms.io.choose_leg_channels` does: ``left``/``right`` (or a
    derivation ``A-B`` of two channels) when given, else detected; one leg
    alone, or ``legs``, the one channel of both legs (side ``combined``).
    MNE stores EMG in volts; it is converted to µV here (whatever type MNE
    gave the channels). ``ecg`` (only when given) gates out the heart beats.
    ``raw`` is not modified.
    """
    from plms.io.channels import choose_leg_channels
    from plms.signal.emg.cardiac import detect_heartbeats

    fs = float(raw.info["sfreq"])
    beats = None
    if ecg is not None:
        beats = detect_heartbeats(raw.get_data(picks=[ecg])[0], fs)
    choice = choose_leg_channels([str(c) for c in raw.ch_names], left, right, legs=legs,
                                 path="mne.io.Raw")
    tables = []
    for side in choice.sides:
        pair = choice.pair(side)
        data_v = (raw.get_data(picks=[choice.label(side)])[0] if pair is None   # volts
                  else np.subtract(*raw.get_data(picks=list(pair))))
        lm = detect_lm(data_v, fs, unit="V", rules=rules, heartbeats_s=beats,
                       settings=settings)
        tables.append(lm.assign(side=side))
    return pd.concat(tables, ignore_index=True).sort_values("onset", kind="stable").reset_index(
        drop=True)
