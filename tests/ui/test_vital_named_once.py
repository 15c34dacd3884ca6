"""What a nurse reads when a value is asked about or refused names the vital once: the
confirmation box before a critical value is saved, and a refusal in the correction dialog
("Diastolic BP: 130 must be below systolic 120", never "Diastolic BP: diastolic 130 …")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox

from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.ui.entry.reading_dialogs import CorrectReadingDialog

from .test_entry_panel import type_reading


def boxes_shown(monkeypatch) -> list[QMessageBox]:
    """Every message box the app opens, answered No at once (a test never waits on a modal
    box); the box itself is kept to read what the nurse would have read."""
    shown: list[QMessageBox] = []

    def answer_no(box: QMessageBox) -> QMessageBox.StandardButton:
        shown.append(box)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "exec", answer_no)
    return shown


def test_the_confirmation_box_names_each_critical_vital_once(qtbot, window, monkeypatch):
    shown = boxes_shown(monkeypatch)
    type_reading(qtbot, window, ["", "", "250", "0", ""])

    (box,) = shown
    assert box.windowTitle() == "Confirm before saving"
    assert box.text() == ("Respiratory rate 0 /min means apnoea.\n"
                          "HR 250 > 120 /min is beyond the critical limit.\n\n"
                          "Save these values?")
    assert "Heart rate" not in box.text() and box.text().count("HR") == 1
    assert window.entry.status.text() == "Not saved: not confirmed."


def test_a_critical_blood_pressure_is_asked_about_once(qtbot, window, monkeypatch):
    shown = boxes_shown(monkeypatch)
    type_reading(qtbot, window, ["184", "90", "", "", ""])

    assert [box.text() for box in shown] == [
        "SBP 184 > 180 mmHg is beyond the critical limit.\n\nSave these values?"]


def test_a_refused_correction_names_the_vital_once(qtbot, window):
    original = window.controller.save_reading(new_reading(
        datetime.now(UTC) - timedelta(minutes=5), {Vital.SBP: 120, Vital.DBP: 80},
        entered_by="JM"))
    dialog = CorrectReadingDialog(original, window.controller.correct_reading, window)
    qtbot.addWidget(dialog)
    dialog.show()  # not exec(): typing into a modal dialog can hang a test
    try:
        dbp = dialog.findChild(QLineEdit, "correct_dbp")
        dbp.clear()
        qtbot.keyClicks(dbp, "130")
        qtbot.keyClicks(dialog.findChild(QLineEdit, "reasonInitials"), "kl")
        dialog.reason.setCurrentText("Typing error")
        dialog.try_accept()

        errors = dialog.findChild(QLabel, "reasonDialogErrors").text()
        assert errors == "Diastolic BP: 130 must be below systolic 120"
        assert dialog.isVisible()
    finally:
        dialog.close()
