"""A recovery session: what makes one valid, its phase over time and the patient's age."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from monitor.domain.sessions import (
    Infusion,
    Patient,
    Phase,
    Session,
    SessionStatus,
    validate_session,
)
from monitor.domain.vitals import Vital

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
START = NOW - timedelta(hours=2)
END = NOW - timedelta(minutes=20)


def session(**changes: object) -> Session:
    base = Session(
        Patient("MRN-1001", "Ada Lovelace", date(1980, 6, 15)),
        Infusion(dose_mg=80, rate_mg_per_kg_h=0.5, started_at=START, ended_at=END),
        weight_kg=72,
        baseline={Vital.SBP: 120, Vital.DBP: 75, Vital.HR: 68},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def problems(s: Session) -> dict[str, str]:
    return {e.field: e.message for e in validate_session(s, NOW)}


def with_patient(**changes: object) -> Session:
    return session(patient=replace(session().patient, **changes))  # type: ignore[arg-type]


def with_infusion(**changes: object) -> Session:
    return session(infusion=replace(session().infusion, **changes))  # type: ignore[arg-type]


def test_complete_session_is_valid() -> None:
    assert problems(session()) == {}


def test_minimal_session_with_only_a_patient_id_is_valid() -> None:
    assert problems(Session(Patient("MRN-1"))) == {}


@pytest.mark.parametrize("identifier", ["", "   "])
def test_patient_id_is_required(identifier: str) -> None:
    assert problems(with_patient(identifier=identifier)) == {"Patient ID": "is required"}


@pytest.mark.parametrize("identifier", ["A|B", "A^B", "A&B", "A\nB", "X" * 65])
def test_patient_id_that_would_break_hl7_or_is_overlong_is_refused(identifier: str) -> None:
    assert set(problems(with_patient(identifier=identifier))) == {"Patient ID"}


@pytest.mark.parametrize("dob", [date(2026, 3, 11), date(2027, 1, 1)])
def test_date_of_birth_in_the_future_is_refused(dob: date) -> None:
    assert problems(with_patient(date_of_birth=dob)) == {"Date of birth": "is in the future"}


def test_date_of_birth_today_is_accepted() -> None:
    assert problems(with_patient(date_of_birth=NOW.date())) == {}


def test_date_of_birth_more_than_120_years_ago_is_refused() -> None:
    assert set(problems(with_patient(date_of_birth=date(1900, 1, 1)))) == {"Date of birth"}


@pytest.mark.parametrize(("age", "ok"), [(0, True), (120, True), (-1, False), (121, False)])
def test_age_must_be_between_0_and_120(age: int, ok: bool) -> None:
    result = problems(with_patient(date_of_birth=None, age_years=age))
    assert result == ({} if ok else {"Age": f"{age} is not between 0 and 120"})


@pytest.mark.parametrize(("weight", "ok"), [(2, True), (400, True), (1.9, False), (400.5, False),
                                            (0, False), (-70, False)])
def test_weight_must_be_between_2_and_400_kg(weight: float, ok: bool) -> None:
    result = problems(session(weight_kg=weight))
    assert result == ({} if ok else {"Weight": f"{weight:g} kg is not between 2 and 400"})


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"dose_mg": 0}, "Dose"), ({"dose_mg": 2001}, "Dose"),
     ({"rate_mg_per_kg_h": 0}, "Rate"), ({"rate_mg_per_kg_h": 10.5}, "Rate")],
)
def test_dose_and_rate_out_of_range_are_refused(changes: dict[str, float], field: str) -> None:
    assert set(problems(with_infusion(**changes))) == {field}


def test_infusion_end_before_start_is_refused() -> None:
    result = problems(with_infusion(ended_at=START - timedelta(minutes=1)))
    assert result == {"Infusion end": "is before the infusion start"}


def test_infusion_end_equal_to_start_is_accepted() -> None:
    assert problems(with_infusion(ended_at=START)) == {}


@pytest.mark.parametrize(("which", "label"), [("started_at", "Infusion start"),
                                              ("ended_at", "Infusion end")])
def test_infusion_time_without_timezone_is_refused(which: str, label: str) -> None:
    naive = getattr(session().infusion, which).replace(tzinfo=None)
    changes = {"started_at": None} if which == "ended_at" else {"ended_at": None}
    assert problems(with_infusion(**{which: naive, **changes})) == {label: "has no timezone"}


@pytest.mark.parametrize(
    ("baseline", "field"),
    [
        ({Vital.SBP: 400, Vital.DBP: 80}, "Baseline Systolic BP"),
        ({Vital.SBP: 120, Vital.DBP: 130}, "Baseline Diastolic BP"),
        ({Vital.SPO2: 101}, "Baseline SpO2"),
        ({Vital.HR: -1}, "Baseline Heart rate"),
    ],
)
def test_baseline_values_are_validated_and_named_as_baseline(
    baseline: dict[Vital, float], field: str
) -> None:
    assert set(problems(session(baseline=baseline))) == {field}


def test_session_without_baseline_is_valid() -> None:
    assert problems(session(baseline={})) == {}


# -- phase -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "phase"),
    [
        (START - timedelta(seconds=1), Phase.BASELINE),
        (START, Phase.INFUSION),
        (END - timedelta(seconds=1), Phase.INFUSION),
        (END, Phase.RECOVERY),
        (END + timedelta(hours=5), Phase.RECOVERY),
    ],
)
def test_phase_follows_the_infusion_times(now: datetime, phase: Phase) -> None:
    assert session().phase(now) is phase


def test_phase_is_pre_infusion_until_a_start_is_recorded() -> None:
    assert with_infusion(started_at=None, ended_at=None).phase(NOW) is Phase.BASELINE


def test_phase_is_infusion_while_no_end_is_recorded() -> None:
    assert with_infusion(ended_at=None).phase(NOW + timedelta(days=1)) is Phase.INFUSION


@pytest.mark.parametrize("now", [START - timedelta(hours=1), NOW])
def test_closed_session_is_discharged(now: datetime) -> None:
    assert session(status=SessionStatus.CLOSED).phase(now) is Phase.DISCHARGED


def test_phase_compares_moments_not_wall_clock_across_time_zones() -> None:
    later_elsewhere = (END - timedelta(minutes=1)).astimezone(timezone(timedelta(hours=9)))
    assert session().phase(later_elsewhere) is Phase.INFUSION


def test_phase_words_are_what_the_nurse_reads() -> None:
    assert [p.value for p in Phase] == ["pre-infusion", "infusion", "recovery", "discharged"]


@pytest.mark.parametrize(
    ("now", "expected"),
    [(END, timedelta(0)), (NOW, timedelta(minutes=20)),
     (END + timedelta(hours=1, minutes=5), timedelta(hours=1, minutes=5))],
)
def test_time_since_infusion_end(now: datetime, expected: timedelta) -> None:
    assert session().time_since_infusion_end(now) == expected


@pytest.mark.parametrize(
    "s", [session(), with_infusion(ended_at=None)], ids=["before end", "no end yet"]
)
def test_time_since_infusion_end_is_none_while_it_has_not_ended(s: Session) -> None:
    assert s.time_since_infusion_end(END - timedelta(seconds=1)) is None


# -- age ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "age"), [(date(2024, 6, 14), 43), (date(2024, 6, 15), 44), (date(2025, 1, 1), 44)]
)
def test_age_turns_over_on_the_birthday(day: date, age: int) -> None:
    assert Patient("P", date_of_birth=date(1980, 6, 15)).age_on(day) == age


def test_age_falls_back_to_the_recorded_age_without_a_date_of_birth() -> None:
    assert Patient("P", age_years=52).age_on(date(2026, 1, 1)) == 52
