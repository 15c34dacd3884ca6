"""Table model of a session's readings, newest first, every row ever recorded included:
corrected rows greyed, entries in error struck out, flagged values marked with symbols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from monitor.domain.readings import Reading, ReadingStatus
from monitor.domain.thresholds import Severity, ThresholdProfile, classify
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.ui.formatting import SEVERITY_SYMBOL, fmt_datetime, fmt_value
from monitor.ui.theme import LIGHT, Theme

VITAL_COLUMNS: tuple[Vital, ...] = (
    Vital.SBP, Vital.DBP, Vital.MAP, Vital.HR, Vital.RR, Vital.SPO2
)
HEADERS = ("Time", *(VITAL_SPECS[v].abbreviation for v in VITAL_COLUMNS), "Source", "By",
           "Status", "Note")
SOURCE_COL = 1 + len(VITAL_COLUMNS)
STATUS_COL = SOURCE_COL + 2

Index = QModelIndex | QPersistentModelIndex
#: Rows the table shows at first and adds each time it is scrolled to the bottom: a long
#: device session has 100,000 rows, and the view sizes its columns from the rows it has.
FETCH_BATCH = 200
R = Qt.ItemDataRole
#: The roles data() answers; the view asks for a dozen per cell (size hints of the first
#: thousand rows when the columns fit their contents), so the rest return at once.
ANSWERED_ROLES = frozenset({R.DisplayRole, R.ToolTipRole, R.FontRole, R.ForegroundRole,
                            R.BackgroundRole, R.TextAlignmentRole})


class ReadingsTableModel(QAbstractTableModel):
    """One row per stored reading."""

    def __init__(self, profile: ThresholdProfile, theme: Theme = LIGHT, parent: Any = None):
        super().__init__(parent)
        self._rows: list[Reading] = []
        self._loaded = 0  # rows the view has been told about (newest first)
        self._profile = profile
        self._baseline: Mapping[Vital, float] = {}
        self._theme = theme
        # Severity per (vital, value) under the current profile and baseline: each cell
        # asks up to three times (text, colour, background) and values repeat.
        self._severities: dict[tuple[Vital, float], Severity] = {}

    def set_readings(self, readings: Sequence[Reading]) -> None:
        self.beginResetModel()
        self._rows = list(reversed(readings))
        # Keep as many rows as were scrolled into view: a new reading does not send the
        # nurse back to the top batch.
        self._loaded = min(len(self._rows), max(FETCH_BATCH, self._loaded))
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._loaded < len(self._rows)

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        """Add the next batch of older rows (the view asks when scrolled to the bottom)."""
        if not self.canFetchMore(parent):
            return
        more = min(FETCH_BATCH, len(self._rows) - self._loaded)
        self.beginInsertRows(QModelIndex(), self._loaded, self._loaded + more - 1)
        self._loaded += more
        self.endInsertRows()

    def set_profile(self, profile: ThresholdProfile, baseline: Mapping[Vital, float]) -> None:
        self._profile, self._baseline = profile, dict(baseline)
        self._severities.clear()
        self._changed_all()

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._changed_all()

    def _changed_all(self) -> None:
        if self._loaded:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self._loaded - 1, len(HEADERS) - 1))

    def reading(self, row: int) -> Reading:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in ANSWERED_ROLES or not index.isValid() \
                or not 0 <= index.row() < self._loaded:
            return None
        reading = self._rows[index.row()]
        column = index.column()
        vital = VITAL_COLUMNS[column - 1] if 1 <= column <= len(VITAL_COLUMNS) else None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(reading, column, vital)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(reading, vital)
        if role == Qt.ItemDataRole.FontRole:
            if reading.status is ReadingStatus.VALID:
                return None
            font = QFont()
            font.setStrikeOut(reading.status is ReadingStatus.ENTERED_IN_ERROR)
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole:
            if reading.status is not ReadingStatus.VALID:
                return QBrush(QColor(self._theme.muted))
            severity = self._severity(reading, vital)
            if severity is not Severity.NORMAL:
                return QBrush(QColor(self._theme.severity_text[severity]))
            return None
        if role == Qt.ItemDataRole.BackgroundRole and reading.status is ReadingStatus.VALID:
            severity = self._severity(reading, vital)
            if severity is not Severity.NORMAL:
                return QBrush(QColor(self._theme.severity[severity]))
        if role == Qt.ItemDataRole.TextAlignmentRole and vital is not None:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _severity(self, reading: Reading, vital: Vital | None) -> Severity:
        if vital is None:
            return Severity.NORMAL
        value = reading.values.get(vital)
        if value is None:
            return Severity.NORMAL
        known = self._severities.get((vital, value))
        if known is None:
            if len(self._severities) >= 4096:
                self._severities.clear()
            known = self._severities[(vital, value)] = classify(
                self._profile, vital, value, self._baseline).severity
        return known

    def _display(self, reading: Reading, column: int, vital: Vital | None) -> str:
        if column == 0:
            return fmt_datetime(reading.taken_at)
        if vital is not None:
            value = reading.values.get(vital)
            if value is None:
                return ""
            marker = SEVERITY_SYMBOL[self._severity(reading, vital)]
            derived = " (calc)" if vital is Vital.MAP and reading.map_derived else ""
            return f"{fmt_value(value)}{derived} {marker}".rstrip()
        if column == SOURCE_COL:
            detail = f": {reading.source_detail}" if reading.source_detail else ""
            return f"{reading.source.value}{detail}"
        if column == SOURCE_COL + 1:
            return reading.entered_by
        if column == STATUS_COL:
            # Amended into a closed session: marked late wherever the reading is shown.
            late = (f"LATE ENTRY (amendment: {reading.amendment_reason}) · "
                    if reading.amendment_reason else "")
            return late + self._status(reading)
        return reading.note

    @staticmethod
    def _status(reading: Reading) -> str:
        if reading.status is ReadingStatus.ENTERED_IN_ERROR:
            return f"ENTERED IN ERROR by {reading.status_by}: {reading.status_reason}"
        if reading.status is ReadingStatus.CORRECTED:
            return f"corrected by {reading.status_by}: {reading.status_reason}"
        if reading.supersedes is not None:
            return f"correction: {reading.correction_reason}"
        return "valid"

    def _tooltip(self, reading: Reading, vital: Vital | None) -> str | None:
        if vital is not None and vital in reading.values:
            result = classify(self._profile, vital, reading.values[vital], self._baseline)
            text = result.message
            if result.severity is not Severity.NORMAL:
                text += f" ({result.severity.word})"
            if vital is Vital.MAP and reading.map_derived:
                text += " — derived from SBP and DBP"
            return text
        recorded = fmt_datetime(reading.recorded_at)
        return f"Recorded {recorded} by {reading.entered_by or '—'}"
