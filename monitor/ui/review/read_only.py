"""Read-only display of closed sessions and archives: a strip that says so, the entry panel
and editing actions disabled, and Amend… — the one way to add to a closed session, with
initials and a reason."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.errors import ValidationFailed
from monitor.ui.formatting import fmt_datetime
from monitor.ui.session_controller import SessionController
from monitor.ui.theme import error_label
from monitor.ui.wheel_guard import guard_choices

AMEND_REASONS = ("Late entry from the paper chart", "Correction found on review",
                 "Device data arrived after discharge")

STYLE_LOCKED = ("QFrame#readOnlyStrip { background: #37474f; border-radius: 4px; } "
                "QFrame#readOnlyStrip QLabel { color: #ffffff; font-size: 13pt; "
                "font-weight: 600; }")
STYLE_AMENDING = ("QFrame#readOnlyStrip { background: #ffd54a; border-radius: 4px; } "
                  "QFrame#readOnlyStrip QLabel { color: #3a2a00; font-size: 13pt; "
                  "font-weight: 600; }")


class AmendDialog(QDialog):
    """Initials and a reason; both are required before a closed session can be amended."""

    def __init__(self, controller: SessionController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Amend closed session")
        self.setObjectName("amendDialog")
        self.controller = controller
        self.reason = QComboBox()
        self.reason.setObjectName("amendReason")
        self.reason.setEditable(True)
        self.reason.addItems(AMEND_REASONS)
        self.reason.setCurrentText("")
        self.initials = QLineEdit()
        self.initials.setObjectName("amendInitials")
        self.initials.setMaxLength(6)
        form = QFormLayout()
        form.addRow("Reason", self.reason)
        form.addRow("Your initials", self.initials)
        note = QLabel("Entries and corrections made now are saved as late amendments with "
                      "this reason, and written to the session's audit trail.")
        note.setWordWrap(True)
        self.errors = error_label("amendErrors")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start amendment")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        guard_choices(self)  # the wheel never changes an unfocused choice

    def try_accept(self) -> None:
        try:
            self.controller.begin_amendment(self.initials.text(), self.reason.currentText())
        except ValidationFailed as failure:
            self.errors.setText("\n".join(str(e) for e in failure.errors))
            return
        self.accept()


class ReadOnlyStrip(QFrame):
    """Shown across the session page while the session is closed or the database is
    read-only; amber while an amendment is in progress."""

    amendRequested = Signal()

    def __init__(self, controller: SessionController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("readOnlyStrip")
        self.controller = controller
        self.label = QLabel("")
        self.label.setObjectName("readOnlyText")
        self.label.setWordWrap(True)
        self.amend_button = QPushButton("Amend…")
        self.amend_button.setObjectName("amendButton")
        self.end_button = QPushButton("End amendment")
        self.end_button.setObjectName("endAmendmentButton")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.amend_button)
        layout.addWidget(self.end_button)
        self.amend_button.clicked.connect(self.amendRequested)
        self.end_button.clicked.connect(controller.end_amendment)
        controller.sessionChanged.connect(self.refresh)
        controller.amendmentChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        c = self.controller
        session = c.session
        self.setVisible(c.locked and session is not None)
        if session is None:
            return
        if c.store.read_only:
            self.label.setText(f"READ-ONLY database ({Path(c.store.path).name}) — "
                               "nothing can be changed")
        elif c.amendment is not None:
            by, reason = c.amendment
            self.label.setText(f"✎ Amending closed session ({by}: {reason}) — entries are "
                               "saved as late amendments")
        else:
            self.label.setText(f"CLOSED SESSION — read only · discharged "
                               f"{fmt_datetime(session.closed_at)}")
        self.setStyleSheet(STYLE_AMENDING if c.amendment else STYLE_LOCKED)
        self.amend_button.setVisible(c.amendment is None)
        self.amend_button.setEnabled(not c.store.read_only)
        self.amend_button.setToolTip("The database is open read-only" if c.store.read_only
                                     else "Add a late entry or a correction, with a reason")
        self.end_button.setVisible(c.amendment is not None)
