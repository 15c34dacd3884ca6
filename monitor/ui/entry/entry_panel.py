"""The entry panel, built for speed: focus starts in systolic, Tab walks the fields in the
order a nurse reads the monitor, Enter saves from any field, errors appear beside the field.

Validation and the confirm-before-save rule live in the domain; this widget only gathers
text, shows messages and asks the controller to save."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.confirmation import confirmation_questions, describe_time, time_questions
from monitor.domain.errors import FieldError, ValidationFailed
from monitor.domain.readings import new_reading, parse_values, validate_reading
from monitor.domain.timeparse import parse_recent_time
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.store import StoreError
from monitor.ui.entry.news2_panel import News2Inputs
from monitor.ui.formatting import fmt_time
from monitor.ui.initials_memory import prefill
from monitor.ui.session_controller import SessionController

FIELDS: tuple[tuple[Vital, str, str], ...] = (
    (Vital.SBP, "sbpInput", "Systolic"),
    (Vital.DBP, "dbpInput", "Diastolic"),
    (Vital.HR, "hrInput", "Heart rate"),
    (Vital.RR, "rrInput", "Resp. rate"),
    (Vital.SPO2, "spo2Input", "SpO2 %"),
)
#: While the time field is untouched it follows the clock; this is how often.
TIME_REFRESH_MS = 10_000

Confirm = Callable[[list[str]], bool]


def ask_confirmation(parent: QWidget, questions: list[str]) -> bool:
    """Ask the nurse to confirm values beyond critical limits or an unusual time; No is the
    default."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Confirm before saving")
    box.setText("\n".join(questions) + "\n\nSave these values?")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes


