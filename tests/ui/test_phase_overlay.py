"""Phases on the chart's time axis: baseline, infusion, recovery and the discharge line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.domain.closing import DischargeDetails
from monitor.domain.sessions import Infusion, Patient, Phase, Session, SessionStatus
from monitor.ui.app import GuiOptions, build_window
from monitor.ui.chart.phase_overlay import phase_spans

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def session(start_min: int | None, end_min: int | None, closed_min: int | None = None):
    def at(m: int | None):
        return None if m is None else NOW + timedelta(minutes=m)
    return Session(Patient("P-1"), Infusion(started_at=at(start_min), ended_at=at(end_min)),
                   started_at=NOW - timedelta(minutes=120), closed_at=at(closed_min),
                   status=SessionStatus.CLOSED if closed_min is not None
                   else SessionStatus.ACTIVE)


def test_spans_follow_the_course_of_the_session():
    spans = {s.phase: (s.start, s.end) for s in phase_spans(session(-90, -30), NOW)}
    assert spans == {
        Phase.BASELINE: (NOW - timedelta(minutes=120), NOW - timedelta(minutes=90)),
        Phase.INFUSION: (NOW - timedelta(minutes=90), NOW - timedelta(minutes=30)),
        Phase.RECOVERY: (NOW - timedelta(minutes=30), NOW),
    }


def test_running_infusion_and_no_infusion_yet():
    running = {s.phase for s in phase_spans(session(-60, None), NOW)}
    assert running == {Phase.BASELINE, Phase.INFUSION}
    assert [s.phase for s in phase_spans(session(None, None), NOW)] == []


def test_recovery_ends_at_discharge():
    spans = {s.phase: s for s in phase_spans(session(-90, -60, closed_min=-10), NOW)}
    assert spans[Phase.RECOVERY].end == NOW - timedelta(minutes=10)


def test_chart_shades_the_phases_and_marks_discharge(qtbot, store, db_path):
    now = datetime.now(UTC)
    created = store.create_session(Session(
        Patient("P-7"), Infusion(started_at=now - timedelta(minutes=90),
                                 ended_at=now - timedelta(minutes=40)),
        started_at=now - timedelta(minutes=110)), "JM")
    win = build_window(store, GuiOptions(db_path=db_path, patient_id="P-7"))
    qtbot.addWidget(win)
    phases = win.review.phases
    shown = phases.visible_phases()
    assert set(shown) == {Phase.BASELINE, Phase.INFUSION, Phase.RECOVERY}
    assert shown[Phase.INFUSION] == ((now - timedelta(minutes=90)).timestamp(),
                                     (now - timedelta(minutes=40)).timestamp())
    assert not phases.discharge_lines[0].isVisible()
    discharged = now - timedelta(minutes=5)
    win.controller.close_session(DischargeDetails(discharged, True, True, "JM"))
    assert win.controller.session.id == created.id
    assert phases.discharge_lines[0].isVisible()
    assert phases.discharge_lines[0].value() == discharged.timestamp()
    assert phases.visible_phases()[Phase.RECOVERY][1] == discharged.timestamp()
