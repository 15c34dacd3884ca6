"""Session > Patient series…: all of a patient's sessions, their vitals overlaid on one axis
of minutes from the end of the infusion, and the baseline-to-peak change of each session.

Today's session is drawn bold in its vital's colour, earlier ones thin and grey, so the
nurse sees at a glance whether today's rise is usual for this patient. The alignment and
the changes are computed in ``domain.series``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.series import (
    PEAK_DIRECTION,
    AlignedSeries,
    BaselineToPeak,
    align_on_infusion_end,
    series_table,
)
from monitor.domain.sessions import Session
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.store import Store
from monitor.store.browse import SessionQuery
from monitor.ui.formatting import fmt_datetime, fmt_value
from monitor.ui.review.session_browser import alert_text
from monitor.ui.theme import LIGHT, Theme

MAX_SESSIONS = 60
OVERLAY_VITALS = (Vital.SBP, Vital.HR, Vital.SPO2)
TABLE_VITALS = (Vital.SBP, Vital.DBP, Vital.HR, Vital.SPO2)
HEADERS = ("Started", "Readings", "Worst alert", "Status",
           *(f"{VITAL_SPECS[v].abbreviation} baseline → "
             f"{'lowest' if PEAK_DIRECTION[v] == 'low' else 'peak'}" for v in TABLE_VITALS))


@dataclass(frozen=True)
class SeriesEntry:
    """One session of the series with what the dialog shows of it."""

    session: Session
    reading_count: int
    worst_alert: int
    aligned: AlignedSeries | None
    changes: dict[Vital, BaselineToPeak]


def change_text(change: BaselineToPeak) -> str:
    """E.g. ``120 → 148 (+28)``; ``—`` when nothing to compare."""
    if change.peak is None:
        return "—"
    baseline = fmt_value(change.baseline) if change.baseline is not None else "?"
    delta = f" ({change.change:+.0f})" if change.change is not None else ""
    return f"{baseline} → {fmt_value(change.peak)}{delta}"


def load_series(store: Store, patient_id: str) -> list[SeriesEntry]:
    """The patient's sessions, newest first, aligned and summarised."""
    summaries = store.browse_sessions(SessionQuery(patient_id=patient_id, sort="started"),
                                      limit=MAX_SESSIONS)
    entries = []
    for summary in summaries:
        session = store.get_session(summary.id)
        readings = store.readings(summary.id)
        entries.append(SeriesEntry(session, summary.reading_count, summary.worst_alert,
                                   align_on_infusion_end(session, readings),
                                   series_table(session, readings, TABLE_VITALS)))
    return entries


