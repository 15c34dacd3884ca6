"""The main window only assembles the widgets and routes menu actions; state lives in the
SessionController, rules in the domain, data in the store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from monitor import __version__
from monitor.domain.readings import Reading
from monitor.domain.sessions import Session
from monitor.store import StoreError
from monitor.ui import shortcuts
from monitor.ui.alerts.alarm_audio import AlarmAudio
from monitor.ui.alerts.alert_banner import ACKNOWLEDGE_SHORTCUT, PAUSE_AUDIO_SHORTCUT, AlertBanner
from monitor.ui.alerts.alert_controller import AlertController
from monitor.ui.alerts.alert_history import show_alert_history
from monitor.ui.chart.chart import VitalsChart
from monitor.ui.dialogs.session_dialog import SessionDialog
from monitor.ui.entry.entry_panel import EntryPanel
from monitor.ui.entry.reading_dialogs import CorrectReadingDialog, MarkInErrorDialog
from monitor.ui.entry.readings_model import ReadingsTableModel
from monitor.ui.entry.readings_table import ReadingsTable
from monitor.ui.entry.tiles import LatestValuesPanel
from monitor.ui.header import SessionHeader
from monitor.ui.review.session_picker import SessionPicker
from monitor.ui.session_controller import SessionController
from monitor.ui.settings_keys import THEME
from monitor.ui.theme import THEMES, Theme, ThemeName, apply_palette

HEADER_REFRESH_MS = 15_000
#: Correct… and Entered in error… on the selected (or latest) reading.
CORRECT_SHORTCUT, IN_ERROR_SHORTCUT = shortcuts.CORRECT_READING, shortcuts.READING_IN_ERROR


class MainWindow(QMainWindow):
    def __init__(self, controller: SessionController, alerts: AlertController,
                 settings: QSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.alerts = alerts
        self.settings = settings
        self.setWindowTitle("Infusion Recovery Monitor")
        try:
            self.theme: Theme = THEMES[ThemeName(THEME.read(settings))]
        except ValueError:  # a settings file from elsewhere
            self.theme = THEMES[ThemeName(THEME.default)]

        self.header = SessionHeader()
        self.audio = AlarmAudio(alerts, parent=self)
        self.banner = AlertBanner(alerts, self.audio, self.theme,
                                  fallback_initials=lambda: self.entry.initials_input.text())
        self.chart = VitalsChart(self.theme)
        # The bands of the profile every session starts with, drawn once here rather than
        # while a session opens.
        self.chart.set_profile(controller.profile, controller.baseline)
        self.tiles = LatestValuesPanel(self.theme)
        self.entry = EntryPanel(controller)
        self.table_model = ReadingsTableModel(controller.profile, self.theme)
        self.table = ReadingsTable(self.table_model)
        self.picker = SessionPicker()

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.tiles)
        right_layout.addWidget(self.entry)
        right_layout.addStretch(1)
        #: Features add their side widgets here (above the stretch), see add_side_widget.
        self.side_layout = right_layout
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.chart)
        # The side column grows as features add to it; scrolling keeps it from pushing the
        # readings table off a 1000-pixel screen.
        side = QScrollArea()
        side.setWidget(right)
        side.setWidgetResizable(True)
        side.setFrameShape(QFrame.Shape.NoFrame)
        side.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side.setMinimumWidth(right.sizeHint().width() + 20)
        top.addWidget(side)
        self.side_scroll = side
        QApplication.instance().focusChanged.connect(self._keep_focus_visible)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(top)
        vertical.addWidget(self.table)
        vertical.setStretchFactor(0, 3)
        vertical.setStretchFactor(1, 1)
        self.table.setMinimumHeight(170)
        session_page = QWidget()
        page_layout = QVBoxLayout(session_page)
        page_layout.setContentsMargins(6, 6, 6, 6)
        page_layout.addWidget(self.header)
        page_layout.addWidget(self.banner)
        #: Features add full-width strips under the banner here, see add_strip.
        self.strip_layout = page_layout
        page_layout.addWidget(vertical, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.picker)
        self.stack.addWidget(session_page)
        self.session_page = session_page
        self.setCentralWidget(self.stack)

        self._build_menus()
        self.add_menu_action("&Alerts", "&Acknowledge all alerts", self.banner.acknowledge,
                             ACKNOWLEDGE_SHORTCUT, "acknowledgeAlertsAction")
        self.add_menu_action("&Alerts", "&Pause audio 2 min / resume", self.audio.toggle_pause,
                             PAUSE_AUDIO_SHORTCUT, "pauseAudioAction")
        self.add_menu_action("&Alerts", "Alert &history…",
                             lambda: show_alert_history(self, self.alerts), shortcuts.ALERT_HISTORY,
                             "alertHistoryAction")
        controller.sessionChanged.connect(self._show_session)
        controller.readingsChanged.connect(self._show_readings)
        self.picker.newRequested.connect(self.new_session)
        self.picker.resumeRequested.connect(self.open_session)
        self.table.correctRequested.connect(self.correct_reading)
        self.table.markInErrorRequested.connect(self.mark_in_error)
        self._header_timer = QTimer(self)
        self._header_timer.timeout.connect(self._refresh_header)
        self._header_timer.start(HEADER_REFRESH_MS)
        self.show_picker()
        self.apply_theme(self.theme.name)

    # -- menus ---------------------------------------------------------------------------

    def _action(self, menu_name: str, text: str, slot: Callable[[], object],
                shortcut: QKeySequence | str | None = None, name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if name:
            action.setObjectName(name)
        action.triggered.connect(lambda _checked=False: slot())
        self._menus[menu_name].addAction(action)
        return action

    def _keep_focus_visible(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Typing through the entry form scrolls the side column to the field in use."""
        if new is not None and self.side_scroll.widget().isAncestorOf(new):
            self.side_scroll.ensureWidgetVisible(new, 0, 40)

    def add_menu_action(self, menu: str, text: str, slot: Callable[[], object],
                        shortcut: QKeySequence | str | None = None, name: str = "") -> QAction:
        """Add an action to ``menu`` ("&File", "&Session", "&View", "&Help", or a new one)."""
        if menu not in self._menus:
            self._menus[menu] = self.menuBar().insertMenu(
                self._menus["&Help"].menuAction(), QMenu(menu, self)).menu()
        return self._action(menu, text, slot, shortcut, name)

    def add_side_widget(self, widget: QWidget) -> None:
        """Put a widget in the right-hand column, under the entry panel."""
        self.side_layout.insertWidget(self.side_layout.count() - 1, widget)

    def add_strip(self, widget: QWidget) -> None:
        """Put a full-width widget under the alert banner."""
        self.strip_layout.insertWidget(self.strip_layout.indexOf(self.banner) + 1, widget)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._menus = {name: bar.addMenu(name) for name in ("&File", "&Session", "&View",
                                                             "&Help")}
        self._action("&File", "&New session…", self.new_session, shortcuts.NEW_SESSION,
                     "newSessionAction")
        self._action("&File", "&Resume session…", self.show_picker, shortcuts.RESUME_SESSION,
                     "resumeSessionAction")
        self._menus["&File"].addSeparator()
        self._action("&File", "&Quit", self.close, shortcuts.QUIT)
        self.edit_action = self._action("&Session", "&Edit details…", self.edit_session,
                                        shortcuts.EDIT_DETAILS, "editSessionAction")
        self.infusion_end_action = self._action(
            "&Session", "Record infusion &end now", self.record_infusion_end, None,
            "infusionEndAction")
        self._action("&Session", "&New reading", self.entry.focus_first, shortcuts.NEW_READING)
        # On the selected reading, or the latest one when none is selected: the one a
        # nurse who has just typed a wrong value means.
        self.correct_action = self._action(
            "&Session", "&Correct reading…", lambda: self._on_target(self.correct_reading),
            CORRECT_SHORTCUT, "correctReadingAction")
        self.in_error_action = self._action(
            "&Session", "Reading entered in &error…",
            lambda: self._on_target(self.mark_in_error), IN_ERROR_SHORTCUT,
            "markInErrorAction")
        self._action("&View", "&Light theme", lambda: self.apply_theme(ThemeName.LIGHT), None,
                     "lightThemeAction")
        self._action("&View", "&Dark theme (night)", lambda: self.apply_theme(ThemeName.DARK),
                     None, "darkThemeAction")
        self._action("&View", "&Toggle theme", self.toggle_theme, shortcuts.TOGGLE_THEME)
        self._action("&Help", "&About", self.show_about)

    # -- sessions ------------------------------------------------------------------------

    def show_picker(self) -> None:
        try:
            active = [s for s in self.controller.store.sessions(limit=200)
                      if s.status.value == "active"]
        except StoreError as error:
            self.report(error)
            active = []
        self.picker.show_sessions(active)
        self.stack.setCurrentWidget(self.picker)
        self._set_session_actions(False)

    def open_session(self, session_id: int) -> None:
        try:
            self.controller.open_session(session_id)
        except StoreError as error:
            self.report(error)
            return
        self.stack.setCurrentWidget(self.session_page)
        self._set_session_actions(True)
        self.entry.focus_first()

    def new_session(self) -> None:
        dialog = SessionDialog(lambda s, by, _reason: self.controller.start_session(s, by),
                               parent=self)
        if dialog.exec() and dialog.result_session is not None:
            self.stack.setCurrentWidget(self.session_page)
            self._set_session_actions(True)
            self.entry.focus_first()

    def edit_session(self) -> None:
        if self.controller.session is None:
            return
        dialog = SessionDialog(self.controller.update_session, self.controller.session,
                               parent=self)
        dialog.exec()

    def record_infusion_end(self) -> None:
        session = self.controller.session
        if session is None:
            return
        dialog = SessionDialog(self.controller.update_session, replace(
            session, infusion=replace(session.infusion,
                                      ended_at=self.controller.clock().astimezone())),
            parent=self)
        dialog.fields["reason"].setText("Infusion ended")
        dialog.exec()

    def _set_session_actions(self, enabled: bool) -> None:
        enabled = enabled and not self.controller.locked  # closed sessions are read-only
        self.edit_action.setEnabled(enabled)
        self.infusion_end_action.setEnabled(enabled)

    def _on_target(self, act: Callable[[Reading], None]) -> None:
        if self.controller.read_only:
            return
        reading = self.table.target_reading()
        if reading is not None:
            act(reading)

    def correct_reading(self, reading: Reading) -> None:
        CorrectReadingDialog(reading, self.controller.correct_reading, self).exec()

    def mark_in_error(self, reading: Reading) -> None:
        MarkInErrorDialog(reading, self.controller.mark_in_error, self).exec()

    # -- views ---------------------------------------------------------------------------

    def _show_session(self) -> None:
        session: Session | None = self.controller.session
        self._refresh_header()
        if session is None:
            return
        self.chart.set_infusion(session.infusion.started_at, session.infusion.ended_at)
        self.chart.set_profile(self.controller.profile, session.baseline)
        self.table_model.set_profile(self.controller.profile, session.baseline)
        self._show_readings()

    def _show_readings(self) -> None:
        readings = self.controller.readings
        baseline = dict(self.controller.baseline)
        self.chart.set_readings(readings)
        self.tiles.show_latest(readings, self.controller.profile, baseline)
        self.table_model.set_readings(readings)

    def _refresh_header(self) -> None:
        self.header.show_session(self.controller.session, self.controller.clock())

    def apply_theme(self, name: ThemeName) -> None:
        self.theme = THEMES[name]
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_palette(app, self.theme)
        self.chart.set_theme(self.theme)
        self.tiles.set_theme(self.theme)
        self.banner.set_theme(self.theme)
        self.table_model.set_theme(self.theme)
        THEME.write(name.value, self.settings)

    def toggle_theme(self) -> None:
        self.apply_theme(ThemeName.DARK if self.theme.name is ThemeName.LIGHT
                         else ThemeName.LIGHT)

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About Infusion Recovery Monitor",
            f"Infusion Recovery Monitor {__version__}\n\n"
            f"Database: {self.controller.store.path}\n\n"
            "Vital-signs charting for recovery after IV ketamine infusions.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self.controller.shutdown()
        self.alerts.shutdown()
        super().closeEvent(event)

    def report(self, error: Exception) -> None:
        """The one place errors reach the user from the window."""
        QMessageBox.warning(self, "Infusion Recovery Monitor", str(error))

    def now(self) -> datetime:
        return self.controller.clock()
