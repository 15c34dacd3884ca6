"""Whether a due time was met, missed or is still to come: the rule the live chart's ticks and
every export mark by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.domain.due_status import DueMark, DueStatus, due_marks
from monitor.domain.readings import new_reading


def test_due_times_a_missing_reading_could_have_met_are_left_out_while_loading():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    due = [now - timedelta(minutes=m) for m in (45, 30, 15, 0)]
    reading = new_reading(now - timedelta(minutes=14), {}, entered_by="JM")
    grace = timedelta(minutes=5)
    everything = due_marks(due, [reading], now, grace)
    assert [m.status for m in everything] == [DueStatus.MISSED, DueStatus.MISSED,
                                              DueStatus.MET, DueStatus.UPCOMING]
    # Readings complete from 20 min ago: the one due 15 min ago could have been met from
    # 20 min ago (a third of its interval early), so only older ones are unknown.
    partial = due_marks(due, [reading], now, grace, known_from=now - timedelta(minutes=20))
    assert partial == [DueMark(due[2], DueStatus.MET), DueMark(due[3], DueStatus.UPCOMING)]
    later = due_marks(due, [reading], now, grace, known_from=now - timedelta(minutes=19))
    assert later == [DueMark(due[3], DueStatus.UPCOMING)]
