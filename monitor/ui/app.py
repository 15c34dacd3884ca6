"""Build and wire the GUI: the one place that assembles store, controller and window."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from monitor.demo import load_demo
from monitor.domain.sessions import Patient, Session
from monitor.paths import APP_DIR_NAME
from monitor.resources import default_profile
from monitor.store import Store, StoreError
from monitor.store.backup import restore_database
from monitor.ui.alerts.alert_controller import AlertController
from monitor.ui.chart.loading_note import install_loading_note
from monitor.ui.chart.schedule_overlay import install_due_overlay
from monitor.ui.chart.timeline_overlay import install_timeline
from monitor.ui.dialogs.backup_ui import install_backups
from monitor.ui.dialogs.discharge_panel import install_discharge
from monitor.ui.dialogs.export_dialog import install_export
from monitor.ui.dialogs.feed_panel import install_feed
from monitor.ui.dialogs.import_dialog import install_import
from monitor.ui.dialogs.schedule_panel import install_schedule
from monitor.ui.dialogs.threshold_editor import install_threshold_editor
from monitor.ui.entry.news2_panel import install_news2
from monitor.ui.geometry import show_placed
from monitor.ui.main_window import MainWindow
from monitor.ui.review.review import install_review
from monitor.ui.session_controller import SessionController, utc_now
from monitor.ui.settings_keys import THEME, user_settings
from monitor.ui.wheel_guard import guard_choices


@dataclass(frozen=True)
class GuiOptions:
    db_path: Path
    patient_id: str | None = None
    demo: bool = False
    theme: str | None = None
    quit_after_ms: int | None = None


def get_application(argv: list[str]) -> QApplication:
    """The running QApplication, or a new one (so tests can drive the app in-process)."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(argv)
    app.setApplicationName(APP_DIR_NAME)
    app.setOrganizationName(APP_DIR_NAME)
    return app


def build_window(store: Store, options: GuiOptions,
                 clock: Callable[[], datetime] = utc_now) -> MainWindow:
    """A ready window on ``store``, with the session the options ask for open; ``clock``
    is the window's time from the start (its alert tick runs before anything else could
    set one)."""
    profile = default_profile()
    controller = SessionController(store, profile, clock=clock)
    alerts = AlertController(controller, profile)
    settings = user_settings()
    if options.theme:
        THEME.write(options.theme, settings)
    window = MainWindow(controller, alerts, settings)
    install_threshold_editor(window, alerts)
    install_schedule(window, alerts)
    install_due_overlay(window.chart, alerts)
    install_news2(window)
    install_discharge(window)
    install_timeline(window)
    install_export(window)
    install_import(window)
    install_feed(window)
    install_review(window)
    install_backups(window)
    install_loading_note(window)
    guard_choices(window)
    now = clock()
    session_id: int | None = None
    if options.demo:
        session_id = load_demo(store, now).id
    elif options.patient_id:
        session = store.active_session_for_patient(options.patient_id)
        if session is None:
            session = store.create_session(
                Session(patient=Patient(options.patient_id)), by="")
        session_id = session.id
    if session_id is not None:
        window.open_session(session_id)
    return window


def show_fatal(message: str, quit_after_ms: int | None) -> None:
    """Tell the user why the app cannot start: on stderr and in a dialog (which closes by
    itself in scripted runs, so nothing ever hangs on it)."""
    print(f"error: {message}", file=sys.stderr)
    box = QMessageBox(QMessageBox.Icon.Critical, "Infusion Recovery Monitor", message)
    if quit_after_ms is not None:
        QTimer.singleShot(quit_after_ms, box.accept)
    box.exec()


def run_gui(options: GuiOptions, argv: list[str]) -> int:
    """Open the window and run the event loop until it closes. A window may ask to be
    rebuilt on a fresh connection (after a restore), which this loop does."""
    app = get_application(argv)
    if options.demo:
        for suffix in ("", "-wal", "-shm"):  # the demo database is rebuilt on every start
            Path(f"{options.db_path}{suffix}").unlink(missing_ok=True)
    while True:
        try:
            store = Store.open(options.db_path)
        except StoreError as error:
            show_fatal(str(error), options.quit_after_ms)
            return 2
        try:
            window = build_window(store, options)
            show_placed(window, window.settings)
            if options.quit_after_ms is not None:
                QTimer.singleShot(options.quit_after_ms, window.close)
            code = int(app.exec())
        finally:
            store.close()
        if not getattr(window, "restart_requested", False):
            return code
        options = replace(options, demo=False)
        backup = getattr(window, "pending_restore", None)
        if backup is not None:
            try:
                kept = restore_database(Path(backup), options.db_path)
            except (StoreError, OSError) as error:
                show_fatal(f"The restore was refused and nothing was changed: {error}",
                           options.quit_after_ms)
                continue
            print(f"restored {backup}; the previous database is kept as {kept}",
                  file=sys.stderr)
