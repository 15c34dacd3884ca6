"""Correct a reading, or mark it entered in error: both need initials and a reason, and
both keep the original in the record."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.errors import ValidationFailed
from monitor.domain.readings import Reading, parse_values
from monitor.domain.vitals import ENTERED_VITALS, VITAL_SPECS, Vital
from monitor.store import StoreError
from monitor.ui.formatting import fmt_datetime, fmt_value
from monitor.ui.initials_memory import prefill
from monitor.ui.theme import error_label
from monitor.ui.wheel_guard import guard_choices

ERROR_REASONS = ("Wrong patient", "Typing error", "Artefact (movement, cuff)", "Duplicate entry")


class _ReasonDialog(QDialog):
    """Shared frame: a form, initials, a reason, an error line, OK/Cancel."""

    def __init__(self, title: str, reading: Reading, parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.reading = reading
        self.form = QFormLayout()
        self.form.addRow("Reading", QLabel(f"{fmt_datetime(reading.taken_at)}  "
                                           f"entered by {reading.entered_by or '—'}"))
        self.initials = QLineEdit()
        self.initials.setObjectName("reasonInitials")
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.setObjectName("reasonInput")
        self.errors = error_label("reasonDialogErrors")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        guard_choices(self)  # the wheel never changes an unfocused choice

    def _finish_form(self) -> None:
        self.form.addRow("Reason", self.reason)
        self.form.addRow("Your initials", self.initials)
        prefill(self.initials)

    def _run(self, action: Callable[[], object]) -> None:
        try:
            action()
        except ValidationFailed as failure:
            self.errors.setText("\n".join(str(e) for e in failure.errors))
            return
        except StoreError as failure:
            self.errors.setText(str(failure))
            return
        self.accept()

    def try_accept(self) -> None:
        raise NotImplementedError


class CorrectReadingDialog(_ReasonDialog):
    """New values for a reading; the original stays in the record, marked corrected."""

    def __init__(self, reading: Reading,
                 correct: Callable[[Reading, dict[Vital, float], str, str], Reading],
                 parent: QWidget | None = None, *,
                 questions: Callable[[dict[Vital, float]], list[str]] = lambda _values: [],
                 confirm: Callable[[list[str]], bool] = lambda _questions: True):
        super().__init__("Correct reading", reading, parent)
        self._correct = correct
        #: What a corrected value beyond critical limits must be confirmed with, as a new
        #: reading would be (the domain's confirmation_questions), and who confirms.
        self.questions = questions
        self.confirm = confirm
        self.inputs: dict[Vital, QLineEdit] = {}
        for vital in ENTERED_VITALS:
            edit = QLineEdit(fmt_value(reading.values.get(vital)))
            edit.setObjectName(f"correct_{vital.value}")
            self.inputs[vital] = edit
            self.form.addRow(VITAL_SPECS[vital].label, edit)
        self.reason.addItems(["Typing error", "Value re-read from monitor"])
        self.reason.setCurrentText("")
        self._finish_form()

    def try_accept(self) -> None:
        values, errors = parse_values({v: e.text() for v, e in self.inputs.items()})
        if errors:
            self.errors.setText("\n".join(str(e) for e in errors))
            return
        # Only what the correction changes: a value already confirmed once is not asked again.
        changed = {v: x for v, x in values.items() if self.reading.values.get(v) != x}
        asked = self.questions(changed)
        if asked and not self.confirm(asked):
            self.errors.setText("Not saved: not confirmed.")
            return
        self._run(lambda: self._correct(self.reading, values, self.initials.text(),
                                        self.reason.currentText()))


class MarkInErrorDialog(_ReasonDialog):
    """Strike a reading out as entered in error (wrong patient, typo, artefact)."""

    def __init__(self, reading: Reading, mark: Callable[[Reading, str, str], Reading],
                 parent: QWidget | None = None):
        super().__init__("Mark reading as entered in error", reading, parent)
        self._mark = mark
        values = "  ".join(f"{VITAL_SPECS[v].abbreviation} {fmt_value(x)}"
                           for v, x in reading.values.items())
        self.form.addRow("Values", QLabel(values))
        self.reason.addItems(ERROR_REASONS)
        self.reason.setCurrentText("")
        self._finish_form()

    def try_accept(self) -> None:
        self._run(lambda: self._mark(self.reading, self.initials.text(),
                                     self.reason.currentText()))
