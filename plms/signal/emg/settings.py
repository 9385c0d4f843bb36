"""The settings of the EMG leg-movement detector (:class:`DetectorSettings`).

Every number the detector uses beyond the rules preset is a named, documented
field here; the rules' own thresholds live in :class:`plms.rules.Rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plms.signal.emg.artifacts import DetachedSettings
from plms.signal.emg.baseline import BaselineSettings
from plms.signal.emg.leg_beats import LegBeatSettings


@dataclass(frozen=True)
class DetectorSettings:
    """Choices of the detector that are not scoring rules (those live in :class:`Rules`)."""

    #: Width of the moving average that smooths the rectified envelope on
    #: which onsets and offsets are decided, s.
    envelope_smoothing_s: float = 0.2
    #: Width of the lighter smoothing on which the decided edges are placed
    #: and the quiet period is tested, s ...
    edge_smoothing_s: float = 0.05
    #: ... widened to hold at least this many samples: at 128 Hz 0.05 s holds
    #: 6, whose mean rectified amplitude scatters by ~30 % at rest (12: ~21 %),
    #: enough to hold the quiet test's mean excess near 2 µV at a high resting
    #: tone and stretch twitches past 0.5 s. Changes nothing from 256 Hz up.
    edge_min_samples: float = 12.0
    #: Samples from this long before a heart beat ...
    qrs_gate_before_s: float = 0.06
    #: ... to this long after it are left out of the envelope.
    qrs_gate_after_s: float = 0.09
    #: Beats of another shape (ectopic, wide QRS: :class:`Heartbeats`) disturb
    #: a leg over a wider stretch, measured on the leg: their median rectified
    #: artifact is sought within this long before and after the beat, s (a
    #: QRS up to 0.2 s wide, placed up to 0.05 s off its slope-energy peak) ...
    other_shape_span_s: float = 0.3
    #: ... and spans the bins where it stands more than this share of the
    #: rules' offset threshold above the leg's level between beats (half of
    #: ``Rules.lm_offset_above_baseline_uv``, 2 µV in RULES.md section 1: a
    #: residue below it cannot hold a quiet period above it on its own) ...
    other_shape_margin_share: float = 0.5
    #: ... after a moving average over this long, s (the rectified wave has
    #: dips between its lobes, which must not end the artifact early) ...
    other_shape_smoothing_s: float = 0.03
    #: ... measured only with at least this many such beats (otherwise they are
    #: gated like the others). Their gate is never narrower than the usual one.
    other_shape_min_beats: int = 20
    #: Without an ECG channel, heart beats are sought in the legs' own cardiac
    #: artifact (:mod:`plms.signal.emg.leg_beats`; ``enabled=False``: not sought).
    leg_beats: LegBeatSettings = field(default_factory=LegBeatSettings)
    #: Detect and exclude stretches where the electrode is off.
    exclude_electrode_off: bool = True
    #: How a detached electrode is recognised when its mains pick-up is
    #: notched out or aliased (by the level of the band-passed EMG).
    detached: DetachedSettings = field(default_factory=DetachedSettings)
    #: Where the resting envelope fluctuates so much that its own peaks cross
    #: the rules' onset threshold (a high resting tone), the onset threshold
    #: above the baseline is raised to this many standard deviations of the
    #: resting envelope (:func:`plms.signal.emg.baseline.resting_baseline_and_noise`); the
    #: rules' threshold holds wherever it is the higher (everywhere at an
    #: ordinary resting tone: the envelope scatters by ~15 % of its level).
    #: As MATPLM's dynamic threshold, which adds 5 moving standard deviations.
    noise_onset_sd: float = 5.0
    #: ... and there (only where the onset threshold is raised, so that an
    #: ordinary resting tone is scored by the rules' numbers alone) the offset
    #: (quiet) threshold and the WASM morphology level to this many: the mean
    #: clipped excess of a resting light envelope is about 0.75 of the
    #: decision envelope's standard deviation, so near 1 a stretch of raised
    #: tone is hardly ever quiet and noise peaks last past the minimum duration.
    noise_offset_sd: float = 2.0
    #: Resting-baseline estimator.
    baseline: BaselineSettings = field(default_factory=BaselineSettings)

    def __post_init__(self) -> None:
        for name in ("envelope_smoothing_s", "edge_smoothing_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("edge_min_samples", "qrs_gate_before_s", "qrs_gate_after_s",
                     "noise_onset_sd", "noise_offset_sd",
                     "other_shape_span_s", "other_shape_margin_share", "other_shape_min_beats",
                     "other_shape_smoothing_s"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
