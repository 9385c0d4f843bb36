"""What a simulated night is made of: its specification and its result.

:class:`NightSpec` says what to simulate; :class:`SimulatedNight` holds the
signals and the truth that :func:`plms.simulate.simulate_night` produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.annotations import Annotations
from plms.hypnogram import Hypnogram

Difficulty = Literal["clean", "hard"]
LegUnit = Literal["uV", "mV"]

#: Leg-EMG sampling rates accepted (Hz, integers so that 1-s records hold whole samples).
MIN_FS_LEG = 100
MAX_FS_LEG = 2048
#: Shortest night that holds at least two 30-s epochs.
MIN_DURATION_S = 60.0
#: Activation amplitudes must stay clearly above the 8 uV LM onset threshold.
MIN_LM_AMPLITUDE_UV = 10.0
#: Longest EDF signal label.
MAX_EDF_LABEL_CHARS = 16
#: Mains frequencies that exist.
MAINS_CHOICES_HZ = (50.0, 60.0)
#: Microvolts per millivolt; seconds per hour and per minute; minutes per hour.
UV_PER_MV = 1000.0
S_PER_H = 3600.0
S_PER_MIN = 60.0
MIN_PER_H = 60.0

#: Nuisances (and LM features) that ``NightSpec`` can switch one by one. The
#: value is whether a ``"clean"`` night has it; a ``"hard"`` night has all.
NUISANCES_IN_CLEAN: dict[str, bool] = {
    "electrode_off": False,   # one leg electrode off for 2-10 min
    "ecg": False,             # QRS spikes in the leg EMG
    "pops": False,            # electrode pops (step + fast exponential decay)
    "twitches": False,        # isolated bursts < 0.3 s
    "rem_twitches": False,    # clusters of bursts < 0.3 s in REM
    "drift": False,           # baseline wander < 1 Hz and movement artefacts
    "mains": False,           # 50/60 Hz pick-up
    "tone_changes": False,    # resting tone drifts, steps at posture changes, stage effects
    "subbursts": True,        # part of the LM process: LMs made of 2-3 sub-bursts
    "lights": False,          # lights-off / lights-on markers in the hypnogram
    "fragmentation": False,   # extra brief awakenings and N1 intrusions
    "wake_fidgets": False,    # voluntary leg movements in restless wake (scored as LMs)
}

#: Harder recording conditions (issue 14), all off by default: the storage step
#: of a leg channel must lie in (0, MAX_STORAGE_UV_PER_BIT] uV per bit, the DC
#: offset within +-MAX_DC_OFFSET_UV uV (it must fit the EDF range with the
#: signal), the amplifier's band edges inside (0, MAX_AMPLIFIER_FRACTION_OF_FS * fs).
MAX_STORAGE_UV_PER_BIT = 10.0
MAX_DC_OFFSET_UV = 1000.0
MAX_AMPLIFIER_FRACTION_OF_FS = 0.45

#: Truth table columns.
TRUTH_COLUMNS = ("onset", "duration", "side", "peak_uv", "origin", "n_bursts")
#: Artefact table columns.
ARTIFACT_COLUMNS = ("onset", "duration", "side", "kind", "amplitude_uv")


@dataclass(frozen=True)
class NightSpec:
    """What night to simulate. Defaults give a hard, realistic 8-h night.

    Parameters
    ----------
    duration_h : float
        Recording length in hours (rounded to whole seconds).
    fs_leg : int
        Sampling rate of the leg EMG channels, Hz.
    fs_ecg : int or None
        Sampling rate of the ECG channel; ``None`` uses ``fs_leg``.
    leg_unit : {"uV", "mV"}
        Physical unit of the leg channels (data and EDF header).
    mains_hz : {50, 60}
        Mains frequency.
    difficulty : {"clean", "hard"}
        ``"hard"`` switches every nuisance on, ``"clean"`` only keeps the LM
        process (see :data:`NUISANCES_IN_CLEAN`); each nuisance flag below
        overrides it when not ``None``.
    plm_severity : float
        Roughly the PLMS index (per hour of sleep) the PLM series aim at.
    respiratory_load : float
        Respiratory events per hour of sleep.
    leg_labels : (str, str)
        Labels of the left and right leg channels.
    ecg_label : str
        Label of the ECG channel.
    amplitude_range_uv : (float, float)
        Peak activation above rest of the LMs (log-uniform), uV.
    rest_range_uv : (float, float)
        Range of the resting tone (mean rectified 10-100 Hz EMG), uV.
    isolated_lm_rate_sleep_h, isolated_lm_rate_wake_h : float
        Random isolated LMs per hour of sleep and of wake.
    resp_lm_share : float
        Share of respiratory events followed by an LM near their end.
    lm_arousal_share : float
        Share of LMs in sleep followed by an arousal.
    subburst_share : float
        Share of LMs (long enough) made of 2-3 sub-bursts.
    electrode_off, ecg, pops, twitches, rem_twitches, drift, mains, tone_changes, \
