"""Map columns…: what each column of a spreadsheet holds, for a file the app does not
recognise. One row per header with an example value from the file and a choice of role; the
import remembers the mapping for files with the same columns (monitor.app.importing)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.io.column_map import IGNORE, ROLES, mapping_problems, suggested_role
from monitor.io.vocabulary import looks_like_vital
from monitor.ui.theme import error_label
from monitor.ui.wheel_guard import guard_choices

HEADER_COL, EXAMPLE_COL, ROLE_COL = 0, 1, 2


class ColumnMapDialog(QDialog):
    """Choose a role for each column. ``mapping()`` gives header -> role for every column."""

    def __init__(self, headers: Sequence[str], sample: Sequence[str],
                 current: Mapping[str, str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Map columns")
        self.setObjectName("columnMapDialog")
        self.resize(640, 460)
        self.headers = [h.strip().lstrip("\ufeff") for h in headers]
        intro = QLabel("Say what each column holds. Columns in <b>bold</b> look like vital "
                       "signs but were not recognised. The mapping is remembered for files "
                       "with the same columns when you import.")
        intro.setWordWrap(True)
        self.table = QTableWidget(len(self.headers), 3)
        self.table.setObjectName("columnMapTable")
        self.table.setHorizontalHeaderLabels(["Column", "Example", "Holds"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(ROLE_COL,
                                                           QHeaderView.ResizeMode.Stretch)
        self.choices: dict[str, QComboBox] = {}
        for row, header in enumerate(self.headers):
            if not header:
                continue
            example = sample[row] if row < len(sample) else ""
            role = current.get(header) or suggested_role(header, example)
            item = QTableWidgetItem(header)
            if role == IGNORE and looks_like_vital(header):
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(row, HEADER_COL, item)
            self.table.setItem(row, EXAMPLE_COL, QTableWidgetItem(example[:40]))
            box = QComboBox()
            box.setObjectName(f"columnRole{row}")
            for key, label in ROLES.items():
                box.addItem(label, key)
            box.setCurrentIndex(box.findData(role))
            box.setAccessibleName(f"What column {header} holds")
            self.table.setCellWidget(row, ROLE_COL, box)
            self.choices[header] = box
        self.table.resizeColumnToContents(HEADER_COL)
        self.table.resizeColumnToContents(EXAMPLE_COL)
        self.message = error_label("columnMapMessage")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Use this mapping")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        guard_choices(self)

    def choose(self, header: str, role: str) -> None:
        """Set the role of ``header`` (what a user does with its choice box)."""
        box = self.choices[header]
        box.setCurrentIndex(box.findData(role))

    def mapping(self) -> dict[str, str]:
        """Header -> role for every column, as chosen."""
        return {header: str(box.currentData()) for header, box in self.choices.items()}

    def accept(self) -> None:
        problems = mapping_problems(self.mapping(), self.headers)
        if problems:
            self.message.setText("; ".join(problems))
            return
        super().accept()
