"""Clinical scores: NEWS2, the modified Aldrete score and PADSS (tables in DOMAIN.md).

A parameter that was not observed is never counted as 0: every result lists what is missing
and says it is partial, and a partial discharge score never meets its criteria.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum

from .vitals import Vital

# -- shared ----------------------------------------------------------------------------------


def _round_half_up(value: float, places: int) -> Decimal:
    # Charts hold integers (and temperature to 0.1); a device value such as 219.6 must land in
    # one band, not fall between 219 and 220. Decimal avoids 35.05 becoming 35.0499...
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _band(value: float, table: tuple[tuple[float, int], ...], places: int = 0) -> int:
    """The score of ``value`` in ``table``: (inclusive upper bound, score) rows, ascending;
    the last row's bound is infinity."""
    rounded = _round_half_up(value, places)
    for upper, score in table:
        if rounded <= Decimal(str(upper)):
            return score
    raise AssertionError("table must end with an infinite bound")


def _three_level(deviation: float, within: float, beyond: float) -> int:
    """2 when ``deviation`` is within ``within``, 1 up to ``beyond``, 0 past it."""
    deviation = round(deviation, 6)  # 20.000000000000004 % is 20 %
    if deviation <= within:
        return 2
    return 1 if deviation <= beyond else 0


def percent_deviation(value: float, baseline: float) -> float:
    """How far ``value`` lies from ``baseline``, in percent of the baseline (always >= 0)."""
    if baseline <= 0:
        raise ValueError(f"baseline {baseline:g} must be positive")
    return round(abs(value - baseline) / baseline * 100, 6)


class ScoreItem(IntEnum):
    """A nurse-observed item scored 0-2; the member name is its description."""

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").lower()


def _points(item: ScoreItem | None) -> int | None:
    return None if item is None else int(item)


# -- NEWS2 -----------------------------------------------------------------------------------

INF = float("inf")


class Consciousness(StrEnum):
    """ACVPU. Anything but alert scores 3."""

    ALERT = "A"
    NEW_CONFUSION = "C"
    VOICE = "V"
    PAIN = "P"
    UNRESPONSIVE = "U"


class News2Parameter(StrEnum):
    RESPIRATION_RATE = "rr"
    SPO2 = "spo2"
    AIR_OR_OXYGEN = "oxygen"
    SYSTOLIC_BP = "sbp"
    PULSE = "pulse"
    CONSCIOUSNESS = "consciousness"
    TEMPERATURE = "temperature"

    @property
    def label(self) -> str:
        return _NEWS2_LABELS[self]


_NEWS2_LABELS = {
    News2Parameter.RESPIRATION_RATE: "respiration rate",
    News2Parameter.SPO2: "SpO2",
    News2Parameter.AIR_OR_OXYGEN: "air or oxygen",
    News2Parameter.SYSTOLIC_BP: "systolic BP",
    News2Parameter.PULSE: "pulse",
    News2Parameter.CONSCIOUSNESS: "consciousness",
    News2Parameter.TEMPERATURE: "temperature",
}

# RCP 2017 single-parameter tables: (inclusive upper bound, score).
RR_TABLE = ((8, 3), (11, 1), (20, 0), (24, 2), (INF, 3))
SPO2_SCALE1_TABLE = ((91, 3), (93, 2), (95, 1), (INF, 0))
SBP_TABLE = ((90, 3), (100, 2), (110, 1), (219, 0), (INF, 3))
PULSE_TABLE = ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (INF, 3))
TEMPERATURE_TABLE = ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (INF, 2))


class News2Band(StrEnum):
    LOW = "low"
    LOW_MEDIUM = "low-medium"
    MEDIUM = "medium"
    HIGH = "high"


NEWS2_RESPONSE = {
    News2Band.LOW: "Registered nurse to assess; decide frequency of monitoring",
    News2Band.LOW_MEDIUM: "Registered nurse to inform the medical team",
    News2Band.MEDIUM: "Urgent review by a clinician",
    News2Band.HIGH: "Emergency response",
}
NEWS2_ZERO_RESPONSE = "Continue routine monitoring"


