"""Tab leaves a date/time field for the next field instead of walking the date's sections:
initials typed after Tab land in the initials field and the time stays as it was."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import (
    QApplication,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QLineEdit,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

import monitor.ui
from monitor.ui.entry.tab_leaves import tab_leaves_date_fields
from monitor.ui.entry.timeline_dialog import TimelineDialog

from .dialog_helpers import run_dialog

SHIFT = Qt.KeyboardModifier.ShiftModifier
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LATE = QDateTime(QDate(2026, 3, 2), QTime(9, 5))


def focus(qtbot, widget: QWidget) -> None:
    widget.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(widget.hasFocus)


def shown_timeline_dialog(qtbot) -> TimelineDialog:
    """The event dialog, shown non-modally (key clicks in a modal exec() can hang)."""
    dialog = TimelineDialog(lambda entry: entry, lambda: NOW)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    return dialog


def test_event_dialog_tab_from_the_time_goes_to_the_initials(qtbot):
    dialog = shown_timeline_dialog(qtbot)
    try:
        dialog.time_input.setDateTime(LATE)  # late charting: the nurse set the time
        dialog.initials.setText("JM")  # remembered from the last nurse
        focus(qtbot, dialog.time_input)

        qtbot.keyClick(dialog.time_input, Qt.Key.Key_Tab)
        qtbot.keyClicks(QApplication.focusWidget(), "AB")

        assert QApplication.focusWidget() is dialog.initials
        assert dialog.initials.text() == "AB"
        assert dialog.time_input.dateTime() == LATE
    finally:
        dialog.close()


def test_event_dialog_shift_tab_from_the_time_goes_back_to_the_note(qtbot):
    dialog = shown_timeline_dialog(qtbot)
    try:
        dialog.time_input.setDateTime(LATE)
        focus(qtbot, dialog.time_input)
        # From the minutes, Qt's own Shift+Tab stepped back to the hours.
        dialog.time_input.setCurrentSection(QDateTimeEdit.Section.MinuteSection)

        qtbot.keyClick(dialog.time_input, Qt.Key.Key_Backtab, SHIFT)
        qtbot.keyClicks(QApplication.focusWidget(), "nausea")

        assert dialog.note.text() == "nausea"
        assert dialog.time_input.dateTime() == LATE
        focus(qtbot, dialog.time_input)
        dialog.time_input.setCurrentSection(QDateTimeEdit.Section.MinuteSection)
        qtbot.keyClick(dialog.time_input, Qt.Key.Key_Tab, SHIFT)  # how some keyboards send it
        assert QApplication.focusWidget() is dialog.note
    finally:
        dialog.close()


def test_the_event_dialog_opened_by_its_shortcut_has_a_time_field_tab_leaves(qtbot, window):
    seen: list[object] = []

    def act(dialog: QWidget) -> None:  # no key clicks inside a modal dialog: they can hang
        seen.append(dialog.findChild(QDateTimeEdit, "timelineTime").property("tabLeaves"))

    run_dialog(qtbot, window, Qt.Key.Key_E, act)
    assert seen == [True]


def test_time_and_date_fields_are_left_by_tab_too(qtbot):
    dialog = QDialog()
    qtbot.addWidget(dialog)
    first, time, date, initials = QLineEdit(), QTimeEdit(QTime(8, 20)), QDateEdit(
        QDate(2026, 3, 2)), QLineEdit()
    layout = QVBoxLayout(dialog)
    for widget in (first, time, date, initials):
        layout.addWidget(widget)
    tab_leaves_date_fields(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    try:
        focus(qtbot, time)
        qtbot.keyClick(time, Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is date
        qtbot.keyClick(date, Qt.Key.Key_Tab)
        qtbot.keyClicks(QApplication.focusWidget(), "AB")
        assert initials.text() == "AB"
        assert (time.time(), date.date()) == (QTime(8, 20), QDate(2026, 3, 2))
    finally:
        dialog.close()


def test_every_dialog_with_a_date_or_time_field_lets_tab_leave_it():
    """A date/time field is built only in a ChartingDialog (which installs the filter when
    shown) or next to an explicit ``tab_leaves_date_fields`` call."""
    built = re.compile(r"\bQ(?:DateTime|Date|Time)Edit\(")
    ui = Path(monitor.ui.__file__).parent
    unguarded = [
        str(path.relative_to(ui)) for path in sorted(ui.rglob("*.py"))
        if path.name != "tab_leaves.py"
        and built.search(text := path.read_text(encoding="utf-8"))
        and "tab_leaves_date_fields(" not in text and "(ChartingDialog)" not in text]
    assert unguarded == []
