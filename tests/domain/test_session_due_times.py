"""Due times of a session as charts mark them, from its own infusion times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.domain.schedule import CLINIC, WARD, session_due_times
from monitor.domain.sessions import Infusion, Patient, Session

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def minutes(m: int) -> datetime:
    return T0 + timedelta(minutes=m)


def session(start: int | None, end: int | None) -> Session:
    return Session(Patient("P-1"), Infusion(
        started_at=None if start is None else minutes(start),
        ended_at=None if end is None else minutes(end)), started_at=minutes(-20))


def test_due_during_and_after_the_infusion():
    due = session_due_times(WARD, session(0, 30), minutes(60), now=minutes(90))
    assert due == [minutes(15), minutes(45), minutes(60)]


def test_a_planned_end_still_to_come_keeps_the_infusion_interval():
    due = session_due_times(CLINIC, session(0, 60), minutes(40), now=minutes(35))
    assert due == [minutes(10), minutes(20), minutes(30), minutes(40)]


def test_nothing_is_due_without_an_infusion_start():
    assert session_due_times(WARD, session(None, None), minutes(600), now=minutes(600)) == []
