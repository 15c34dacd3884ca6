"""The readings table with its actions: correct a reading, or mark it entered in error."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.readings import Reading
from .readings_model import ReadingsTableModel
from .views import record_table


class ReadingsTable(QWidget):
    """Readings, newest first, with Correct… and Entered in error… for the selected row."""

    correctRequested = Signal(object)  # Reading
    markInErrorRequested = Signal(object)  # Reading

    def __init__(self, model: ReadingsTableModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.view = record_table(model, "readingsTable", QHeaderView.ResizeMode.ResizeToContents)
        self.correct_button = QPushButton("Correct…")
        self.correct_button.setObjectName("correctReadingButton")
        self.error_button = QPushButton("Entered in error…")
        self.error_button.setObjectName("markInErrorButton")
        buttons = QHBoxLayout()
        buttons.addWidget(self.correct_button)
        buttons.addWidget(self.error_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        self.correct_button.clicked.connect(self._correct)
        self.error_button.clicked.connect(self._mark)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    def selected_reading(self) -> Reading | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.reading(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        reading = self.selected_reading()
        enabled = reading is not None and reading.is_current
        self.correct_button.setEnabled(enabled)
        self.error_button.setEnabled(enabled)

    def _correct(self) -> None:
        reading = self.selected_reading()
        if reading is not None:
            self.correctRequested.emit(reading)

    def _mark(self) -> None:
        reading = self.selected_reading()
        if reading is not None:
            self.markInErrorRequested.emit(reading)
