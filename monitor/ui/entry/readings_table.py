"""The readings table with its actions: correct a reading, or mark it entered in error."""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.readings import Reading, ReadingStatus
from monitor.ui.entry.readings_model import ReadingsTableModel
from monitor.ui.views import record_table

#: A digit, as replaced by the widest one to bound the width of a time.
WIDEST_DIGIT = re.compile(r"[0-9]")


class ColumnFitter:
    """Keeps a table's columns as wide as the text of the rows it holds (the last one
    stretches), leaving any column the user resized at the width she gave it.

    Qt's ResizeToContents asks the model a dozen roles per cell for up to 1000 rows on
    every reset (48,000 calls for a 200-row page, most of the time it took to open a long
    session); this asks each cell for its text and each row for its font, measures each
    distinct text once, and does nothing when ``rows_key`` says the rows are those it
    measured last (a window resets its model more than once while a session opens)."""

    def __init__(self, view: QTableView, rows_key: Callable[[], object] | None = None,
                 italic: Callable[[int], bool] | None = None,
                 digits_only: frozenset[int] = frozenset()):
        """``rows_key()`` identifies the rows held; ``italic(row)`` says whether a row is
        drawn in italics (else its font is asked); the columns in ``digits_only`` hold
        texts that differ only in their digits (a fixed time format), so one row tells
        how wide all are."""
        self.view = view
        self.rows_key = rows_key
        self.italic = italic
        self.digits_only = digits_only
        self.user_sized: set[int] = set()
        self._measured: dict[tuple[str, bool], int] = {}  # (text, italic) -> pixels
        self._fitted_key: object = None
        self._fitting = False
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.sectionResized.connect(self._resized)
        model = view.model()
        model.modelReset.connect(self.fit)
        model.rowsInserted.connect(self.fit)  # older rows fetched as the table scrolls
        # Re-classified (profile) or recoloured (theme): the flag symbols may change.
        model.dataChanged.connect(self.refit)
        model.layoutChanged.connect(self.refit)

    def _resized(self, column: int, _old: int, _new: int) -> None:
        if not self._fitting:
            self.user_sized.add(column)

    def needed(self) -> list[int]:
        """The width each column but the last needs for its header and the text of
        every row held."""
        model: QAbstractItemModel = self.view.model()
        columns = range(model.columnCount() - 1)
        texts: list[set[tuple[str, bool]]] = [set() for _ in columns]
        every_row = [c for c in columns if c not in self.digits_only]
        for row in range(model.rowCount()):
            italic = self._italic(row)
            for column in every_row if row else columns:
                text = model.index(row, column).data()
                if text:
                    texts[column].add((str(text), italic))
        for column in self.digits_only:
            # Every row's text has the first one's shape: with the widest digit in every
            # place and in italics, it is at least as wide as any of them.
            texts[column] = {(WIDEST_DIGIT.sub(self._widest_digit(), text), True)
                             for text, _ in texts[column]}
        # What QStyledItemDelegate adds around the text, and the grid line.
        margin = 2 * (self.view.style().pixelMetric(
            QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.view) + 1)
        margin += 1 if self.view.showGrid() else 0
        header = self.view.horizontalHeader()
        return [max(header.sectionSizeFromContents(column).width(),
                    max((self._text_width(*text) for text in texts[column]), default=0)
                    + margin) for column in columns]

    def _italic(self, row: int) -> bool:
        if self.italic is not None:
            return self.italic(row)
        font = self.view.model().index(row, 0).data(Qt.ItemDataRole.FontRole)
        return isinstance(font, QFont) and font.italic()

    def _widest_digit(self) -> str:
        return max("0123456789", key=lambda digit: max(self._text_width(digit, False),
                                                       self._text_width(digit, True)))

    def _text_width(self, text: str, italic: bool) -> int:
        known = self._measured.get((text, italic))
        if known is None:
            font = QFont(self.view.font())
            font.setItalic(italic)
            if len(self._measured) > 4096:
                self._measured.clear()
            # A pixel more than the advance: never an elided last glyph.
            known = self._measured[(text, italic)] = \
                QFontMetrics(font).horizontalAdvance(text) + 1
        return known

    def fit(self, *_args: object) -> None:
        """Size every column but the stretched last one and those the user resized, unless
        the rows are those measured last."""
        key = self.rows_key() if self.rows_key is not None else None
        if key is not None and key == self._fitted_key:
            return
        self._fitted_key = key
        header = self.view.horizontalHeader()
        self._fitting = True
        try:
            for column, width in enumerate(self.needed()):
                if column in self.user_sized or header.isSectionHidden(column):
                    continue
                if header.sectionSize(column) != width:
                    header.resizeSection(column, width)
        finally:
            self._fitting = False

    def refit(self, *_args: object) -> None:
        """Measure again although the rows are the same (their text or font changed)."""
        self._fitted_key = None
        self.fit()

    def font_changed(self) -> None:
        """Forget every measured text (the view's font or style changed) and refit."""
        self._measured.clear()
        self.refit()


class ReadingsTable(QWidget):
    """Readings, newest first, with Correct… and Entered in error… for the selected row."""

    correctRequested = Signal(object)  # Reading
    markInErrorRequested = Signal(object)  # Reading

    def __init__(self, model: ReadingsTableModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        # Interactive, so a nurse can widen a column; the fitter sizes the rest to the text.
        self.view = record_table(model, "readingsTable", QHeaderView.ResizeMode.Interactive)
        self.columns = ColumnFitter(
            self.view, rows_key=lambda: tuple(model.reading(row)
                                              for row in range(model.rowCount())),
            italic=lambda row: model.reading(row).status is not ReadingStatus.VALID,
            digits_only=frozenset({0}))  # the time, all in one format
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
        self.columns.fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.columns.font_changed()

    def selected_reading(self) -> Reading | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.reading(rows[0].row()) if rows else None

    def target_reading(self) -> Reading | None:
        """The selected reading if it can still be changed, else the newest current one."""
        selected = self.selected_reading()
        if selected is not None and selected.is_current:
            return selected
        for row in range(self.model.rowCount()):
            reading = self.model.reading(row)
            if reading.is_current:
                return reading
        return None

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
