"""The one in-memory form of everything scored beside the signals.

Every annotation reader (EDF+ TAL, NSRR XML, ...) returns an
:class:`Annotations`: a hypnogram, respiratory events, arousals and already
scored leg movements, all with onsets in seconds from the recording start.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from plms.hypnogram import Hypnogram

#: Columns of the respiratory-event table.
RESPIRATORY_COLUMNS = ("onset", "duration", "kind")
#: Columns of the arousal table.
AROUSAL_COLUMNS = ("onset", "duration")
#: Side of the movements of one channel that holds both legs (the two legs' electrodes
#: bridged onto one channel, or a leg channel without a side): RULES.md "One leg channel".
COMBINED = "combined"
#: Sides a leg movement of one channel can have: one leg, or both legs on one channel.
LEG_SIDES = ("left", "right", COMBINED)
#: Columns of the table of scored leg movements (one leg each).
LEG_MOVEMENT_COLUMNS = ("onset", "duration", "side")
#: Columns of the table of stretches excluded from scoring (one leg each).
EXCLUDED_COLUMNS = ("onset", "duration", "side")


def empty_table(columns: tuple[str, ...]) -> pd.DataFrame:
    """An empty table with float time columns and the given column names."""
    return pd.DataFrame(
        {c: pd.Series(dtype=float if c in ("onset", "duration") else object) for c in columns}
    )


@dataclass(frozen=True, eq=False)
class Annotations:
    """What a scorer (human or program) marked on a night.

    Attributes
    ----------
    hypnogram : Hypnogram or None
        Sleep stages; ``None`` when the file holds none.
    respiratory : DataFrame
        ``onset``, ``duration`` (s) and ``kind`` (``obstructive apnea``,
        ``central apnea``, ``mixed apnea``, ``apnea``, ``hypopnea``, ``rera``).
    arousals : DataFrame
        ``onset``, ``duration`` (s).
    leg_movements : DataFrame
        ``onset``, ``duration`` (s), ``side`` (``left``/``right``, or
        ``combined`` for one channel holding both legs): movements already
        scored per leg, for rescoring.
    excluded : DataFrame
        ``onset``, ``duration`` (s), ``side`` (``left``/``right``): stretches
        of one leg left out of scoring (e.g. a detached electrode), as plms
        writes them back (``docs/CONTRACT.md``); empty when the file marks none.
    source : str or None
        The file these came from.
    warnings : tuple of str
        Problems found while reading that did not stop it.
    respiratory_scored, arousals_scored : bool
        Whether the source holds a scoring of these events at all (an empty
        table then means "none occurred", not "not scored").
    """

    hypnogram: Hypnogram | None = None
    respiratory: pd.DataFrame = field(default_factory=lambda: empty_table(RESPIRATORY_COLUMNS))
    arousals: pd.DataFrame = field(default_factory=lambda: empty_table(AROUSAL_COLUMNS))
    leg_movements: pd.DataFrame = field(
        default_factory=lambda: empty_table(LEG_MOVEMENT_COLUMNS)
    )
    excluded: pd.DataFrame = field(default_factory=lambda: empty_table(EXCLUDED_COLUMNS))
    source: str | None = None
    warnings: tuple[str, ...] = ()
    respiratory_scored: bool = False
    arousals_scored: bool = False

    def with_warnings(self, *messages: str) -> Annotations:
        """A copy with more warnings appended."""
        return replace(self, warnings=self.warnings + tuple(messages))

    def cropped(self, duration_s: float) -> Annotations:
        """Drop events that start outside [0, duration_s) and say how many went.

        The hypnogram loses the epochs past the end; a warning names every
        kind of event that had some outside the recording.
        """
        notes: list[str] = []
        tables = {}
        for name in ("respiratory", "arousals", "leg_movements", "excluded"):
            table: pd.DataFrame = getattr(self, name)
            inside = (table["onset"] >= 0) & (table["onset"] < duration_s)
            n_out = int((~inside).sum())
            if n_out:
                what = "excluded stretch" if name == "excluded" else name.replace("_", " ")
                notes.append(
                    f"{n_out} {what} event(s) lie outside the recording "
                    f"(0-{duration_s:g} s) and were ignored"
                )
            tables[name] = table.loc[inside].reset_index(drop=True)
        hyp = self.hypnogram
        if hyp is not None:
            if hyp.end_s > duration_s + hyp.epoch_s:
                n_extra = hyp.n_epochs - hyp.cropped(duration_s).n_epochs
                notes.append(
                    f"the hypnogram is longer than the recording: {n_extra} epoch(s) "
                    f"after {duration_s:g} s were ignored"
                )
                hyp = hyp.cropped(duration_s)
            elif hyp.end_s < duration_s - hyp.epoch_s:
                notes.append(
                    f"the hypnogram ends at {hyp.end_s:g} s, before the recording "
                    f"({duration_s:g} s): movements after it have no stage"
                )
        return replace(self, hypnogram=hyp, warnings=self.warnings + tuple(notes), **tables)
