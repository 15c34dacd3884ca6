"""What a nurse types for a reading: parsing, MAP derivation, time, initials, apnoea and
corrections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.domain.errors import FieldError, ValidationFailed
from monitor.domain.readings import (
    MAX_FUTURE_SKEW,
    Reading,
    ReadingStatus,
    Source,
    corrected,
    needs_apnoea_confirmation,
    new_reading,
    parse_value,
    validate_reading,
)
from monitor.domain.vitals import Vital

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
GOOD = {Vital.SBP: 128, Vital.DBP: 76, Vital.HR: 72, Vital.RR: 14, Vital.SPO2: 97}


def manual(taken_at: datetime = NOW, initials: str = "JS", **kwargs: object) -> Reading:
    return new_reading(taken_at, GOOD, entered_by=initials, **kwargs)  # type: ignore[arg-type]


def problems(reading: Reading) -> dict[str, str]:
    return {e.field: e.message for e in validate_reading(reading, NOW)}


# -- parsing what was typed --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("120", 120.0), (" 98 ", 98.0), ("36,5", 36.5), ("97.5", 97.5), ("0", 0.0)],
)
def test_number_is_parsed_and_decimal_comma_accepted(text: str, value: float) -> None:
    assert parse_value(Vital.SPO2, text) == (value, None)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_field_means_not_measured(text: str) -> None:
    assert parse_value(Vital.HR, text) == (None, None)


@pytest.mark.parametrize("text", ["abc", "12a", "1,2,3", "nan", "inf", "-inf", "1e999", "--5"])
def test_text_that_is_not_a_finite_number_is_refused_naming_the_field(text: str) -> None:
    value, error = parse_value(Vital.SBP, text)
    assert value is None
    assert error == FieldError("Systolic BP", f"'{text}' is not a number")


def test_negative_number_parses_so_that_plausibility_can_name_it() -> None:
    assert parse_value(Vital.HR, "-5") == (-5.0, None)


# -- MAP ---------------------------------------------------------------------------------------


def test_map_is_derived_when_not_measured() -> None:
    reading = new_reading(NOW, {Vital.SBP: 120, Vital.DBP: 60}, entered_by="JS")
    assert reading.value(Vital.MAP) == 80.0
    assert reading.map_derived


def test_measured_map_is_kept_and_not_marked_derived() -> None:
    reading = new_reading(NOW, {Vital.SBP: 120, Vital.DBP: 60, Vital.MAP: 85}, entered_by="JS")
    assert reading.value(Vital.MAP) == 85
    assert not reading.map_derived


def test_map_is_not_derived_without_both_pressures() -> None:
    reading = new_reading(NOW, {Vital.SBP: 120, Vital.HR: 70}, entered_by="JS")
    assert reading.value(Vital.MAP) is None
    assert not reading.map_derived


# -- time --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "taken_at",
    [NOW, NOW - timedelta(hours=3), NOW + MAX_FUTURE_SKEW,
     (NOW + MAX_FUTURE_SKEW).astimezone(timezone(timedelta(hours=-5)))],
)
def test_time_up_to_the_allowed_clock_skew_is_accepted(taken_at: datetime) -> None:
    assert problems(manual(taken_at)) == {}


@pytest.mark.parametrize(
    "ahead", [MAX_FUTURE_SKEW + timedelta(seconds=1), timedelta(hours=1), timedelta(days=1)]
)
def test_time_in_the_future_is_refused(ahead: timedelta) -> None:
    assert "is in the future" in problems(manual(NOW + ahead))["Time"]


def test_time_without_timezone_is_refused() -> None:
    assert problems(manual(datetime(2026, 3, 10, 13, 0))) == {"Time": "has no timezone"}


# -- who entered it ----------------------------------------------------------------------------


@pytest.mark.parametrize("initials", ["", "   "])
def test_manual_reading_needs_initials(initials: str) -> None:
    assert problems(manual(initials=initials)) == {"Initials": "enter your initials"}


@pytest.mark.parametrize("initials", ["ABCDEFG", "J5", "J S", "J-S"])
def test_overlong_or_non_letter_initials_are_refused(initials: str) -> None:
    assert "must be up to 6 letters" in problems(manual(initials=initials))["Initials"]


@pytest.mark.parametrize("initials", ["J", "ABCDEF", "j.s.", " js "])
def test_short_letter_initials_are_accepted_and_upper_cased(initials: str) -> None:
    reading = manual(initials=initials)
    assert problems(reading) == {}
    assert reading.entered_by == initials.strip().upper()


@pytest.mark.parametrize("source", [Source.IMPORT, Source.DEVICE])
def test_imported_and_device_readings_need_no_initials(source: Source) -> None:
    assert problems(manual(initials="", source=source)) == {}


def test_all_problems_of_a_reading_are_reported_together() -> None:
    reading = new_reading(datetime(2026, 3, 10, 13, 0), {Vital.SPO2: 101}, entered_by="")
    assert set(problems(reading)) == {"SpO2", "Time", "Initials"}


def test_validation_failed_lists_every_field_and_reason() -> None:
    error = ValidationFailed([FieldError("SpO2", "too high"), FieldError("Time", "in future")])
    assert str(error) == "SpO2: too high; Time: in future"
    assert isinstance(error, ValueError)


# -- apnoea ------------------------------------------------------------------------------------


def test_respiratory_rate_zero_is_plausible_but_needs_apnoea_confirmation() -> None:
    values = {Vital.RR: 0.0, Vital.SPO2: 92}
    assert problems(new_reading(NOW, values, entered_by="JS")) == {}
    assert needs_apnoea_confirmation(values)


@pytest.mark.parametrize("values", [{Vital.RR: 1}, {Vital.RR: 14}, {Vital.HR: 0}, {}])
def test_other_values_need_no_apnoea_confirmation(values: dict[Vital, float]) -> None:
    assert not needs_apnoea_confirmation(values)


# -- corrections -------------------------------------------------------------------------------


def test_correction_supersedes_the_original_with_new_values_and_reason() -> None:
    original = Reading(NOW, {Vital.HR: 180}, entered_by="JS", id=7, session_id=3,
                       status=ReadingStatus.VALID)
    fix = corrected(original, {Vital.HR: 80}, by="ab", reason=" typo ")
    assert (fix.id, fix.supersedes, fix.session_id) == (None, 7, 3)
    assert fix.values == {Vital.HR: 80}
    assert (fix.entered_by, fix.correction_reason, fix.taken_at) == ("AB", "typo", NOW)
    assert fix.is_current


def test_correction_rederives_a_derived_map_from_the_new_pressures() -> None:
    original = new_reading(NOW, {Vital.SBP: 210, Vital.DBP: 60}, entered_by="JS")
    fix = corrected(original, {Vital.SBP: 120, Vital.DBP: 60, Vital.MAP: 110}, by="JS",
                    reason="typo")
    assert fix.value(Vital.MAP) == 80.0
    assert fix.map_derived


def test_correction_keeps_a_measured_map() -> None:
    original = new_reading(NOW, {Vital.SBP: 120, Vital.DBP: 60, Vital.MAP: 85}, entered_by="JS")
    fix = corrected(original, {Vital.SBP: 122, Vital.DBP: 60, Vital.MAP: 84}, by="JS",
                    reason="typo")
    assert fix.value(Vital.MAP) == 84
    assert not fix.map_derived


@pytest.mark.parametrize(
    ("status", "current"),
    [(ReadingStatus.VALID, True), (ReadingStatus.CORRECTED, False),
     (ReadingStatus.ENTERED_IN_ERROR, False)],
)
def test_only_valid_readings_count(status: ReadingStatus, current: bool) -> None:
    assert Reading(NOW, GOOD, status=status).is_current is current


@pytest.mark.parametrize(("typed", "message"), [
    ("JM", None), ("j.m.", None), ("ABCDEF", None),
    ("", "enter your initials"), ("   ", "enter your initials"),
    ("ABCDEFG", "'ABCDEFG' must be up to 6 letters"), ("J1", "'J1' must be up to 6 letters"),
    ("J M", "'J M' must be up to 6 letters"),
])
def test_one_initials_rule_for_every_signature(typed, message):
    from monitor.domain.readings import initials_errors

    errors = initials_errors(typed, "Acknowledged by")
    assert [e.message for e in errors] == ([] if message is None else [message])
    assert all(e.field == "Acknowledged by" for e in errors)
