"""Vital-sign specifications and the plausibility ranges of DOMAIN.md: a value outside them is
impossible or a unit error, and is refused with a message naming the field a nurse sees."""

from __future__ import annotations

import math

import pytest

from monitor.domain.errors import FieldError
from monitor.domain.readings import validate_values
from monitor.domain.vitals import VITAL_SPECS, Vital, derive_map, kpa_to_mmhg, spec

# DOMAIN.md "Plausibility": vital -> (label a nurse sees, lowest plausible, highest plausible)
PLAUSIBLE = {
    Vital.SBP: ("Systolic BP", 20, 300),
    Vital.DBP: ("Diastolic BP", 10, 250),
    Vital.HR: ("Heart rate", 20, 300),
    Vital.RR: ("Respiratory rate", 0, 120),
    Vital.SPO2: ("SpO2", 50, 100),
}

# A partner value that keeps blood pressure consistent, so only the vital under test is judged.
_BP_PARTNER = {Vital.SBP: {Vital.DBP: 10}, Vital.DBP: {Vital.SBP: 299}}


def _values(vital: Vital, value: float) -> dict[Vital, float]:
    return {vital: value, **_BP_PARTNER.get(vital, {})}


def fields(errors: list[FieldError]) -> list[str]:
    return [e.field for e in errors]


@pytest.mark.parametrize(
    ("vital", "value"),
    [(v, edge) for v, (_, low, high) in PLAUSIBLE.items() for edge in (low, high)],
)
def test_value_on_plausibility_edge_is_accepted(vital: Vital, value: float) -> None:
    assert validate_values(_values(vital, value)) == []


@pytest.mark.parametrize(
    ("vital", "value"),
    [
        (v, edge)
        for v, (_, low, high) in PLAUSIBLE.items()
        for edge in (low - 0.1, low - 1, high + 0.1, high + 1)
    ],
)
def test_value_just_outside_plausibility_is_refused_naming_the_field(
    vital: Vital, value: float
) -> None:
    label, low, high = PLAUSIBLE[vital]
    errors = validate_values(_values(vital, value))
    assert fields(errors) == [label]
    assert "outside the plausible range" in errors[0].message
    assert f"{low:g}-{high:g}" in errors[0].message


def test_spo2_above_100_is_impossible() -> None:
    errors = validate_values({Vital.SPO2: 101})
    assert errors == [FieldError("SpO2", "101 % is outside the plausible range 50-100 %")]


@pytest.mark.parametrize(
    ("values", "label"),
    [
        ({Vital.HR: -5}, "Heart rate"),
        ({Vital.RR: -1}, "Respiratory rate"),
        ({Vital.SPO2: -90}, "SpO2"),
        ({Vital.SBP: -120, Vital.DBP: 80}, "Systolic BP"),
        ({Vital.SBP: 120, Vital.DBP: -80}, "Diastolic BP"),
    ],
)
def test_negative_value_is_refused(values: dict[Vital, float], label: str) -> None:
    assert fields(validate_values(values)) == [label]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, None, "120"])
def test_value_that_is_not_a_finite_number_is_refused(bad: object) -> None:
    errors = validate_values({Vital.HR: bad})  # type: ignore[dict-item]
    assert errors == [FieldError("Heart rate", "is not a number")]


@pytest.mark.parametrize(("sbp", "dbp"), [(120, 120), (120, 121), (80, 200)])
def test_diastolic_at_or_above_systolic_is_refused(sbp: float, dbp: float) -> None:
    errors = validate_values({Vital.SBP: sbp, Vital.DBP: dbp})
    assert fields(errors) == ["Diastolic BP"]
    # The field names the vital; the message does not again ("Diastolic BP: 130 must …").
    assert str(errors[0]) == f"Diastolic BP: {dbp:g} must be below systolic {sbp:g}"


def test_diastolic_just_below_systolic_is_accepted() -> None:
    assert validate_values({Vital.SBP: 120, Vital.DBP: 119}) == []


@pytest.mark.parametrize("mean", [59, 121])
def test_measured_map_outside_diastolic_and_systolic_is_refused(mean: float) -> None:
    errors = validate_values({Vital.SBP: 120, Vital.DBP: 60, Vital.MAP: mean})
    assert fields(errors) == ["Mean arterial pressure"]
    assert str(errors[0]) == (f"Mean arterial pressure: {mean:g} must lie between "
                              "diastolic 60 and systolic 120")


@pytest.mark.parametrize("mean", [60, 80, 120])
def test_measured_map_between_diastolic_and_systolic_is_accepted(mean: float) -> None:
    assert validate_values({Vital.SBP: 120, Vital.DBP: 60, Vital.MAP: mean}) == []


@pytest.mark.parametrize(
    ("values", "missing"),
    [({Vital.SBP: 120}, "Diastolic BP"), ({Vital.DBP: 80}, "Systolic BP")],
)
def test_half_a_blood_pressure_is_refused(values: dict[Vital, float], missing: str) -> None:
    errors = validate_values(values)
    assert fields(errors) == [missing]
    assert "needs both systolic and diastolic" in errors[0].message


def test_reading_without_any_value_is_refused() -> None:
    assert fields(validate_values({})) == ["Reading"]


def test_every_bad_value_is_reported_not_just_the_first() -> None:
    errors = validate_values({Vital.HR: 400, Vital.SPO2: 101, Vital.RR: -1})
    assert sorted(fields(errors)) == ["Heart rate", "Respiratory rate", "SpO2"]


@pytest.mark.parametrize(("vital", "row"), PLAUSIBLE.items())
def test_spec_ranges_and_labels_match_the_domain_reference(
    vital: Vital, row: tuple[str, float, float]
) -> None:
    s = spec(vital)
    assert (s.label, s.plausible_min, s.plausible_max) == row


@pytest.mark.parametrize(
    ("vital", "loinc", "unit"),
    [
        (Vital.SBP, "8480-6", "mm[Hg]"),
        (Vital.DBP, "8462-4", "mm[Hg]"),
        (Vital.MAP, "8478-0", "mm[Hg]"),
        (Vital.HR, "8867-4", "/min"),
        (Vital.RR, "9279-1", "/min"),
        (Vital.SPO2, "59408-5", "%"),
    ],
)
def test_codes_and_units_match_the_domain_reference(vital: Vital, loinc: str, unit: str) -> None:
    assert (VITAL_SPECS[vital].loinc, VITAL_SPECS[vital].ucum) == (loinc, unit)


@pytest.mark.parametrize(
    ("sbp", "dbp", "expected"), [(120, 60, 80.0), (120, 80, 93.3), (121, 80, 93.7)]
)
def test_map_is_diastolic_plus_a_third_of_the_pulse_pressure(
    sbp: float, dbp: float, expected: float
) -> None:
    assert derive_map(sbp, dbp) == expected


def test_kpa_converts_to_mmhg() -> None:
    assert kpa_to_mmhg(16) == pytest.approx(120.01, abs=0.01)
