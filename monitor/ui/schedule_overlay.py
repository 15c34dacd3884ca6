"""Due times of the reading schedule, marked on the chart as short ticks along the bottom
of every plot: violet for times still to come, grey for those a reading met, orange and
taller for those missed. Full-height dashed lines stay reserved for the infusion."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pyqtgraph as pg
from PySide6.QtCore import QObject

from ..domain.schedule import EARLY_FRACTION
from .alert_controller import AlertController
from .chart import VitalsChart
from .formatting import fmt_time
from .theme import ThemeName

#: How far past now due times are marked: the chart shows a little of the future.
HORIZON = timedelta(minutes=60)
#: At most this many ticks: a session left open for days would otherwise mark thousands of
#: hourly due times, each a graphics item on every plot.
MAX_MARKS = 120
#: The gap assumed before the first due time when there is only one.
FALLBACK_INTERVAL = timedelta(minutes=15)


class DueStatus(StrEnum):
    UPCOMING = "upcoming"  # in the future, or past but still within the grace period
    MET = "met"  # a reading was taken for it in time
    MISSED = "missed"  # its grace period passed without a reading


@dataclass(frozen=True)
class DueMark:
    at: datetime
    status: DueStatus


def due_marks(due: Sequence[datetime], reading_times: Sequence[datetime], now: datetime,
              grace: timedelta) -> list[DueMark]:
    """Each due time with whether it was met: a reading from a third of its interval early
    (as the schedule counts it) up to the end of its grace period. ``reading_times`` must be
    sorted."""
    marks: list[DueMark] = []
    for index, moment in enumerate(due):
        if index > 0:
            interval = moment - due[index - 1]
        elif len(due) > 1:
            interval = due[1] - moment
        else:
            interval = FALLBACK_INTERVAL
        earliest, latest = moment - interval * EARLY_FRACTION, moment + grace
        first = bisect_left(reading_times, earliest)
        if first < len(reading_times) and reading_times[first] <= latest:
            status = DueStatus.MET
        elif now > latest:
            status = DueStatus.MISSED
        else:
            status = DueStatus.UPCOMING
        marks.append(DueMark(moment, status))
    return marks


#: (colour in the light theme, in the dark theme, share of the plot's height)
STYLE: dict[DueStatus, tuple[str, str, float]] = {
    DueStatus.UPCOMING: ("#5e35b1", "#b39ddb", 0.08),
    DueStatus.MET: ("#8a939e", "#6b7480", 0.05),
    DueStatus.MISSED: ("#e65100", "#ffa726", 0.12),
}


class DueTimeOverlay(QObject):
    """Keeps the due-time ticks on ``chart`` in step with the schedule, the session, the
    readings, the theme and the passing of time."""

    def __init__(self, chart: VitalsChart, alerts: AlertController):
        super().__init__(chart)
        self.setObjectName("dueTimeOverlay")
        self.chart = chart
        self.alerts = alerts
        self._items: list[list[pg.InfiniteLine]] = [[] for _ in chart.plots]
        self._drawn: tuple[ThemeName, tuple[DueMark, ...]] | None = None
        self._reading_times: list[datetime] = []
        alerts.scheduleChanged.connect(self.redraw)
        alerts.profileChanged.connect(self.redraw)  # the grace period may have changed
        alerts.sessions.sessionChanged.connect(self._readings_changed)
        alerts.sessions.readingsChanged.connect(self._readings_changed)
        # Once a second: a due time becomes missed, or the theme was switched.
        alerts.ticked.connect(self.redraw)
        self._readings_changed()

    def _readings_changed(self) -> None:
        # Sorted once here rather than on every tick: a device feed can hold many readings.
        self._reading_times = sorted(r.taken_at for r in
                                     self.alerts.sessions.current_readings())
        self.redraw()

    def marks(self) -> list[DueMark]:
        """The due times of the open session, up to an hour from now, with their status."""
        session = self.alerts.sessions.session
        if session is None:
            return []
        now = self.alerts.clock()
        until = session.closed_at or now + HORIZON
        due = self.alerts.due_times(until)[-MAX_MARKS:]
        grace = timedelta(minutes=self.alerts.settings.overdue_grace_minutes)
        return due_marks(due, self._reading_times, now, grace)

    def redraw(self) -> None:
        """Redraw the ticks when what they show has changed."""
        marks = tuple(self.marks())
        theme = self.chart.theme
        if self._drawn == (theme.name, marks):
            return
        self._drawn = (theme.name, marks)
        dark = theme.name is ThemeName.DARK
        for plot, items in zip(self.chart.plots, self._items, strict=True):
            for item in items:
                plot.removeItem(item)
            items.clear()
            for mark in marks:
                light_colour, dark_colour, height = STYLE[mark.status]
                line = pg.InfiniteLine(
                    pos=mark.at.timestamp(), angle=90, movable=False, span=(0, height),
                    pen=pg.mkPen(dark_colour if dark else light_colour, width=2))
                line.setZValue(5)
                line.setToolTip(f"Reading due {fmt_time(mark.at)}: {mark.status.value}")
                plot.addItem(line)
                items.append(line)

    def drawn(self, plot_index: int = 0) -> list[tuple[float, str]]:
        """What plot ``plot_index`` shows: (timestamp, colour) of each tick."""
        return [(float(item.value()), item.pen.color().name())
                for item in self._items[plot_index]]


def install_due_overlay(chart: VitalsChart, alerts: AlertController) -> DueTimeOverlay:
    """Mark the reading schedule's due times on ``chart``."""
    return DueTimeOverlay(chart, alerts)