class EntryPanel(QGroupBox):
    """Type a reading and save it."""

    saved = Signal(object)  # the committed Reading

    def __init__(self, controller: SessionController, parent: QWidget | None = None):
        super().__init__("New reading", parent)
        self.controller = controller
        self.confirm: Confirm = lambda questions: ask_confirmation(self, questions)
        self.inputs: dict[Vital, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 4, 8, 4)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        for index, (vital, name, caption) in enumerate(FIELDS):
            edit = QLineEdit()
            edit.setObjectName(name)
            edit.setAccessibleName(name)
            edit.setPlaceholderText(VITAL_SPECS[vital].unit)
            edit.setMaxLength(6)
            self.inputs[vital] = edit
            self._place(grid, index, caption, edit, VITAL_SPECS[vital].label)
        # A plain line: HH:MM (today) or YYYY-MM-DD HH:MM typed straight over what it shows
        # (a date-time spin box read "08:20" into its sections as another date).
        self.time_input = QLineEdit()
        self.time_input.setObjectName("timeInput")
        self.time_input.setAccessibleName("timeInput")
        self.time_input.setMaxLength(25)
        self.time_input.setPlaceholderText("HH:MM or YYYY-MM-DD HH:MM")
        self.time_input.setToolTip("HH:MM today, or YYYY-MM-DD HH:MM; it follows the clock "
                                   "until you type")
        self._place(grid, len(FIELDS), "Time taken", self.time_input, "Time")
        #: The time to be saved, in words ("today 08:20 (35 min ago)").
        self.time_words = QLabel("")
        self.time_words.setObjectName("timeWords")
        self.time_words.setWordWrap(True)
        self.initials_input = QLineEdit()
        self.initials_input.setObjectName("initialsInput")
        self.initials_input.setAccessibleName("initialsInput")
        self.initials_input.setMaxLength(6)
        self.initials_input.setPlaceholderText("e.g. JM")
        self._place(grid, len(FIELDS) + 1, "Your initials", self.initials_input, "Initials")
        prefill(self.initials_input)
        self.save_button = QPushButton("Save reading")
        self.save_button.setObjectName("saveReadingButton")
        self.save_button.setAccessibleName("saveReadingButton")
        self.save_button.setDefault(True)
        self.status = QLabel("")
        self.status.setObjectName("entryStatus")
        self.status.setWordWrap(True)
        # One strip: the fields in a row, in the order a nurse reads the monitor, and under
        # them the optional NEWS2 inputs, the time in words and what happened to the save.
        save_column = len(FIELDS) + 2
        grid.addWidget(self.save_button, 0, save_column,
                       Qt.AlignmentFlag.AlignBottom)
        self.errors["Reading"] = self.status
        # NEWS2 inputs are optional, so they come after Save in the Tab chain.
        self.news2_inputs = News2Inputs()
        grid.addWidget(self.news2_inputs, 1, 0, 1, len(FIELDS))
        grid.addWidget(self.time_words, 1, len(FIELDS), 1, 2, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.status, 1, save_column, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(len(FIELDS), 2)  # the time field holds a date when typed
        self.errors["Temperature"] = self.news2_inputs.temperature_error
        controller.sessionChanged.connect(self.news2_inputs.reset)
        order = [*self.inputs.values(), self.time_input, self.initials_input, self.save_button,
                 *self.news2_inputs.widgets()]
        for first, second in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(first, second)
        for widget in order:
            if widget is not self.save_button:
                widget.installEventFilter(self)
        self.save_button.clicked.connect(self.submit)
        self._time_follows_clock = True
        self.time_input.textEdited.connect(self._time_edited)
        self._clock = QTimer(self)
        self._clock.timeout.connect(self._refresh_time)
        self._clock.start(TIME_REFRESH_MS)
        self._refresh_time()

    def _place(self, grid: QGridLayout, index: int, caption: str, widget: QWidget,
               field: str) -> None:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        label = QLabel(caption)
        label.setBuddy(widget)
        error = QLabel("")
        error.setObjectName(f"{widget.objectName()}Error")
        error.setWordWrap(True)
        error.setStyleSheet("color: #d32f2f; font-weight: 600;")
        error.hide()
        layout.addWidget(label)
        layout.addWidget(widget)
        layout.addWidget(error)
        grid.addWidget(box, 0, index, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(index, 1)
        self.errors[field] = error

    # -- behaviour -----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            return True
        return super().eventFilter(watched, event)

    def focus_first(self) -> None:
        self.inputs[Vital.SBP].setFocus(Qt.FocusReason.OtherFocusReason)
        self.inputs[Vital.SBP].selectAll()

    def _time_edited(self) -> None:
        self._time_follows_clock = False
        self._show_time_words()

    def _refresh_time(self) -> None:
        if self._time_follows_clock:
            self.time_input.setText(f"{self.controller.clock().astimezone():%H:%M}")
        self._show_time_words()

    def _show_time_words(self) -> None:
        now = self.controller.clock()
        moment, error = self._typed_time()
        if error is not None:
            self.time_words.setText(error.message)
        elif moment is None or self._time_follows_clock:
            self.time_words.setText("now (follows the clock)")
        else:
            self.time_words.setText(describe_time(moment, now))

    def _typed_time(self) -> tuple[datetime | None, FieldError | None]:
        now = self.controller.clock()
        return parse_recent_time("Time", self.time_input.text(), now)

    def taken_at(self) -> datetime:
        """The time to save: the clock while the field follows it, else what was typed.
        Raises ValidationFailed (naming the Time field) for a time that cannot be read."""
        if self._time_follows_clock:
            return self.controller.clock().astimezone()
        moment, error = self._typed_time()
        if error is not None or moment is None:
            raise ValidationFailed([error or FieldError(
                "Time", "enter the time taken (HH:MM or YYYY-MM-DD HH:MM)")])
        return moment

    def show_errors(self, errors: list[FieldError]) -> None:
        for label in self.errors.values():
            label.clear()
            label.hide()
        for error in errors:
            label = self.errors.get(error.field, self.status)
            text = error.message if label is not self.status else str(error)
            label.setText(f"{label.text()}\n{text}".strip())
            label.show()
        if errors:
            self.status.setStyleSheet("color: #d32f2f; font-weight: 600;")

    def submit(self) -> bool:
        """Validate, confirm if needed, save. Returns True when the reading was saved."""
        values, errors = parse_values({v: e.text() for v, e in self.inputs.items()})
        news2_values, news2_errors = self.news2_inputs.values()
        errors += news2_errors
        try:
            taken_at = self.taken_at()
        except ValidationFailed as failure:
            errors += failure.errors
            taken_at = self.controller.clock()
        reading = new_reading(taken_at, values, entered_by=self.initials_input.text(),
                              **news2_values)
        if not errors:
            errors = validate_reading(reading, self.controller.clock())
        if errors:
            self.show_errors(errors)
            return False
        self.show_errors([])
        session = self.controller.session
        questions = time_questions(reading.taken_at, self.controller.clock(),
                                   session.started_at if session else None)
        questions += confirmation_questions(self.controller.profile, reading.values,
                                            self.controller.baseline)
        if questions and not self.confirm(questions):
            self.status.setText("Not saved: not confirmed.")
            self.status.show()
            return False
        try:
            saved = self.controller.save_reading(reading)
        except ValidationFailed as failure:
            self.show_errors(failure.errors)
            return False
        except StoreError as failure:
            # The form keeps what was typed, so nothing is lost when the disk comes back.
            self.status.setStyleSheet("color: #d32f2f; font-weight: 600;")
            self.status.setText(f"NOT SAVED: {failure}")
            self.status.show()
            return False
        self._after_save(saved)
        return True

    def _after_save(self, saved: object) -> None:
        for edit in self.inputs.values():
            edit.clear()
        self.news2_inputs.after_save()
        self._time_follows_clock = True
        self._refresh_time()
        self.status.setStyleSheet("color: #2e7d32; font-weight: 600;")
        taken = getattr(saved, "taken_at", None)
        self.status.setText(f"✓ Saved reading of {fmt_time(taken)}")
        self.status.show()
        self.saved.emit(saved)
        self.focus_first()
