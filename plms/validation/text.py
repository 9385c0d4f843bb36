"""The text ``plms validate`` prints: the agreement of two scorings in a few lines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from plms.validation.run import Validation
from plms.validation.sleep import SLEEP_FIGURES, SleepAgreement

__all__ = ["sleep_report", "validation_report"]


def validation_report(result: Validation, written: Sequence[Path]) -> str:
    """What ``plms validate`` prints: event agreement, PLMS index bias, sleep/wake."""
    lines = [f"{len(result.nights)} night(s) compared"]
    for row in result.events.itertuples():
        lines.append(f"  {row.leg:<9s} by {row.match:<6s} sensitivity {row.sensitivity:.3f}  "
                     f"precision {row.precision:.3f}  F1 {row.f1:.3f}  "
                     f"({row.tp}/{row.n_ref} reference, {row.n_test} test)")
    a = result.agreement
    if a.get("bias") is not None:
        loa = (f", limits of agreement {a['loa_lower']:.1f} to {a['loa_upper']:.1f}/h"
               if a.get("loa_lower") is not None else "")
        lines.append(f"  PLMS index bias {a['bias']:+.1f}/h{loa}")
        resp = a.get("respiratory_events") or {}
        if resp.get("note"):
            lines.append(f"  respiratory events scored on one side only: {resp['note']}")
    lines += sleep_report(result.sleep)
    shifts = result.nights["shift_s"]
    if (shifts != 0).any():
        lines.append(f"  shift applied to the test: {', '.join(f'{v:g} s' for v in shifts)}")
    lines.append(f"  outputs: {', '.join(str(p) for p in written)}")
    return "\n".join(lines)


def sleep_report(sleep: SleepAgreement | None) -> list[str]:
    """The sleep/wake lines of ``plms validate``'s report (none without hypnograms)."""
    if sleep is None or sleep.pooled is None:
        return []
    p = sleep.pooled

    def num(value: float | None, unit: str, sign: str = "") -> str:
        if value is None:
            return "n/a"
        return f"{value:{sign}.1f} {unit}" if unit else f"{value:{sign}.3f}"

    lines = [f"  sleep/wake, {p.n_epochs} epochs of {sleep.n_nights} night(s): accuracy "
             f"{num(p.accuracy, '')} (always sleep {num(p.always_sleep_accuracy, '')}), "
             f"kappa {num(p.kappa, '')}, sleep sensitivity {num(p.sensitivity, '')}, "
             f"wake specificity {num(p.specificity, '')}"]
    if sleep.n_nights == 1:
        night = next(n for n in sleep.nights if n.epochs is not None)
        lines.append("  reference / test: " + ", ".join(
            f"{label} {num(getattr(night.reference, key), unit)} / "
            f"{num(getattr(night.test, key), unit)}" for key, label, unit in SLEEP_FIGURES))
        return lines
    parts = []
    for key, label, unit in SLEEP_FIGURES:
        a = sleep.figures[key]
        if a.get("bias") is not None:
            loa = (f" (limits {num(a['loa_lower'], unit, '+')} to "
                   f"{num(a['loa_upper'], unit, '+')})" if a.get("loa_lower") is not None
                   else "")
            parts.append(f"{label} bias {num(a['bias'], unit, '+')}{loa}")
    return lines + (["  " + "; ".join(parts)] if parts else [])
