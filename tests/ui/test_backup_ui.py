"""Backups from the GUI: on closing a session, now on demand, and restore from the list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from monitor.domain.closing import DischargeDetails
from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.store import Store
from monitor.store.backup import list_backups
from monitor.ui.dialogs.backup_ui import BackupsDialog

from .conftest import when_modal


def service_of(window):
    return next(c for c in window.children() if type(c).__name__ == "BackupService")


def test_closing_a_session_writes_a_checked_backup(qtbot, window, db_path):
    window.controller.save_reading(new_reading(datetime.now(UTC) - timedelta(minutes=5),
                                               {Vital.HR: 72}, entered_by="JM"))
    service = service_of(window)
    with qtbot.waitSignal(service.finished, timeout=10_000) as done:
        window.controller.close_session(DischargeDetails(
            datetime.now(UTC), escort_present=True, instructions_given=True, by="JM"))
    backup = done.args[0]
    assert backup.startswith(str(db_path.parent / "backups"))
    with Store.open(backup, read_only=True) as copy:
        (session,) = copy.sessions()
        assert session.status.value == "closed"
        assert [r.values[Vital.HR] for r in copy.readings(session.id)] == [72]


def test_back_up_now_and_restore_from_the_dialog(qtbot, window, db_path):
    service = service_of(window)
    dialog = BackupsDialog(service, window)
    qtbot.addWidget(dialog)
    now_button = dialog.findChild(QPushButton, "backupNowButton")
    with qtbot.waitSignal(service.finished, timeout=10_000):
        qtbot.mouseClick(now_button, Qt.MouseButton.LeftButton)
    assert dialog.list.count() == 1 == len(list_backups(db_path.parent / "backups"))
    assert "checked" in dialog.status.text()

    dialog.list.setCurrentRow(0)
    when_modal(qtbot, lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert str(window.pending_restore) == str(list_backups(db_path.parent / "backups")[0].path)
    assert window.restart_requested and not window.isVisible()


def test_declining_the_restore_changes_nothing(qtbot, window, db_path):
    service = service_of(window)
    with qtbot.waitSignal(service.finished, timeout=10_000):
        service.back_up_now()
    dialog = BackupsDialog(service, window)
    qtbot.addWidget(dialog)
    dialog.list.setCurrentRow(0)
    when_modal(qtbot, lambda box: box.button(QMessageBox.StandardButton.No).click())
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert getattr(window, "pending_restore", None) is None and window.isVisible()


def test_closing_the_window_waits_for_the_backup_under_way_and_stops_the_daily_check(
        qtbot, window, db_path, monkeypatch):
    import threading

    from monitor.ui.dialogs import backup_ui

    started, release = threading.Event(), threading.Event()
    real = backup_ui.backup_database

    def held(*args, **kwargs):
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(backup_ui, "backup_database", held)
    service = service_of(window)
    assert service.daily.isActive()
    service.back_up_now()
    assert started.wait(10)
    threading.Timer(0.2, release.set).start()  # the backup ends while the window closes
    window.close()
    assert service.pool.activeThreadCount() == 0  # waited for, not left running
    assert len(list_backups(db_path.parent / "backups")) == 1  # and finished, not cut short
    assert not service.daily.isActive()
    service.back_up_now()  # nothing starts once the window is gone
    assert service.pool.activeThreadCount() == 0
