"""The questions asked before saving name each vital once: the classification's message
already starts with it ("HR 250 > 120 /min"), so nothing is put in front of it."""

from __future__ import annotations

import pytest

from monitor.domain.confirmation import confirmation_questions
from monitor.domain.thresholds import Limits, ThresholdProfile
from monitor.domain.vitals import VITAL_SPECS, Vital

PROFILE = ThresholdProfile("test", limits={
    Vital.SBP: Limits(critical_high=180), Vital.HR: Limits(critical_high=120),
    Vital.SPO2: Limits(critical_low=88), Vital.RR: Limits(critical_low=8)})


@pytest.mark.parametrize(("vital", "value", "question"), [
    (Vital.HR, 250, "HR 250 > 120 /min is beyond the critical limit."),
    (Vital.SBP, 184, "SBP 184 > 180 mmHg is beyond the critical limit."),
    (Vital.SPO2, 80, "SpO2 80 < 88 % is beyond the critical limit."),
    (Vital.RR, 0, "Respiratory rate 0 /min means apnoea."),
])
def test_each_question_names_its_vital_once(vital: Vital, value: float, question: str):
    (asked,) = confirmation_questions(PROFILE, {vital: value})
    assert asked == question
    spec = VITAL_SPECS[vital]
    named = asked.lower().count(spec.abbreviation.lower()) + (
        asked.lower().count(spec.label.lower()) if spec.label != spec.abbreviation else 0)
    assert named == 1
