"""The reading schedule as the nurse meets it: a countdown to the next due reading in the
entry strip, and a dialog to choose or edit the session's protocol.

When readings are due, what counts as overdue and when the technical alert is raised are
decided in the domain (ReadingSchedule, AlertEngine); these widgets show the result."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.alerts import OVERDUE, Alert, AlertKind
from monitor.domain.errors import FieldError, ValidationFailed
from monitor.domain.schedule import SCHEDULE_PRESETS, ReadingSchedule, ScheduleStep
from monitor.ui import shortcuts
from monitor.ui.alerts.alert_controller import AlertController
from monitor.ui.dialogs.threshold_editor import fmt_number, parse_number, run_or_show_refusal
from monitor.ui.formatting import fmt_time
from monitor.ui.main_window import MainWindow
from monitor.ui.theme import error_label
from monitor.ui.wheel_guard import guard_choices

SHORTCUT = shortcuts.READING_SCHEDULE
CUSTOM = "Custom"
#: Technical alerts must never look like physiological ones (red, yellow): violet here.
TECHNICAL_COLOUR = "#5e35b1"
#: Wide enough for "Next reading due in 12:34" in the big font and the protocol in two
#: lines.
COUNTDOWN_WIDTH = 320


def fmt_countdown(seconds: float) -> str:
    """``mm:ss`` of a countdown or of a time overdue (minutes may exceed 59)."""
    minutes, secs = divmod(int(abs(seconds)), 60)
    return f"{minutes:02d}:{secs:02d}"


class ScheduleCountdown(QFrame):
    """"Next reading due in mm:ss", then "OVERDUE by mm:ss"; the protocol in words."""

    def __init__(self, alerts: AlertController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("scheduleCountdownPanel")
        self.alerts = alerts
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel("Reading schedule")
        self.title.setStyleSheet("font-weight: 600;")
        self.countdown = QLabel("")
        self.countdown.setObjectName("scheduleCountdown")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel("")
        self.detail.setObjectName("scheduleDetail")
        self.detail.setWordWrap(True)
        self.protocol = QLabel("")
        self.protocol.setObjectName("scheduleProtocol")
        self.protocol.setWordWrap(True)
        self.protocol.setStyleSheet("font-size: 9pt;")
        self.change_button = QPushButton("Change schedule…")
        self.change_button.setObjectName("changeScheduleButton")
        self.change_button.clicked.connect(lambda: open_schedule_dialog(alerts, self))
        # Compact, at the end of the entry strip: the countdown beside the form it is for.
        layout = QGridLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setVerticalSpacing(0)
        layout.addWidget(self.title, 0, 0)
        layout.addWidget(self.change_button, 0, 1, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.countdown, 1, 0, 1, 2)
        layout.addWidget(self.detail, 2, 0, 1, 2)
        layout.addWidget(self.protocol, 3, 0, 1, 2)
        self.setMinimumWidth(COUNTDOWN_WIDTH)
        self.setMaximumWidth(COUNTDOWN_WIDTH + 80)
        self._state = ""
        alerts.ticked.connect(self.refresh)
        alerts.scheduleChanged.connect(self.refresh)
        alerts.alertsChanged.connect(self.refresh)
        alerts.sessions.readingsChanged.connect(self.refresh)
        alerts.sessions.sessionChanged.connect(self.refresh)
        self.refresh()

    def overdue_alert(self) -> Alert | None:
        """The active technical 'reading overdue' alert, if the engine has raised one."""
        return next((a for a in self.alerts.active_alerts()
                     if a.kind is AlertKind.TECHNICAL and a.condition == OVERDUE), None)

    def refresh(self) -> None:
        """Show the countdown as of the controller's clock."""
        schedule = self.alerts.schedule()
        self.protocol.setText(f"{schedule.name}: {schedule.text}")
        session = self.alerts.sessions.session
        due = self.alerts.next_due()
        if due is None:
            self.countdown.setText("No reading due")
            if session is None or session.status.value != "active":
                self.detail.setText("")
            elif session.infusion.started_at is None and session.infusion.ended_at is None:
                self.detail.setText("Due times count from the infusion start and end "
                                    "(Session > Edit details…).")
            else:
                self.detail.setText("This protocol has no readings due during the infusion.")
            self._restyle("idle")
            return
        seconds = (due - self.alerts.clock()).total_seconds()
        if seconds > 0:
            self.countdown.setText(f"Next reading due in {fmt_countdown(seconds)}")
            self.detail.setText(f"due at {fmt_time(due)}")
            self._restyle("upcoming")
            return
        self.countdown.setText(f"OVERDUE by {fmt_countdown(seconds)}")
        alert = self.overdue_alert()
        if alert is None:
            self.detail.setText(f"was due at {fmt_time(due)}: take a reading")
            self._restyle("overdue")
        else:
            self.detail.setText(f"{alert.priority.symbol} Technical alert: reading overdue "
                                f"(due {fmt_time(due)})"
                                + (f", acknowledged by {alert.acknowledged_by}"
                                   if alert.acknowledged_by else ""))
            self._restyle("alert")

    def state(self) -> str:
        """'idle', 'upcoming', 'overdue' (past due, within grace) or 'alert'."""
        return self._state

    def _restyle(self, state: str) -> None:
        if state == self._state:
            return
        self._state = state
        big = "font-size: 15pt; font-weight: 700; padding: 2px; border-radius: 4px;"
        if state == "alert":
            style = f"{big} background: {TECHNICAL_COLOUR}; color: white;"
        elif state == "overdue":
            style = f"{big} color: {TECHNICAL_COLOUR}; border: 2px solid {TECHNICAL_COLOUR};"
        elif state == "upcoming":
            style = big
        else:
            style = "font-size: 13pt; font-weight: 600; padding: 2px;"
        self.countdown.setStyleSheet(style)


