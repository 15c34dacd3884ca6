"""The reading schedule as the nurse meets it: the countdown, overdue display and alert,
the schedule dialog (Session > Reading schedule…, Ctrl+Shift+D) and due-time ticks on the
chart. Time is the controller's clock, set by each test."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton

from monitor.domain.alerts import OVERDUE, AlertKind
from monitor.domain.due_status import DueStatus
from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.ui.app import GuiOptions, build_window
from monitor.ui.chart.schedule_overlay import STYLE, DueTimeOverlay
from monitor.ui.dialogs.schedule_panel import ScheduleCountdown, ScheduleDialog
from monitor.ui.theme import ThemeName
from tests.clock import Clock

from .conftest import when_modal

#: "Now" at the start of each test; the infusion ran from T-2h to T-30min.
T = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
MIN = timedelta(minutes=1)



@pytest.fixture
def fixed_clock() -> Clock:
    """The test's clock, at T-2min until a test moves it."""
    return Clock(T - 2 * MIN)


@pytest.fixture
def window(qtbot, store, db_path, fixed_clock):
    """The main window on the test's clock from the start: its one-second alert tick must
    never run on the real clock, an hour after T (under load it fired while the window was
    being shown, and the tests' overdue alerts were then counted from the wrong time)."""
    win = build_window(store, GuiOptions(db_path=db_path, patient_id="P-100"),
                       clock=fixed_clock)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


@pytest.fixture
def clock(window, fixed_clock) -> Clock:
    """The window's session with an infusion from T-2h to T-30min, the clock at T-2min
    and one reading at T-15min (the ward protocol's first due time after the end)."""
    clock = fixed_clock
    # The reading first: with the infusion set and no reading yet, a reading would be
    # overdue since T-105min, and the alert that raised (then ended by the next tick, if the
    # one-second timer fired before the test began) made the tests count one alert too many.
    window.controller.save_reading(new_reading(T - 15 * MIN, {Vital.SBP: 128, Vital.DBP: 80},
                                               entered_by="JM"))
    session = window.controller.session
    window.controller.update_session(replace(session, infusion=replace(
        session.infusion, started_at=T - 120 * MIN, ended_at=T - 30 * MIN)), "JM", "test")
    assert not overdue_alerts(window) and not window.alerts.store.alert_history(session.id)
    return clock


def countdown(window) -> ScheduleCountdown:
    return window.findChild(ScheduleCountdown)


def overlay(window) -> DueTimeOverlay:
    return window.chart.findChild(DueTimeOverlay)


def overdue_alerts(window):
    return [a for a in window.alerts.active_alerts()
            if a.kind is AlertKind.TECHNICAL and a.condition == OVERDUE]


def test_countdown_counts_down_and_turns_into_overdue_then_alert(qtbot, window, clock):
    panel = countdown(window)
    # The controller's one-second tick drives the countdown.
    clock.now = T - 2 * MIN + timedelta(seconds=5)
    qtbot.waitUntil(lambda: panel.countdown.text() == "Next reading due in 01:55")
    assert panel.state() == "upcoming"
    assert panel.protocol.text().startswith("Ward protocol: every 15 min during the infusion")

    clock.now = T + 3 * MIN + timedelta(seconds=10)
    window.alerts.tick()
    assert panel.countdown.text() == "OVERDUE by 03:10"
    assert panel.state() == "overdue"
    assert overdue_alerts(window) == []  # still within the 5-minute grace

    clock.now = T + 6 * MIN
    window.alerts.tick()
    assert panel.countdown.text() == "OVERDUE by 06:00"
    assert panel.state() == "alert"
    assert "Technical alert: reading overdue" in panel.detail.text()
    assert len(overdue_alerts(window)) == 1

    # A reading ends it: the next is due at T+15.
    window.controller.save_reading(new_reading(T + 6 * MIN, {Vital.HR: 72}, entered_by="JM"))
    window.alerts.tick()
    assert panel.countdown.text() == "Next reading due in 09:00"
    assert overdue_alerts(window) == []


def test_countdown_says_when_nothing_can_be_due(window):
    assert countdown(window).countdown.text() == "No reading due"
    assert "infusion start and end" in countdown(window).detail.text()


def open_schedule_dialog(qtbot, window, act) -> None:
    when_modal(qtbot, act)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_D,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    if text:
        qtbot.keyClicks(edit, text)


