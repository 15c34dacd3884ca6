"""Scores worked out from what is charted: NEWS2 of each observation set, and the discharge
items (Aldrete circulation and SpO2, PADSS vital signs) computed from the latest readings
against the patient's baseline, each with the basis a nurse can check.

The tables live in :mod:`scores`; this module only gathers their inputs from readings and
explains the result. Nothing missing is ever counted as 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from .errors import FieldError
from .events import _common_errors  # the same initials rule as timeline entries
from .ordered import replaced_in_order
from .readings import Reading
from .scores import (
    DISCHARGE_PASS_MARK,
    PADSS_VITALS,
    AldreteActivity,
    AldreteConsciousness,
    AldreteObservation,
    AldreteRespiration,
    AldreteSettings,
    CirculationMode,
    Consciousness,
    DischargeScore,
    News2Observation,
    News2Result,
    PadssActivity,
    PadssBleeding,
    PadssIntakeOutput,
    PadssObservation,
    PadssSymptoms,
    ScoreItem,
    aldrete,
    aldrete_circulation,
    aldrete_spo2,
    news2,
    padss,
    padss_vital_signs,
    percent_deviation,
)
from .vitals import VITAL_SPECS, Vital

# -- NEWS2 of a reading ------------------------------------------------------------------------

#: Body temperature a thermometer can plausibly show; outside it is a typing or unit error.
TEMPERATURE_MIN_C = 25.0
TEMPERATURE_MAX_C = 45.0


def consciousness_of(reading: Reading) -> Consciousness | None:
    """The reading's ACVPU level, None when not assessed (or not understood)."""
    try:
        return Consciousness(reading.consciousness) if reading.consciousness else None
    except ValueError:
        return None


def reading_news2(reading: Reading) -> News2Result:
    """NEWS2 of one observation set, partial where something was not observed."""
    return news2(News2Observation.from_vitals(
        reading.values, on_oxygen=reading.on_oxygen, consciousness=consciousness_of(reading),
        temperature=reading.temperature_c))


@dataclass(frozen=True)
class News2Point:
    """NEWS2 of one current reading, for the trend."""

    at: datetime
    result: News2Result
    reading_id: int | None = None


def news2_trend(readings: Iterable[Reading]) -> list[News2Point]:
    """NEWS2 of every current reading (corrected and in-error ones left out), in time order."""
    current = sorted((r for r in readings if r.is_current), key=lambda r: r.taken_at)
    return [News2Point(r.taken_at, reading_news2(r), r.id) for r in current]


def reading_order(reading: Reading) -> tuple[datetime, int]:
    """The store's order of readings: time taken, then id."""
    return (reading.taken_at, reading.id or 0)


def point_order(point: News2Point) -> tuple[datetime, int]:
    """A trend point's place: that of its reading (:func:`reading_order`)."""
    return (point.at, point.reading_id or 0)


def news2_trend_updated(trend: Sequence[News2Point], removed: Iterable[Reading],
                        added: Iterable[Reading],
                        score: Callable[[Reading], News2Result] = reading_news2
                        ) -> list[News2Point]:
    """``trend`` (news2_trend of readings in the store's order) once ``removed`` left
    those readings and ``added`` came in (a reading whose status changed is in both: as
    it was, as it is). Only the added current readings are scored, each put in its place,
    so a new reading costs one score however long the session; the result is what
    news2_trend gives for the readings as they now are."""
    return replaced_in_order(
        trend, [reading_order(r) for r in removed if r.is_current],
        [News2Point(r.taken_at, score(r), r.id) for r in added if r.is_current],
        key=point_order)


def missing_text(result: News2Result) -> str:
    """``partial: consciousness, temperature missing``, or '' for a complete score."""
    if not result.partial:
        return ""
    return f"partial: {', '.join(p.label for p in result.missing)} missing"