class ScheduleDialog(QDialog):
    """Choose a preset or edit the steps of the session's reading schedule."""

    def __init__(self, alerts: AlertController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("scheduleDialog")
        self.setWindowTitle("Reading schedule")
        self.alerts = alerts
        self.step_inputs: list[tuple[QLineEdit, QLineEdit]] = []
        self._filling = False

        self.preset = QComboBox()
        self.preset.setObjectName("schedulePreset")
        self.preset.addItems([p.name for p in SCHEDULE_PRESETS.values()] + [CUSTOM])
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self.name = QLineEdit()
        self.name.setObjectName("scheduleName")
        self.steps_grid = QGridLayout()
        self.steps_grid.setColumnStretch(5, 1)  # keep the step fields together on the left
        steps_box = QWidget()
        steps_box.setLayout(self.steps_grid)
        add = QPushButton("&Add step")
        add.setObjectName("addStepButton")
        add.clicked.connect(lambda: self._add_step_row(None))
        remove = QPushButton("&Remove last step")
        remove.setObjectName("removeStepButton")
        remove.clicked.connect(self._remove_step_row)
        step_buttons = QHBoxLayout()
        step_buttons.addWidget(add)
        step_buttons.addWidget(remove)
        step_buttons.addStretch(1)
        self.during = QLineEdit()
        self.during.setObjectName("scheduleDuringInfusion")
        self.during.setPlaceholderText("none")
        self.minimum = QLineEdit()
        self.minimum.setObjectName("scheduleMinimum")
        self.minimum.setPlaceholderText("none")
        self.summary = QLabel("")
        self.summary.setObjectName("scheduleSummary")
        self.summary.setWordWrap(True)
        self.initials = QLineEdit()
        self.initials.setObjectName("scheduleInitials")
        self.initials.setMaximumWidth(80)
        self.errors = error_label("scheduleErrors")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Preset", self.preset)
        form.addRow("Name", self.name)
        form.addRow(QLabel("After the end of the infusion (the last step runs until "
                           "discharge when its length is empty):"))
        form.addRow(steps_box)
        form.addRow(step_buttons)
        form.addRow("During the infusion every", self._with_unit(
            self.during, "min from its start (empty: none due)"))
        form.addRow("Minimum observation", self._with_unit(
            self.minimum, "min after the end (empty: none)"))
        form.addRow("Protocol", self.summary)
        form.addRow("Your initials", self.initials)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        for edit in (self.during, self.minimum, self.name):
            edit.textEdited.connect(self._edited)
        self.fill(alerts.schedule())
        guard_choices(self)  # the wheel never changes an unfocused choice

    @staticmethod
    def _with_unit(edit: QLineEdit, unit: str) -> QWidget:
        edit.setMaximumWidth(64)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit)
        layout.addWidget(QLabel(unit))
        layout.addStretch(1)
        return row

    # -- steps ---------------------------------------------------------------------------

    def _add_step_row(self, step: ScheduleStep | None) -> None:
        number = len(self.step_inputs) + 1
        every = QLineEdit(fmt_number(step.every_minutes) if step else "")
        every.setObjectName(f"step{number}Every")
        length = QLineEdit(fmt_number(step.for_minutes) if step else "")
        length.setObjectName(f"step{number}For")
        length.setPlaceholderText("until discharge")
        every.setMaximumWidth(64)
        length.setMinimumWidth(120)
        length.setMaximumWidth(120)
        for edit in (every, length):
            edit.textEdited.connect(self._edited)
        row = number - 1
        self.steps_grid.addWidget(QLabel(f"Step {number}: every"), row, 0)
        self.steps_grid.addWidget(every, row, 1)
        self.steps_grid.addWidget(QLabel("min for"), row, 2)
        self.steps_grid.addWidget(length, row, 3)
        self.steps_grid.addWidget(QLabel("min"), row, 4)
        self.step_inputs.append((every, length))
        if step is None:
            self._edited()

    def _remove_step_row(self) -> None:
        if len(self.step_inputs) > 1:
            self._drop_last_row()
            self._edited()

    def _drop_last_row(self) -> None:
        row = len(self.step_inputs) - 1
        for column in range(5):
            item = self.steps_grid.itemAtPosition(row, column)
            widget = item.widget() if item is not None else None
            if widget is not None:
                self.steps_grid.removeWidget(widget)
                widget.setParent(None)
                widget.deleteLater()
        self.step_inputs.pop()

    # -- filling and reading -------------------------------------------------------------

    def fill(self, schedule: ReadingSchedule) -> None:
        """Show ``schedule`` in the fields."""
        self._filling = True
        while self.step_inputs:
            self._drop_last_row()
        for step in schedule.steps:
            self._add_step_row(step)
        self.name.setText(schedule.name)
        self.during.setText(fmt_number(schedule.during_infusion_minutes))
        self.minimum.setText(fmt_number(schedule.minimum_observation_minutes))
        match = next((p.name for p in SCHEDULE_PRESETS.values() if p == schedule), CUSTOM)
        self.preset.setCurrentText(match)
        self.summary.setText(schedule.text)
        self._filling = False

    def _preset_chosen(self, name: str) -> None:
        if self._filling or name == CUSTOM:
            return
        preset = next(p for p in SCHEDULE_PRESETS.values() if p.name == name)
        self.fill(preset)

    def _edited(self, *_args: object) -> None:
        if self._filling:
            return
        self._filling = True
        if self.preset.currentText() != CUSTOM:
            self.preset.setCurrentText(CUSTOM)
            if self.name.text() in {p.name for p in SCHEDULE_PRESETS.values()}:
                self.name.setText(f"{self.name.text()} (modified)")
        self._filling = False
        try:
            self.summary.setText(self.read().text)
        except ValidationFailed:
            self.summary.setText("—")

    def read(self) -> ReadingSchedule:
        """The schedule in the fields; ValidationFailed names every wrong field."""
        errors: list[FieldError] = []

        def number(edit: QLineEdit, where: str) -> float | None:
            value, error = parse_number(edit.text(), where)
            if error:
                errors.append(error)
            return value

        steps = []
        for index, (every_edit, for_edit) in enumerate(self.step_inputs, start=1):
            every = number(every_edit, f"Step {index} every")
            length = number(for_edit, f"Step {index} for")
            if not every_edit.text().strip():
                errors.append(FieldError(f"Step {index}", "enter the interval in minutes"))
            steps.append(ScheduleStep(every if every is not None else 0.0, length))
        during = number(self.during, "During infusion")
        minimum = number(self.minimum, "Minimum observation")
        if errors:
            raise ValidationFailed(errors)
        return ReadingSchedule(self.name.text().strip(), tuple(steps),
                               during_infusion_minutes=during,
                               minimum_observation_minutes=minimum)

    def try_save(self) -> None:
        """Save for this session; refused input is shown and nothing is stored."""
        if run_or_show_refusal(lambda: self.alerts.set_schedule(self.read(),
                                                                self.initials.text()),
                               self.errors):
            self.accept()


def open_schedule_dialog(alerts: AlertController, parent: QWidget | None = None) -> bool:
    """Show the schedule dialog modally; True when a schedule was saved."""
    return bool(ScheduleDialog(alerts, parent).exec())


def install_schedule(window: MainWindow, alerts: AlertController) -> ScheduleCountdown:
    """Add the countdown to the end of the entry strip and *Session > Reading schedule…*."""
    countdown = ScheduleCountdown(alerts)
    window.add_beside_entry(countdown)
    window.add_menu_action("&Session", "Reading &schedule…",
                           lambda: open_schedule_dialog(alerts, window), SHORTCUT,
                           "scheduleAction")
    return countdown