def test_preset_is_saved_per_session_and_survives_reopening(
        qtbot, window, clock, store, db_path, other_connection):
    def choose_clinic(dialog: ScheduleDialog) -> None:
        dialog.findChild(QComboBox, "schedulePreset").setCurrentText("Ketamine clinic")
        qtbot.keyClicks(dialog.findChild(QLineEdit, "scheduleInitials"), "kl")
        qtbot.keyClick(dialog.findChild(QLineEdit, "scheduleInitials"), Qt.Key.Key_Return)

    open_schedule_dialog(qtbot, window, choose_clinic)

    stored = other_connection.schedule(window.controller.session.id)
    assert stored.name == "Ketamine clinic"
    trail = other_connection.audit_trail(window.controller.session.id)
    assert [e.actor for e in trail if e.action == "schedule changed"] == ["KL"]
    panel = countdown(window)
    assert panel.protocol.text() == ("Ketamine clinic: every 10 min during the infusion; "
                                     "after it every 15 min")
    # Every 15 min from T-30: T-15 was met, T is next.
    assert panel.countdown.text() == "Next reading due in 02:00"

    again = build_window(store, GuiOptions(db_path=db_path, patient_id="P-100"))
    qtbot.addWidget(again)
    assert again.alerts.schedule().name == "Ketamine clinic"
    assert countdown(again).protocol.text().startswith("Ketamine clinic:")


def test_edited_steps_are_saved(qtbot, window, clock, other_connection):
    def edit(dialog: ScheduleDialog) -> None:
        dialog.findChild(QComboBox, "schedulePreset").setCurrentText("Ketamine clinic")
        qtbot.mouseClick(dialog.findChild(QPushButton, "addStepButton"),
                         Qt.MouseButton.LeftButton)
        type_into(qtbot, dialog.findChild(QLineEdit, "step1Every"), "10")
        type_into(qtbot, dialog.findChild(QLineEdit, "step1For"), "60")
        type_into(qtbot, dialog.findChild(QLineEdit, "step2Every"), "30")
        type_into(qtbot, dialog.findChild(QLineEdit, "scheduleDuringInfusion"), "")
        assert dialog.findChild(QComboBox, "schedulePreset").currentText() == "Custom"
        assert dialog.summary.text() == ("after the infusion every 10 min for 60 min, "
                                         "then every 30 min")
        qtbot.keyClicks(dialog.findChild(QLineEdit, "scheduleInitials"), "kl")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    open_schedule_dialog(qtbot, window, edit)

    stored = other_connection.schedule(window.controller.session.id)
    assert stored.name == "Ketamine clinic (modified)"
    assert [(s.every_minutes, s.for_minutes) for s in stored.steps] == [(10, 60), (30, None)]
    assert stored.during_infusion_minutes is None
    # Every 10 min from T-30: the T-15 reading covers T-20 but is too early for T-10
    # (more than a third of the interval), so T-10 is due and 8 min overdue.
    assert countdown(window).countdown.text() == "OVERDUE by 08:00"


@pytest.mark.parametrize(("fields", "message"), [
    ({"step1Every": "abc"}, "Step 1 every: 'abc' is not a number"),
    ({"step1Every": ""}, "Step 1: enter the interval in minutes"),
    ({"step1Every": "0"}, "Step 1: interval must be more than 0 minutes"),
    ({"step1For": "10"}, "Step 1: must last at least one interval"),
    ({"step1For": ""}, "Step 1: only the last step may run until discharge"),
    ({"step2For": "x1"}, "Step 2 for: 'x1' is not a number"),
    ({"scheduleDuringInfusion": "0"}, "During infusion: interval must be more than 0 minutes"),
    ({"scheduleMinimum": "-5"}, "Minimum observation: must not be negative"),
    ({"scheduleName": ""}, "Schedule name: is required"),
    ({"scheduleInitials": ""}, "Initials: enter your initials"),
])
def test_invalid_schedule_is_refused_with_named_messages(qtbot, window, clock,
                                                         other_connection, fields, message):
    seen: list[tuple[str, bool]] = []

    def act(dialog: ScheduleDialog) -> None:
        type_into(qtbot, dialog.findChild(QLineEdit, "scheduleInitials"), "kl")
        for name, text in fields.items():
            type_into(qtbot, dialog.findChild(QLineEdit, name), text)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        seen.append((dialog.errors.text(), dialog.isVisible()))
        dialog.reject()

    open_schedule_dialog(qtbot, window, act)
    errors, still_open = seen[0]
    assert still_open
    assert message in errors.splitlines()
    assert other_connection.schedule(window.controller.session.id) is None
    assert window.alerts.schedule().name == "Ward protocol"


