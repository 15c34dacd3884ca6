"""Scores from charted readings: NEWS2 of a reading, temperature input, discharge items
computed against the baseline with their basis, stored assessments read back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.charted_scores import (
    DischargeKind,
    assess,
    circulation_item,
    latest_on_oxygen,
    latest_values,
    missing_text,
    news2_trend,
    padss_vitals_item,
    parse_temperature,
    reading_news2,
    spo2_item,
    stored_score,
    validate_assessor,
)
from monitor.domain.readings import ReadingStatus, new_reading
from monitor.domain.scores import (
    AldreteActivity,
    AldreteConsciousness,
    AldreteRespiration,
    AldreteSettings,
    CirculationMode,
    criteria_times,
)
from monitor.domain.vitals import Vital

T0 = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
FULL = {Vital.SBP: 132.0, Vital.DBP: 84.0, Vital.HR: 95.0, Vital.RR: 22.0, Vital.SPO2: 95.0}


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def latest(**values: float):
    return {Vital(k): (v, T0) for k, v in values.items()}


def test_reading_news2_uses_the_charted_inputs():
    reading = new_reading(T0, FULL, consciousness="A", on_oxygen=False, temperature_c=37.0)
    result = reading_news2(reading)
    assert (result.total, result.partial) == (4, False)


def test_unknown_consciousness_code_is_not_assessed_never_alert():
    result = reading_news2(new_reading(T0, FULL, consciousness="?", on_oxygen=False,
                                       temperature_c=37.0))
    assert result.partial and missing_text(result) == "partial: consciousness missing"


def test_trend_leaves_out_readings_that_do_not_count_and_is_in_time_order():
    late = new_reading(at(10), FULL)
    early = new_reading(at(0), {Vital.SBP: 85.0, Vital.DBP: 50.0})
    struck = replace(new_reading(at(5), FULL), status=ReadingStatus.ENTERED_IN_ERROR)
    trend = news2_trend([late, struck, early])
    assert [p.at for p in trend] == [at(0), at(10)]
    assert trend[0].result.total == 3 and trend[0].result.partial


@pytest.mark.parametrize(("text", "value", "error"), [
    ("", None, None), (" 36,6 ", 36.6, None), ("25", 25.0, None), ("45", 45.0, None),
    ("24.9", None, "outside the plausible range"), ("45.1", None, "outside"),
    ("nan", None, "outside"), ("hot", None, "'hot' is not a number"),
])
def test_parse_temperature(text, value, error):
    parsed, problem = parse_temperature(text)
    assert parsed == value
    assert (problem is None) == (error is None)
    if error:
        assert problem.field == "Temperature" and error in problem.message


@pytest.mark.parametrize(("sbp", "points", "basis"), [
    (144, 2, "SBP 144 vs baseline 124: within 20 mmHg → 2"),
    (104, 2, "SBP 104 vs baseline 124: within 20 mmHg → 2"),
    (145, 1, "SBP 145 vs baseline 124: 21 mmHg off, within 50 mmHg → 1"),
    (174, 1, "SBP 174 vs baseline 124: 50 mmHg off, within 50 mmHg → 1"),
    (175, 0, "SBP 175 vs baseline 124: 51 mmHg off, beyond 50 mmHg → 0"),
])
def test_circulation_item_at_its_band_edges(sbp, points, basis):
    item = circulation_item(latest(sbp=sbp), {Vital.SBP: 124.0})
    assert (item.points, item.basis) == (points, basis)


def test_circulation_item_in_percent_mode_says_percent():
    settings = AldreteSettings(circulation=CirculationMode.PERCENT)
    item = circulation_item(latest(sbp=155), {Vital.SBP: 124.0}, settings)
    assert item.basis == "SBP 155 vs baseline 124: 25 % off, within 50 % → 1"


def test_circulation_without_reading_or_baseline_is_not_scored():
    assert circulation_item({}, {Vital.SBP: 124.0}).basis == "no systolic BP charted: not scored"
    item = circulation_item(latest(sbp=130), {})
    assert item.points is None and item.basis == "no baseline systolic BP: not scored"


@pytest.mark.parametrize(("spo2", "oxygen", "points", "text"), [
    (93, False, 2, "SpO2 93 % on air → 2"),
    (92, False, 1, "SpO2 92 % on air → 1"),
    (96, True, 1, "SpO2 96 % on oxygen → 1"),
    (90, None, 0, "SpO2 90 % air or oxygen not recorded → 0"),
    (95, None, None, "SpO2 95 % air or oxygen not recorded not scored"),
])
def test_spo2_item(spo2, oxygen, points, text):
    item = spo2_item(latest(spo2=spo2), oxygen)
    assert (item.points, item.basis) == (points, text)


@pytest.mark.parametrize(("sbp", "hr", "points", "rule"), [
    (148.8, 72, 2, "within 20 %"), (124, 100.8, 1, "within 40 %"), (174, 72, 0, "beyond 40 %"),
])
def test_padss_vitals_item_worse_of_bp_and_pulse(sbp, hr, points, rule):
    item = padss_vitals_item(latest(sbp=sbp, hr=hr), {Vital.SBP: 124.0, Vital.HR: 72.0})
    assert item.points == points and rule in item.basis


def test_padss_vitals_item_names_the_missing_baseline():
    item = padss_vitals_item(latest(sbp=130, hr=80), {Vital.SBP: 124.0})
    assert item.points is None and item.basis == "no baseline HR: not scored"


def test_latest_values_and_oxygen_take_the_newest_current_reading_of_each():
    readings = [new_reading(at(0), {Vital.SBP: 120.0, Vital.DBP: 80.0, Vital.SPO2: 97.0},
                            on_oxygen=True),
                new_reading(at(5), {Vital.SBP: 130.0, Vital.DBP: 80.0})]
    values = latest_values(readings)
    assert values[Vital.SBP] == (130.0, at(5)) and values[Vital.SPO2] == (97.0, at(0))
    assert latest_on_oxygen(readings) is True


def test_assessment_round_trips_through_its_stored_items():
    readings = [new_reading(at(0), FULL)]
    observed = {"activity": AldreteActivity.MOVES_FOUR_LIMBS,
                "respiration": AldreteRespiration.DEEP_BREATH_AND_COUGH,
                "consciousness": AldreteConsciousness.FULLY_AWAKE}
    done = assess(DischargeKind.ALDRETE, observed, readings, {Vital.SBP: 124.0}, at(1),
                  on_oxygen=False)
    assert done.score.total == 10 and done.score.meets_criteria
    items = done.to_items()
    assert items["observed"]["activity"] == "MOVES_FOUR_LIMBS"
    again = stored_score("aldrete", at(1), items, done.score.total, True)
    missed = assess(DischargeKind.ALDRETE, observed, readings, {}, at(2), on_oxygen=False)
    back = stored_score("aldrete", at(2), missed.to_items(), missed.score.total, False)
    assert back.missing == ("circulation",) and "not assessed: circulation" in back.unmet[0]
    times = criteria_times([again, back])
    assert (times.first_met, times.met_since) == (at(1), None)


def test_assessor_needs_initials_and_no_future_time():
    assert [e.field for e in validate_assessor("", T0, T0)] == ["Initials"]
    assert [e.field for e in validate_assessor("JM", at(10), T0)] == ["Time"]
    assert validate_assessor("jm", T0, T0) == []
