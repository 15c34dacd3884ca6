"""Whether each due time of a reading schedule was met, missed or is still to come: the rule
the live chart's due-time ticks and every export (chart, PDF report) mark by.

A due time is met by a reading from a third of its interval early (as the schedule counts
it, ``schedule.EARLY_FRACTION``) up to the end of its grace period; it is missed once the
grace period has passed without one; until then it is upcoming.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from operator import attrgetter

from .readings import Reading
from .schedule import EARLY_FRACTION

#: The gap assumed before the first due time when there is only one.
FALLBACK_INTERVAL = timedelta(minutes=15)


class DueStatus(StrEnum):
    UPCOMING = "upcoming"  # in the future, or past but still within the grace period
    MET = "met"  # a reading was taken for it in time
    MISSED = "missed"  # its grace period passed without a reading


_taken_at = attrgetter("taken_at")


@dataclass(frozen=True)
class DueMark:
    at: datetime
    status: DueStatus


def due_marks(due: Sequence[datetime], readings: Sequence[Reading], now: datetime,
              grace: timedelta, known_from: datetime | None = None) -> list[DueMark]:
    """Each due time with whether it was met: a reading from a third of its interval early
    (as the schedule counts it) up to the end of its grace period. ``readings`` must be in
    time order. With ``known_from`` (``readings`` are complete only from then on, the rest
    is still loading), due times that a reading before it could have met are left out
    rather than shown as missed."""
    marks: list[DueMark] = []
    for index, moment in enumerate(due):
        if index > 0:
            interval = moment - due[index - 1]
        elif len(due) > 1:
            interval = due[1] - moment
        else:
            interval = FALLBACK_INTERVAL
        earliest, latest = moment - interval * EARLY_FRACTION, moment + grace
        if known_from is not None and earliest < known_from:
            continue
        first = bisect_left(readings, earliest, key=_taken_at)
        if first < len(readings) and readings[first].taken_at <= latest:
            status = DueStatus.MET
        elif now > latest:
            status = DueStatus.MISSED
        else:
            status = DueStatus.UPCOMING
        marks.append(DueMark(moment, status))
    return marks
