"""What an exported chart and the PDF report mark beside the vital signs, worked out once
from a SessionRecord with the rules the live chart's overlays use: the session's phases
(domain.phases), its reading schedule's due times with met / missed status
(domain.schedule.session_due_times, domain.due_status.due_marks), and its sedation scores and
clinical events. Nothing here draws: monitor.render's chart_render and report do. It lives in
the application layer, not the domain, because it reads the export's SessionRecord (io).

An export describes the session as it stood when it was made (``record.generated_at``):
a due time whose grace period had not passed by then is still "upcoming"; nothing is due
after discharge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain.due_status import DueMark, DueStatus, due_marks
from ..domain.events import ClinicalEvent, SedationEntry, TimelineEntry, in_time_order
from ..domain.phases import PhaseSpan, phase_spans, spans_within
from ..domain.schedule import session_due_times
from ..io.export_data import SessionRecord


@dataclass(frozen=True)
class TimeRange:
    """The stretch of the session to draw."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end


@dataclass(frozen=True)
class ChartMarks:
    """Everything drawn beside the vitals on an exported chart, within its time range."""

    phases: list[PhaseSpan]
    due: list[DueMark]
    entries: list[TimelineEntry]
    discharged_at: datetime | None


def session_due_marks(record: SessionRecord) -> list[DueMark]:
    """Every due time of the session up to discharge (or the export), with its status."""
    session = record.session
    now = record.generated_at
    until = session.closed_at or now
    due = session_due_times(record.reading_schedule, session, until, now)
    grace = timedelta(minutes=record.profile.settings.overdue_grace_minutes)
    return due_marks(due, record.current_readings(), now, grace)


def chart_marks(record: SessionRecord, time_range: TimeRange | None) -> ChartMarks:
    """The phases, due times and timeline entries of ``record`` inside ``time_range``
    (None: the whole session); phases are cut at its edges."""
    phases = phase_spans(record.session, record.generated_at)
    due = session_due_marks(record)
    entries = in_time_order(e for e in record.timeline
                            if isinstance(e, ClinicalEvent | SedationEntry))
    discharged = record.session.closed_at
    if time_range is not None:
        phases = spans_within(phases, time_range.start, time_range.end)
        due = [m for m in due if m.at in time_range]
        entries = [e for e in entries if e.at in time_range]
        if discharged is not None and discharged not in time_range:
            discharged = None
    return ChartMarks(phases, due, entries, discharged)


def due_label(mark: DueMark, between: str = " ") -> str:
    """How a due time reads on paper: ``due 10:45 missed`` (``between`` before the
    status)."""
    return f"due {mark.at:%H:%M}{between}{mark.status.value}"


def due_summary(marks: list[DueMark]) -> str:
    """``12 due times: 9 met, 2 missed, 1 upcoming`` (statuses with none left out)."""
    counts = {status: sum(1 for m in marks if m.status is status) for status in DueStatus}
    parts = [f"{counts[s]} {s.value}" for s in (DueStatus.MET, DueStatus.MISSED,
                                                 DueStatus.UPCOMING) if counts[s]]
    noun = "due time" if len(marks) == 1 else "due times"
    return f"{len(marks)} {noun}" + (": " + ", ".join(parts) if parts else "")
