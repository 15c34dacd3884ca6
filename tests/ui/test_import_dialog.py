"""File > Import… and dropping a file: preview, invalid rows, commit, cancel, as a nurse does it."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

from monitor.domain.vitals import Vital
from monitor.store import Store
from monitor.ui.dialogs import import_dialog
from monitor.ui.dialogs.column_map_dialog import ColumnMapDialog
from monitor.ui.dialogs.import_dialog import ImportDialog
from monitor.ui.entry.readings_model import SOURCE_COL
from monitor.ui.main_window import MainWindow
from tests.fhir_xml_writer import to_xml

GOOD = "time,SBP,DBP,HR\n2024-05-01T10:00:00Z,120,80,70\n2024-05-01T10:05:00Z,125,82,72\n"
BAD_ROW = "2024-05-01T10:10:00Z,abc,80,70\n"
ORU = ("MSH|^~\\&|GW|WARD|MON|REC|20240501120000+0000||ORU^R01|C1|P|2.6\r"
       "PID|||P-900^^^HOSP^MR||Doe^John\rOBR|1|||VITALS|||20240501120000+0000\r"
       "OBX|1|NM|8867-4^HR^LN||70|/min|||||F\r")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def open_from_menu(window: MainWindow, qtbot, monkeypatch, path: Path) -> ImportDialog:
    monkeypatch.setattr(import_dialog.QFileDialog, "getOpenFileName",
                        lambda *args, **kwargs: (str(path), ""))
    window.findChild(QAction, "importAction").trigger()
    dialog = window.import_actions.dialog
    assert isinstance(dialog, ImportDialog)
    qtbot.waitUntil(lambda: dialog.report is not None or bool(dialog.message.text()),
                    timeout=30_000)
    return dialog


def rows_in_db(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
                for t in ("sessions", "readings", "imports", "audit_log")]


def test_import_from_the_file_menu_with_an_invalid_row(window: MainWindow, qtbot, monkeypatch,
                                                       tmp_path: Path,
                                                       other_connection: Store) -> None:
    dialog = open_from_menu(window, qtbot, monkeypatch,
                            write(tmp_path, "vitals.csv", GOOD + BAD_ROW))
    summary = dialog.summary.text()
    assert "<b>2</b> new readings" in summary and "<b>1</b> invalid" in summary
    assert "patient P-100" in summary
    assert dialog.problems.item(0, 0).text() == "line 4, column 'SBP'"
    assert dialog.problems.item(0, 1).text() == "'abc' is not a number"
    assert not dialog.import_button.isEnabled()  # invalid rows: nothing unless chosen

    dialog.skip_box.click()
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert "initials" in dialog.message.text()  # who imports is recorded
    qtbot.keyClicks(dialog.initials, "kl")
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)

    session = window.controller.session
    assert session is not None
    stored = other_connection.readings(session.id or 0)
    assert [r.values[Vital.SBP] for r in stored] == [120, 125]
    assert other_connection.import_runs(session.id or 0)[0]["imported_by"] == "KL"
    model = window.table_model
    assert model.rowCount() == 2  # the table shows them at once, with their source
    assert model.index(0, SOURCE_COL).data() == "import: vitals.csv (CSV)"
    assert len(window.controller.current_readings()) == 2  # what the chart plots


def drop_on(window: MainWindow, mime: QMimeData) -> tuple[bool, bool]:
    """Drag ``mime`` over the window and drop it; (drag accepted, drop accepted)."""
    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    # Qt routes a Drop only from a real drag (its drag manager); hand it to the window's
    # drop handling as that would.
    window.import_actions.eventFilter(window, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_dropping_a_file_opens_the_preview(window: MainWindow, qtbot, tmp_path: Path) -> None:
    drop_and_import(window, qtbot, write(tmp_path, "dropped.csv", GOOD), readings=2)


def drop_and_import(window: MainWindow, qtbot, path: Path, readings: int) -> None:
    """Drop ``path`` on the window, wait for the preview, import with initials, and check
    the table shows ``readings`` rows."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert drop_on(window, mime) == (True, True)
    dialog = window.import_actions.dialog
    assert isinstance(dialog, ImportDialog) and dialog.path == path
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
    assert dialog.report.new == readings and dialog.import_button.isEnabled()
    qtbot.keyClicks(dialog.initials, "AB")
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        dialog.import_button.click()
    assert window.table_model.rowCount() == readings