subbursts, lights, fragmentation, wake_fidgets : bool or None
        Individual switches; ``None`` follows ``difficulty``.
    high_tone : bool
        Harder condition: a high resting tone of 4-9 uV RMS (replaces
        ``rest_range_uv``) with four 5-15-min stretches raised x3-x4.5
        (listed in ``artifacts`` as ``raised_tone``).
    irregular_rhythm : bool
        Harder condition: an atrial-fibrillation-like rhythm (RR 0.45-1.3 s)
        with ectopic beats of another shape and twice the QRS size, and ECG
        pick-up of about 70 uV in one leg, less in the other (implies the
        leg ECG, whatever ``ecg`` says).
    amplifier_band_hz : (float, float) or None
        Harder condition: the amplifier's band-pass (causal Butterworth, e.g.
        ``(10, 100)`` or ``(10, 70)``) applied to the stored leg signals; the
        upper edge is capped at 0.45 fs.
    amplifier_notch : bool
        Harder condition: the amplifier's notch at ``mains_hz`` on the legs.
    storage_uv_per_bit : float or None
        Harder condition: the legs are stored at this resolution (uV per bit,
        e.g. 0.5 or 1); ``write_edf`` writes EDF leg channels with that step.
    dc_offset_uv : float
        Harder condition: a constant offset of this size (0.5-1 times it, a
        sign drawn per leg) added to the stored leg signals, uV.
    invert_polarity : bool
        Harder condition: the stored leg signals are inverted.
    mains_harmonics : bool
        Harder condition: strong mains pick-up with its 2nd-5th harmonics
        (each below 0.45 fs), on top of any ``mains``.
    quiet_wake : bool
        Harder sleeper (off by default, so the default nights stay as they
        were): long awakenings spent lying still, 5-40 min each, one in the
        early morning (last quarter of the sleep period) on most nights and
        one elsewhere on half of them, with no wake fidgets (only the isolated
        LMs and the posture turn at awakening any wake epoch may hold); see
        :func:`plms.simulate.sleep.add_quiet_wake`. The hypnogram marks them
        ``W``, so the truth stays known.
    ecg_channel : bool
        Whether the night has its ECG channel (default True). False leaves it
        out of ``signals`` and of the EDF written, while the legs keep their
        ECG pick-up (a recording without an ECG lead).

    The truth is the same with or without the harder conditions (they draw
    from their own random streams and leave the activation unchanged).
    """

    duration_h: float = 8.0
    fs_leg: int = 512
    fs_ecg: int | None = None
    leg_unit: LegUnit = "uV"
    mains_hz: float = 50.0
    difficulty: Difficulty = "hard"
    plm_severity: float = 30.0
    respiratory_load: float = 10.0
    leg_labels: tuple[str, str] = ("Leg L", "Leg R")
    ecg_label: str = "ECG"
    amplitude_range_uv: tuple[float, float] = (12.0, 400.0)
    rest_range_uv: tuple[float, float] = (1.5, 8.0)
    isolated_lm_rate_sleep_h: float = 5.0
    isolated_lm_rate_wake_h: float = 25.0
    resp_lm_share: float = 0.35
    lm_arousal_share: float = 0.25
    subburst_share: float = 0.3
    electrode_off: bool | None = None
    ecg: bool | None = None
    pops: bool | None = None
    twitches: bool | None = None
    rem_twitches: bool | None = None
    drift: bool | None = None
    mains: bool | None = None
    tone_changes: bool | None = None
    subbursts: bool | None = None
    lights: bool | None = None
    fragmentation: bool | None = None
    wake_fidgets: bool | None = None
    high_tone: bool = False
    irregular_rhythm: bool = False
    amplifier_band_hz: tuple[float, float] | None = None
    amplifier_notch: bool = False
    storage_uv_per_bit: float | None = None
    dc_offset_uv: float = 0.0
    invert_polarity: bool = False
    mains_harmonics: bool = False
    ecg_channel: bool = True
    quiet_wake: bool = False

    def __post_init__(self) -> None:
        self._check_setup()
        self._check_amounts()
        self._check_labels()
        self._check_recording()

    def _check_setup(self) -> None:
        """Difficulty, length, sampling rates, unit and mains frequency."""
        if self.difficulty not in ("clean", "hard"):
            raise ValueError(f"difficulty must be 'clean' or 'hard', got {self.difficulty!r}")
        if not self.duration_h * S_PER_H >= MIN_DURATION_S:
            raise ValueError(f"duration_h must be at least {MIN_DURATION_S / S_PER_H:.4f} h, "
                             f"got {self.duration_h}")
        for name in ("fs_leg", "fs_ecg"):
            fs = getattr(self, name)
            if fs is None and name == "fs_ecg":
                continue
            if int(fs) != fs or not MIN_FS_LEG <= fs <= MAX_FS_LEG:
                raise ValueError(f"{name} must be a whole number of Hz in "
                                 f"[{MIN_FS_LEG}, {MAX_FS_LEG}], got {fs}")
        if self.leg_unit not in ("uV", "mV"):
            raise ValueError(f"leg_unit must be 'uV' or 'mV', got {self.leg_unit!r}")
        if float(self.mains_hz) not in MAINS_CHOICES_HZ:
            raise ValueError(f"mains_hz must be 50 or 60, got {self.mains_hz}")

    def _check_amounts(self) -> None:
        """Rates, shares and amplitude ranges."""
        for name in ("plm_severity", "respiratory_load", "isolated_lm_rate_sleep_h",
                     "isolated_lm_rate_wake_h"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("resp_lm_share", "lm_arousal_share", "subburst_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        lo, hi = self.amplitude_range_uv
        if not MIN_LM_AMPLITUDE_UV <= lo <= hi:
            raise ValueError(f"amplitude_range_uv must satisfy {MIN_LM_AMPLITUDE_UV} <= low <= "
                             f"high, got {self.amplitude_range_uv}")
        lo, hi = self.rest_range_uv
        if not 0.0 < lo <= hi:
            raise ValueError(
                f"rest_range_uv must satisfy 0 < low <= high, got {self.rest_range_uv}")

    def _check_labels(self) -> None:
        """Two leg labels and an ECG label, all different, each a valid EDF label."""
        labels = (*self.leg_labels, self.ecg_label)
        if len(self.leg_labels) != 2 or len(set(labels)) != 3:
            raise ValueError(f"need two leg labels and an ECG label, all different; got {labels}")
        for label in labels:
            if not label.strip() or len(label) > MAX_EDF_LABEL_CHARS or not label.isascii():
                raise ValueError(f"channel label {label!r} must be 1-{MAX_EDF_LABEL_CHARS} "
                                 "ASCII characters")

    def _check_recording(self) -> None:
        """The harder recording conditions: band, storage step, offset."""
        for name in ("high_tone", "irregular_rhythm", "amplifier_notch", "invert_polarity",
                     "mains_harmonics", "ecg_channel", "quiet_wake"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        band = self.amplifier_band_hz
        if band is not None:
            top = MAX_AMPLIFIER_FRACTION_OF_FS * self.fs_leg
            if len(band) != 2 or not 0.0 < band[0] < min(band[1], top):
                raise ValueError(f"amplifier_band_hz must be None or (low, high) Hz with "
                                 f"0 < low < high and low < {top:g} (0.45 fs_leg), got {band}")
        step = self.storage_uv_per_bit
        if step is not None and not 0.0 < step <= MAX_STORAGE_UV_PER_BIT:
            raise ValueError(f"storage_uv_per_bit must be None or in (0, "
                             f"{MAX_STORAGE_UV_PER_BIT:g}] uV per bit, got {step}")
        if not abs(self.dc_offset_uv) <= MAX_DC_OFFSET_UV:
            raise ValueError(f"dc_offset_uv must lie in [-{MAX_DC_OFFSET_UV:g}, "
                             f"{MAX_DC_OFFSET_UV:g}] uV, got {self.dc_offset_uv}")

    @property
    def duration_s(self) -> float:
        """Recording length in whole seconds."""
        return float(round(self.duration_h * S_PER_H))

    @property
    def fs_ecg_hz(self) -> int:
        """Sampling rate of the ECG channel."""
        return int(self.fs_leg if self.fs_ecg is None else self.fs_ecg)

    def enabled(self, nuisance: str) -> bool:
        """Whether ``nuisance`` (a key of :data:`NUISANCES_IN_CLEAN`) is on."""
        if nuisance not in NUISANCES_IN_CLEAN:
            raise ValueError(f"unknown nuisance {nuisance!r}; known: "
                             f"{', '.join(NUISANCES_IN_CLEAN)}")
        value = getattr(self, nuisance)
        if value is not None:
            return bool(value)
        return True if self.difficulty == "hard" else NUISANCES_IN_CLEAN[nuisance]

    def as_dict(self) -> dict[str, object]:
        """Every field, for provenance (e.g. a README or a TSV header)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, eq=False)
