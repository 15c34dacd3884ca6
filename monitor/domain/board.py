"""One line per active session for a nurse watching several chairs: phase, time since the
infusion ended, next reading due, worst active alert and the latest values.

A row is made from an alert engine and the latest values (``replayed``): the app layer
gives the one its recorder keeps (``monitor.app.board``), so no session is replayed for the
board; without one, :func:`replay` rebuilds it from what is stored (the same alerts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .alert_timeline import rebuild
from .alerts import Acknowledgement, Alert, AlertEngine, AlertKind
from .profiles import ProfileVersion
from .readings import Reading
from .schedule import DEFAULT_SCHEDULE, ReadingSchedule
from .sessions import Phase, Session
from .vitals import Vital


@dataclass(frozen=True)
class BoardRow:
    """What the board shows for one active session."""

    session_id: int
    patient_id: str
    patient_name: str
    phase: Phase
    since_infusion_end: timedelta | None
    next_due: datetime | None
    overdue: bool
    worst_alert: Alert | None  # the most urgent unresolved physiological alert
    active_alert_count: int
    last_values: Mapping[Vital, float]
    last_reading_at: datetime | None

    @property
    def urgency(self) -> tuple[int, int]:
        """Sort key, most urgent first when sorted descending: alert priority, overdue."""
        return (int(self.worst_alert.priority) if self.worst_alert else 0, int(self.overdue))


def latest_values(readings: Iterable[Reading]) -> tuple[dict[Vital, float], datetime | None]:
    """The newest current value of each vital, and when the newest reading was taken."""
    values: dict[Vital, float] = {}
    newest: datetime | None = None
    for reading in sorted((r for r in readings if r.is_current), key=lambda r: r.taken_at):
        values.update(reading.values)
        newest = reading.taken_at
    return values, newest


Replayed = tuple[AlertEngine, dict[Vital, float], datetime | None]


def replay(session: Session, readings: Sequence[Reading],
           acknowledgements: Iterable[Acknowledgement], versions: Sequence[ProfileVersion],
           shipped: ProfileVersion) -> Replayed:
    """What a board row needs from the whole record: the replayed alerts and the latest
    values. It depends only on what is stored, not on the time, so it can be kept."""
    engine = rebuild(versions, shipped, session.baseline, readings, acknowledgements)
    values, newest = latest_values(readings)
    return engine, values, newest


def board_row(session: Session, readings: Sequence[Reading],
              acknowledgements: Iterable[Acknowledgement], versions: Sequence[ProfileVersion],
              shipped: ProfileVersion, schedule: ReadingSchedule | None, now: datetime,
              grace: timedelta | None = None, *, replayed: Replayed | None = None
              ) -> BoardRow:
    """The board row of ``session`` at ``now``. ``replayed`` is :func:`replay`'s result when
    the caller kept it from an earlier call (the costly part, for long sessions)."""
    engine, values, newest = replayed or replay(session, readings, acknowledgements,
                                                versions, shipped)
    active = [a for a in engine.active_alerts() if a.kind is AlertKind.PHYSIOLOGICAL]
    plan = schedule or DEFAULT_SCHEDULE
    inf = session.infusion
    due = plan.next_due(inf.ended_at, newest, now, infusion_start=inf.started_at)
    overdue_after = grace if grace is not None else timedelta(
        minutes=engine.settings.overdue_grace_minutes)
    return BoardRow(
        session_id=session.id or 0,
        patient_id=session.patient.identifier,
        patient_name=session.patient.name,
        phase=session.phase(now),
        since_infusion_end=session.time_since_infusion_end(now),
        next_due=due,
        overdue=due is not None and now - due > overdue_after,
        worst_alert=active[0] if active else None,
        active_alert_count=len(active),
        last_values=values,
        last_reading_at=newest,
    )


def order_board(rows: Iterable[BoardRow]) -> list[BoardRow]:
    """Most urgent first (critical alert, then caution, then overdue), then by patient."""
    return sorted(rows, key=lambda r: (tuple(-x for x in r.urgency), r.patient_id,
                                       r.session_id))