def parse_temperature(text: str) -> tuple[float | None, FieldError | None]:
    """What a nurse typed as temperature in °C (decimal comma accepted); empty means not
    measured."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None, None
    try:
        value = float(cleaned)
    except ValueError:
        return None, FieldError("Temperature", f"'{text.strip()}' is not a number")
    if not TEMPERATURE_MIN_C <= value <= TEMPERATURE_MAX_C:
        return None, FieldError(
            "Temperature", f"{value:g} °C is outside the plausible range "
            f"{TEMPERATURE_MIN_C:g}-{TEMPERATURE_MAX_C:g} °C")
    return value, None


# -- discharge assessments ---------------------------------------------------------------------

DEFAULT_ALDRETE = AldreteSettings()


class DischargeKind(StrEnum):
    ALDRETE = "aldrete"
    PADSS = "padss"

    @property
    def label(self) -> str:
        return "Modified Aldrete" if self is DischargeKind.ALDRETE else "PADSS"


#: The items the nurse observes, per score: observation field -> (label, choices), with the
#: DOMAIN.md wording as the choices' names.
OBSERVED_ITEMS: Mapping[DischargeKind, Mapping[str, tuple[str, type[ScoreItem]]]] = {
    DischargeKind.ALDRETE: {
        "activity": ("Activity", AldreteActivity),
        "respiration": ("Respiration", AldreteRespiration),
        "consciousness": ("Consciousness", AldreteConsciousness),
    },
    DischargeKind.PADSS: {
        "activity": ("Activity", PadssActivity),
        "pain_nausea_vomiting": ("Pain, nausea and vomiting", PadssSymptoms),
        "bleeding": ("Bleeding", PadssBleeding),
        "intake_output": ("Intake and output", PadssIntakeOutput),
    },
}


@dataclass(frozen=True)
class ComputedItem:
    """An item computed from charted vitals, with how it was reached."""

    name: str
    points: int | None
    basis: str


def latest_values(readings: Sequence[Reading]) -> dict[Vital, tuple[float, datetime]]:
    """The newest current value of each vital, with when it was taken."""
    latest: dict[Vital, tuple[float, datetime]] = {}
    for reading in sorted((r for r in readings if r.is_current), key=lambda r: r.taken_at):
        for vital, value in reading.values.items():
            latest[vital] = (value, reading.taken_at)
    return latest


def latest_on_oxygen(readings: Sequence[Reading]) -> bool | None:
    """Air or oxygen as charted with the newest current reading that recorded it."""
    for reading in sorted((r for r in readings if r.is_current), key=lambda r: r.taken_at,
                          reverse=True):
        if reading.on_oxygen is not None:
            return reading.on_oxygen
    return None


def _scored(points: int | None) -> str:
    return "not scored" if points is None else f"→ {points}"


def _name(vital: Vital) -> str:
    return VITAL_SPECS[vital].abbreviation


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == round(value) else f"{value:.1f}"


def circulation_item(latest: Mapping[Vital, tuple[float, datetime]],
                     baseline: Mapping[Vital, float],
                     settings: AldreteSettings = DEFAULT_ALDRETE) -> ComputedItem:
    """Aldrete circulation: charted SBP against the pre-infusion SBP."""
    sbp, base = latest.get(Vital.SBP), baseline.get(Vital.SBP)
    if sbp is None:
        return ComputedItem("circulation", None, "no systolic BP charted: not scored")
    if not base:
        return ComputedItem("circulation", None, "no baseline systolic BP: not scored")
    points = aldrete_circulation(sbp[0], base, settings)
    if settings.circulation is CirculationMode.PERCENT:
        off, unit = percent_deviation(sbp[0], base), " %"
    else:
        off, unit = abs(sbp[0] - base), " mmHg"
    within, beyond = _fmt(settings.within), _fmt(settings.beyond)
    if points == 2:
        rule = f"within {within}{unit}"
    elif points == 1:
        rule = f"{_fmt(off)}{unit} off, within {beyond}{unit}"
    else:
        rule = f"{_fmt(off)}{unit} off, beyond {beyond}{unit}"
    return ComputedItem("circulation", points,
                        f"SBP {_fmt(sbp[0])} vs baseline {_fmt(base)}: {rule} {_scored(points)}")


def spo2_item(latest: Mapping[Vital, tuple[float, datetime]],
              on_oxygen: bool | None) -> ComputedItem:
    """Aldrete SpO2: charted SpO2, on air or oxygen."""
    spo2 = latest.get(Vital.SPO2)
    if spo2 is None:
        return ComputedItem("spo2", None, "no SpO2 charted: not scored")
    points = aldrete_spo2(spo2[0], on_oxygen)
    air = {None: "air or oxygen not recorded", True: "on oxygen", False: "on air"}[on_oxygen]
    return ComputedItem("spo2", points, f"SpO2 {_fmt(spo2[0])} % {air} {_scored(points)}")


def padss_vitals_item(latest: Mapping[Vital, tuple[float, datetime]],
                      baseline: Mapping[Vital, float]) -> ComputedItem:
    """PADSS vital signs: BP and pulse against baseline, the worse one counts."""
    parts = []
    for vital in PADSS_VITALS:
        value, base = latest.get(vital), baseline.get(vital)
        if value is None:
            return ComputedItem("vital signs", None, f"no {_name(vital)} charted: not scored")
        if not base:
            return ComputedItem("vital signs", None,
                                f"no baseline {_name(vital)}: not scored")
        parts.append(f"{_name(vital)} {_fmt(value[0])} vs {_fmt(base)} "
                     f"({_fmt(round(percent_deviation(value[0], base)))} %)")
    values = {v: latest[v][0] for v in PADSS_VITALS}
    points = padss_vital_signs(values, baseline)
    rule = {2: "within 20 %", 1: "within 40 %", 0: "beyond 40 %"}[points or 0]
    return ComputedItem("vital signs", points, f"{', '.join(parts)}: {rule} {_scored(points)}")


@dataclass(frozen=True)
class DischargeAssessment:
    """A discharge score with the items computed from the chart and what was observed."""

    kind: DischargeKind
    score: DischargeScore
    computed: tuple[ComputedItem, ...]
    observed: Mapping[str, ScoreItem | None]
    escort_present: bool | None = None
    on_oxygen: bool | None = None

    def to_items(self) -> dict[str, Any]:
        """What the store keeps: every item's points (None = not assessed), the observed
        choices, the basis of each computed item."""
        return {
            "scores": {**self.score.scores, **dict.fromkeys(self.score.missing)},
            "observed": {k: v.name if v is not None else None for k, v in self.observed.items()},
            "basis": {c.name: c.basis for c in self.computed},
            "unmet": list(self.score.unmet),
            "escort_present": self.escort_present,
            "on_oxygen": self.on_oxygen,
        }


def assess(kind: DischargeKind, observed: Mapping[str, ScoreItem | None],
           readings: Sequence[Reading], baseline: Mapping[Vital, float], at: datetime, *,
           escort_present: bool | None = None, on_oxygen: bool | None = None,
           settings: AldreteSettings = DEFAULT_ALDRETE) -> DischargeAssessment:
    """Score ``kind`` from the nurse's ``observed`` items and the latest charted vitals."""
    latest = latest_values(readings)
    values = {v: x for v, (x, _) in latest.items()}
    chosen = {k: v for k, v in observed.items() if k in OBSERVED_ITEMS[kind]}
    if kind is DischargeKind.ALDRETE:
        score = aldrete(AldreteObservation(**chosen, on_oxygen=on_oxygen, at=at), values,
                        baseline, settings)
        computed = (circulation_item(latest, baseline, settings), spo2_item(latest, on_oxygen))
    else:
        score = padss(PadssObservation(**chosen, escort_present=escort_present, at=at), values,
                      baseline)
        computed = (padss_vitals_item(latest, baseline),)
    return DischargeAssessment(kind, score, computed, chosen, escort_present, on_oxygen)


def stored_score(kind: str, at: datetime, items: Mapping[str, Any], total: int | None,
                 meets: bool) -> DischargeScore:
    """A stored assessment as a DischargeScore again, for :func:`scores.criteria_times`."""
    scores = items.get("scores", {})
    return DischargeScore(
        DischargeKind(kind).label, total or 0,
        {k: v for k, v in scores.items() if v is not None},
        tuple(k for k, v in scores.items() if v is None), DISCHARGE_PASS_MARK,
        () if meets else tuple(items.get("unmet") or ("criteria not met",)), at)


def validate_assessor(entered_by: str, at: datetime, now: datetime) -> list[FieldError]:
    """Who assessed, and when (not in the future)."""
    return _common_errors(at, entered_by, "", now)
