"""Session > Close session / discharge…: discharge time, escort, instructions and initials.
Closing locks the session; what was confirmed goes into its audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.closing import DischargeDetails
from monitor.domain.errors import FieldError, ValidationFailed
from monitor.domain.records import StoredAssessment
from monitor.domain.timeparse import parse_time_text
from monitor.store import StoreError
from monitor.ui.formatting import fmt_datetime
from monitor.ui.initials_memory import prefill
from monitor.ui.theme import error_label

ASSESSMENT_NAMES = {"aldrete": "Modified Aldrete", "padss": "PADSS"}


def assessment_summary(assessments: list[StoredAssessment]) -> str:
    """The latest discharge assessment in one line, or a hint that there is none."""
    if not assessments:
        return "No discharge assessment charted."
    latest = max(assessments, key=lambda a: (a.at, a.id))
    name = ASSESSMENT_NAMES.get(latest.kind, latest.kind)
    total = f" {latest.total}/10" if latest.total is not None else ""
    verdict = "meets discharge criteria" if latest.meets else "does NOT meet discharge criteria"
    return f"{name}{total} — {verdict} ({fmt_datetime(latest.at)}, {latest.entered_by})"


class _YesNo(QWidget):
    """Two radio buttons, neither chosen at first: the nurse must answer."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.yes = QRadioButton("Yes")
        self.yes.setObjectName(f"{name}Yes")
        self.no = QRadioButton("No")
        self.no.setObjectName(f"{name}No")
        self.group = QButtonGroup(self)
        self.group.addButton(self.yes)
        self.group.addButton(self.no)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.yes)
        layout.addWidget(self.no)
        layout.addStretch(1)

    def answer(self) -> bool | None:
        if self.yes.isChecked():
            return True
        return False if self.no.isChecked() else None


class CloseSessionDialog(QDialog):
    """Ask for the discharge details, then close the session through ``close``."""

    def __init__(self, close: Callable[[DischargeDetails], object], now: datetime,
                 assessment_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Close session / discharge")
        self.setObjectName("closeSessionDialog")
        self._close = close
        self._now = now
        self.time_input = QLineEdit(now.astimezone().strftime("%H:%M"))
        self.time_input.setObjectName("dischargeTime")
        self.time_input.setPlaceholderText("HH:MM or YYYY-MM-DD HH:MM")
        self.escort = _YesNo("escort")
        self.instructions = _YesNo("instructions")
        self.note = QLineEdit()
        self.note.setObjectName("dischargeNote")
        self.note.setPlaceholderText("needed when there is no escort or no instructions")
        self.initials = QLineEdit()
        self.initials.setObjectName("dischargeInitials")
        self.initials.setMaxLength(6)
        self.assessment = QLabel(assessment_text)
        self.assessment.setObjectName("dischargeAssessment")
        self.assessment.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Latest assessment", self.assessment)
        form.addRow("Discharge time", self.time_input)
        form.addRow("Escort present", self.escort)
        form.addRow("Discharge instructions given", self.instructions)
        form.addRow("Note", self.note)
        form.addRow("Your initials", self.initials)
        prefill(self.initials)
        warning = QLabel("Closing locks the session: later entries need Amend… with a reason.")
        warning.setWordWrap(True)
        self.errors = error_label("closeSessionErrors")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Close session")
        self.ok_button.setObjectName("closeSessionOk")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(warning)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)

    def details(self) -> tuple[DischargeDetails | None, list[FieldError]]:
        """What the form says, or the field errors of the discharge time."""
        at, error = parse_time_text("Discharge time", self.time_input.text(),
                                    today=self._now.astimezone().date())
        if error is not None:
            return None, [error]
        return DischargeDetails(at, self.escort.answer(), self.instructions.answer(),
                                self.initials.text(), self.note.text()), []

    def try_accept(self) -> None:
        details, errors = self.details()
        if details is None:
            self.errors.setText("\n".join(str(e) for e in errors))
            return
        try:
            self._close(details)
        except ValidationFailed as failure:
            self.errors.setText("\n".join(str(e) for e in failure.errors))
            return
        except StoreError as failure:
            self.errors.setText(str(failure))
            return
        self.accept()
