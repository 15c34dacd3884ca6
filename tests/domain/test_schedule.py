"""Reading schedules: due times, the next due reading, overdue and the countdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.errors import ValidationFailed
from monitor.domain.schedule import (
    CLINIC,
    DEFAULT_SCHEDULE,
    ESKETAMINE,
    SCHEDULE_PRESETS,
    WARD,
    ReadingSchedule,
    ScheduleStep,
    schedule_from_dict,
)

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def t(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def minutes(moments: list[datetime]) -> list[float]:
    return [(m - T0) / timedelta(minutes=1) for m in moments]


def opt(minute: float | None) -> datetime | None:
    return None if minute is None else t(minute)


@pytest.mark.parametrize(
    ("schedule", "start", "end", "until", "expected"),
    [
        (WARD, None, 0, 300, [15, 30, 45, 60, 90, 120, 150, 180, 240, 300]),
        (WARD, -60, 0, 30, [-45, -30, -15, 15, 30]),
        (CLINIC, 0, 50, 100, [10, 20, 30, 40, 65, 80, 95]),
        (CLINIC, 0, 40, 60, [10, 20, 30, 55]),  # none at the end itself
        (CLINIC, 0, None, 45, [10, 20, 30, 40]),  # still running
        (ESKETAMINE, 0, 0, 300, [40, 120, 180, 240, 300]),
        (ESKETAMINE, None, None, 300, []),
    ],
)
def test_due_times(schedule: ReadingSchedule, start: float | None, end: float | None,
                   until: float, expected: list[float]) -> None:
    due = schedule.due_times(opt(end), t(-1000), t(until), infusion_start=opt(start))
    assert minutes(due) == expected


def test_due_times_exclude_after_and_include_until() -> None:
    assert minutes(WARD.due_times(t(0), t(30), t(90))) == [45, 60, 90]


@pytest.mark.parametrize(
    ("schedule", "start", "end", "last", "now", "expected"),
    [
        (WARD, None, 0, None, 5, 15),
        (WARD, None, 0, 9, 12, 15),  # more than 5 min early: does not count
        (WARD, None, 0, 10, 12, 30),  # exactly 5 min early counts
        (WARD, None, 0, 14, 16, 30),
        (WARD, None, 0, 16, 17, 30),
        (WARD, None, 0, 58, 60, 90),  # 30-min step: up to 10 min early
        (WARD, None, 0, 79, 80, 90),
        (WARD, None, 0, 80, 81, 120),
        (WARD, None, 0, 200, 210, 240),
        (WARD, None, 0, 225, 230, 300),
        (WARD, None, 0, 0, 120, 15),  # missed readings: overdue since the first
        (CLINIC, 0, None, None, 3, 10),
        (CLINIC, 0, None, 7, 9, 20),
        (CLINIC, 0, 100, 45, 50, 50),  # an end in the future is only planned
        (CLINIC, 0, 45, 44, 50, 60),  # ended at 45: every 15 min after
        (CLINIC, 0, 45, 36, 50, 40),  # the last during-infusion reading is still owed
        (CLINIC, None, None, None, 5, None),  # not started
        (ESKETAMINE, 0, None, None, 5, None),
        (ESKETAMINE, 0, 0, None, 5, 40),
        (ESKETAMINE, 0, 0, 26, 35, 40),  # 40-min interval: up to 13 1/3 min early
        (ESKETAMINE, 0, 0, 27, 35, 120),
        (ESKETAMINE, 0, 0, 30, 35, 120),
    ],
)
def test_next_due(schedule: ReadingSchedule, start: float | None, end: float | None,
                  last: float | None, now: float, expected: float | None) -> None:
    due = schedule.next_due(opt(end), opt(last), t(now), infusion_start=opt(start))
    assert due == opt(expected)


@pytest.mark.parametrize(
    ("last", "now", "seconds"),
    [(None, 10, 300.0), (None, 15, 0.0), (None, 20, -300.0), (14, 20, 600.0)],
)
def test_seconds_until_due_is_negative_when_overdue(last: float | None, now: float,
                                                    seconds: float) -> None:
    assert WARD.seconds_until_due(t(0), opt(last), t(now)) == seconds


def test_no_countdown_when_nothing_is_due() -> None:
    assert WARD.seconds_until_due(None, None, t(0)) is None


@pytest.mark.parametrize(
    ("now", "grace", "overdue"),
    [
        (19, 5, False),
        (20, 5, False),  # exactly at the end of the grace period
        (20.5, 5, True),
        (15.5, 0, True),
        (15, 0, False),
    ],
)
def test_is_overdue_after_grace(now: float, grace: float, overdue: bool) -> None:
    assert WARD.is_overdue(t(0), None, t(now), grace=timedelta(minutes=grace)) is overdue


def test_is_overdue_uses_the_default_grace() -> None:
    assert not WARD.is_overdue(t(0), None, t(20))
    assert WARD.is_overdue(t(0), None, t(21))


def test_nothing_is_overdue_before_the_infusion() -> None:
    assert not WARD.is_overdue(None, None, t(500))


def test_earliest_discharge() -> None:
    assert ESKETAMINE.earliest_discharge(t(0)) == t(120)
    assert ESKETAMINE.earliest_discharge(None) is None
    assert WARD.earliest_discharge(t(0)) is None


@pytest.mark.parametrize("schedule", list(SCHEDULE_PRESETS.values()), ids=list(SCHEDULE_PRESETS))
def test_presets_round_trip(schedule: ReadingSchedule) -> None:
    assert schedule_from_dict(schedule.to_dict()) == schedule


def test_default_is_the_ward_protocol() -> None:
    assert DEFAULT_SCHEDULE is WARD
    assert WARD.text == (
        "every 15 min during the infusion; after it every 15 min for 60 min, "
        "every 30 min for 120 min, then every 60 min"
    )
    assert ESKETAMINE.text.startswith("after the infusion every 40 min for 40 min")


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"name": " "}, ["Schedule name"]),
        ({"steps": ()}, ["Steps"]),
        ({"steps": (ScheduleStep(0),)}, ["Step 1"]),
        ({"steps": (ScheduleStep(15, 10), ScheduleStep(30))}, ["Step 1"]),
        ({"steps": (ScheduleStep(15), ScheduleStep(30))}, ["Step 1"]),
        ({"during_infusion_minutes": 0}, ["During infusion"]),
        ({"minimum_observation_minutes": -1}, ["Minimum observation"]),
    ],
)
def test_invalid_schedule_names_the_field(kwargs: dict, fields: list[str]) -> None:
    values = {"name": "Custom", "steps": (ScheduleStep(15),), **kwargs}
    with pytest.raises(ValidationFailed) as failed:
        ReadingSchedule(**values)
    assert [e.field for e in failed.value.errors] == fields


def test_a_finite_schedule_runs_out() -> None:
    once = ReadingSchedule("Once", (ScheduleStep(30, 30),), during_infusion_minutes=None)
    assert once.next_due(t(0), t(29), t(40)) is None
    assert minutes(once.due_times(t(0), t(0), t(600))) == [30]