@dataclass(frozen=True)
class News2Observation:
    """What NEWS2 needs. None means not observed."""

    respiration_rate: float | None = None
    spo2: float | None = None
    on_oxygen: bool | None = None
    systolic_bp: float | None = None
    pulse: float | None = None
    consciousness: Consciousness | None = None
    temperature: float | None = None

    @classmethod
    def from_vitals(
        cls,
        values: Mapping[Vital, float],
        *,
        on_oxygen: bool | None = None,
        consciousness: Consciousness | None = None,
        temperature: float | None = None,
    ) -> News2Observation:
        """Take RR, SpO2, SBP and HR from charted vitals; the rest is observed by the nurse."""
        return cls(
            respiration_rate=values.get(Vital.RR),
            spo2=values.get(Vital.SPO2),
            on_oxygen=on_oxygen,
            systolic_bp=values.get(Vital.SBP),
            pulse=values.get(Vital.HR),
            consciousness=consciousness,
            temperature=temperature,
        )


@dataclass(frozen=True)
class News2Result:
    """A NEWS2 score. When ``partial``, ``total`` and ``band`` are a lower bound: a missing
    parameter can only add points."""

    total: int
    scores: Mapping[News2Parameter, int]
    missing: tuple[News2Parameter, ...]
    band: News2Band
    response: str

    @property
    def partial(self) -> bool:
        return bool(self.missing)

    @property
    def any_single_three(self) -> bool:
        return 3 in self.scores.values()

    @property
    def summary(self) -> str:
        """One line for a nurse, e.g. ``NEWS2 5 (partial: no temperature) medium: ...``."""
        text = f"NEWS2 {self.total}"
        if self.partial:
            text += f" (partial: no {', '.join(p.label for p in self.missing)})"
        return f"{text} {self.band.value}: {self.response}"


def news2_band(total: int, any_single_three: bool) -> News2Band:
    """The clinical risk band of an aggregate score."""
    if total >= 7:
        return News2Band.HIGH
    if total >= 5:
        return News2Band.MEDIUM
    if any_single_three:
        return News2Band.LOW_MEDIUM
    return News2Band.LOW


def news2_parameter_scores(obs: News2Observation) -> dict[News2Parameter, int | None]:
    """Each parameter's single score, None where not observed."""
    p = News2Parameter

    def scored(value: float | None, table: tuple[tuple[float, int], ...],
               places: int = 0) -> int | None:
        return None if value is None else _band(value, table, places)

    return {
        p.RESPIRATION_RATE: scored(obs.respiration_rate, RR_TABLE),
        p.SPO2: scored(obs.spo2, SPO2_SCALE1_TABLE),
        p.AIR_OR_OXYGEN: None if obs.on_oxygen is None else (2 if obs.on_oxygen else 0),
        p.SYSTOLIC_BP: scored(obs.systolic_bp, SBP_TABLE),
        p.PULSE: scored(obs.pulse, PULSE_TABLE),
        p.CONSCIOUSNESS: (
            None if obs.consciousness is None
            else 0 if obs.consciousness is Consciousness.ALERT else 3
        ),
        p.TEMPERATURE: scored(obs.temperature, TEMPERATURE_TABLE, places=1),
    }


def news2(obs: News2Observation) -> News2Result:
    """NEWS2 (RCP 2017, SpO2 scale 1) of ``obs``."""
    all_scores = news2_parameter_scores(obs)
    scores = {k: v for k, v in all_scores.items() if v is not None}
    missing = tuple(k for k, v in all_scores.items() if v is None)
    total = sum(scores.values())
    band = news2_band(total, 3 in scores.values())
    response = NEWS2_ZERO_RESPONSE if total == 0 else NEWS2_RESPONSE[band]
    return News2Result(total, scores, missing, band, response)


# -- discharge scores: modified Aldrete and PADSS --------------------------------------------

DISCHARGE_PASS_MARK = 9