def test_a_fhir_xml_file_is_offered_previewed_and_imported(window: MainWindow, qtbot,
                                                          tmp_path: Path) -> None:
    assert "*.xml" in import_dialog.FILE_FILTER
    path = write(tmp_path, "monitor-export.xml", to_xml({
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "effectiveDateTime": "2024-05-01T10:00:00+00:00",
        "valueQuantity": {"value": 64, "unit": "/min", "code": "/min"}}))
    drop_and_import(window, qtbot, path, readings=1)


def test_a_long_format_file_is_previewed_with_its_notices_and_imported(
        window: MainWindow, qtbot, tmp_path: Path) -> None:
    path = write(tmp_path, "observations.csv",
                 "DATE,CODE,DESCRIPTION,VALUE,UNITS\n"
                 "2024-05-01T10:00:00Z,8302-2,Body Height,170,cm\n"
                 "2024-05-01T10:00:00Z,8462-4,Diastolic Blood Pressure,77,mm[Hg]\n"
                 "2024-05-01T10:00:00Z,8480-6,Systolic Blood Pressure,112,mm[Hg]\n"
                 "2024-05-01T10:05:00Z,8867-4,Heart rate,81,/min\n")
    drop_and_import(window, qtbot, path, readings=2)
    report = window.import_actions.dialog.report
    assert [str(n) for n in report.notices] == [
        "line 2, column 'CODE': LOINC 8302-2 'Body Height': body height is not charted"]
    values = [r.values for r in window.controller.current_readings()]
    assert values == [{Vital.SBP: 112, Vital.DBP: 77, Vital.MAP: 88.7}, {Vital.HR: 81}]


def test_columns_not_recognised_are_mapped_in_the_preview_and_remembered(
        window: MainWindow, qtbot, monkeypatch, tmp_path: Path) -> None:
    device = "Zeit;Syst_L;Dia_L;Puls\n2024-05-01 10:00;131;84;72\n"
    dialog = open_from_menu(window, qtbot, monkeypatch, write(tmp_path, "monday.csv", device))
    assert not dialog.import_button.isEnabled()
    assert "Map columns…" in dialog.summary.text()
    assert dialog.map_button.isEnabled()

    qtbot.mouseClick(dialog.map_button, Qt.MouseButton.LeftButton)
    mapper = dialog.column_dialog
    assert isinstance(mapper, ColumnMapDialog) and mapper.isVisible()
    table = mapper.table
    assert [table.item(r, 0).text() for r in range(4)] == ["Zeit", "Syst_L", "Dia_L", "Puls"]
    assert [table.item(r, 1).text() for r in range(4)] == ["2024-05-01 10:00", "131", "84",
                                                            "72"]
    assert table.item(1, 0).font().bold()  # looks like a vital, not recognised
    mapper.choose("Syst_L", "sbp")
    mapper.choose("Dia_L", "sbp")  # a slip: two systolic columns
    qtbot.mouseClick(mapper.ok_button, Qt.MouseButton.LeftButton)
    assert mapper.isVisible()
    assert mapper.message.text() == "columns 'Syst_L' and 'Dia_L' are both Systolic BP"
    mapper.choose("Dia_L", "dbp")
    mapper.choose("Puls", "hr")
    mapper.choose("Zeit", "time")
    qtbot.mouseClick(mapper.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None and dialog.report.new == 1,
                    timeout=30_000)
    assert "Columns mapped as you chose" in dialog.summary.text()
    qtbot.keyClicks(dialog.initials, "ab")
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert [r.values[Vital.SBP] for r in window.controller.current_readings()] == [131]

    qtbot.waitUntil(lambda: window.import_actions.dialog is None, timeout=5_000)
    tuesday = write(tmp_path, "tuesday.csv", device.replace("10:00;131", "10:05;128"))
    again = open_from_menu(window, qtbot, monkeypatch, tuesday)
    assert again.report is not None and again.report.new == 1
    assert "Columns mapped as saved by AB on " in again.summary.text()


def test_a_workbook_is_offered_previewed_and_imported(window: MainWindow, qtbot,
                                                     tmp_path: Path) -> None:
    assert "*.xlsx" in import_dialog.FILE_FILTER
    book = openpyxl.Workbook()
    book.active.append(["time", "SBP", "DBP", "HR"])
    book.active.append([datetime(2024, 5, 1, 10, 0), 118, 76, 64])
    path = tmp_path / "home-bp.xlsx"
    book.save(path)
    drop_and_import(window, qtbot, path, readings=1)
    report = window.import_actions.dialog.report
    assert (report.header, report.sample) == (["time", "SBP", "DBP", "HR"],
                                              ["2024-05-01T10:00:00", "118", "76", "64"])
    [reading] = window.controller.current_readings()
    assert reading.values[Vital.HR] == 64 and reading.source_detail == "home-bp.xlsx (XLSX)"


