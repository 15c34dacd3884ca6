"""The alert banner: the session's active alerts, most urgent first, with acknowledge and
audio pause.

Priority is shown four ways, so it never depends on colour alone: colour, symbol (``***``,
``**``, ``*``), word (HIGH, MEDIUM, LOW) and flashing (high about 2 Hz, medium about
0.6 Hz, low steady; an acknowledged alert stops flashing). Technical alerts (a reading
overdue, the live feed silent) are about the monitoring, not the patient: they get their
own rows with a blue outline, a gear and the word TECHNICAL, and never flash.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.alerts import Alert, AlertKind, AlertPriority
from monitor.domain.errors import ValidationFailed
from monitor.domain.readings import MAX_INITIALS_LENGTH, initials_errors
from monitor.domain.thresholds import Severity
from monitor.domain.vitals import VITAL_SPECS
from monitor.store import StoreError
from monitor.ui import shortcuts
from monitor.ui.alerts.alarm_audio import AlarmAudio
from monitor.ui.alerts.alert_controller import AlertController
from monitor.ui.formatting import fmt_time, fmt_value
from monitor.ui.theme import LIGHT, Theme, ThemeName

ACKNOWLEDGE_SHORTCUT = shortcuts.ACKNOWLEDGE_ALL
PAUSE_AUDIO_SHORTCUT = shortcuts.PAUSE_AUDIO
#: Half a flash cycle: high about 2 Hz, medium about 0.6 Hz (IEC 60601-1-8 visual alarms).
FLASH_HALF_PERIOD_MS = {AlertPriority.HIGH: 250, AlertPriority.MEDIUM: 800}
MESSAGE_MS = 15_000  # how long an acknowledge message stays
#: Physiological rows shown: the most urgent full width, the next two side by side; the
#: rest are counted and live in the history, so a burst of alerts keeps the form and the
#: chart on a 720-line screen.
MAX_ROWS = 3

TECHNICAL_ICON = "⚙"
#: Low priority has no severity colour in the theme: cyan, as IEC 60601-1-8 suggests.
_LOW_COLOURS = {ThemeName.LIGHT: ("#4dd0e1", "#00363d"), ThemeName.DARK: ("#00838f", "#e0f7fa")}
#: Technical rows: background, text, outline.
_TECHNICAL_COLOURS = {ThemeName.LIGHT: ("#e3f2fd", "#0d47a1", "#1976d2"),
                      ThemeName.DARK: ("#0d2136", "#90caf9", "#64b5f6")}


def priority_colours(theme: Theme, priority: AlertPriority) -> tuple[str, str]:
    """Background and text colour of a physiological alert of ``priority``."""
    if priority is AlertPriority.HIGH:
        return theme.severity[Severity.CRITICAL], theme.severity_text[Severity.CRITICAL]
    if priority is AlertPriority.MEDIUM:
        return theme.severity[Severity.CAUTION], theme.severity_text[Severity.CAUTION]
    return _LOW_COLOURS[theme.name]


def alert_line(alert: Alert) -> str:
    """What a banner row says, e.g. ``*** HIGH  SBP 184 > 180 mmHg · since 14:02``."""
    word = alert.priority.name  # HIGH, MEDIUM, LOW
    if alert.kind is AlertKind.TECHNICAL:
        head = f"{TECHNICAL_ICON} TECHNICAL ({word.lower()})  {alert.message}"
    else:
        head = f"{alert.priority.symbol} {word}  {alert.message}"
    parts = [head, f"since {fmt_time(alert.raised_at)}"]
    if alert.latched:
        name = VITAL_SPECS[alert.vital].abbreviation if alert.vital else "value"
        parts.append(f"LATCHED: {name} back to {fmt_value(alert.last_value)}, "
                     "not yet acknowledged")
    if alert.acknowledged_at is not None:
        parts.append(f"acknowledged by {alert.acknowledged_by} at "
                     f"{fmt_time(alert.acknowledged_at)}")
    return " · ".join(parts)


def initials_problem(initials: str) -> str:
    """Why ``initials`` cannot sign an acknowledgement, or '' when they can."""
    if not initials.strip():
        return "Type your initials to acknowledge"
    return " ".join(f"{e.field} {e.message}" for e in initials_errors(initials))


class AlertRow(QLabel):
    """One alert in the banner. ``lit`` is the flash state: False while flashed off."""

    def __init__(self, alert: Alert, *, first: bool, parent: QWidget | None = None):
        super().__init__(alert_line(alert), parent)
        self.alert = alert
        self.first = first
        self.technical = alert.kind is AlertKind.TECHNICAL
        self.lit = True
        self.setObjectName("technicalAlertRow" if self.technical else "alertRow")
        self.setProperty("priority", alert.priority.word)
        self.setProperty("kind", alert.kind.value)
        self.setAccessibleName(self.text())
        self.setWordWrap(True)

    @property
    def flashing(self) -> bool:
        """Unacknowledged physiological alerts flash, except low priority ones."""
        return (not self.technical and self.alert.acknowledged_at is None
                and self.alert.priority in FLASH_HALF_PERIOD_MS)

    def restyle(self, theme: Theme) -> None:
        size = "15pt" if self.first else "11pt"
        if self.technical:
            background, text, outline = _TECHNICAL_COLOURS[theme.name]
            self.setStyleSheet(
                f"QLabel {{ background: {background}; color: {text}; font-size: 12pt;"
                f" font-weight: 600; border: 2px dashed {outline}; border-radius: 4px;"
                " padding: 3px 8px; }")
            return
        background, text = priority_colours(theme, self.alert.priority)
        outline = background
        if not self.lit:  # flashed off: the outline stays, so the row never vanishes
            background, text = theme.surface, theme.text
        self.setStyleSheet(
            f"QLabel {{ background: {background}; color: {text}; font-size: {size};"
            f" font-weight: 700; border: 3px solid {outline}; border-radius: 4px;"
            " padding: 3px 8px; }")


class AlertBanner(QWidget):
    """Active alerts of the open session, with acknowledge and audio pause controls.

    ``fallback_initials`` gives the initials typed elsewhere (the entry panel), used when
    the banner's own field is empty."""

    def __init__(self, alerts: AlertController, audio: AlarmAudio, theme: Theme = LIGHT,
                 *, fallback_initials: Callable[[], str] = lambda: "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("alertBanner")
        self.setAccessibleName("alertBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.alerts = alerts
        self.audio = audio
        self._theme = theme
        self._fallback_initials = fallback_initials
        self.rows: list[AlertRow] = []
        self._lit = dict.fromkeys(FLASH_HALF_PERIOD_MS, True)
        self.flash_timers: dict[AlertPriority, QTimer] = {}
        for priority, half_period in FLASH_HALF_PERIOD_MS.items():
            timer = QTimer(self)
            timer.setInterval(half_period)
            timer.timeout.connect(lambda p=priority: self.flash_step(p))
            self.flash_timers[priority] = timer

        self.empty_label = QLabel("✓ No active alerts")
        self.empty_label.setObjectName("alertText")
        self.more_label = QLabel()
        self.more_label.setObjectName("moreAlerts")
        self.message = QLabel()
        self.message.setObjectName("alertBannerMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.setInterval(MESSAGE_MS)
        self._message_timer.timeout.connect(lambda: self._say(""))
        self.rows_layout = QVBoxLayout()
        self.rows_layout.setSpacing(4)
        # The most urgent alert gets its own full-width row; the others share a two-column
        # grid beneath it, so a burst of alerts costs the chart half the height.
        self.others = QWidget()
        self.others.setObjectName("otherAlerts")
        self.others_layout = QGridLayout(self.others)
        self.others_layout.setContentsMargins(0, 0, 0, 0)
        self.others_layout.setHorizontalSpacing(4)
        self.others_layout.setVerticalSpacing(4)
        self.others.hide()
        self.rows_layout.addWidget(self.others)
        self.rows_layout.addWidget(self.empty_label)
        self.rows_layout.addWidget(self.more_label)
        self.rows_layout.addWidget(self.message)

        self.initials = QLineEdit()
        self.initials.setObjectName("ackInitials")
        self.initials.setAccessibleName("Initials to acknowledge alerts")
        self.initials.setPlaceholderText("e.g. KL")
        self.initials.setMaxLength(MAX_INITIALS_LENGTH)
        self.initials.setFixedWidth(70)
        self.initials.returnPressed.connect(self.acknowledge)
        self.ack_button = QPushButton(f"Acknowledge ({ACKNOWLEDGE_SHORTCUT})")
        self.ack_button.setObjectName("acknowledgeButton")
        self.ack_button.setToolTip("Acknowledge every active alert with your initials "
                                   f"({ACKNOWLEDGE_SHORTCUT})")
        self.ack_button.clicked.connect(self.acknowledge)
        self.pause_button = QPushButton()
        self.pause_button.setObjectName("pauseAudioButton")
        self.pause_button.setToolTip("Silence alarm sounds for 2 minutes; a new, more urgent "
                                     f"alert still sounds ({PAUSE_AUDIO_SHORTCUT})")
        self.pause_button.clicked.connect(audio.toggle_pause)
        self.audio_status = QLabel()
        self.audio_status.setObjectName("audioStatus")
        initials_label = QLabel("Initials")
        initials_label.setBuddy(self.initials)
        controls = QGridLayout()
        controls.setHorizontalSpacing(6)
        controls.addWidget(initials_label, 0, 0)
        controls.addWidget(self.initials, 0, 1)
        controls.addWidget(self.ack_button, 0, 2)
        controls.addWidget(self.pause_button, 1, 0, 1, 2)
        controls.addWidget(self.audio_status, 1, 2)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(self.rows_layout, 1)
        layout.addLayout(controls)

        alerts.alertsChanged.connect(self.refresh)
        audio.stateChanged.connect(self._show_audio)
        self.refresh()
        self._show_audio()

    # -- showing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the controller's active alerts, most urgent first."""
        for row in self.rows:
            self.rows_layout.removeWidget(row)
            self.others_layout.removeWidget(row)
            row.hide()  # at once: deleteLater waits for the event loop
            row.deleteLater()
        active = self.alerts.active_alerts()
        physiological = [a for a in active if a.kind is not AlertKind.TECHNICAL]
        technical = [a for a in active if a.kind is AlertKind.TECHNICAL]
        shown = physiological[:MAX_ROWS] + technical
        self.rows = [AlertRow(a, first=i == 0) for i, a in enumerate(shown)]
        if self.rows:
            self.rows_layout.insertWidget(0, self.rows[0])
        for index, row in enumerate(self.rows[1:]):
            self.others_layout.addWidget(row, index // 2, index % 2)
        self.others.setVisible(len(self.rows) > 1)
        hidden = len(physiological) - len(physiological[:MAX_ROWS])
        self.more_label.setText(f"+ {hidden} more active (Alerts > Alert history…)"
                                if hidden else "")
        self.more_label.setVisible(bool(hidden))
        self.empty_label.setVisible(not self.rows)
        for priority, timer in self.flash_timers.items():
            needed = any(r.flashing and r.alert.priority is priority for r in self.rows)
            if needed and not timer.isActive():
                timer.start()
            elif not needed:
                timer.stop()
                self._lit[priority] = True
        self._restyle()

    def flash_step(self, priority: AlertPriority) -> None:
        """One half-period of flashing for ``priority`` (the flash timer's slot)."""
        self._lit[priority] = not self._lit[priority]
        for row in self.rows:
            if row.alert.priority is priority and row.flashing:
                row.lit = self._lit[priority]
                row.restyle(self._theme)

    def text(self) -> str:
        """Everything the banner says, row by row (for tests and screen readers)."""
        lines = [r.text() for r in self.rows]
        for label in (self.empty_label, self.more_label, self.message):
            if not label.isHidden() and label.text():
                lines.append(label.text())
        lines.append(self.audio_status.text())
        return "\n".join(lines)

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._restyle()
        self._show_audio()

    def _restyle(self) -> None:
        t = self._theme
        self.setStyleSheet(
            f"QWidget#alertBanner {{ background: {t.surface}; border-radius: 4px; }}"
            f"QLabel#alertText {{ color: {t.severity_text[Severity.NORMAL]};"
            f" background: {t.severity[Severity.NORMAL]}; font-size: 15pt; font-weight: 600;"
            " border-radius: 4px; padding: 3px 8px; }"
            f"QLabel#moreAlerts {{ color: {t.muted}; }}")
        for row in self.rows:
            row.lit = self._lit.get(row.alert.priority, True) if row.flashing else True
            row.restyle(t)
        self.setAccessibleDescription(self.text())

    def _show_audio(self) -> None:
        self.audio_status.setText(self.audio.status_text())
        self.audio_status.setToolTip(self.audio.backend.problem)
        self.pause_button.setText("Resume audio" if self.audio.paused else "Pause audio 2 min")
        quiet = self.audio.paused or not self.audio.available
        colour = priority_colours(self._theme, AlertPriority.MEDIUM) if quiet else None
        self.audio_status.setStyleSheet(
            f"QLabel {{ background: {colour[0]}; color: {colour[1]}; font-weight: 700;"
            " border-radius: 3px; padding: 2px 6px; }" if colour else
            f"QLabel {{ color: {self._theme.muted}; padding: 2px 6px; }}")

    def _say(self, text: str, *, error: bool = False) -> None:
        colour = self._theme.severity[Severity.CRITICAL] if error else self._theme.muted
        self.message.setStyleSheet(f"QLabel {{ color: {colour}; font-weight: 600; }}")
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if text:
            self._message_timer.start()

    # -- acting ----------------------------------------------------------------------------

    def acknowledge(self) -> bool:
        """Acknowledge every active, unacknowledged alert with the initials in the banner
        (or, when empty, those of the entry panel). Without initials nothing is
        acknowledged: the banner says so and puts the cursor in its initials field."""
        initials = self.initials.text().strip() or self._fallback_initials().strip()
        problem = initials_problem(initials)
        if problem:
            self._say(problem, error=True)
            self.initials.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.initials.selectAll()
            return False
        waiting = [a for a in self.alerts.active_alerts() if a.acknowledged_at is None]
        if not waiting:
            self._say("No alert is waiting to be acknowledged")
            return False
        try:
            self.alerts.acknowledge_all(initials)
        except (ValidationFailed, StoreError) as error:
            self._say(f"NOT acknowledged: {error}", error=True)
            return False
        self._say(f"{len(waiting)} alert{'s' if len(waiting) > 1 else ''} acknowledged by "
                  f"{initials.upper()}")
        return True