@dataclass(frozen=True)
class DischargeScore:
    """A modified Aldrete or PADSS result: items 0-2 each, out of 10."""

    name: str
    total: int
    scores: Mapping[str, int]
    missing: tuple[str, ...]
    pass_mark: int
    unmet: tuple[str, ...]  # why the criteria are not met; empty when they are
    assessed_at: datetime | None = None

    @property
    def partial(self) -> bool:
        return bool(self.missing)

    @property
    def meets_criteria(self) -> bool:
        return not self.unmet


def _discharge_score(
    name: str,
    items: Mapping[str, int | None],
    pass_mark: int,
    assessed_at: datetime | None,
    extra_unmet: Iterable[str] = (),
) -> DischargeScore:
    scores = {k: v for k, v in items.items() if v is not None}
    missing = tuple(k for k, v in items.items() if v is None)
    total = sum(scores.values())
    unmet: list[str] = []
    if missing:
        unmet.append(f"not assessed: {', '.join(missing)}")
    if total < pass_mark:
        unmet.append(f"score {total} is below {pass_mark}")
    unmet.extend(extra_unmet)
    return DischargeScore(name, total, scores, missing, pass_mark, tuple(unmet), assessed_at)


class AldreteActivity(ScoreItem):
    MOVES_FOUR_LIMBS = 2
    MOVES_TWO_LIMBS = 1
    NO_MOVEMENT = 0


class AldreteRespiration(ScoreItem):
    DEEP_BREATH_AND_COUGH = 2
    DYSPNOEA_OR_SHALLOW_BREATHING = 1
    APNOEA = 0


class AldreteConsciousness(ScoreItem):
    FULLY_AWAKE = 2
    ROUSABLE_ON_CALLING = 1
    NOT_RESPONDING = 0


class CirculationMode(StrEnum):
    """How the Aldrete circulation item compares SBP with the pre-infusion value."""

    MMHG = "mmHg"
    PERCENT = "percent"


@dataclass(frozen=True)
class AldreteSettings:
    """Units differ: DOMAIN.md gives +-20 / 20-50 mmHg, some use +-20 / 20-50 %."""

    circulation: CirculationMode = CirculationMode.MMHG
    within: float = 20.0
    beyond: float = 50.0
    pass_mark: int = DISCHARGE_PASS_MARK


@dataclass(frozen=True)
class AldreteObservation:
    """What the nurse observes; circulation and SpO2 come from the charted vitals."""

    activity: AldreteActivity | None = None
    respiration: AldreteRespiration | None = None
    consciousness: AldreteConsciousness | None = None
    on_oxygen: bool | None = None
    at: datetime | None = None


def aldrete_circulation(
    sbp: float | None, baseline_sbp: float | None, settings: AldreteSettings = AldreteSettings()
) -> int | None:
    """2 within +-20 of the pre-infusion SBP, 1 within +-50, 0 beyond (mmHg or %)."""
    if sbp is None or not baseline_sbp:
        return None
    if settings.circulation is CirculationMode.PERCENT:
        deviation = percent_deviation(sbp, baseline_sbp)
    else:
        deviation = abs(sbp - baseline_sbp)
    return _three_level(deviation, settings.within, settings.beyond)


def aldrete_spo2(spo2: float | None, on_oxygen: bool | None) -> int | None:
    """2: > 92 % on air; 1: needs oxygen to stay > 90 %; 0: 90 % or less even with oxygen.

    On air at 91-92 % scores 1: the patient would need oxygen. Unknown oxygen is not scored
    unless the value scores 0 either way."""
    if spo2 is None:
        return None
    if spo2 <= 90:
        return 0
    if on_oxygen is None:
        return None
    return 2 if spo2 > 92 and not on_oxygen else 1


def aldrete(
    obs: AldreteObservation,
    vitals: Mapping[Vital, float],
    baseline: Mapping[Vital, float],
    settings: AldreteSettings = AldreteSettings(),
) -> DischargeScore:
    """Modified Aldrete: discharge from recovery when the score is >= 9 of 10."""
    items = {
        "activity": _points(obs.activity),
        "respiration": _points(obs.respiration),
        "circulation": aldrete_circulation(
            vitals.get(Vital.SBP), baseline.get(Vital.SBP), settings
        ),
        "consciousness": _points(obs.consciousness),
        "spo2": aldrete_spo2(vitals.get(Vital.SPO2), obs.on_oxygen),
    }
    return _discharge_score("Modified Aldrete", items, settings.pass_mark, obs.at)


