"""Alert thresholds: the shipped default profile, classifying values at every edge, the
baseline-relative rule, validating limits and the profile's JSON form."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.domain.thresholds import (
    BaselineRule,
    Limits,
    Severity,
    ThresholdProfile,
    classify,
    profile_from_dict,
    profile_to_dict,
    validate_limits,
    validate_profile,
)
from monitor.domain.vitals import Vital
from monitor.resources import default_profile

N, CAUTION, CRITICAL = Severity.NORMAL, Severity.CAUTION, Severity.CRITICAL

# DOMAIN.md "Alert thresholds": critical low, caution low, caution high, critical high.
DOMAIN_TABLE = {
    Vital.SBP: (90, 100, 160, 180),
    Vital.DBP: (50, 55, 100, 110),
    Vital.HR: (50, 55, 110, 120),
    Vital.RR: (8, 10, 24, 30),
    Vital.SPO2: (90, 94, None, None),
}


def _edges() -> list[tuple[Vital, float, Severity]]:
    """Each limit, and a value 0.1 and 1 beyond it, with the severity it must get."""
    cases: list[tuple[Vital, float, Severity]] = []
    for vital, (crit_low, caut_low, caut_high, crit_high) in DOMAIN_TABLE.items():
        for step in (0.1, 1):
            cases += [
                (vital, crit_low, CAUTION), (vital, crit_low - step, CRITICAL),
                (vital, caut_low, N), (vital, caut_low - step, CAUTION),
            ]
            if caut_high is not None:
                cases += [
                    (vital, caut_high, N), (vital, caut_high + step, CAUTION),
                    (vital, crit_high, CAUTION), (vital, crit_high + step, CRITICAL),
                ]
    return sorted(set(cases))


@pytest.fixture(scope="module")
def profile() -> ThresholdProfile:
    return default_profile()


@pytest.mark.parametrize(("vital", "value", "severity"), _edges())
def test_default_profile_classifies_every_edge(
    profile: ThresholdProfile, vital: Vital, value: float, severity: Severity
) -> None:
    assert classify(profile, vital, value).severity is severity


@pytest.mark.parametrize("value", [95, 99, 100])
def test_spo2_has_no_upper_limit(profile: ThresholdProfile, value: float) -> None:
    assert classify(profile, Vital.SPO2, value).severity is N


@pytest.mark.parametrize(("vital", "row"), DOMAIN_TABLE.items())
def test_default_profile_matches_the_domain_reference(
    profile: ThresholdProfile, vital: Vital, row: tuple[float | None, ...]
) -> None:
    assert profile.limits_for(vital) == Limits(*row)


def test_default_profile_has_the_sbp_baseline_rule_and_is_valid(
    profile: ThresholdProfile,
) -> None:
    assert profile.baseline_rules == (BaselineRule(Vital.SBP, 20, 40),)
    assert validate_profile(profile) == []


@pytest.mark.parametrize(
    ("vital", "value", "message"),
    [
        (Vital.SBP, 184, "SBP 184 > 180 mmHg"),
        (Vital.SBP, 180.1, "SBP 180.1 > 180 mmHg"),
        (Vital.SBP, 165, "SBP 165 > 160 mmHg"),
        (Vital.SBP, 85, "SBP 85 < 90 mmHg"),
        (Vital.HR, 125, "HR 125 > 120 /min"),
        (Vital.RR, 9, "RR 9 < 10 /min"),
        (Vital.SPO2, 89, "SpO2 89 < 90 %"),
        (Vital.SPO2, 97, "SpO2 97 %"),
    ],
)
def test_message_names_value_and_limit_crossed(
    profile: ThresholdProfile, vital: Vital, value: float, message: str
) -> None:
    assert classify(profile, vital, value).message == message


def test_classification_reports_the_limit_and_direction(profile: ThresholdProfile) -> None:
    result = classify(profile, Vital.HR, 52)
    assert (result.severity, result.limit, result.direction) == (CAUTION, 55, "low")


# -- baseline-relative rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "value", "severity", "limit"),
    [
        # baseline 120: +20 % = 144, +40 % = 168 (absolute limits say normal up to 160)
        (120, 144, N, None),
        (120, 145, CAUTION, 144),
        (120, 168, CAUTION, 160),  # absolute caution ties relative caution: absolute shown
        (120, 169, CRITICAL, 168),
        # baseline 170: -20 % = 136, -40 % = 102 (absolute limits say normal down to 100)
        (170, 136, N, None),
        (170, 135, CAUTION, 136),
        (170, 102, CAUTION, 136),
        (170, 101, CRITICAL, 102),
    ],
)
def test_sbp_relative_to_baseline(
    profile: ThresholdProfile, baseline: float, value: float, severity: Severity,
    limit: float | None,
) -> None:
    result = classify(profile, Vital.SBP, value, {Vital.SBP: baseline})
    assert (result.severity, result.limit) == (severity, limit)


def test_relative_message_names_the_baseline_and_percentage(profile: ThresholdProfile) -> None:
    result = classify(profile, Vital.SBP, 169, {Vital.SBP: 120})
    assert result.message == "SBP 169 > 168 mmHg (baseline 120 +40%)"
    low = classify(profile, Vital.SBP, 135, {Vital.SBP: 170})
    assert low.message == "SBP 135 < 136 mmHg (baseline 170 -20%)"


@pytest.mark.parametrize(
    ("baseline", "value", "severity", "limit"),
    [
        (160, 185, CRITICAL, 180),  # absolute critical beats relative caution (+15.6 %)
        (150, 175, CAUTION, 160),  # absolute caution, relative normal (+16.7 %)
        (80, 115, CRITICAL, 112),  # relative critical (+43.8 %) beats absolute normal
    ],
)
def test_worst_of_absolute_and_relative_wins(
    profile: ThresholdProfile, baseline: float, value: float, severity: Severity, limit: float
) -> None:
    result = classify(profile, Vital.SBP, value, {Vital.SBP: baseline})
    assert (result.severity, result.limit) == (severity, limit)


@pytest.mark.parametrize("baseline", [None, {}, {Vital.HR: 70}, {Vital.SBP: 0}])
def test_without_an_sbp_baseline_only_absolute_limits_apply(
    profile: ThresholdProfile, baseline: dict[Vital, float] | None
) -> None:
    assert classify(profile, Vital.SBP, 150, baseline).severity is N


def test_baseline_rule_applies_only_to_its_vital(profile: ThresholdProfile) -> None:
    assert classify(profile, Vital.HR, 100, {Vital.HR: 60}).severity is N


# -- validating limits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vital", "limits", "field", "reason"),
    [
        (Vital.SBP, Limits(90, 100, 95, 180), "SBP caution high", "must be above caution low 100"),
        (Vital.SBP, Limits(90, 100, 160, 160), "SBP critical high",
         "must be above caution high 160"),
        (Vital.HR, Limits(60, 55, None, None), "HR caution low", "must be above critical low 60"),
        (Vital.SBP, Limits(None, None, 160, 350), "SBP critical high",
         "350 is outside the plausible range 20-300 mmHg"),
        (Vital.SPO2, Limits(40, 94), "SpO2 critical low", "outside the plausible range 50-100"),
        (Vital.SPO2, Limits(90, 94, 101), "SpO2 caution high", "outside the plausible range"),
        (Vital.RR, Limits(-1, 10, 24, 30), "RR critical low", "outside the plausible range"),
    ],
)
def test_invalid_limits_are_refused_naming_the_limit(
    vital: Vital, limits: Limits, field: str, reason: str
) -> None:
    errors = validate_limits(vital, limits)
    assert [e.field for e in errors] == [field]
    assert reason in errors[0].message


@pytest.mark.parametrize(
    "limits", [Limits(), Limits(caution_high=160), Limits(20, 21, 299, 300), Limits(None, 94)]
)
def test_ordered_plausible_limits_are_accepted(limits: Limits) -> None:
    assert validate_limits(Vital.SBP, limits) == []


@pytest.mark.parametrize(("caution", "critical"), [(40, 20), (20, 20), (0, 40), (20, 100)])
def test_baseline_rule_needs_caution_below_critical_below_100(
    caution: float, critical: float
) -> None:
    profile = ThresholdProfile("x", baseline_rules=(BaselineRule(Vital.SBP, caution, critical),))
    assert [e.field for e in validate_profile(profile)] == ["SBP baseline rule"]


# -- JSON form ---------------------------------------------------------------------------------


def test_default_profile_survives_json_round_trip(profile: ThresholdProfile) -> None:
    text = json.dumps(profile_to_dict(profile))
    assert profile_from_dict(json.loads(text)) == profile


_limit = st.one_of(st.none(), st.floats(0, 300, allow_nan=False).map(lambda x: round(x, 1)))


@settings(max_examples=50, deadline=None)
@given(
    name=st.text(max_size=20),
    limits=st.dictionaries(st.sampled_from(list(Vital)), st.builds(Limits, _limit, _limit,
                                                                     _limit, _limit)),
    rules=st.lists(st.builds(BaselineRule, st.sampled_from(list(Vital)),
                             st.floats(1, 49), st.floats(50, 99)), max_size=3),
)
def test_any_profile_survives_json_round_trip(
    name: str, limits: dict[Vital, Limits], rules: list[BaselineRule]
) -> None:
    profile = ThresholdProfile(name, limits, tuple(rules))
    assert profile_from_dict(json.loads(json.dumps(profile_to_dict(profile)))) == profile
