"""The active-sessions board: a new alert in a background session appears while another
session is open, even when it was saved by another connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from monitor.domain.board import board_row, order_board
from monitor.domain.profiles import ProfileVersion
from monitor.domain.readings import new_reading
from monitor.domain.sessions import Infusion, Patient, Session
from monitor.domain.vitals import Vital
from monitor.resources import default_profile


def reading(minutes_ago: float, sbp: float, hr: float = 80):
    return new_reading(datetime.now(UTC) - timedelta(minutes=minutes_ago),
                       {Vital.SBP: sbp, Vital.DBP: 80, Vital.HR: hr}, entered_by="AB")


@pytest.fixture
def background(other_connection):
    """Patient P-200 in the next chair, charted from another workstation."""
    now = datetime.now(UTC)
    session = other_connection.create_session(Session(
        Patient("P-200", "Bea Chair-Two"),
        Infusion(started_at=now - timedelta(minutes=80), ended_at=now - timedelta(minutes=20)),
        baseline={Vital.SBP: 125.0}, started_at=now - timedelta(minutes=95)), "AB")
    other_connection.add_reading(session.id, reading(15, 135))
    return session.id


def board_line(board, patient_id: str) -> str:
    return next(t for t in board.texts() if patient_id in t.splitlines()[0])


def test_a_critical_reading_saved_elsewhere_appears_on_the_board(qtbot, window,
                                                                 other_connection,
                                                                 background):
    board = window.review.board
    assert window.review.board_dock.isVisible()
    board.refresh()
    line = board_line(board, "P-200")
    assert "⚙ reading overdue" in line and "no active alert" not in line  # due 15 min ago
    assert "recovery · 20 min since end · " in line
    assert "BP 135/80  HR 80" in line
    open_id = window.controller.session.id

    other_connection.add_reading(background, reading(1, 190, hr=126))

    # Nothing is clicked: the board notices the other connection's commit by itself.
    qtbot.waitUntil(lambda: "(+1 more)" in board_line(board, "P-200"), timeout=8000)
    line = board_line(board, "P-200")
    assert "*** HR 126 > 120 /min" in line or "*** SBP 190 > 180 mmHg" in line
    assert board.texts()[0] == line  # the most urgent session comes first
    assert "BP 190/80" in line
    assert window.controller.session.id == open_id  # the open session did not change
    assert "1 with alerts" in board.status.text()


def test_clicking_a_board_line_opens_that_session(qtbot, window, background):
    board = window.review.board
    board.refresh()
    row = next(i for i, t in enumerate(board.texts()) if "P-200" in t)
    item = board.list.item(row)
    rect = board.list.visualItemRect(item)
    qtbot.mouseClick(board.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.controller.session.id == background
    assert "Bea Chair-Two" in window.header.patient.text()
    # The board refreshes once the event loop comes round (one refresh per burst).
    qtbot.waitUntil(lambda: board_line(board, "P-200").startswith("▶ "))


def test_a_reading_in_the_open_session_updates_the_board_at_once(qtbot, window):
    board = window.review.board
    window.controller.save_reading(reading(0, 185))
    qtbot.waitUntil(lambda: "*** SBP 185 > 180" in board_line(board, "P-100"))


def test_closed_sessions_leave_the_board_and_the_board_can_be_hidden(qtbot, window,
                                                                     other_connection,
                                                                     background):
    board = window.review.board
    board.refresh()
    assert any("P-200" in t for t in board.texts())
    other_connection.close_session(background, "AB")
    qtbot.waitUntil(lambda: not any("P-200" in t for t in board.texts()), timeout=8000)
    window.findChild(QAction, "activeBoardAction").trigger()
    assert not window.review.board_dock.isVisible()


def test_board_rows_replay_alerts_and_order_by_urgency():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    shipped = ProfileVersion(default_profile())

    def row(pid: str, sbp: float, last_minutes_ago: float):
        session = Session(Patient(pid), Infusion(started_at=now - timedelta(hours=2),
                                                 ended_at=now - timedelta(hours=1)),
                          id=hash(pid) % 1000, started_at=now - timedelta(hours=3))
        readings = [new_reading(now - timedelta(minutes=last_minutes_ago),
                                {Vital.SBP: sbp, Vital.DBP: 70}, entered_by="AB")]
        return board_row(session, readings, [], [], shipped, None, now)

    calm, overdue, caution = row("A", 120, 5), row("B", 120, 59), row("C", 165, 5)
    assert calm.worst_alert is None and not calm.overdue
    assert overdue.overdue and overdue.since_infusion_end == timedelta(hours=1)
    assert caution.worst_alert.message.startswith("SBP 165")
    assert [r.patient_id for r in order_board([calm, overdue, caution])] == ["C", "B", "A"]


def test_a_line_never_says_no_active_alert_beside_an_overdue_reading():
    from monitor.ui.review.active_board import row_text

    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    session = Session(Patient("B"), Infusion(started_at=now - timedelta(hours=2),
                                             ended_at=now - timedelta(hours=1)),
                      id=7, started_at=now - timedelta(hours=3))
    readings = [new_reading(now - timedelta(minutes=59), {Vital.SBP: 120, Vital.DBP: 70})]
    overdue = board_row(session, readings, [], [], ProfileVersion(default_profile()), None,
                        now)
    text = row_text(overdue, now, None)
    assert "no active alert" not in text
    assert "⚙ reading overdue" in text and "OVERDUE since" in text