class PadssActivity(ScoreItem):
    STEADY_GAIT_AND_ORIENTED = 2
    STEADY_GAIT_OR_ORIENTED = 1
    NEITHER = 0


class PadssSymptoms(ScoreItem):
    """Pain, nausea and vomiting together (one PADSS item)."""

    MINIMAL = 2
    MODERATE_OR_TREATED = 1
    SEVERE = 0


class PadssBleeding(ScoreItem):
    MINIMAL = 2
    MODERATE = 1
    SEVERE = 0


class PadssIntakeOutput(ScoreItem):
    DRANK_AND_VOIDED = 2
    DRANK_OR_VOIDED = 1
    NEITHER = 0


#: PADSS compares blood pressure and pulse with their pre-infusion values.
PADSS_VITALS: tuple[Vital, ...] = (Vital.SBP, Vital.HR)


@dataclass(frozen=True)
class PadssObservation:
    activity: PadssActivity | None = None
    pain_nausea_vomiting: PadssSymptoms | None = None
    bleeding: PadssBleeding | None = None
    intake_output: PadssIntakeOutput | None = None
    escort_present: bool | None = None
    at: datetime | None = None


def padss_vital_signs(
    vitals: Mapping[Vital, float], baseline: Mapping[Vital, float]
) -> int | None:
    """2 when BP and pulse are within 20 % of baseline, 1 within 40 %, 0 beyond; the worse
    of the two counts. Not scored unless both and both baselines are known."""
    deviations = []
    for vital in PADSS_VITALS:
        value, base = vitals.get(vital), baseline.get(vital)
        if value is None or not base:
            return None
        deviations.append(percent_deviation(value, base))
    return _three_level(max(deviations), 20.0, 40.0)


def padss(
    obs: PadssObservation,
    vitals: Mapping[Vital, float],
    baseline: Mapping[Vital, float],
    pass_mark: int = DISCHARGE_PASS_MARK,
) -> DischargeScore:
    """PADSS home-readiness: >= 9 of 10, and only with an escort."""
    items = {
        "vital signs": padss_vital_signs(vitals, baseline),
        "activity": _points(obs.activity),
        "pain, nausea and vomiting": _points(obs.pain_nausea_vomiting),
        "bleeding": _points(obs.bleeding),
        "intake and output": _points(obs.intake_output),
    }
    escort = [] if obs.escort_present else ["no escort"]
    return _discharge_score("PADSS", items, pass_mark, obs.at, escort)


# -- over time -------------------------------------------------------------------------------


def _timed(results: Iterable[DischargeScore]) -> list[DischargeScore]:
    timed = [r for r in results if r.assessed_at is not None]
    return sorted(timed, key=lambda r: (r.assessed_at, r.name))


@dataclass(frozen=True)
class CriteriaTimes:
    """When discharge criteria were met across a series of assessments."""

    first_met: datetime | None = None
    met_since: datetime | None = None  # start of the unbroken run up to the latest
    latest: DischargeScore | None = field(default=None, compare=False)


def criteria_times(results: Iterable[DischargeScore]) -> CriteriaTimes:
    """When the criteria were first met, and since when they have been met without a break.

    Assessments are taken in time order; those without a time are left out."""
    ordered = _timed(results)
    first = next((r.assessed_at for r in ordered if r.meets_criteria), None)
    since: datetime | None = None
    for r in ordered:
        if not r.meets_criteria:
            since = None
        elif since is None:
            since = r.assessed_at
    return CriteriaTimes(first, since, ordered[-1] if ordered else None)


def first_met(results: Iterable[DischargeScore]) -> datetime | None:
    """When the criteria were first met, or None if never."""
    return criteria_times(results).first_met
