"""Wire the review features into a window: closing and amending sessions, the read-only
strip, the session browser, the patient series, the active-sessions board, phases on the
chart and opening another database read-only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog, QLabel

from monitor.domain.sessions import SessionStatus
from monitor.store import Store, StoreError
from monitor.ui import shortcuts
from monitor.ui.chart.phase_overlay import PhaseOverlay
from monitor.ui.review.active_board import ActiveBoard
from monitor.ui.review.close_session import CloseSessionDialog, assessment_summary
from monitor.ui.review.patient_series import PatientSeriesDialog
from monitor.ui.review.read_only import AmendDialog, ReadOnlyStrip
from monitor.ui.review.session_browser import SessionBrowser

if TYPE_CHECKING:
    from monitor.ui.main_window import MainWindow

CLOSE_SHORTCUT = shortcuts.CLOSE_SESSION
AMEND_SHORTCUT = shortcuts.AMEND_SESSION
BROWSE_SHORTCUT = shortcuts.BROWSE_SESSIONS
OPEN_READ_ONLY_SHORTCUT = shortcuts.OPEN_READ_ONLY
BOARD_SHORTCUT = shortcuts.ACTIVE_BOARD
SERIES_SHORTCUT = shortcuts.PATIENT_SERIES
READ_ONLY_TITLE = "READ-ONLY"


@dataclass
class Review:
    """The review features installed on one window (kept so tests and wiring reach them)."""

    window: MainWindow
    strip: ReadOnlyStrip
    browser: SessionBrowser
    board: ActiveBoard
    board_dock: QDockWidget
    phases: PhaseOverlay
    archive_windows: list[MainWindow]
    series_dialog: PatientSeriesDialog | None = None

    # -- closing and amending -------------------------------------------------------------

    def close_session(self) -> None:
        """Session > Close session / discharge…"""
        c = self.window.controller
        if c.session is None or c.locked:
            return
        try:
            text = assessment_summary(c.store.assessments(c.session.id or 0))
        except StoreError as error:
            text = str(error)
        CloseSessionDialog(c.close_session, c.clock(), text, self.window).exec()

    def amend(self) -> None:
        """Session > Amend closed session…"""
        c = self.window.controller
        if c.session is None or c.session.status is not SessionStatus.CLOSED \
                or c.amendment is not None:
            return
        if AmendDialog(c, self.window).exec():
            self.window.entry.focus_first()

    def refresh_locks(self) -> None:
        """Enable exactly what the open session allows."""
        w, c = self.window, self.window.controller
        session_open = c.session is not None
        w.entry.setEnabled(not c.read_only)
        for action in (w.edit_action, w.infusion_end_action):
            action.setEnabled(session_open and not c.locked)
        self.close_action.setEnabled(session_open and not c.locked)
        self.amend_action.setEnabled(session_open and c.locked and not c.store.read_only
                                     and c.amendment is None)
        self.series_action.setEnabled(session_open)

    # -- browsing ------------------------------------------------------------------------

    def open_from_elsewhere(self, session_id: int) -> None:
        """Open a session picked in the browser, the series or the board."""
        self.window.open_session(session_id)
        self.window.raise_()
        self.window.activateWindow()

    def show_browser(self) -> None:
        self.browser.refresh()
        self.browser.show()
        self.browser.raise_()
        self.browser.search.setFocus()

    def show_series(self, patient_id: str | None = None) -> None:
        c = self.window.controller
        if patient_id is None:
            if c.session is None:
                return
            patient_id = c.session.patient.identifier
        current = c.session.id if c.session is not None else None
        try:
            dialog = PatientSeriesDialog(c.store, patient_id, current, self.window.theme,
                                         self.window)
        except StoreError as error:
            self.window.report(error)
            return
        dialog.openRequested.connect(self.open_from_elsewhere)
        dialog.setModal(False)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.series_dialog = dialog
        dialog.show()

    def choose_read_only_database(self) -> None:
        """File > Open database read-only…: pick a file, open it in a new window."""
        dialog = QFileDialog(self.window, "Open database read-only")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["SQLite databases (*.sqlite *.db *.sqlite3)", "All files (*)"])
        if dialog.exec() and dialog.selectedFiles():
            self.open_read_only(Path(dialog.selectedFiles()[0]))

    def open_read_only(self, path: Path) -> MainWindow | None:
        """Open ``path`` read-only in a window of its own; nothing there can write."""
        from monitor.ui.app import GuiOptions, build_window

        try:
            store = Store.open(path, read_only=True)
        except StoreError as error:
            self.window.report(error)
            return None
        try:
            archive = build_window(store, GuiOptions(db_path=path))
        except StoreError as error:
            store.close()
            self.window.report(error)
            return None
        archive.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        archive.destroyed.connect(store.close)
        archive.destroyed.connect(lambda *_: self._forget(archive))
        self.archive_windows.append(archive)
        archive.resize(self.window.size())
        archive.show()
        review = getattr(archive, "review", None)
        if review is not None:
            review.show_browser()
        return archive

    def _forget(self, archive: MainWindow) -> None:
        if archive in self.archive_windows:
            self.archive_windows.remove(archive)


#: The active-sessions board's starting width; the nurse can drag it wider.
BOARD_WIDTH = 230


def _label_read_only(window: MainWindow) -> None:
    """A read-only database says so in the title and in a permanent status-bar label,
    visible on every page (the session strip only shows once a session is open)."""
    store = window.controller.store
    if not store.read_only:
        return
    window.setWindowTitle(f"Infusion Recovery Monitor — {READ_ONLY_TITLE}: "
                          f"{Path(store.path).name}")
    label = QLabel(f"  {READ_ONLY_TITLE}: {store.path} — nothing can be changed  ")
    label.setObjectName("readOnlyDatabaseLabel")
    label.setStyleSheet("background: #37474f; color: #ffffff; font-weight: 600; "
                        "padding: 3px;")
    window.statusBar().addPermanentWidget(label, 1)


def install_review(window: MainWindow) -> Review:
    """Add the review features to ``window``."""
    c = window.controller
    strip = ReadOnlyStrip(c)
    window.add_strip(strip)
    browser = SessionBrowser(c.store, window)
    board = ActiveBoard(c.store, window.alerts.shipped, clock=c.clock, recorder=c.recorder)
    board.alertSounded.connect(window.alerts.sound_elsewhere)
    board.watch_close(window)
    dock = QDockWidget("Active sessions", window)
    dock.setObjectName("activeBoardDock")
    dock.setWidget(board)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    # Narrow by default: on a 1280-pixel screen the session's own chart needs the width.
    window.resizeDocks([dock], [BOARD_WIDTH], Qt.Orientation.Horizontal)
    phases = PhaseOverlay(window.chart)
    review = Review(window, strip, browser, board, dock, phases, [])
    window.review = review  # type: ignore[attr-defined]

    review.close_action = window.add_menu_action(  # type: ignore[attr-defined]
        "&Session", "&Close session / discharge…", review.close_session, CLOSE_SHORTCUT,
        "closeSessionAction")
    review.amend_action = window.add_menu_action(  # type: ignore[attr-defined]
        "&Session", "&Amend closed session…", review.amend, AMEND_SHORTCUT, "amendAction")
    review.series_action = window.add_menu_action(  # type: ignore[attr-defined]
        "&Session", "&Patient series…", review.show_series, SERIES_SHORTCUT,
        "patientSeriesAction")
    window.add_menu_action("&File", "&Browse sessions…", review.show_browser,
                           BROWSE_SHORTCUT, "browseSessionsAction")
    window.add_menu_action("&File", "Open database &read-only…",
                           review.choose_read_only_database, OPEN_READ_ONLY_SHORTCUT,
                           "openReadOnlyAction")
    window.add_menu_action("&View", "Active sessions &board",
                           lambda: dock.setVisible(not dock.isVisible()), BOARD_SHORTCUT,
                           "activeBoardAction")

    strip.amendRequested.connect(review.amend)
    browser.openRequested.connect(review.open_from_elsewhere)
    browser.seriesRequested.connect(review.show_series)
    board.openRequested.connect(review.open_from_elsewhere)

    def session_changed() -> None:
        review.refresh_locks()
        phases.show_session(c.session, c.clock())
        board.set_open_session(c.session.id if c.session else None)

    def readings_changed() -> None:
        phases.show_session(c.session, c.clock())  # recovery runs up to now
        board.request_refresh()

    c.sessionChanged.connect(session_changed)
    c.amendmentChanged.connect(review.refresh_locks)
    c.readingsChanged.connect(readings_changed)
    window.alerts.alertsChanged.connect(board.request_refresh)
    _label_read_only(window)
    review.refresh_locks()
    return review
