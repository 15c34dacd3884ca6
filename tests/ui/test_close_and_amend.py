"""Closing a session asks for the discharge details and locks it; amending a closed session
needs initials and a reason, and the amendment is marked late and audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLabel, QLineEdit, QRadioButton

from monitor.domain.closing import DischargeDetails
from monitor.domain.readings import new_reading
from monitor.domain.sessions import SessionStatus
from monitor.domain.vitals import Vital
from monitor.ui.entry.readings_model import STATUS_COL

from .conftest import when_modal


def trigger(window, name: str) -> None:
    window.findChild(QAction, name).trigger()


def ok(dialog) -> None:
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()


def add_reading(window, minutes_ago: int = 10, sbp: float = 130) -> None:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    window.controller.save_reading(new_reading(at, {Vital.SBP: sbp, Vital.DBP: 80},
                                               entered_by="JM"))


def close_now(window) -> None:
    window.controller.close_session(DischargeDetails(
        datetime.now(UTC), True, True, "JM"))


def test_closing_asks_for_discharge_details_then_locks_the_session(qtbot, window, store):
    add_reading(window)
    session_id = window.controller.session.id
    errors: list[str] = []

    def act(dialog) -> None:
        assert "No discharge assessment" in dialog.findChild(QLabel, "dischargeAssessment").text()
        initials = dialog.findChild(QLineEdit, "dischargeInitials")
        assert initials.text() == "JM"  # who charted last at this workstation, offered
        initials.clear()
        ok(dialog)  # nothing answered
        errors.append(dialog.findChild(QLabel, "closeSessionErrors").text())
        dialog.findChild(QLineEdit, "dischargeTime").setText("25:99")
        ok(dialog)
        errors.append(dialog.findChild(QLabel, "closeSessionErrors").text())
        dialog.findChild(QLineEdit, "dischargeTime").setText(
            datetime.now().astimezone().strftime("%H:%M"))
        dialog.findChild(QRadioButton, "escortNo").setChecked(True)
        dialog.findChild(QRadioButton, "instructionsYes").setChecked(True)
        dialog.findChild(QLineEdit, "dischargeInitials").setText("kl")
        ok(dialog)  # no escort needs a note
        errors.append(dialog.findChild(QLabel, "closeSessionErrors").text())
        dialog.findChild(QLineEdit, "dischargeNote").setText("Husband waiting in car park")
        ok(dialog)

    when_modal(qtbot, act)
    trigger(window, "closeSessionAction")

    assert "Escort: say whether an escort is present" in errors[0]
    assert "Instructions: say whether" in errors[0]
    assert "Initials: enter your initials" in errors[0]
    assert "Discharge time: '25:99' is not a time" in errors[1]
    assert "Note: say why" in errors[2]
    assert store.get_session(session_id).status is SessionStatus.CLOSED
    closing = [e for e in store.audit_trail(session_id) if e.action == "session closed"][-1]
    assert closing.actor == "KL"
    assert closing.detail["escort_present"] is False
    assert closing.detail["instructions_given"] is True
    assert closing.detail["note"] == "Husband waiting in car park"
    assert window.review.strip.isVisible()
    assert "CLOSED SESSION — read only" in window.review.strip.label.text()
    assert not window.entry.isEnabled()
    assert not window.edit_action.isEnabled()
    assert not window.findChild(QAction, "closeSessionAction").isEnabled()


def test_discharge_before_the_last_reading_is_refused(qtbot, window, store):
    add_reading(window, minutes_ago=2)
    errors: list[str] = []

    def act(dialog) -> None:
        early = datetime.now().astimezone() - timedelta(minutes=30)
        dialog.findChild(QLineEdit, "dischargeTime").setText(early.strftime("%Y-%m-%d %H:%M"))
        dialog.findChild(QRadioButton, "escortYes").setChecked(True)
        dialog.findChild(QRadioButton, "instructionsYes").setChecked(True)
        dialog.findChild(QLineEdit, "dischargeInitials").setText("KL")
        ok(dialog)
        errors.append(dialog.findChild(QLabel, "closeSessionErrors").text())
        dialog.reject()

    when_modal(qtbot, act)
    trigger(window, "closeSessionAction")
    assert "Discharge time: is before the last reading" in errors[0]
    assert store.get_session(window.controller.session.id).status is SessionStatus.ACTIVE


def test_a_closed_session_opens_read_only_and_refuses_plain_corrections(qtbot, window, store):
    add_reading(window)
    session_id = window.controller.session.id
    close_now(window)
    window.show_picker()
    window.open_session(session_id)
    assert window.controller.session.status is SessionStatus.CLOSED
    assert not window.entry.isEnabled()
    assert window.review.strip.isVisible()
    window.table.view.selectRow(0)
    errors: list[str] = []

    def act(dialog) -> None:
        dialog.findChild(QLineEdit, "correct_sbp").setText("135")
        dialog.findChild(QComboBox, "reasonInput").setCurrentText("Typing error")
        dialog.findChild(QLineEdit, "reasonInitials").setText("KL")
        ok(dialog)
        errors.append(dialog.findChild(QLabel, "reasonDialogErrors").text())
        dialog.reject()

    when_modal(qtbot, act)
    qtbot.mouseClick(window.table.correct_button, Qt.MouseButton.LeftButton)
    assert "Amend" in errors[0]
    assert len(store.readings(session_id)) == 1


def test_amending_needs_a_reason_and_the_late_entry_is_marked_and_audited(qtbot, window,
                                                                          store):
    add_reading(window, minutes_ago=40)
    session_id = window.controller.session.id
    close_now(window)
    errors: list[str] = []

    def act(dialog) -> None:
        dialog.findChild(QLineEdit, "amendInitials").setText("kl")
        ok(dialog)  # no reason
        errors.append(dialog.findChild(QLabel, "amendErrors").text())
        dialog.findChild(QComboBox, "amendReason").setCurrentText("Found on the paper chart")
        dialog.findChild(QLineEdit, "amendInitials").setText("")
        ok(dialog)  # no initials
        errors.append(dialog.findChild(QLabel, "amendErrors").text())
        dialog.findChild(QLineEdit, "amendInitials").setText("kl")
        ok(dialog)

    when_modal(qtbot, act)
    qtbot.mouseClick(window.review.strip.amend_button, Qt.MouseButton.LeftButton)
    assert "Reason: say why" in errors[0]
    assert "Initials: enter your initials" in errors[1]
    assert "Amending closed session (KL: Found on the paper chart)" in \
        window.review.strip.label.text()
    assert window.entry.isEnabled()

    entry = window.entry
    taken = datetime.now().astimezone() - timedelta(minutes=20)
    entry.time_input.setText(f"{taken:%H:%M}")
    entry.time_input.textEdited.emit(entry.time_input.text())
    entry.confirm = lambda questions: True  # before the session's start: charted late
    qtbot.keyClicks(entry.inputs[Vital.SBP], "142")
    qtbot.keyClicks(entry.inputs[Vital.DBP], "84")
    qtbot.keyClicks(entry.initials_input, "KL")
    qtbot.keyClick(entry.initials_input, Qt.Key.Key_Return)

    late = store.amendments(session_id)
    assert [r.values[Vital.SBP] for r in late] == [142]
    assert late[0].amendment_reason == "Found on the paper chart" and late[0].late
    audit = [e for e in store.audit_trail(session_id) if e.action == "amendment"]
    assert audit[-1].actor == "KL" and audit[-1].detail["reason"] == "Found on the paper chart"
    statuses = [window.table_model.index(r, STATUS_COL).data()
                for r in range(window.table_model.rowCount())]
    assert any(s.startswith("LATE ENTRY (amendment: Found on the paper chart)")
               for s in statuses)

    qtbot.mouseClick(window.review.strip.end_button, Qt.MouseButton.LeftButton)
    assert not window.entry.isEnabled()
    assert "CLOSED SESSION — read only" in window.review.strip.label.text()


def test_amend_is_not_offered_for_an_active_session(qtbot, window):
    assert not window.findChild(QAction, "amendAction").isEnabled()
    assert not window.review.strip.isVisible()
    assert window.entry.isEnabled()


def test_a_closed_session_offers_no_add_or_assess_and_their_shortcuts_open_nothing(
        qtbot, window):
    from PySide6.QtWidgets import QApplication, QPushButton

    add = window.findChild(QPushButton, "addTimelineButton")
    assess = window.findChild(QPushButton, "dischargeAssessButton")
    assert add.isEnabled() and assess.isEnabled()  # an open session: both offered
    add_reading(window)
    close_now(window)
    assert not add.isEnabled() and not assess.isEnabled()
    assert "closed" in add.toolTip() and "closed" in assess.toolTip()
    assert not window.findChild(QAction, "addTimelineEntryAction").isEnabled()
    assert not window.findChild(QAction, "dischargeAssessmentAction").isEnabled()
    # The menu entries and their shortcuts (which trigger them) open nothing, nor do clicks.
    window.findChild(QAction, "addTimelineEntryAction").trigger()
    window.findChild(QAction, "dischargeAssessmentAction").trigger()
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(assess, Qt.MouseButton.LeftButton)
    assert QApplication.activeModalWidget() is None
