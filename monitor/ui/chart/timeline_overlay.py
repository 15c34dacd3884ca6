"""Sedation scores and clinical events on the vitals chart, and in a short list beside it.

Each entry is a thin vertical line through every plot at its time, labelled on the blood
pressure plot with its short text (``RASS −2``, ``Nausea``); the tooltip carries the note
and who charted it. The chart lays the labels out: entries close together are stacked, and
where there is no room left, neighbours share one label (``3 events``). Everything is redrawn
when AlertController.timelineChanged fires."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.events import SedationEntry, TimelineEntry, in_time_order
from monitor.ui import shortcuts
from monitor.ui.chart.chart import LineLabel, VitalsChart, label_format
from monitor.ui.entry.timeline_dialog import TimelineDialog, score_text
from monitor.ui.formatting import fmt_time
from monitor.ui.theme import Theme, ThemeName
from monitor.ui.theme_watch import ThemeWatcher

#: Marker colours: sedation scores and events must not look like the infusion lines.
MARKER_COLOURS = {
    ThemeName.LIGHT: {"sedation": "#4527a0", "event": "#ad1457"},
    ThemeName.DARK: {"sedation": "#b39ddb", "event": "#f48fb1"},
}
#: What a label standing for several entries calls them: ``3 events``.
COLLAPSED_WORD = "events"
SHORTCUT = shortcuts.SEDATION_OR_EVENT


def short_text(entry: TimelineEntry) -> str:
    """What the marker says: ``RASS −2``, ``MOAA/S 4``, ``Nausea``."""
    if isinstance(entry, SedationEntry):
        return score_text(entry.scale, entry.score)
    return entry.kind.label


def long_text(entry: TimelineEntry) -> str:
    """Time, full text, note and initials: the tooltip and the list row."""
    if isinstance(entry, SedationEntry):
        text = f"{score_text(entry.scale, entry.score)} {entry.description}"
        if entry.note:
            text += f": {entry.note}"
    else:
        text = entry.text
    return f"{fmt_time(entry.at)}  {text}  ({entry.entered_by})"


def _translucent(colour: str) -> QColor:
    # Labels sit on the data: keep them readable without hiding the curve beneath.
    result = QColor(colour)
    result.setAlpha(190)
    return result


class TimelineOverlay(QObject):
    """Draws timeline entries on a VitalsChart through its public plots.

    ``x`` places a moment on the chart's time axis (epoch seconds on the live chart; the
    export counts from its own origin) and ``label`` words each marker (the export, which
    has no tooltips, adds the note)."""

    def __init__(self, chart: VitalsChart, x: Callable[[datetime], float] = datetime.timestamp,
                 label: Callable[[TimelineEntry], str] = short_text):
        super().__init__(chart)
        self.chart = chart
        self._x = x
        self._label = label
        self._items: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._entries: list[TimelineEntry] = []
        self._markers: list[tuple[float, str, str]] = []

    def show_entries(self, entries: Sequence[TimelineEntry]) -> None:
        """Replace the markers with one per entry."""
        self._entries = in_time_order(entries)
        self._redraw()

    def set_theme(self, _theme: Theme | None = None) -> None:
        self._redraw()

    def markers(self) -> list[tuple[float, str, str]]:
        """(time, label, tooltip) of each marker drawn, in time order."""
        return list(self._markers)

    def _redraw(self) -> None:
        for plot, item in self._items:
            plot.removeItem(item)
        self._items, self._markers = [], []
        colours = MARKER_COLOURS[self.chart.theme.name]
        plots = self.chart.plots
        labels: list[LineLabel] = []
        for entry in self._entries:
            colour = colours["sedation" if isinstance(entry, SedationEntry) else "event"]
            label, tip = self._label(entry), long_text(entry)
            for index, plot in enumerate(plots):
                line = pg.InfiniteLine(
                    pos=self._x(entry.at), angle=90, movable=False,
                    pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DotLine),
                    label=label_format(label) if index == 0 else None,
                    labelOpts={"color": colour,
                               "fill": _translucent(self.chart.theme.surface)},
                )
                line.setZValue(5)
                line.setToolTip(tip)
                label_item = getattr(line, "label", None)  # only where a label was asked for
                if label_item is not None:
                    label_item.setToolTip(tip)
                    labels.append(LineLabel(label_item, label, tip, collapse=COLLAPSED_WORD))
                plot.addItem(line)
                self._items.append((plot, line))
            self._markers.append((self._x(entry.at), label, tip))
        self.chart.set_line_labels("timeline", labels)


class TimelineList(QFrame):
    """The session's sedation scores and events, newest first, with an Add button."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timelinePanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel("Sedation and events")
        self.title.setStyleSheet("font-weight: 600;")
        self.list = QListWidget()
        self.list.setObjectName("timelineList")
        self.list.setMaximumHeight(64)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.add_button = QPushButton("Add…")
        self.add_button.setObjectName("addTimelineButton")
        self.add_button.setToolTip(f"Session > Add sedation score or event… ({SHORTCUT})")
        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        layout.addLayout(heading)
        layout.addWidget(self.list)
        self.setMaximumHeight(100)

    def show_entries(self, entries: Sequence[TimelineEntry]) -> None:
        self.list.clear()
        ordered = in_time_order(entries)
        if not ordered:
            self.list.addItem("none recorded")
        for entry in reversed(ordered):
            self.list.addItem(long_text(entry))
            self.list.item(self.list.count() - 1).setToolTip(long_text(entry))

    def rows(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]


def install_timeline(window: Any) -> tuple[TimelineOverlay, TimelineList]:
    """Markers on ``window``'s chart, a list in the column beside the chart, and the Session menu
    action (with its shortcut) that opens the dialog."""
    alerts = window.alerts
    overlay = TimelineOverlay(window.chart)
    panel = TimelineList()
    window.add_side_widget(panel, 1)

    def refresh() -> None:
        entries = alerts.timeline()
        overlay.show_entries(entries)
        panel.show_entries(entries)

    def open_dialog() -> None:
        if window.controller.read_only:
            return
        TimelineDialog(alerts.add_timeline_entry, window.controller.clock, window).exec()

    alerts.timelineChanged.connect(refresh)
    action = window.add_menu_action("&Session", "Add sedation score or e&vent…", open_dialog,
                                    SHORTCUT, "addTimelineEntryAction")
    panel.add_button.clicked.connect(open_dialog)

    def enable() -> None:
        """Nothing is added to a closed session (or a read-only database), unless an
        amendment with its reason is under way."""
        writable = not window.controller.read_only
        action.setEnabled(writable)
        panel.add_button.setEnabled(writable)
        panel.add_button.setToolTip(
            f"Session > Add sedation score or event… ({SHORTCUT})" if writable
            else "Not now: the session is closed (or the database is open read-only)")

    window.controller.sessionChanged.connect(enable)
    window.controller.amendmentChanged.connect(enable)
    enable()
    ThemeWatcher(window.chart, lambda: window.theme, overlay.set_theme)
    refresh()
    return overlay, panel
