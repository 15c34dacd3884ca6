"""Correcting and striking out readings from the table: nothing is ever destroyed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLabel, QLineEdit

from monitor.domain.readings import ReadingStatus, new_reading
from monitor.domain.vitals import Vital

from .conftest import when_modal


def saved_reading(window, sbp: float = 128, dbp: float = 82):
    reading = new_reading(datetime.now(UTC) - timedelta(minutes=5),
                          {Vital.SBP: sbp, Vital.DBP: dbp, Vital.HR: 76}, entered_by="JM")
    return window.controller.save_reading(reading)


def select_row(qtbot, window, row: int) -> None:
    view = window.table.view
    rect = view.visualRect(window.table_model.index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def fill_and_ok(fields: dict[str, str], reason: str, initials: str):
    def act(dialog) -> None:
        for name, text in fields.items():
            dialog.findChild(QLineEdit, name).setText(text)
        dialog.findChild(QComboBox, "reasonInput").setCurrentText(reason)
        dialog.findChild(QLineEdit, "reasonInitials").setText(initials)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    return act


def test_correction_keeps_the_original_and_shows_both(qtbot, window, other_connection):
    original = saved_reading(window)
    select_row(qtbot, window, 0)
    when_modal(qtbot, fill_and_ok({"correct_sbp": "118"}, "Typing error", "kl"))
    qtbot.mouseClick(window.table.correct_button, Qt.MouseButton.LeftButton)

    rows = other_connection.readings(window.controller.session.id)
    assert [r.status for r in rows] == [ReadingStatus.CORRECTED, ReadingStatus.VALID]
    assert rows[0].values[Vital.SBP] == 128 and rows[1].values[Vital.SBP] == 118
    assert rows[1].supersedes == original.id and rows[1].entered_by == "KL"
    model = window.table_model
    statuses = [model.index(r, 9).data() for r in range(model.rowCount())]
    assert any(s.startswith("corrected by KL: Typing error") for s in statuses)
    assert list(window.chart.series(Vital.SBP)[1]) == [118]  # only the correction is plotted


def test_correction_without_reason_is_refused(qtbot, window, other_connection):
    saved_reading(window)
    select_row(qtbot, window, 0)
    seen: list[str] = []

    def act(dialog) -> None:
        fill_and_ok({"correct_sbp": "118"}, "", "KL")(dialog)
        seen.append(dialog.findChild(QLabel, "reasonDialogErrors").text())
        dialog.reject()

    when_modal(qtbot, act)
    qtbot.mouseClick(window.table.correct_button, Qt.MouseButton.LeftButton)
    assert "Reason: say why" in seen[0]
    assert len(other_connection.readings(window.controller.session.id)) == 1


def test_entered_in_error_is_struck_out_not_deleted(qtbot, window, other_connection):
    saved_reading(window, sbp=190, dbp=95)
    select_row(qtbot, window, 0)
    when_modal(qtbot, fill_and_ok({}, "Wrong patient", "AB"))
    qtbot.mouseClick(window.table.error_button, Qt.MouseButton.LeftButton)

    rows = other_connection.readings(window.controller.session.id)
    assert len(rows) == 1 and rows[0].status is ReadingStatus.ENTERED_IN_ERROR
    assert rows[0].status_by == "AB" and rows[0].status_reason == "Wrong patient"
    index = window.table_model.index(0, 9)
    assert index.data().startswith("ENTERED IN ERROR by AB")
    assert index.data(Qt.ItemDataRole.FontRole).strikeOut()
    assert len(window.chart.series(Vital.SBP)[1]) == 0
    assert window.tiles.tile(Vital.SBP).value.text() == "—"
    assert not window.table.error_button.isEnabled()  # cannot strike twice
    trail = [e.action for e in other_connection.audit_trail(window.controller.session.id)]
    assert "reading entered in error" in trail


def test_f2_corrects_and_shift_f2_marks_the_selected_or_latest_reading(qtbot, window):
    from PySide6.QtWidgets import QApplication

    now = datetime.now(UTC)
    older = window.controller.save_reading(new_reading(
        now - timedelta(minutes=10), {Vital.HR: 70}, entered_by="AB"))
    newest = window.controller.save_reading(new_reading(
        now - timedelta(minutes=5), {Vital.HR: 72}, entered_by="AB"))
    seen = []

    def note_and_close(dialog) -> None:
        seen.append((dialog.windowTitle(), dialog.reading.id))
        dialog.reject()

    window.entry.focus_first()  # the nurse is in the form: no row selected
    when_modal(qtbot, note_and_close)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: len(seen) == 1)
    assert seen[0][1] == newest.id and "orrect" in seen[0][0]
    window.table.view.selectRow(1)  # the older one, clicked in the table
    window.activateWindow()  # back from the dialog
    window.table.view.setFocus()
    qtbot.waitUntil(window.table.view.hasFocus)
    when_modal(qtbot, note_and_close)
    qtbot.keyClick(window.table.view, Qt.Key.Key_F2, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(seen) == 2)
    assert seen[1][1] == older.id and "rror" in seen[1][0]


def test_dialogs_offer_the_initials_last_signed_with_here(qtbot, window):
    now = datetime.now(UTC)
    reading = window.controller.save_reading(new_reading(
        now - timedelta(minutes=5), {Vital.HR: 72}, entered_by="jm"))
    offered = []

    def look(dialog) -> None:
        offered.append(dialog.findChild(QLineEdit, "reasonInitials").text())
        dialog.reject()

    when_modal(qtbot, look)
    window.mark_in_error(reading)
    assert offered == ["JM"]  # signed the reading just now
    window.controller.correct_reading(reading, {Vital.HR: 74}, "kl", "Typing error")
    when_modal(qtbot, look)
    window.mark_in_error(window.controller.readings[-1])
    assert offered[-1] == "KL"
