"""Shown when no session is open: start a new one, or resume an active one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.sessions import Session
from monitor.ui.formatting import fmt_datetime


class SessionPicker(QWidget):
    newRequested = Signal()
    resumeRequested = Signal(int)  # session id

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sessionPicker")
        title = QLabel("Start a recovery session, or resume an active one")
        title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.list = QListWidget()
        self.list.setObjectName("activeSessionsList")
        self.list.setStyleSheet("font-size: 14pt;")
        self.new_button = QPushButton("Start new session…  (Ctrl+N)")
        self.new_button.setObjectName("newSessionButton")
        self.resume_button = QPushButton("Resume selected session")
        self.resume_button.setObjectName("resumeSessionButton")
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(title)
        layout.addWidget(QLabel("Active sessions:"))
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.new_button.clicked.connect(self.newRequested)
        self.resume_button.clicked.connect(self._resume)
        self.list.itemActivated.connect(lambda _item: self._resume())

    def show_sessions(self, sessions: list[Session]) -> None:
        self.list.clear()
        for s in sessions:
            item = QListWidgetItem(
                f"{s.patient.identifier}  —  {s.patient.name or '(no name)'}  —  "
                f"started {fmt_datetime(s.started_at)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            self.list.addItem(item)
        if sessions:
            self.list.setCurrentRow(0)
        else:
            hint = QListWidgetItem("No active sessions. Press “Start new session…” (Ctrl+N) "
                                   "to begin one.")
            hint.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(hint)
        self.resume_button.setEnabled(bool(sessions))

    def _resume(self) -> None:
        item = self.list.currentItem()
        if item is not None and item.data(Qt.ItemDataRole.UserRole) is not None:
            self.resumeRequested.emit(int(item.data(Qt.ItemDataRole.UserRole)))
