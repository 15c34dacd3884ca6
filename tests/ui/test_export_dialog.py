"""File > Export…, the toolbar's PDF report and printing, as a nurse uses them."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QToolBar

from monitor.domain.readings import new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.io.deidentify import pseudonym
from tests.ui.conftest import when_modal


@pytest.fixture
def charted(window):
    """The window with a few readings charted in P-100's session."""
    now = datetime.now(UTC)
    for minutes, sbp in ((30, 128), (20, 185), (10, 140)):
        window.controller.save_reading(new_reading(
            now - timedelta(minutes=minutes), {Vital.SBP: sbp, Vital.DBP: 80, Vital.HR: 75},
            entered_by="JM"))
    return window


def choose_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[str]:
    """Answer the save dialog with ``path``; returns the filters it was offered."""
    offered: list[str] = []

    def answer(parent, caption, directory, filters):
        offered.append(filters)
        return str(path), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(answer))
    return offered


def pick(fmt: str, deidentify: bool = False):
    def act(dialog: QDialog) -> None:
        box = dialog.format_box
        box.setCurrentIndex(box.findData(fmt))
        dialog.deidentify_box.setChecked(deidentify)
        dialog.export_button.click()
    return act


def export_through_menu(qtbot, window, fmt: str, deidentify: bool = False) -> None:
    actions = window.export_actions
    when_modal(qtbot, pick(fmt, deidentify))
    window.findChild(QAction, "exportAction").trigger()
    assert actions.job is not None
    with qtbot.waitSignal(actions.job.finished, timeout=20_000):
        pass


def test_export_menu_writes_the_chosen_format(qtbot, charted, tmp_path, monkeypatch):
    target = tmp_path / "p100.csv"
    offered = choose_file(monkeypatch, target)
    export_through_menu(qtbot, charted, "csv")
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert [r["sbp"] for r in rows] == ["128", "185", "140"]
    assert "CSV" in offered[0]
    assert charted.export_actions.last_message == f"Exported to {target}"


def test_deidentified_json_from_the_menu(qtbot, charted, tmp_path, monkeypatch):
    target = tmp_path / "anon.json"
    choose_file(monkeypatch, target)
    export_through_menu(qtbot, charted, "json", deidentify=True)
    text = target.read_text(encoding="utf-8")
    assert "P-100" not in text and pseudonym("P-100") in text
    assert json.loads(text)["alerts"][0]["message"] == "SBP 185 > 180 mmHg"


def test_toolbar_saves_the_pdf_report(qtbot, charted, tmp_path, monkeypatch):
    target = tmp_path / "report"  # the suffix is added
    choose_file(monkeypatch, target)
    toolbar = charted.findChild(QToolBar, "exportToolBar")
    button = toolbar.widgetForAction(charted.findChild(
        QAction, "reportAction"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(charted.export_actions.job.finished, timeout=20_000):
        pass
    reader = pypdf.PdfReader(tmp_path / "report.pdf")
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "P-100" in text and "185" in text


def test_export_runs_in_the_background(qtbot, charted, tmp_path, monkeypatch):
    choose_file(monkeypatch, tmp_path / "s.fhir.json")
    when_modal(qtbot, pick("fhir"))
    charted.findChild(QAction, "exportAction").trigger()
    job = charted.export_actions.job
    assert job.running  # the action returned while the worker reads and writes
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert not job.running
    assert json.loads((tmp_path / "s.fhir.json").read_text())["resourceType"] == "Bundle"


def test_unwritable_folder_is_reported_and_nothing_written(qtbot, charted, tmp_path,
                                                           monkeypatch):
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda parent, title, text: warnings.append(text)))
    choose_file(monkeypatch, tmp_path / "missing" / "out.csv")
    when_modal(qtbot, pick("csv"))
    charted.findChild(QAction, "exportAction").trigger()
    with qtbot.waitSignal(charted.export_actions.job.failed, timeout=20_000):
        pass
    assert warnings and "Cannot write" in warnings[0] and "No such file" in warnings[0]
    assert not (tmp_path / "missing").exists()


def test_cancelled_export_writes_nothing(qtbot, charted, tmp_path, monkeypatch):
    choose_file(monkeypatch, tmp_path / "out.csv")
    when_modal(qtbot, pick("csv"))
    charted.findChild(QAction, "exportAction").trigger()
    job = charted.export_actions.job
    job.cancel()
    with qtbot.waitSignal(job.failed, timeout=20_000) as blocker:
        pass
    assert blocker.args == [""]
    assert list(tmp_path.glob("out.csv*")) == []
    assert "cancelled" in charted.export_actions.last_message