class SimChannel:
    """One simulated signal.

    Attributes
    ----------
    data : ndarray of float64
        Samples in ``unit``.
    fs : float
        Sampling rate, Hz.
    unit : str
        Physical dimension (``"uV"`` or ``"mV"``).
    """

    data: npt.NDArray[np.float64]
    fs: float
    unit: str

    def __post_init__(self) -> None:
        data = np.asarray(self.data, dtype=np.float64)
        data.setflags(write=False)  # a simulated night is immutable; copy to modify
        object.__setattr__(self, "data", data)

    @property
    def duration_s(self) -> float:
        """Length of the signal in seconds."""
        return self.data.size / self.fs

    def as_uv(self) -> npt.NDArray[np.float64]:
        """The samples in microvolts."""
        if self.unit == "uV":
            return self.data
        if self.unit == "mV":
            return self.data * UV_PER_MV
        raise ValueError(f"cannot convert unit {self.unit!r} to uV")


@dataclass(frozen=True, eq=False)
class SimulatedNight:
    """A simulated PSG night: signals and the truth behind them.

    Times are seconds from the recording start.

    Attributes
    ----------
    spec : NightSpec
    seed : int
    duration_s : float
    signals : dict of str to SimChannel
        The two legs and the ECG (other PSG channels are made by ``write_edf``);
        without the ECG when ``spec.ecg_channel`` is False.
    left_label, right_label, ecg_label : str
        ``ecg_label`` is the ECG's label even when the night has no ECG channel.
    truth_lms : DataFrame
        One row per observable leg movement per leg: ``onset``, ``duration``
        (the rules applied to the noise-free envelope: onset where the
        activation first reaches 8 uV above rest, offset where it last is
        at 2 uV or more), ``side`` (``left``/``right``), ``peak_uv`` (peak
        activation above rest), ``origin`` (``series``, ``isolated``,
        ``respiratory``, ``posture``, ``wake_fidget``: a voluntary movement
        in restless wake) and ``n_bursts``.
    hypnogram : Hypnogram
    respiratory : DataFrame
        ``onset``, ``duration``, ``kind``.
    arousals : DataFrame
        ``onset``, ``duration``.
    artifacts : DataFrame
        ``onset``, ``duration``, ``side``, ``kind`` (``electrode_off``,
        ``pop``, ``twitch``, ``rem_twitch``, and with ``high_tone``
        ``raised_tone``: a stretch of raised resting tone, ``side`` ``left``,
        ``right`` or ``both``, ``amplitude_uv`` its peak resting level), ``amplitude_uv``.
    resting_uv : dict of str to SimChannel
        Resting tone of each leg (uV, 1 Hz), keyed by leg label.
    beats_s : ndarray
        R-peak times of the ECG.
    ectopic_s : ndarray
        The ectopic beats among them (``irregular_rhythm`` only).
    positions : DataFrame
        Body position segments: ``onset``, ``position`` (supine, left, right, prone).
    """

    spec: NightSpec
    seed: int
    duration_s: float
    signals: dict[str, SimChannel]
    left_label: str
    right_label: str
    ecg_label: str
    truth_lms: pd.DataFrame
    hypnogram: Hypnogram
    respiratory: pd.DataFrame
    arousals: pd.DataFrame
    artifacts: pd.DataFrame
    resting_uv: dict[str, SimChannel] = field(default_factory=dict)
    beats_s: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    positions: pd.DataFrame = field(default_factory=pd.DataFrame)
    ectopic_s: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    @property
    def leg_labels(self) -> tuple[str, str]:
        """Left and right leg labels."""
        return (self.left_label, self.right_label)

    def label_of(self, side: str) -> str:
        """Channel label of ``side`` (``left``/``right``)."""
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        return self.left_label if side == "left" else self.right_label

    def truth_annotations(self) -> Annotations:
        """The scored events as :class:`plms.annotations.Annotations`."""
        return truth_annotations(self)

    def __repr__(self) -> str:
        return (f"SimulatedNight(seed={self.seed}, {self.duration_s / S_PER_H:g} h, "
                f"{self.spec.difficulty}, {len(self.truth_lms)} truth LMs)")


def truth_annotations(night: SimulatedNight) -> Annotations:
    """Hypnogram, respiratory events and arousals of ``night`` as Annotations.

    Both event kinds are marked as scored (an empty table means none occurred).
    The truth leg movements are not included (they are what is to be found).
    """
    return Annotations(
        hypnogram=night.hypnogram,
        respiratory=night.respiratory.loc[:, ["onset", "duration", "kind"]].copy(),
        arousals=night.arousals.loc[:, ["onset", "duration"]].copy(),
        source=f"plms.simulate seed={night.seed}",
        respiratory_scored=True,
        arousals_scored=True,
    )
