"""Quiet wake in the simulated sleeper (``NightSpec.quiet_wake``): long still awakenings."""

from __future__ import annotations

import numpy as np

from plms.hypnogram import SLEEP_STAGES, Hypnogram
from plms.simulate import NightSpec, simulate_night
from plms.simulate.sleep import (
    MAX_QUIET_SHARE, QUIET_CLEAR_EPOCHS, QUIET_MORNING_SHARE, QUIET_WAKE_MIN, add_quiet_wake,
)


def _night_hypnogram() -> Hypnogram:
    """20 min wake, 7 h of N2 with one 1-min awakening at 3 h, 10 min wake."""
    stages = np.array(["W"] * 40 + ["N2"] * 840 + ["W"] * 20)
    stages[40 + 360: 40 + 362] = "W"
    return Hypnogram(stages)


def test_quiet_bouts_are_whole_wake_bouts_clear_of_other_wake():
    hyp = _night_hypnogram()
    period_min = 840 / 2
    n_bouts = 0
    for seed in range(20):
        out, bouts = add_quiet_wake(np.random.default_rng(seed), hyp)
        assert out.n_epochs == hyp.n_epochs and out.lights_off_s == hyp.lights_off_s
        assert len(bouts) <= 2
        for a, b in bouts:
            i, j = int(a // 30), int(b // 30)
            minutes = (b - a) / 60
            assert QUIET_WAKE_MIN[0] - 0.5 <= minutes
            assert minutes <= min(QUIET_WAKE_MIN[1], MAX_QUIET_SHARE * period_min) + 0.5
            assert set(out.stages[i:j]) == {"W"}
            # a bout of its own: sleep either side, N1 right after
            assert np.isin(out.stages[i - QUIET_CLEAR_EPOCHS: i], SLEEP_STAGES).all()
            assert out.stages[j] == "N1"
            assert (hyp.stages[i - QUIET_CLEAR_EPOCHS: j + 1] == "N2").all()
        # nothing else changed: the wake of the input is kept, the rest is sleep or quiet wake
        assert (out.stages[hyp.stages == "W"] == "W").all()
        n_bouts += len(bouts)
    assert n_bouts >= 15  # 0.7 + 0.5 expected per night


def test_morning_bout_lies_in_the_last_quarter():
    hyp = _night_hypnogram()
    late = 0
    for seed in range(20):
        _, bouts = add_quiet_wake(np.random.default_rng(seed), hyp)
        late += any(a >= (40 + (1 - QUIET_MORNING_SHARE) * 840) * 30 for a, _ in bouts)
    assert late >= 8  # the morning bout comes on 70 % of nights


def test_no_sleep_no_quiet_wake():
    hyp = Hypnogram(np.array(["W"] * 100))
    out, bouts = add_quiet_wake(np.random.default_rng(0), hyp)
    assert bouts == [] and out is hyp


def test_quiet_wake_holds_no_fidgets_and_is_off_by_default():
    spec = NightSpec(duration_h=2.0, fs_leg=200, quiet_wake=True)
    night = simulate_night(4, spec)
    plain = simulate_night(4, NightSpec(duration_h=2.0, fs_leg=200))
    added = (night.hypnogram.stages == "W") & (plain.hypnogram.stages != "W")
    assert added.sum() >= 10  # this seed has a quiet bout of 5 min or more
    fidgets = night.truth_lms[night.truth_lms.origin == "wake_fidget"]
    idx = night.hypnogram.epoch_index(fidgets.onset.to_numpy())
    assert not added[idx].any()
    assert NightSpec().quiet_wake is False