class PatientSeriesDialog(QDialog):
    """A patient's sessions: overlay chart and baseline-to-peak table."""

    openRequested = Signal(int)  # session id

    def __init__(self, store: Store, patient_id: str, current_session_id: int | None,
                 theme: Theme = LIGHT, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("patientSeries")
        self.current_session_id = current_session_id
        self.theme = theme
        self.entries = load_series(store, patient_id)
        name = next((e.session.patient.name for e in self.entries if e.session.patient.name),
                    "")
        self.setWindowTitle(f"Patient series — {patient_id} {name}".strip())
        self.resize(1100, 760)
        title = QLabel(f"{name or '(no name)'} · ID {patient_id} · "
                       f"{len(self.entries)} session{'s' if len(self.entries) != 1 else ''}")
        title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.chart = pg.GraphicsLayoutWidget()
        self.chart.setObjectName("seriesChart")
        self.chart.setBackground(theme.surface)
        self.plots: dict[Vital, pg.PlotItem] = {}
        self.curves: dict[tuple[int, Vital], pg.PlotDataItem] = {}
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("seriesTable")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.open_button = QPushButton("Open selected session")
        self.open_button.setObjectName("seriesOpen")
        note = QLabel("Minutes from the end of the infusion (0 = infusion end). Bold: "
                      "this session; grey: earlier sessions. Sessions without a recorded "
                      "infusion end cannot be aligned and are only listed.")
        note.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.chart)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(note, 1)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self._build_plots()
        self._fill_table()
        self.open_button.clicked.connect(self._open_selected)
        self.table.itemDoubleClicked.connect(lambda item: self._open_row(item.row()))

    # -- overlay -------------------------------------------------------------------------

    def _build_plots(self) -> None:
        first = None
        for row, vital in enumerate(OVERLAY_VITALS):
            spec = VITAL_SPECS[vital]
            plot = self.chart.addPlot(row=row, col=0)
            plot.setTitle(f"{spec.label}  {spec.unit}", justify="left", size="11pt",
                          color=self.theme.text)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=True, y=False)
            plot.getAxis("left").setWidth(48)
            plot.setLabel("bottom", "minutes from infusion end")
            for side in ("left", "bottom"):
                plot.getAxis(side).setTextPen(pg.mkPen(self.theme.text))
            plot.addItem(pg.InfiniteLine(pos=0, angle=90, movable=False,
                                         pen=pg.mkPen(self.theme.muted,
                                                      style=Qt.PenStyle.DashLine),
                                         label="infusion end" if row == 0 else None,
                                         labelOpts={"position": 0.95,
                                                    "color": self.theme.muted}))
            if first is None:
                first = plot
                plot.addLegend(offset=(-10, 5))
            else:
                plot.setXLink(first)
            self.plots[vital] = plot
        earlier = [e for e in self.entries if e.aligned is not None
                   and e.session.id != self.current_session_id]
        for age, entry in enumerate(earlier):
            # Older sessions fade further so the most recent comparison stands out.
            grey = (140, 140, 150, max(60, 200 - 25 * age))
            for vital in OVERLAY_VITALS:
                self._add_curve(entry, vital, grey, 1, fmt_datetime(entry.session.started_at))
        for entry in self.entries:
            if entry.aligned is not None and entry.session.id == self.current_session_id:
                for vital in OVERLAY_VITALS:
                    self._add_curve(entry, vital, self.theme.series[vital], 3, "this session")
        minutes = [m for e in self.entries if e.aligned is not None for m in e.aligned.minutes]
        if first is not None and minutes:
            # An explicit range: the linked plots would otherwise settle on the dashed line.
            first.setXRange(min(minutes) - 5, max(minutes) + 5, padding=0)

    def _add_curve(self, entry: SeriesEntry, vital: Vital, colour: object, width: int,
                   name: str) -> None:
        assert entry.aligned is not None
        points = entry.aligned.points(vital)
        if not points:
            return
        x = np.array([p[0] for p in points], dtype=np.float64)
        y = np.array([p[1] for p in points], dtype=np.float64)
        curve = self.plots[vital].plot(
            x, y, pen=pg.mkPen(colour, width=width), symbol="o", symbolSize=4 + 2 * width,
            symbolBrush=pg.mkBrush(colour), symbolPen=pg.mkPen(colour),
            name=name if vital is OVERLAY_VITALS[0] else None)
        self.curves[(entry.session.id or 0, vital)] = curve

    def overlay(self, session_id: int, vital: Vital) -> list[tuple[float, float]]:
        """The (minutes, value) points drawn for one session and vital."""
        curve = self.curves.get((session_id, vital))
        if curve is None:
            return []
        x, y = curve.getData()
        return [(float(a), float(b)) for a, b in zip(x, y, strict=True)]

    # -- table ---------------------------------------------------------------------------

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            s = entry.session
            started = fmt_datetime(s.started_at)
            if s.id == self.current_session_id:
                started += "  (this session)"
            if entry.aligned is None:
                started += "  — no infusion end"
            cells = [started, str(entry.reading_count), alert_text(entry.worst_alert),
                     s.status.value, *(change_text(entry.changes[v]) for v in TABLE_VITALS)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, s.id)
                if s.id == self.current_session_id:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        if self.entries:
            self.table.selectRow(0)

    def row_texts(self, row: int) -> list[str]:
        return [self.table.item(row, c).text() for c in range(self.table.columnCount())]

    def _open_row(self, row: int) -> None:
        if 0 <= row < len(self.entries):
            self.openRequested.emit(self.entries[row].session.id or 0)
            self.accept()

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._open_row(rows[0].row())

