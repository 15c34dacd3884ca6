"""The session's alert history: every alert ever recorded and who handled it.

One table model over ``AlertController.history()`` (the store's ``alert_history``, which never
shrinks: withdrawn alerts stay, marked with the reason) and a non-modal dialog showing it, so
a reviewer can see afterwards every alert and who acknowledged it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.alerts import FEED_SILENT, OVERDUE, Alert, AlertKind, AlertState
from monitor.domain.records import StoredAlert
from monitor.domain.vitals import VITAL_SPECS
from monitor.ui.alerts.alert_controller import AlertController
from monitor.ui.formatting import fmt_value

COLUMNS = ("Raised at", "Vital", "Priority", "Value", "Limit", "Message", "Acknowledged by",
           "Acknowledged at", "Resolved at", "Status")
_NUMERIC = {3, 4}
_TECHNICAL_NAMES = {OVERDUE: "reading overdue", FEED_SILENT: "feed silent"}
_TECHNICAL_UNITS = {OVERDUE: "min", FEED_SILENT: "s"}

Index = QModelIndex | QPersistentModelIndex


def _time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%H:%M:%S") if moment else ""


def _quantity(alert: Alert, value: float | None) -> str:
    if value is None:
        return ""
    unit = (VITAL_SPECS[alert.vital].unit if alert.vital
            else _TECHNICAL_UNITS.get(alert.condition, ""))
    return f"{fmt_value(value)} {unit}".strip()


def status_text(stored: StoredAlert) -> str:
    """active, active (latched), acknowledged, resolved or withdrawn with its reason."""
    if stored.withdrawn_at is not None:
        return f"withdrawn: {stored.withdrawn_reason}" if stored.withdrawn_reason else "withdrawn"
    alert = stored.alert
    if alert.state is AlertState.ACTIVE and alert.latched:
        return "active (latched)"
    return alert.state.value


def cell_text(stored: StoredAlert, column: int) -> str:
    """The text of one cell."""
    alert = stored.alert
    if column == 0:
        return _time(alert.raised_at)
    if column == 1:
        if alert.kind is AlertKind.TECHNICAL:
            return f"technical: {_TECHNICAL_NAMES.get(alert.condition, alert.condition)}"
        return VITAL_SPECS[alert.vital].abbreviation if alert.vital else ""
    if column == 2:
        return alert.priority.label
    if column == 3:
        return _quantity(alert, alert.value)
    if column == 4:
        return _quantity(alert, alert.limit)
    if column == 5:
        return alert.message
    if column == 6:
        return alert.acknowledged_by or ""
    if column == 7:
        return _time(alert.acknowledged_at)
    if column == 8:
        return _time(alert.resolved_at)
    return status_text(stored)


def _full_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if moment else ""


class AlertHistoryModel(QAbstractTableModel):
    """Every alert recorded for the open session, in the order raised; read-only."""

    def __init__(self, alerts: AlertController, parent: QWidget | None = None):
        super().__init__(parent)
        self.alerts = alerts
        self._rows: list[StoredAlert] = alerts.history()
        alerts.alertsChanged.connect(self.refresh)

    def refresh(self) -> None:
        """Read the history again from the store."""
        self.beginResetModel()
        self._rows = self.alerts.history()
        self.endResetModel()

    def stored(self, row: int) -> StoredAlert:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        stored = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(stored, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            alert = stored.alert
            times = {0: alert.raised_at, 7: alert.acknowledged_at, 8: alert.resolved_at}
            if column in times:
                return _full_time(times[column]) or None
            if column == 9 and stored.withdrawn_at is not None:
                return f"withdrawn {_full_time(stored.withdrawn_at)}"
            return cell_text(stored, column) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def summary(self) -> str:
        """E.g. '3 alerts: 1 active, 2 resolved' for the dialog's heading."""
        counts: dict[str, int] = {}
        for stored in self._rows:
            key = status_text(stored).split(":")[0].replace(" (latched)", "")
            counts[key] = counts.get(key, 0) + 1
        total = len(self._rows)
        detail = ", ".join(f"{n} {name}" for name, n in counts.items())
        return f"{total} alert{'' if total == 1 else 's'}" + (f": {detail}" if detail else "")


class AlertHistoryDialog(QDialog):
    """Non-modal, so it can stay open beside the chart and update as alerts change."""

    def __init__(self, alerts: AlertController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("alertHistoryDialog")
        self.setWindowTitle("Alert history")
        self.model = AlertHistoryModel(alerts, self)
        self.heading = QLabel()
        self.heading.setObjectName("alertHistorySummary")
        self.heading.setWordWrap(True)
        self.table = QTableView()
        self.table.setObjectName("alertHistoryTable")
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.model.modelReset.connect(self._show_heading)
        self._show_heading()
        self.resize(1100, 420)

    def _show_heading(self) -> None:
        session = self.model.alerts.sessions.session
        who = f"{session.patient.identifier} · " if session is not None else ""
        self.heading.setText(f"{who}{self.model.summary()}. Alerts are kept for good: "
                             "nothing here is ever deleted.")


def show_alert_history(parent: QWidget, alerts: AlertController) -> AlertHistoryDialog:
    """Open the history dialog, or bring the open one to the front."""
    dialog = parent.findChild(AlertHistoryDialog)
    if dialog is None:
        dialog = AlertHistoryDialog(alerts, parent)
    dialog.model.refresh()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
