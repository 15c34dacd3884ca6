"""Starting and resuming sessions through the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit

from monitor.domain.vitals import Vital
from monitor.ui.app import GuiOptions, build_window

from .conftest import when_modal


def test_patient_option_resumes_the_active_session(qtbot, store, db_path):
    first = build_window(store, GuiOptions(db_path=db_path, patient_id="P-9"))
    qtbot.addWidget(first)
    second = build_window(store, GuiOptions(db_path=db_path, patient_id="P-9"))
    qtbot.addWidget(second)
    assert first.controller.session.id == second.controller.session.id
    assert len(store.sessions()) == 1


def test_new_session_dialog_validates_then_starts(qtbot, store, db_path):
    win = build_window(store, GuiOptions(db_path=db_path))
    qtbot.addWidget(win)
    win.show()
    assert win.stack.currentWidget() is win.picker
    errors: list[str] = []

    def act(dialog) -> None:
        fields = {"session_patient_id": "MRN-55", "session_name": "Dana Roe",
                  "session_weight": "70", "session_baseline_sbp": "abc",
                  "session_end": "12:00", "session_start": "13:00", "session_by": "jm"}
        for name, text in fields.items():
            dialog.findChild(QLineEdit, name).setText(text)
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        ok.click()
        errors.append(dialog.findChild(QLabel, "sessionDialogErrors").text())
        dialog.findChild(QLineEdit, "session_baseline_sbp").setText("124")
        dialog.findChild(QLineEdit, "session_baseline_dbp").setText("78")
        ok.click()
        errors.append(dialog.findChild(QLabel, "sessionDialogErrors").text())
        dialog.findChild(QLineEdit, "session_end").setText("14:00")
        ok.click()

    when_modal(qtbot, act)
    qtbot.mouseClick(win.picker.new_button, Qt.MouseButton.LeftButton)

    assert "Baseline Systolic BP: 'abc' is not a number" in errors[0]
    assert "Infusion end: is before the infusion start" in errors[1]
    (session,) = store.sessions()
    assert session.patient.name == "Dana Roe" and session.baseline[Vital.SBP] == 124
    assert win.stack.currentWidget() is win.session_page
    assert "Dana Roe" in win.header.patient.text()


def test_an_empty_start_screen_says_what_to_do(qtbot, store, db_path):
    win = build_window(store, GuiOptions(db_path=db_path))
    qtbot.addWidget(win)
    assert "Start new session" in win.picker.list.item(0).text()
    assert not win.picker.resume_button.isEnabled()
