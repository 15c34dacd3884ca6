"""The main window only assembles the widgets and routes menu actions; state lives in the
SessionController, rules in the domain, data in the store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from monitor import __version__
from monitor.domain.confirmation import confirmation_questions
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
from monitor.ui.entry.entry_panel import EntryPanel, ask_confirmation
from monitor.ui.entry.reading_dialogs import CorrectReadingDialog, MarkInErrorDialog
from monitor.ui.entry.readings_model import ReadingsTableModel
from monitor.ui.entry.readings_table import ReadingsTable
from monitor.ui.entry.tiles import LatestValuesPanel
from monitor.ui.geometry import remember_geometry
from monitor.ui.header import SessionHeader
from monitor.ui.review.session_picker import SessionPicker
from monitor.ui.session_controller import SessionController
from monitor.ui.settings_keys import THEME
from monitor.ui.theme import THEMES, Theme, ThemeName, apply_palette

HEADER_REFRESH_MS = 15_000
#: The readings table keeps three rows in sight; the chart at least its four plots' axes.
TABLE_MIN_HEIGHT = 96
CHART_MIN_HEIGHT = 160
#: NEWS2, discharge readiness and events beside the chart: enough for the NEWS2 trend and
#: a few lines, never so much that the chart loses its width on a 1280-pixel screen.
SIDE_COLUMN_WIDTH = (370, 460)
#: Correct… and Entered in error… on the selected (or latest) reading.
CORRECT_SHORTCUT, IN_ERROR_SHORTCUT = shortcuts.CORRECT_READING, shortcuts.READING_IN_ERROR


class ChartTableSplitter(QSplitter):
    """The chart over the readings table, the table keeping ``TABLE_SHARE`` of the height
    as the window resizes, until the nurse drags the handle (then her split stays)."""

    TABLE_SHARE = 0.24

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setObjectName("chartTableSplitter")
        self.setChildrenCollapsible(False)
        self.dragged = False
        self.splitterMoved.connect(self._on_moved)

    def _on_moved(self, _pos: int, _index: int) -> None:
        self.dragged = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self.dragged and self.count() == 2:
            total = sum(self.sizes())
            table = max(TABLE_MIN_HEIGHT, round(total * self.TABLE_SHARE))
            self.setSizes([total - table, table])


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

        session_page = QWidget()
        page_layout = QVBoxLayout(session_page)
        page_layout.setContentsMargins(6, 4, 6, 4)
        page_layout.setSpacing(4)
        page_layout.addWidget(self.header)
        page_layout.addWidget(self.banner)
        #: Features add full-width strips under the banner here, see add_strip.
        self.strip_layout = page_layout
        # A bedside monitor's order, top to bottom, all on one screen without scrolling:
        # the numbers (tiles), the form that adds the next set and says when it is due,
        # then the chart, which takes whatever height is left.
        self.tiles_row = QHBoxLayout()
        self.tiles_row.setSpacing(6)
        self.tiles_row.addWidget(self.tiles, 4)
        page_layout.addLayout(self.tiles_row)
        self.entry_row = QHBoxLayout()
        self.entry_row.setSpacing(6)
        self.entry_row.addWidget(self.entry, 1)
        page_layout.addLayout(self.entry_row)
        charts = ChartTableSplitter()
        charts.addWidget(self.chart)
        charts.addWidget(self.table)
        self.chart_table_splitter = charts
        self.table.setMinimumHeight(TABLE_MIN_HEIGHT)
        self.chart.setMinimumHeight(CHART_MIN_HEIGHT)
        side = QWidget()
        side.setObjectName("sideColumn")
        self.side_layout = QVBoxLayout(side)
        self.side_layout.setContentsMargins(0, 0, 0, 0)
        self.side_layout.addStretch(1)
        side.setFixedWidth(SIDE_COLUMN_WIDTH[0])
        self.side_column = side
        body = QHBoxLayout()
        body.setSpacing(6)
        body.addWidget(charts, 1)
        body.addWidget(side)
        page_layout.addLayout(body, 1)
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

    def add_menu_action(self, menu: str, text: str, slot: Callable[[], object],
                        shortcut: QKeySequence | str | None = None, name: str = "") -> QAction:
        """Add an action to ``menu`` ("&File", "&Session", "&View", "&Help", or a new one)."""
        if menu not in self._menus:
            self._menus[menu] = self.menuBar().insertMenu(
                self._menus["&Help"].menuAction(), QMenu(menu, self)).menu()
        return self._action(menu, text, slot, shortcut, name)

    def add_side_widget(self, widget: QWidget, stretch: int = 0) -> None:
        """Put a widget in the narrow column beside the chart and the readings table."""
        self.side_layout.insertWidget(self.side_layout.count() - 1, widget, stretch)
        if stretch:  # a widget that grows takes the place of the trailing stretch
            self.side_layout.setStretch(self.side_layout.count() - 1, 0)

    def add_tile(self, widget: QWidget, stretch: int = 1) -> None:
        """Put a widget in the row of tiles, after the four vital tiles (a score)."""
        self.tiles_row.addWidget(widget, stretch)

    def add_beside_entry(self, widget: QWidget) -> None:
        """Put a widget at the end of the entry strip (the reading-due countdown)."""
        self.entry_row.addWidget(widget, 0)

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
        CorrectReadingDialog(
            reading, self.controller.correct_reading, self,
            questions=lambda values: confirmation_questions(
                self.controller.profile, values, self.controller.baseline),
            confirm=lambda questions: ask_confirmation(self, questions)).exec()

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

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Numerals grow with the screen: a maximised window on a big screen reads further.
        self.tiles.fit_to(event.size().height())
        narrow, wide = SIDE_COLUMN_WIDTH
        self.side_column.setFixedWidth(max(narrow, min(wide, event.size().width() // 4 - 20)))
        super().resizeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        remember_geometry(self, self.settings)
        self.controller.shutdown()
        self.alerts.shutdown()
        super().closeEvent(event)

    def report(self, error: Exception) -> None:
        """The one place errors reach the user from the window."""
        QMessageBox.warning(self, "Infusion Recovery Monitor", str(error))

    def now(self) -> datetime:
        return self.controller.clock()
