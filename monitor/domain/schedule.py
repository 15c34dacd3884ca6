"""Reading schedules: when the next set of vital signs is due.

A schedule counts from the end of the infusion: steps such as "every 15 min for 60 min" follow
one another, and the last usually runs on until discharge. While the infusion is running
(no end yet) readings are due every ``during_infusion_minutes`` from its start instead.

A reading covers a due time when it is taken no more than a third of that step's interval
early (5 min for 15-minute readings), so a reading at 14 min counts for the one due at 15.
Only the newest reading counts: once a later reading exists, earlier missed times are no
longer owed, and the next due time is the first one that reading does not cover.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .errors import FieldError, ValidationFailed
from .sessions import Session

#: A due reading is overdue this long after its due time.
DEFAULT_GRACE_MINUTES = 5.0
#: How early, as a fraction of the interval, a reading may be and still count.
EARLY_FRACTION = 1 / 3


@dataclass(frozen=True)
class ScheduleStep:
    """Readings every ``every_minutes`` for ``for_minutes`` (None: until discharge)."""

    every_minutes: float
    for_minutes: float | None = None

    @property
    def text(self) -> str:
        if self.for_minutes is None:
            return f"every {self.every_minutes:g} min"
        return f"every {self.every_minutes:g} min for {self.for_minutes:g} min"


@dataclass(frozen=True)
class ReadingSchedule:
    """A protocol of reading intervals, relative to the end of the infusion."""

    name: str
    steps: tuple[ScheduleStep, ...]
    #: Interval while the infusion runs, from its start; None: no readings due meanwhile.
    during_infusion_minutes: float | None = 15.0
    #: Shortest observation after the end (esketamine: 2 h); None: no minimum.
    minimum_observation_minutes: float | None = None
    note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        errors = validate_schedule(self)
        if errors:
            raise ValidationFailed(errors)

    @property
    def text(self) -> str:
        """The protocol in words, e.g. ``every 15 min for 60 min, then every 60 min``."""
        parts = [s.text for s in self.steps]
        after = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", then " + parts[-1]
        if self.during_infusion_minutes is None:
            return f"after the infusion {after}"
        return f"every {self.during_infusion_minutes:g} min during the infusion; after it {after}"

    def _due(
        self, infusion_start: datetime | None, infusion_end: datetime | None
    ) -> Iterator[tuple[datetime, timedelta]]:
        """Every due time in order, with the interval in force there. Infinite when the
        infusion is running or the last step is open-ended."""
        if infusion_start is not None and self.during_infusion_minutes is not None:
            every = timedelta(minutes=self.during_infusion_minutes)
            moment = infusion_start + every
            while infusion_end is None or moment < infusion_end:
                yield moment, every
                moment += every
        if infusion_end is None:
            return
        start = infusion_end
        for step in self.steps:
            every = timedelta(minutes=step.every_minutes)
            span = None if step.for_minutes is None else timedelta(minutes=step.for_minutes)
            moment = start + every
            while span is None or moment <= start + span:
                yield moment, every
                moment += every
            if span is None:
                return
            start += span

    def due_times(
        self,
        infusion_end: datetime | None,
        after: datetime,
        until: datetime,
        *,
        infusion_start: datetime | None = None,
    ) -> list[datetime]:
        """The due times ``t`` with ``after < t <= until``."""
        result: list[datetime] = []
        for moment, _ in self._due(infusion_start, infusion_end):
            if moment > until:
                break
            if moment > after:
                result.append(moment)
        return result

    def next_due(
        self,
        infusion_end: datetime | None,
        last_reading_at: datetime | None,
        now: datetime,
        *,
        infusion_start: datetime | None = None,
    ) -> datetime | None:
        """The first due time the newest reading does not cover; it may lie before ``now``
        (overdue). None when nothing is due: before the infusion started, or while it runs
        under a schedule without readings during the infusion.

        An ``infusion_end`` after ``now`` is a plan, not an end: the infusion still runs."""
        if infusion_end is not None and infusion_end > now:
            infusion_end = None
        for moment, every in self._due(infusion_start, infusion_end):
            if last_reading_at is None or moment - every * EARLY_FRACTION > last_reading_at:
                return moment
        return None

    def seconds_until_due(
        self,
        infusion_end: datetime | None,
        last_reading_at: datetime | None,
        now: datetime,
        *,
        infusion_start: datetime | None = None,
    ) -> float | None:
        """Countdown to the next due reading in seconds, negative once it is past due."""
        due = self.next_due(infusion_end, last_reading_at, now, infusion_start=infusion_start)
        return None if due is None else (due - now).total_seconds()

    def is_overdue(
        self,
        infusion_end: datetime | None,
        last_reading_at: datetime | None,
        now: datetime,
        *,
        grace: timedelta = timedelta(minutes=DEFAULT_GRACE_MINUTES),
        infusion_start: datetime | None = None,
    ) -> bool:
        """True when the next reading was due more than ``grace`` ago."""
        due = self.next_due(infusion_end, last_reading_at, now, infusion_start=infusion_start)
        return due is not None and now - due > grace

    def earliest_discharge(self, infusion_end: datetime | None) -> datetime | None:
        """The end of the minimum observation period, or None when there is none (yet)."""
        if infusion_end is None or self.minimum_observation_minutes is None:
            return None
        return infusion_end + timedelta(minutes=self.minimum_observation_minutes)

    def to_dict(self) -> dict[str, Any]:
        """JSON form; :func:`schedule_from_dict` reads it back."""
        return {
            "name": self.name,
            "steps": [
                {"every_minutes": s.every_minutes, "for_minutes": s.for_minutes}
                for s in self.steps
            ],
            "during_infusion_minutes": self.during_infusion_minutes,
            "minimum_observation_minutes": self.minimum_observation_minutes,
            "note": self.note,
        }


def session_due_times(schedule: ReadingSchedule, session: Session, until: datetime,
                      now: datetime) -> list[datetime]:
    """The due times of ``session`` from its start up to ``until``, as a chart marks them.
    An infusion end after ``now`` is a plan, not an end: readings stay due at the
    during-infusion interval until it comes."""
    inf = session.infusion
    start = inf.started_at or session.started_at or now
    end = inf.ended_at
    if end is not None and end > now:
        end = None
    return schedule.due_times(end, start - timedelta(seconds=1), until,
                              infusion_start=inf.started_at)


def schedule_from_dict(data: Mapping[str, Any]) -> ReadingSchedule:
    """Build a schedule from its JSON form. Raises ValidationFailed when it makes no sense."""
    return ReadingSchedule(
        name=str(data.get("name", "")),
        steps=tuple(
            ScheduleStep(float(s["every_minutes"]),
                         None if s.get("for_minutes") is None else float(s["for_minutes"]))
            for s in data.get("steps", [])
        ),
        during_infusion_minutes=data.get("during_infusion_minutes"),
        minimum_observation_minutes=data.get("minimum_observation_minutes"),
        note=str(data.get("note", "")),
    )


def validate_schedule(schedule: ReadingSchedule) -> list[FieldError]:
    """Everything wrong with a schedule, each naming the field."""
    errors: list[FieldError] = []
    if not schedule.name.strip():
        errors.append(FieldError("Schedule name", "is required"))
    if not schedule.steps:
        errors.append(FieldError("Steps", "need at least one step"))
    for number, step in enumerate(schedule.steps, start=1):
        where = f"Step {number}"
        if not step.every_minutes > 0:
            errors.append(FieldError(where, "interval must be more than 0 minutes"))
        elif step.for_minutes is not None and step.for_minutes < step.every_minutes:
            errors.append(FieldError(where, "must last at least one interval"))
        if step.for_minutes is None and number < len(schedule.steps):
            errors.append(FieldError(where, "only the last step may run until discharge"))
    during = schedule.during_infusion_minutes
    if during is not None and not during > 0:
        errors.append(FieldError("During infusion", "interval must be more than 0 minutes"))
    minimum = schedule.minimum_observation_minutes
    if minimum is not None and minimum < 0:
        errors.append(FieldError("Minimum observation", "must not be negative"))
    return errors


WARD = ReadingSchedule(
    "Ward protocol",
    (ScheduleStep(15, 60), ScheduleStep(30, 120), ScheduleStep(60)),
    during_infusion_minutes=15,
    note="Every 15 min for the first hour, every 30 min for the next 2 h, then hourly.",
)
CLINIC = ReadingSchedule(
    "Ketamine clinic",
    (ScheduleStep(15),),
    during_infusion_minutes=10,
    note="Every 10 min during the infusion and every 15 min after (Emory, Yale series).",
)
# Intranasal esketamine has no infusion: chart the dose time as both start and end. BP before
# dosing is the baseline; due at 40 min (near the peak rise) and at 2 h, the earliest
# discharge; hourly after that for a patient not yet fit to leave.
ESKETAMINE = ReadingSchedule(
    "Esketamine (Spravato)",
    (ScheduleStep(40, 40), ScheduleStep(80, 80), ScheduleStep(60)),
    during_infusion_minutes=None,
    minimum_observation_minutes=120,
    note="BP before dosing, at 40 min and before discharge; at least 2 h of observation.",
)

SCHEDULE_PRESETS: Mapping[str, ReadingSchedule] = {
    "ward": WARD,
    "clinic": CLINIC,
    "esketamine": ESKETAMINE,
}
DEFAULT_SCHEDULE = WARD
