"""NEWS2, modified Aldrete and PADSS at every band edge in DOMAIN.md, and partial scores."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.scores import (
    NEWS2_RESPONSE,
    NEWS2_ZERO_RESPONSE,
    AldreteActivity,
    AldreteConsciousness,
    AldreteObservation,
    AldreteRespiration,
    AldreteSettings,
    CirculationMode,
    Consciousness,
    DischargeScore,
    News2Band,
    News2Observation,
    News2Parameter,
    PadssActivity,
    PadssBleeding,
    PadssIntakeOutput,
    PadssObservation,
    PadssSymptoms,
    aldrete,
    aldrete_circulation,
    aldrete_spo2,
    criteria_times,
    first_met,
    news2,
    news2_band,
    padss,
    padss_vital_signs,
    percent_deviation,
)
from monitor.domain.vitals import Vital

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
P = News2Parameter

#: Scores 0 on every parameter.
NORMAL = News2Observation(
    respiration_rate=16,
    spo2=97,
    on_oxygen=False,
    systolic_bp=130,
    pulse=70,
    consciousness=Consciousness.ALERT,
    temperature=36.8,
)


def single(parameter: News2Parameter, **changed: object) -> int:
    obs = News2Observation(**{**NORMAL.__dict__, **changed})
    return news2(obs).scores[parameter]


# -- NEWS2 single parameters -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "score"),
    [(0, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (60, 3)],
)
def test_news2_respiration_rate(value: float, score: int) -> None:
    assert single(P.RESPIRATION_RATE, respiration_rate=value) == score


@pytest.mark.parametrize(
    ("value", "score"), [(85, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
)
def test_news2_spo2_scale_1(value: float, score: int) -> None:
    assert single(P.SPO2, spo2=value) == score


@pytest.mark.parametrize(("on_oxygen", "score"), [(True, 2), (False, 0)])
def test_news2_air_or_oxygen(on_oxygen: bool, score: int) -> None:
    assert single(P.AIR_OR_OXYGEN, on_oxygen=on_oxygen) == score


@pytest.mark.parametrize(
    ("value", "score"),
    [(70, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3),
     (219.4, 0), (219.5, 3), (90.5, 2)],
)
def test_news2_systolic_bp(value: float, score: int) -> None:
    assert single(P.SYSTOLIC_BP, systolic_bp=value) == score


@pytest.mark.parametrize(
    ("value", "score"),
    [(30, 3), (40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2),
     (130, 2), (131, 3), (180, 3)],
)
def test_news2_pulse(value: float, score: int) -> None:
    assert single(P.PULSE, pulse=value) == score


@pytest.mark.parametrize(
    ("value", "score"),
    [(34.0, 3), (35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1),
     (39.1, 2), (41.0, 2), (35.05, 1), (35.04, 3), (38.05, 1)],
)
def test_news2_temperature(value: float, score: int) -> None:
    assert single(P.TEMPERATURE, temperature=value) == score


@pytest.mark.parametrize(
    ("level", "score"),
    [(Consciousness.ALERT, 0), (Consciousness.NEW_CONFUSION, 3), (Consciousness.VOICE, 3),
     (Consciousness.PAIN, 3), (Consciousness.UNRESPONSIVE, 3)],
)
def test_news2_consciousness_acvpu(level: Consciousness, score: int) -> None:
    assert single(P.CONSCIOUSNESS, consciousness=level) == score


# -- NEWS2 aggregate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "any_three", "band"),
    [
        (0, False, News2Band.LOW),
        (1, False, News2Band.LOW),
        (4, False, News2Band.LOW),
        (3, True, News2Band.LOW_MEDIUM),
        (4, True, News2Band.LOW_MEDIUM),
        (5, False, News2Band.MEDIUM),
        (6, True, News2Band.MEDIUM),
        (7, False, News2Band.HIGH),
        (12, True, News2Band.HIGH),
    ],
)
def test_news2_band_edges(total: int, any_three: bool, band: News2Band) -> None:
    assert news2_band(total, any_three) is band


@pytest.mark.parametrize(
    ("changes", "total", "band", "any_three"),
    [
        ({}, 0, News2Band.LOW, False),
        ({"pulse": 95}, 1, News2Band.LOW, False),
        ({"pulse": 95, "spo2": 94, "temperature": 38.5, "systolic_bp": 105}, 4, News2Band.LOW,
         False),
        ({"consciousness": Consciousness.NEW_CONFUSION}, 3, News2Band.LOW_MEDIUM, True),
        ({"on_oxygen": True, "respiration_rate": 22, "pulse": 95}, 5, News2Band.MEDIUM, False),
        ({"on_oxygen": True, "respiration_rate": 22, "pulse": 115}, 6, News2Band.MEDIUM, False),
        ({"on_oxygen": True, "respiration_rate": 22, "spo2": 91}, 7, News2Band.HIGH, True),
    ],
)
def test_news2_aggregate(changes: dict, total: int, band: News2Band, any_three: bool) -> None:
    result = news2(News2Observation(**{**NORMAL.__dict__, **changes}))
    assert (result.total, result.band, result.any_single_three) == (total, band, any_three)
    assert not result.partial
    expected = NEWS2_ZERO_RESPONSE if total == 0 else NEWS2_RESPONSE[band]
    assert result.response == expected


def test_news2_responses_follow_domain() -> None:
    assert "nurse" in NEWS2_RESPONSE[News2Band.LOW].lower()
    assert "medical team" in NEWS2_RESPONSE[News2Band.LOW_MEDIUM]
    assert "urgent" in NEWS2_RESPONSE[News2Band.MEDIUM].lower()
    assert "emergency" in NEWS2_RESPONSE[News2Band.HIGH].lower()


def test_news2_missing_parameters_make_it_partial_not_zero() -> None:
    obs = News2Observation.from_vitals(
        {Vital.SBP: 95, Vital.HR: 70, Vital.RR: 16, Vital.SPO2: 97}, on_oxygen=False
    )
    result = news2(obs)
    assert result.partial
    assert result.missing == (P.CONSCIOUSNESS, P.TEMPERATURE)
    assert set(result.scores) == {P.RESPIRATION_RATE, P.SPO2, P.AIR_OR_OXYGEN, P.SYSTOLIC_BP,
                                  P.PULSE}
    assert result.total == 2
    assert result.summary.startswith("NEWS2 2 (partial: no consciousness, temperature) low")


def test_news2_with_nothing_observed_is_entirely_missing() -> None:
    result = news2(News2Observation())
    assert result.total == 0
    assert result.partial
    assert result.missing == tuple(News2Parameter)


def test_news2_from_vitals_takes_hr_as_pulse() -> None:
    obs = News2Observation.from_vitals({Vital.HR: 135}, consciousness=Consciousness.ALERT,
                                       temperature=37.0)
    assert news2(obs).scores[P.PULSE] == 3


# -- modified Aldrete ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sbp", "score"),
    [(120, 2), (140, 2), (141, 1), (100, 2), (99, 1), (170, 1), (171, 0), (70, 1), (69, 0)],
)
def test_aldrete_circulation_mmhg(sbp: float, score: int) -> None:
    assert aldrete_circulation(sbp, 120) == score


@pytest.mark.parametrize(
    ("sbp", "score"),
    [(100, 2), (120, 2), (121, 1), (80, 2), (79, 1), (150, 1), (151, 0), (50, 1), (49, 0)],
)
def test_aldrete_circulation_percent(sbp: float, score: int) -> None:
    settings = AldreteSettings(circulation=CirculationMode.PERCENT)
    assert aldrete_circulation(sbp, 100, settings) == score


@pytest.mark.parametrize(("sbp", "baseline"), [(None, 120), (120, None), (120, 0)])
def test_aldrete_circulation_needs_sbp_and_baseline(sbp: float | None,
                                                    baseline: float | None) -> None:
    assert aldrete_circulation(sbp, baseline) is None


@pytest.mark.parametrize(
    ("spo2", "on_oxygen", "score"),
    [
        (100, False, 2), (93, False, 2), (92, False, 1), (91, False, 1), (90, False, 0),
        (98, True, 1), (91, True, 1), (90, True, 0), (85, True, 0),
        (85, None, 0), (95, None, None), (None, False, None),
    ],
)
def test_aldrete_spo2(spo2: float | None, on_oxygen: bool | None, score: int | None) -> None:
    assert aldrete_spo2(spo2, on_oxygen) == score


BASELINE = {Vital.SBP: 120, Vital.HR: 80}
GOOD_VITALS = {Vital.SBP: 130, Vital.HR: 84, Vital.SPO2: 97}
FULL_ALDRETE = AldreteObservation(
    AldreteActivity.MOVES_FOUR_LIMBS,
    AldreteRespiration.DEEP_BREATH_AND_COUGH,
    AldreteConsciousness.FULLY_AWAKE,
    on_oxygen=False,
    at=T0,
)


@pytest.mark.parametrize(
    ("obs", "vitals", "total", "meets"),
    [
        (FULL_ALDRETE, GOOD_VITALS, 10, True),
        (replace(FULL_ALDRETE, activity=AldreteActivity.MOVES_TWO_LIMBS), GOOD_VITALS, 9, True),
        (replace(FULL_ALDRETE, activity=AldreteActivity.MOVES_TWO_LIMBS,
                 consciousness=AldreteConsciousness.ROUSABLE_ON_CALLING), GOOD_VITALS, 8, False),
        (replace(FULL_ALDRETE, respiration=AldreteRespiration.DYSPNOEA_OR_SHALLOW_BREATHING,
                 consciousness=AldreteConsciousness.NOT_RESPONDING), GOOD_VITALS, 7, False),
        (replace(FULL_ALDRETE, respiration=AldreteRespiration.APNOEA), GOOD_VITALS, 8, False),
        (replace(FULL_ALDRETE, activity=AldreteActivity.NO_MOVEMENT), GOOD_VITALS, 8, False),
        (FULL_ALDRETE, {**GOOD_VITALS, Vital.SBP: 160}, 9, True),
        (FULL_ALDRETE, {**GOOD_VITALS, Vital.SBP: 171}, 8, False),
        (FULL_ALDRETE, {**GOOD_VITALS, Vital.SPO2: 89}, 8, False),
    ],
)
def test_aldrete_discharge_at_nine(obs: AldreteObservation, vitals: dict, total: int,
                                   meets: bool) -> None:
    result = aldrete(obs, vitals, BASELINE)
    assert (result.total, result.meets_criteria, result.partial) == (total, meets, False)


def test_aldrete_partial_never_meets_criteria() -> None:
    result = aldrete(FULL_ALDRETE, {Vital.SPO2: 97}, BASELINE)
    assert result.partial
    assert result.missing == ("circulation",)
    assert result.total == 8
    assert not result.meets_criteria
    assert result.unmet[0] == "not assessed: circulation"


def test_aldrete_pass_mark_is_configurable() -> None:
    strict = AldreteSettings(pass_mark=10)
    assert not aldrete(FULL_ALDRETE, {**GOOD_VITALS, Vital.SBP: 160}, BASELINE,
                       strict).meets_criteria


# -- PADSS -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sbp", "hr", "score"),
    [
        (100, 80, 2), (120, 80, 2), (121, 80, 1), (140, 80, 1), (141, 80, 0),
        (80, 80, 2), (79, 80, 1), (60, 80, 1), (59, 80, 0),
        (100, 96, 2), (100, 97, 1), (100, 112, 1), (100, 113, 0), (100, 48, 1), (100, 47, 0),
    ],
)
def test_padss_vital_signs_against_baseline(sbp: float, hr: float, score: int) -> None:
    baseline = {Vital.SBP: 100, Vital.HR: 80}
    assert padss_vital_signs({Vital.SBP: sbp, Vital.HR: hr}, baseline) == score


@pytest.mark.parametrize(
    ("vitals", "baseline"),
    [({Vital.SBP: 100}, {Vital.SBP: 100, Vital.HR: 80}), ({Vital.SBP: 100, Vital.HR: 80},
                                                        {Vital.SBP: 100})],
)
def test_padss_vital_signs_need_bp_and_pulse(vitals: dict, baseline: dict) -> None:
    assert padss_vital_signs(vitals, baseline) is None


FULL_PADSS = PadssObservation(
    PadssActivity.STEADY_GAIT_AND_ORIENTED,
    PadssSymptoms.MINIMAL,
    PadssBleeding.MINIMAL,
    PadssIntakeOutput.DRANK_AND_VOIDED,
    escort_present=True,
    at=T0,
)


@pytest.mark.parametrize(
    ("changes", "total", "meets", "unmet"),
    [
        ({}, 10, True, ()),
        ({"intake_output": PadssIntakeOutput.DRANK_OR_VOIDED}, 9, True, ()),
        ({"activity": PadssActivity.STEADY_GAIT_OR_ORIENTED}, 9, True, ()),
        ({"activity": PadssActivity.NEITHER}, 8, False, ("score 8 is below 9",)),
        ({"pain_nausea_vomiting": PadssSymptoms.SEVERE}, 8, False, ("score 8 is below 9",)),
        ({"bleeding": PadssBleeding.SEVERE}, 8, False, ("score 8 is below 9",)),
        ({"intake_output": PadssIntakeOutput.NEITHER}, 8, False, ("score 8 is below 9",)),
        ({"pain_nausea_vomiting": PadssSymptoms.MODERATE_OR_TREATED,
          "bleeding": PadssBleeding.MODERATE}, 8, False, ("score 8 is below 9",)),
        ({"escort_present": False}, 10, False, ("no escort",)),
        ({"escort_present": None}, 10, False, ("no escort",)),
        ({"activity": None}, 8, False, ("not assessed: activity", "score 8 is below 9")),
    ],
)
def test_padss_home_readiness(changes: dict, total: int, meets: bool, unmet: tuple) -> None:
    obs = PadssObservation(**{**FULL_PADSS.__dict__, **changes})
    result = padss(obs, GOOD_VITALS, BASELINE)
    assert (result.total, result.meets_criteria, result.unmet) == (total, meets, unmet)


def test_padss_without_vitals_is_partial() -> None:
    result = padss(FULL_PADSS, {}, BASELINE)
    assert result.missing == ("vital signs",)
    assert not result.meets_criteria


def test_percent_deviation() -> None:
    assert percent_deviation(156, 130) == 20.0
    assert percent_deviation(104, 130) == 20.0
    with pytest.raises(ValueError):
        percent_deviation(100, 0)


# -- over time -------------------------------------------------------------------------------


def scored(minute: int, meets: bool) -> DischargeScore:
    return DischargeScore("PADSS", 10 if meets else 7, {}, (), 9,
                          () if meets else ("score 7 is below 9",),
                          T0 + timedelta(minutes=minute))


@pytest.mark.parametrize(
    ("pattern", "first", "since"),
    [
        ([], None, None),
        ([False, False], None, None),
        ([True], 0, 0),
        ([False, True, True], 10, 10),
        ([False, True, False, True, True], 10, 30),
        ([True, True, False], 0, None),
    ],
)
def test_criteria_first_met_and_met_since(pattern: list[bool], first: int | None,
                                          since: int | None) -> None:
    results = [scored(10 * i, meets) for i, meets in enumerate(pattern)]
    random.Random(1).shuffle(results)  # assessments may be listed in any order
    times = criteria_times(results)

    def at(minute: int | None) -> datetime | None:
        return None if minute is None else T0 + timedelta(minutes=minute)

    assert (times.first_met, times.met_since) == (at(first), at(since))
    assert first_met(results) == at(first)


def test_assessments_without_a_time_are_left_out() -> None:
    untimed = DischargeScore("PADSS", 10, {}, (), 9, (), None)
    assert first_met([untimed, scored(20, True)]) == T0 + timedelta(minutes=20)
