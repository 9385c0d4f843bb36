"""The levels the envelope is compared with: noise-adapted thresholds, WASM morphology.

RULES.md section 1 puts the onset 8 µV and the offset 2 µV above the resting
baseline; :func:`noise_thresholds` raises them where the resting envelope's
own fluctuation would reach them (docs/DETECTION.md, "A threshold that
respects the noise"). :func:`passes_morphology` is the WASM computer-scoring
criterion, at the offset level.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from plms.rules import Rules

__all__ = ["noise_thresholds", "passes_morphology"]

#: Windows of :func:`passes_morphology` whose medians are taken at a time (each
#: window's median is its own: the answer does not depend on the grouping).
MORPHOLOGY_WINDOW_GROUP = 16


def passes_morphology(env: npt.NDArray[np.float64], base: npt.NDArray[np.float64],
                      on: int, off: int, rate_hz: float, rules: Rules,
                      low_uv: npt.NDArray[np.float64]) -> bool:
    """WASM computer scoring: a window of 0.5 s whose median is >= baseline + 2 µV.

    ``low_uv`` (per bin) is the rules' level raised by the resting noise
    (:func:`noise_thresholds`): a median that the noise itself reaches shows
    no movement.
    """
    width = int(round(rules.morphology_window_s * rate_hz))
    seg = env[on:off] - base[on:off]
    if seg.size < width:
        return False
    windows = np.lib.stride_tricks.sliding_window_view(seg, width)
    need = np.maximum(rules.morphology_median_above_baseline_uv, low_uv[on:off])
    # a few windows at a time, from the onset: a movement usually passes in its first ones
    for a in range(0, windows.shape[0], MORPHOLOGY_WINDOW_GROUP):
        medians = np.median(windows[a: a + MORPHOLOGY_WINDOW_GROUP], axis=1)
        if (medians >= need[a: a + medians.size]).any():
            return True
    return False


def noise_thresholds(noise_sd: npt.NDArray[np.float64], rules: Rules, onset_sd: float,
                     offset_sd: float
                     ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Onset and offset thresholds above the baseline (µV, per bin) that respect the noise.

    RULES.md section 1 sets them at 8 and 2 µV above the resting level. Where
    the resting envelope's own standard deviation ``noise_sd`` is so high that
    its peaks reach them (a high resting tone), they are raised to
    ``onset_sd`` and ``offset_sd`` standard deviations
    (``DetectorSettings.noise_onset_sd`` and ``noise_offset_sd``). The offset
    threshold is raised only where the onset threshold is; elsewhere (and
    where there is no rest to measure: NaN) the rules' values hold.

    Raises
    ------
    ValueError
        ``onset_sd`` or ``offset_sd`` negative.

    Examples
    --------
    >>> from plms.rules import WASM2016
    >>> sd = np.array([1.2, 1.5, 4.0, np.nan])
    >>> on, off = noise_thresholds(sd, WASM2016, 5.0, 2.0)
    >>> on.tolist(), off.tolist()
    ([8.0, 8.0, 20.0, 8.0], [2.0, 2.0, 8.0, 2.0])
    """
    if not (onset_sd >= 0 and offset_sd >= 0):
        raise ValueError(f"onset_sd and offset_sd must not be negative, got {onset_sd}, "
                         f"{offset_sd}")
    sd = np.nan_to_num(np.asarray(noise_sd, dtype=np.float64), nan=0.0)
    onset = np.maximum(rules.lm_onset_above_baseline_uv, onset_sd * sd)
    raised = onset > rules.lm_onset_above_baseline_uv
    offset = np.where(raised, np.maximum(rules.lm_offset_above_baseline_uv,
                                         offset_sd * sd),
                      rules.lm_offset_above_baseline_uv)
    return onset, offset
