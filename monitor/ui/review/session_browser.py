"""File > Browse sessions…: every session, searched, filtered and sorted in the database.

The model is lazy: it counts the matches, then fetches one page at a time as the view
scrolls (``canFetchMore``/``fetchMore``), so 100,000 sessions open as fast as 100. Sorting
and filtering are indexed queries in the store, never done on loaded rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.alerts import AlertPriority
from monitor.domain.errors import FieldError
from monitor.domain.sessions import SessionStatus
from monitor.domain.timeparse import local_tz, parse_date_text
from monitor.store import Store, StoreError
from monitor.store.browse import SessionQuery, SessionSummary
from monitor.ui.formatting import fmt_datetime, fmt_duration
from monitor.ui.views import record_table
from monitor.ui.wheel_guard import guard_choices

PAGE_SIZE = 200
SEARCH_DELAY_MS = 250

#: (header, sort key in SORT_COLUMNS)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Patient ID", "patient"),
    ("Name", "name"),
    ("Started", "started"),
    ("Duration", "duration"),
    ("Readings", "readings"),
    ("Worst alert", "worst_alert"),
    ("Status", "status"),
)
STARTED_COLUMN = 2

Index = QModelIndex | QPersistentModelIndex


def alert_text(priority: int) -> str:
    """The worst alert in words and symbols, e.g. ``*** HIGH``; ``—`` for none."""
    if priority <= 0:
        return "—"
    p = AlertPriority(min(priority, AlertPriority.HIGH))
    return p.label


class SessionBrowserModel(QAbstractTableModel):
    """Session summaries matching a query, fetched page by page."""

    def __init__(self, store: Store, parent: Any = None):
        super().__init__(parent)
        self._store = store
        self._query = SessionQuery()
        self._rows: list[SessionSummary] = []
        self._total = 0

    # -- querying ------------------------------------------------------------------------

    @property
    def query(self) -> SessionQuery:
        return self._query

    @property
    def total(self) -> int:
        """How many sessions match (loaded or not)."""
        return self._total

    def set_query(self, query: SessionQuery) -> None:
        """Show the sessions matching ``query``; only the count and first page are read."""
        self.beginResetModel()
        self._query = query
        self._rows = []
        try:
            self._total = self._store.count_sessions(query)
        finally:
            self.endResetModel()
        if self._total:
            self.fetchMore(QModelIndex())

    def refresh(self) -> None:
        self.set_query(self._query)

    def summary(self, row: int) -> SessionSummary:
        return self._rows[row]

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 (Qt API)
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        page = self._store.browse_sessions(self._query, offset=len(self._rows),
                                           limit=PAGE_SIZE)
        if not page:
            self._total = len(self._rows)  # the table shrank since it was counted
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.set_query(replace(self._query, sort=COLUMNS[column][1],
                               descending=order == Qt.SortOrder.DescendingOrder))

    # -- Qt model API --------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section][0]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        s = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(s, column)
        if role == Qt.ItemDataRole.UserRole:
            return s.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Session {s.id} · double-click or Enter to open it"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column == 5 and s.worst_alert >= 3:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == 5 and s.worst_alert >= 3:
            return QBrush(QColor("#c62828"))
        return None

    @staticmethod
    def _display(s: SessionSummary, column: int) -> str:
        if column == 0:
            return s.patient_id
        if column == 1:
            return s.patient_name or "(no name)"
        if column == 2:
            return fmt_datetime(s.started_at)
        if column == 3:
            return fmt_duration(s.duration)
        if column == 4:
            return str(s.reading_count)
        if column == 5:
            return alert_text(s.worst_alert)
        return s.status.value


STATUS_CHOICES: tuple[tuple[str, SessionStatus | None], ...] = (
    ("Any status", None), ("Active", SessionStatus.ACTIVE), ("Closed", SessionStatus.CLOSED))


def build_query(base: SessionQuery, text: str, date_from: str, date_to: str,
                critical_only: bool, status: SessionStatus | None
                ) -> tuple[SessionQuery | None, list[FieldError]]:
    """The query the filter fields describe (dates are whole local days, both included),
    or the errors of the fields that cannot be read."""
    first, error_from = parse_date_text("From", date_from)
    last, error_to = parse_date_text("To", date_to)
    errors = [e for e in (error_from, error_to) if e is not None]
    if first and last and last < first:
        errors.append(FieldError("To", "is before From"))
    if errors:
        return None, errors
    tz = local_tz()
    start = datetime.combine(first, time(0), tzinfo=tz) if first else None
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz) if last else None
    return replace(base, text=text.strip(), started_from=start, started_to=end,
                   min_alert_priority=int(AlertPriority.HIGH) if critical_only else 0,
                   status=status), []


class SessionBrowser(QDialog):
    """Search, filter and sort every session; open one, or its patient's series."""

    openRequested = Signal(int)  # session id
    seriesRequested = Signal(str)  # patient id

    def __init__(self, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Sessions")
        self.setObjectName("sessionBrowser")
        self.setModal(False)
        self.resize(1000, 640)
        self.model = SessionBrowserModel(store, self)
        self.search = QLineEdit()
        self.search.setObjectName("browserSearch")
        self.search.setPlaceholderText("Search patient ID or name")
        self.search.setClearButtonEnabled(True)
        self.date_from = QLineEdit()
        self.date_from.setObjectName("browserFrom")
        self.date_from.setPlaceholderText("from YYYY-MM-DD")
        self.date_to = QLineEdit()
        self.date_to.setObjectName("browserTo")
        self.date_to.setPlaceholderText("to YYYY-MM-DD")
        for edit in (self.date_from, self.date_to):
            edit.setMaximumWidth(130)
        self.critical = QCheckBox("Critical alerts only")
        self.critical.setObjectName("browserCritical")
        self.status = QComboBox()
        self.status.setObjectName("browserStatus")
        for label, value in STATUS_CHOICES:
            self.status.addItem(label, value.value if value else "")
        self.errors = QLabel("")
        self.errors.setObjectName("browserErrors")
        self.errors.setStyleSheet("color: #d32f2f; font-weight: 600;")
        self.count = QLabel("")
        self.count.setObjectName("browserCount")
        self.view = record_table(self.model, "browserTable", QHeaderView.ResizeMode.Interactive)
        self.view.setSortingEnabled(True)
        for column, width in enumerate((120, 220, 150, 100, 80, 120)):
            self.view.setColumnWidth(column, width)
        self.open_button = QPushButton("Open session")
        self.open_button.setObjectName("browserOpen")
        self.series_button = QPushButton("Patient series…")
        self.series_button.setObjectName("browserSeries")
        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        filters.addWidget(self.date_from)
        filters.addWidget(self.date_to)
        filters.addWidget(self.critical)
        filters.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count, 1)
        buttons.addWidget(self.series_button)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.errors)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        # Typing waits for a pause before querying, so each key does not run a search.
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_filters)
        for edit in (self.search, self.date_from, self.date_to):
            edit.textChanged.connect(self._debounce.start)
            edit.returnPressed.connect(self.apply_filters)
        self.critical.toggled.connect(self.apply_filters)
        self.status.currentIndexChanged.connect(self.apply_filters)
        self.view.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.view.activated.connect(lambda index: self._open_row(index.row()))
        self.open_button.clicked.connect(self._open_selected)
        self.series_button.clicked.connect(self._series_selected)
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self.view.horizontalHeader().setSortIndicator(STARTED_COLUMN,
                                                      Qt.SortOrder.DescendingOrder)
        guard_choices(self)  # the wheel never changes an unfocused choice

    def refresh(self) -> None:
        """Re-run the current query (new sessions, changed summaries)."""
        self.apply_filters()

    def apply_filters(self) -> None:
        """Run the query the filter fields describe; show errors of unreadable fields."""
        self._debounce.stop()
        status = self.status.currentData()  # Qt hands the enum back as its plain value
        query, errors = build_query(self.model.query, self.search.text(),
                                    self.date_from.text(), self.date_to.text(),
                                    self.critical.isChecked(),
                                    SessionStatus(status) if status else None)
        self.errors.setText("\n".join(str(e) for e in errors))
        self.errors.setVisible(bool(errors))
        if query is None:
            return
        try:
            self.model.set_query(query)
        except StoreError as error:
            self.errors.setText(str(error))
            self.errors.setVisible(True)
            return
        if self.model.rowCount():
            self.view.selectRow(0)

    def _update_count(self) -> None:
        total = self.model.total
        self.count.setText(f"{total:,} session{'s' if total != 1 else ''}"
                           + (f" · {self.model.rowCount():,} loaded"
                              if self.model.rowCount() < total else ""))
        has_rows = self.model.rowCount() > 0
        self.open_button.setEnabled(has_rows)
        self.series_button.setEnabled(has_rows)

    def selected_row(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _open_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.openRequested.emit(self.model.summary(row).id)

    def _open_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self._open_row(row)

    def _series_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.seriesRequested.emit(self.model.summary(row).patient_id)