def test_dropping_something_that_is_not_a_file_is_ignored(window: MainWindow) -> None:
    mime = QMimeData()
    mime.setText("120/80")
    assert drop_on(window, mime) == (False, False)
    assert window.import_actions.dialog is None


def test_file_for_another_patient_warns_and_can_go_to_that_patient(
        window: MainWindow, qtbot, monkeypatch, tmp_path: Path, other_connection: Store) -> None:
    dialog = open_from_menu(window, qtbot, monkeypatch, write(tmp_path, "feed.hl7", ORU))
    assert "The file is for patient P-900, not P-100" in dialog.summary.text()
    dialog.target_box.setCurrentIndex(1)  # the patient named in the file
    assert not dialog.import_button.isEnabled()  # options changed: preview again
    dialog.preview_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
    assert "a new session for patient P-900" in dialog.summary.text()
    qtbot.keyClicks(dialog.initials, "AB")
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        dialog.import_button.click()
    assert window.table_model.rowCount() == 0  # the open session did not change
    other = other_connection.active_session_for_patient("P-900")
    assert other is not None
    assert [dict(r.values) for r in other_connection.readings(other.id or 0)] == [
        {Vital.HR: 70}]


@pytest.mark.parametrize(("data", "reason"), [
    (bytes(range(256)) * 4, "binary"),
    (b"", "the file is empty"),
    (b"time,colour\n2024-05-01T10:00:00Z,blue\n", "no vital-sign columns"),
])
def test_bad_files_show_the_reason_and_cannot_be_imported(
        window: MainWindow, qtbot, monkeypatch, tmp_path: Path, db_path: Path, data: bytes,
        reason: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    before = rows_in_db(db_path)
    dialog = open_from_menu(window, qtbot, monkeypatch, path)
    assert "<b>0</b> new" in dialog.summary.text()
    assert reason in dialog.problems.item(0, 1).text()
    assert not dialog.import_button.isEnabled()
    dialog.skip_box.click()
    assert not dialog.import_button.isEnabled()  # nothing valid to import
    assert rows_in_db(db_path) == before


def test_bad_start_time_is_named(window: MainWindow, qtbot, monkeypatch, tmp_path: Path) -> None:
    dialog = open_from_menu(window, qtbot, monkeypatch, write(tmp_path, "v.csv", GOOD))
    qtbot.keyClicks(dialog.start_edit, "soon")
    dialog.preview_button.click()
    assert dialog.message.text().startswith("Start time: 'soon' is not a date and time")


def test_cancel_mid_import_leaves_the_database_unchanged(
        window: MainWindow, qtbot, monkeypatch, tmp_path: Path, db_path: Path) -> None:
    lines = ["time,SBP,DBP,HR"] + [f"2024-05-01T{10 + i // 3600:02d}:{i // 60 % 60:02d}:"
                                   f"{i % 60:02d}Z,{100 + i % 50},70,{60 + i % 30}"
                                   for i in range(20000)]
    dialog = open_from_menu(window, qtbot, monkeypatch,
                            write(tmp_path, "big.csv", "\n".join(lines) + "\n"))
    assert dialog.report is not None and dialog.report.new == 20000
    before = rows_in_db(db_path)
    real_import = import_dialog.import_file

    def import_held_until_cancel(store, path, options, progress, cancel):
        # The worker waits at its first progress report until Cancel is clicked, so the click
        # lands mid-import however fast the import has become. ``cancel`` is Event.is_set.
        def held(done: int, total: int) -> None:
            progress(done, total)
            cancel.__self__.wait(20)
        return real_import(store, path, options, held, cancel)

    monkeypatch.setattr(import_dialog, "import_file", import_held_until_cancel)
    qtbot.keyClicks(dialog.initials, "AB")
    dialog.import_button.click()
    # The import's own progress dialog: the preview's, closed, may still wait for its
    # deferred deletion, and a search by name can find that one first (its Cancel then
    # cancels nothing: under load the import was held for the whole timeout).
    progress = dialog.progress_dialog
    assert isinstance(progress, QProgressDialog) and progress.objectName() == "importProgress"
    cancel_button = progress.findChild(QPushButton)
    assert cancel_button.text() == "Cancel"
    with qtbot.waitSignal(dialog.job.failed, timeout=20_000):
        cancel_button.click()
    assert dialog.message.text() == "Cancelled: nothing was imported."
    assert rows_in_db(db_path) == before
    assert window.table_model.rowCount() == 0
    assert dialog.isVisible() and dialog.import_button.isEnabled()  # can try again


def test_closing_the_window_mid_preview_stops_the_worker(
        window: MainWindow, qtbot, monkeypatch, tmp_path: Path) -> None:
    real_preview = import_dialog.preview_file
    reading = []

    def preview_held_until_cancel(store, path, options, progress, cancel):
        def held(done: int, total: int) -> None:
            progress(done, total)
            reading.append(done)
            cancel.__self__.wait(20)  # ``cancel`` is Event.is_set: released by the close
        return real_preview(store, path, options, held, cancel)

    monkeypatch.setattr(import_dialog, "preview_file", preview_held_until_cancel)
    monkeypatch.setattr(import_dialog.QFileDialog, "getOpenFileName",
                        lambda *args, **kwargs: (str(write(tmp_path, "v.csv", GOOD)), ""))
    window.findChild(QAction, "importAction").trigger()
    dialog = window.import_actions.dialog
    qtbot.waitUntil(lambda: dialog.job is not None and bool(reading), timeout=30_000)
    job = dialog.job
    window.close()
    assert not job.running and not job._thread.running  # stopped and waited for


def test_import_sits_in_the_file_menu_above_quit(window: MainWindow) -> None:
    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions() if a.text()]
    assert texts.index("&Import…") < texts.index("&Quit")
    assert window.findChild(QAction, "importAction").shortcut().toString() == "Ctrl+I"