def test_closing_the_window_mid_export_stops_the_worker_and_writes_nothing(
        qtbot, charted, tmp_path, monkeypatch):
    import threading

    from monitor.app.export import ExportCancelled
    from monitor.ui.dialogs import export_dialog

    writing = threading.Event()

    def held_until_cancelled(record, request, pictures, cancelled):
        writing.set()
        for _ in range(1000):  # at most 10 s: the window's close must cancel it
            if cancelled():
                raise ExportCancelled
            threading.Event().wait(0.01)
        request.path.write_text("written after all")

    monkeypatch.setattr(export_dialog, "write_export", held_until_cancelled)
    choose_file(monkeypatch, tmp_path / "out.csv")
    when_modal(qtbot, pick("csv"))
    charted.findChild(QAction, "exportAction").trigger()
    job = charted.export_actions.job
    qtbot.waitUntil(writing.is_set, timeout=20_000)
    charted.close()
    assert not job.running and not job._thread.running  # stopped and waited for
    assert list(tmp_path.glob("out.csv*")) == []


def test_dialog_cancel_exports_nothing(qtbot, charted, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a: pytest.fail("no file dialog after Cancel")))
    when_modal(qtbot, lambda dialog: dialog.reject())
    charted.findChild(QAction, "exportAction").trigger()
    assert charted.export_actions.job is None


def test_image_size_only_for_pictures(qtbot, charted, monkeypatch):
    seen = {}

    def act(dialog: QDialog) -> None:
        for fmt in ("png", "csv"):
            dialog.format_box.setCurrentIndex(dialog.format_box.findData(fmt))
            seen[fmt] = dialog.width_box.isEnabled()
        dialog.reject()

    when_modal(qtbot, act)
    charted.findChild(QAction, "exportAction").trigger()
    assert seen == {"png": True, "csv": False}


def test_print_report_through_the_print_dialog(qtbot, charted, tmp_path, monkeypatch):
    target = tmp_path / "printed.pdf"

    def accept(dialog: QPrintDialog) -> int:
        printer = dialog.printer()
        printer.setOutputFileName(str(target))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintDialog, "exec", accept)
    charted.findChild(QAction, "printReportAction").trigger()
    with qtbot.waitSignal(charted.export_actions.job.finished, timeout=20_000):
        pass
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(target).pages)
    assert "P-100" in text


def test_export_actions_sit_in_the_file_menu_above_quit(charted):
    file_menu = charted.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions() if a.text()]
    assert texts.index("&Export…") < texts.index("PDF session &report…") < texts.index("&Quit")
    assert texts.index("&Print report…") < texts.index("&Quit")


def test_export_buttons_are_greyed_until_a_session_is_open(qtbot, store, db_path):
    from monitor.ui.app import GuiOptions, build_window

    win = build_window(store, GuiOptions(db_path=db_path))
    qtbot.addWidget(win)
    win.show()
    report = win.findChild(QAction, "reportAction")
    toolbar_button = win.findChild(QToolBar, "exportToolBar").widgetForAction(report)
    assert not report.isEnabled() and not toolbar_button.isEnabled()
    assert not win.findChild(QAction, "exportAction").isEnabled()
    assert not win.findChild(QAction, "printReportAction").isEnabled()
    win.open_session(store.create_session(Session(Patient("P-1")), "JM").id)
    assert report.isEnabled() and toolbar_button.isEnabled()
    assert win.findChild(QAction, "printReportAction").isEnabled()


def test_fhir_transaction_with_the_sites_identifier_system_from_the_dialog(
        qtbot, charted, tmp_path, monkeypatch):
    from monitor.io.fhir_rules import transaction_problems
    from monitor.ui.settings_keys import FHIR_PATIENT_ID_SYSTEM

    target = tmp_path / "tx.fhir.json"
    choose_file(monkeypatch, target)
    seen: list[str] = []

    def act(dialog: QDialog) -> None:
        try:
            dialog.format_box.setCurrentIndex(dialog.format_box.findData("fhir"))
            dialog.bundle_box.setCurrentIndex(dialog.bundle_box.findData("transaction"))
            dialog.patient_system.setText("my hospital")  # not a URI: refused, dialog stays
            dialog.export_button.click()
            seen.append(dialog.fhir_error.text() if dialog.isVisible() else "closed")
            dialog.patient_system.setText("urn:oid:1.2.3.4")
            dialog.export_button.click()
        finally:
            if dialog.isVisible():
                dialog.reject()

    when_modal(qtbot, act)
    charted.findChild(QAction, "exportAction").trigger()
    with qtbot.waitSignal(charted.export_actions.job.finished, timeout=20_000):
        pass
    assert "Patient ID system" in seen[0] and "is not a URI" in seen[0]
    bundle = json.loads(target.read_text(encoding="utf-8"))
    assert bundle["type"] == "transaction" and transaction_problems(bundle) == []
    assert bundle["entry"][0]["resource"]["identifier"][0]["system"] == "urn:oid:1.2.3.4"
    assert FHIR_PATIENT_ID_SYSTEM.read() == "urn:oid:1.2.3.4"  # offered next time
