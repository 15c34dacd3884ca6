"""A correction to a value beyond critical limits is asked about, as a new reading is: the
nurse confirms it, or nothing is saved (a typo corrected into another typo is caught)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QMessageBox

from monitor.domain.readings import ReadingStatus, new_reading
from monitor.domain.vitals import Vital
from tests.ui.conftest import when_modal


def answered(monkeypatch, answer: QMessageBox.StandardButton) -> list[str]:
    """Every confirmation box gets ``answer`` at once; returns what they said."""
    texts: list[str] = []

    def reply(box: QMessageBox) -> QMessageBox.StandardButton:
        texts.append(box.text())
        return answer

    monkeypatch.setattr(QMessageBox, "exec", reply)
    return texts


def correct_latest_with_f2(qtbot, window, hr: str) -> list[str]:
    """Press F2 on the latest reading, type ``hr`` over its heart rate, sign and press OK;
    returns the dialog's error line (empty when it closed)."""
    outcome: list[str] = []

    def act(dialog: QDialog) -> None:
        try:
            field = dialog.findChild(QLineEdit, "correct_hr")
            field.setText(hr)
            dialog.findChild(QLineEdit, "reasonInitials").setText("KL")
            dialog.reason.setCurrentText("Typing error")
            dialog.try_accept()
            outcome.append(dialog.findChild(QLabel, "reasonDialogErrors").text()
                           if dialog.isVisible() else "")
        finally:
            if dialog.isVisible():
                dialog.reject()

    when_modal(qtbot, act)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: bool(outcome))
    QApplication.processEvents()
    return outcome


@pytest.fixture
def typo(window):
    return window.controller.save_reading(new_reading(
        datetime.now(UTC) - timedelta(minutes=5), {Vital.SBP: 120, Vital.DBP: 80, Vital.HR: 75},
        entered_by="JM"))


def test_declining_the_question_saves_no_correction(qtbot, window, typo, monkeypatch):
    asked = answered(monkeypatch, QMessageBox.StandardButton.No)
    (error,) = correct_latest_with_f2(qtbot, window, "250")
    assert asked == ["HR 250 > 120 /min is beyond the critical limit.\n\nSave these values?"]
    assert error == "Not saved: not confirmed."
    (stored,) = window.controller.store.readings(window.controller.session.id)
    assert stored.status is ReadingStatus.VALID and stored.values[Vital.HR] == 75


def test_a_confirmed_critical_correction_is_saved(qtbot, window, typo, monkeypatch):
    answered(monkeypatch, QMessageBox.StandardButton.Yes)
    assert correct_latest_with_f2(qtbot, window, "250") == [""]
    current = [r for r in window.controller.store.readings(window.controller.session.id)
               if r.is_current]
    assert [r.values[Vital.HR] for r in current] == [250]


def test_an_ordinary_correction_asks_nothing(qtbot, window, typo, monkeypatch):
    asked = answered(monkeypatch, QMessageBox.StandardButton.No)
    assert correct_latest_with_f2(qtbot, window, "78") == [""]
    assert asked == []