def ticks(window, plot: int = 0) -> list[tuple[datetime, str]]:
    return [(datetime.fromtimestamp(t, UTC), colour)
            for t, colour in overlay(window).drawn(plot)]


def test_due_times_are_marked_met_missed_and_upcoming(qtbot, window, clock):
    window.apply_theme(ThemeName.LIGHT)  # the colours below are the light theme's
    window.alerts.tick()  # the ticks take the new theme's colours on the next tick
    light = {status: colours[0] for status, colours in STYLE.items()}
    missed, met, upcoming = (light[DueStatus.MISSED], light[DueStatus.MET],
                             light[DueStatus.UPCOMING])
    # Ward protocol: every 15 min from the start while the infusion runs (no readings
    # then: missed), then from the end every 15 min; ticks reach an hour ahead.
    expected = [(T - m * MIN, missed) for m in (105, 90, 75, 60, 45)]
    expected += [(T - 15 * MIN, met), (T, upcoming), (T + 15 * MIN, upcoming),
                 (T + 30 * MIN, upcoming)]
    assert ticks(window) == expected
    for plot in range(len(window.chart.plots)):
        assert ticks(window, plot) == expected

    clock.now = T + 6 * MIN  # the one due at T passes its grace without a reading
    window.alerts.tick()
    assert ticks(window)[6] == (T, missed)

    window.controller.save_reading(new_reading(T + 6 * MIN, {Vital.HR: 72}, entered_by="JM"))
    assert ticks(window)[6] == (T, missed)  # taken after the grace: it stays missed

    window.alerts.set_schedule(replace(window.alerts.schedule(), name="Only after",
                                       during_infusion_minutes=None), "KL")
    assert [t for t, _ in ticks(window)] == [T - 15 * MIN, T, T + 15 * MIN, T + 30 * MIN,
                                            T + 60 * MIN]


def test_due_ticks_follow_the_theme(qtbot, window, clock):
    window.apply_theme(ThemeName.LIGHT)
    window.alerts.tick()
    assert ticks(window)[6][1] == STYLE[DueStatus.UPCOMING][0]
    window.apply_theme(ThemeName.DARK)
    window.alerts.tick()
    assert ticks(window)[6][1] == STYLE[DueStatus.UPCOMING][1]
    window.apply_theme(ThemeName.LIGHT)


def test_a_restart_carries_on_the_overdue_alert_instead_of_raising_another(
        qtbot, window, clock, store, db_path, other_connection):
    clock.now = T + 6 * MIN
    window.alerts.tick()
    (alert,) = overdue_alerts(window)
    window.alerts.acknowledge(alert.id, "KL")
    window.close()  # the app is closed while the reading is still overdue

    again = build_window(store, GuiOptions(db_path=db_path, patient_id="P-100"),
                         clock=Clock(T + 20 * MIN))  # the alerts follow the same clock
    qtbot.addWidget(again)
    again.alerts.tick()
    (carried,) = overdue_alerts(again)
    assert carried.raised_at == alert.raised_at and carried.acknowledged_by == "KL"
    session_id = again.controller.session.id
    stored = [s.alert for s in other_connection.alert_history(session_id)
              if s.alert.condition == OVERDUE]
    assert len(stored) == 1 and stored[0].resolved_at is None, [
        (a.raised_at, a.resolved_at, a.acknowledged_by) for a in stored]

    again.controller.save_reading(new_reading(T + 20 * MIN, {Vital.HR: 70}, entered_by="KL"))
    again.alerts.tick()
    assert overdue_alerts(again) == []
    (ended,) = [s.alert for s in other_connection.alert_history(session_id)
                if s.alert.condition == OVERDUE]
    assert ended.resolved_at is not None


def test_closing_the_session_ends_its_overdue_alert(qtbot, window, clock, other_connection):
    from monitor.domain.closing import DischargeDetails

    clock.now = datetime.now(UTC).replace(microsecond=0)  # the session was started now
    window.alerts.tick()
    assert len(overdue_alerts(window)) == 1
    discharged = clock.now
    window.controller.close_session(DischargeDetails(discharged, True, True, "JM"))
    assert overdue_alerts(window) == []
    overdue = [s.alert for s in other_connection.alert_history(window.controller.session.id)
               if s.alert.condition == OVERDUE]
    assert len(overdue) == 1, [(a.raised_at, a.resolved_at, a.value) for a in overdue]
    assert overdue[0].resolved_at == discharged