def test_a_big_file_is_read_in_a_second_process_from_the_dialog(
        window: MainWindow, qtbot, monkeypatch, tmp_path: Path,
        other_connection: Store) -> None:
    """The dialog's worker thread starts the reading process for a big file (any file here)
    and the readings land as from a small one."""
    from monitor.app import importing as importer

    monkeypatch.setattr(importer, "AHEAD_BYTES", 0)
    started = []
    real = importer.ReadAhead.batches
    monkeypatch.setattr(importer.ReadAhead, "batches",
                        lambda self: (started.append(self), real(self))[1])
    dialog = open_from_menu(window, qtbot, monkeypatch, write(tmp_path, "big.csv", GOOD))
    qtbot.keyClicks(dialog.initials, "AB")
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert len(started) == 1 and started[0].result is not None
    session = window.controller.session
    assert session is not None
    assert [r.values[Vital.HR] for r in other_connection.readings(session.id or 0)] == [70, 72]
    assert window.table_model.rowCount() == 2


def test_a_reader_process_that_dies_is_reported_in_the_dialog(
        window: MainWindow, qtbot, monkeypatch, tmp_path: Path, db_path: Path) -> None:
    from monitor.io.read_ahead import ReaderFailed

    dialog = open_from_menu(window, qtbot, monkeypatch, write(tmp_path, "big.csv", GOOD))
    before = rows_in_db(db_path)

    def dies(*args, **kwargs):
        raise ReaderFailed("the process reading the file ended unexpectedly; "
                           "nothing was saved")

    monkeypatch.setattr(import_dialog, "import_file", dies)
    qtbot.keyClicks(dialog.initials, "AB")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "ended unexpectedly" in dialog.message.text(), timeout=30_000)
    assert dialog.message.text().startswith("Nothing was imported:")
    assert rows_in_db(db_path) == before


def test_an_unexpected_failure_is_reported_and_saves_nothing(
        window: MainWindow, qtbot, monkeypatch, tmp_path: Path, db_path: Path) -> None:
    dialog = open_from_menu(window, qtbot, monkeypatch, write(tmp_path, "v.csv", GOOD))
    before = rows_in_db(db_path)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("P-100 row 3")

    monkeypatch.setattr(import_dialog, "import_file", broken)
    qtbot.keyClicks(dialog.initials, "AB")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "unexpected error" in dialog.message.text(), timeout=30_000)
    assert "ZeroDivisionError" in dialog.message.text() and "unchanged" in dialog.message.text()
    assert "P-100" not in dialog.message.text()
    assert rows_in_db(db_path) == before


def test_a_column_that_looks_like_a_vital_is_named_and_blocks_the_import(
        window: MainWindow, qtbot, monkeypatch, tmp_path: Path, db_path: Path) -> None:
    path = write(tmp_path, "v.csv", "time,SBP,DBP,Puls_ECG\n2024-05-01T10:00:00Z,120,80,70\n")
    before = rows_in_db(db_path)
    dialog = open_from_menu(window, qtbot, monkeypatch, path)
    assert dialog.problems.item(0, 0).text() == "line 1, column 'Puls_ECG'"
    assert "looks like a vital sign but is not understood" in dialog.problems.item(0, 1).text()
    assert not dialog.import_button.isEnabled()
    assert rows_in_db(db_path) == before
