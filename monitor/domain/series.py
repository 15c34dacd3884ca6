"""A patient's series of infusions: sessions aligned on the end of their infusion, and the
change from baseline to peak in each, so today's rise can be compared with the usual one."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from .readings import Reading
from .sessions import Session
from .vitals import Vital

#: Which way each vital moves when ketamine matters: blood pressure and heart rate rise,
#: respiration and oxygenation are watched for the fall (DOMAIN.md).
PEAK_DIRECTION: Mapping[Vital, str] = {
    Vital.SBP: "high", Vital.DBP: "high", Vital.MAP: "high", Vital.HR: "high",
    Vital.RR: "low", Vital.SPO2: "low",
}


def minutes_from(moment: datetime, origin: datetime) -> float:
    """Minutes from ``origin`` to ``moment``: negative before it."""
    return (moment - origin).total_seconds() / 60.0


@dataclass(frozen=True)
class AlignedSeries:
    """One session's current readings on an axis of minutes relative to infusion end."""

    session_id: int | None
    started_at: datetime | None
    infusion_end: datetime
    minutes: tuple[float, ...]
    values: Mapping[Vital, tuple[float, ...]]  # NaN where a vital was not measured

    def points(self, vital: Vital) -> list[tuple[float, float]]:
        """(minutes, value) pairs where ``vital`` was measured."""
        return [(m, v) for m, v in zip(self.minutes, self.values.get(vital, ()), strict=True)
                if not math.isnan(v)]


def align_on_infusion_end(session: Session, readings: Iterable[Reading]
                          ) -> AlignedSeries | None:
    """``session``'s current readings with times as minutes relative to its infusion end.
    None when the infusion end was never recorded: such a session cannot be aligned."""
    end = session.infusion.ended_at
    if end is None:
        return None
    current = sorted((r for r in readings if r.is_current), key=lambda r: (r.taken_at, r.id or 0))
    minutes = tuple(minutes_from(r.taken_at, end) for r in current)
    values = {vital: tuple(float(r.values.get(vital, math.nan)) for r in current)
              for vital in Vital}
    return AlignedSeries(session.id, session.started_at, end, minutes, values)


@dataclass(frozen=True)
class BaselineToPeak:
    """How far a vital moved from the patient's pre-infusion baseline in one session."""

    vital: Vital
    baseline: float | None
    peak: float | None  # the highest value (lowest for RR and SpO2) from infusion start on
    peak_at_minutes: float | None  # relative to infusion end; None when not aligned

    @property
    def change(self) -> float | None:
        """Peak minus baseline (negative for a fall), or None when either is missing."""
        if self.baseline is None or self.peak is None:
            return None
        return self.peak - self.baseline


def session_baseline(session: Session, readings: Iterable[Reading], vital: Vital
                     ) -> float | None:
    """The baseline for ``vital``: the one charted with the session, else the last reading
    taken before the infusion started."""
    if vital in session.baseline:
        return float(session.baseline[vital])
    start = session.infusion.started_at
    if start is None:
        return None
    before = [r for r in readings if r.is_current and r.taken_at < start and vital in r.values]
    if not before:
        return None
    return float(max(before, key=lambda r: r.taken_at).values[vital])


def baseline_to_peak(session: Session, readings: Iterable[Reading], vital: Vital
                     ) -> BaselineToPeak:
    """Baseline and peak of ``vital`` in ``session``. The peak is searched from the infusion
    start on (the whole session when the start is unknown)."""
    readings = [r for r in readings if r.is_current]
    baseline = session_baseline(session, readings, vital)
    start = session.infusion.started_at
    candidates = [r for r in readings if vital in r.values
                  and (start is None or r.taken_at >= start)]
    if not candidates:
        return BaselineToPeak(vital, baseline, None, None)
    pick = max if PEAK_DIRECTION[vital] == "high" else min
    peak_reading = pick(candidates, key=lambda r: (r.values[vital], -r.taken_at.timestamp())
                        if pick is max else (r.values[vital], r.taken_at.timestamp()))
    end = session.infusion.ended_at
    at = minutes_from(peak_reading.taken_at, end) if end is not None else None
    return BaselineToPeak(vital, baseline, float(peak_reading.values[vital]), at)


def series_table(session: Session, readings: Iterable[Reading],
                 vitals: Iterable[Vital] = (Vital.SBP, Vital.DBP, Vital.HR, Vital.SPO2)
                 ) -> dict[Vital, BaselineToPeak]:
    """Baseline-to-peak for each of ``vitals`` in one session."""
    readings = list(readings)
    return {vital: baseline_to_peak(session, readings, vital) for vital in vitals}
