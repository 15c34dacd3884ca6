"""Due times of the reading schedule, marked on the chart as short ticks along the bottom
of every plot: violet for times still to come, grey for those a reading met, orange and
taller for those missed. Full-height dashed lines stay reserved for the infusion. Only the
drawing lives here: whether a due time was met is domain.due_status's rule."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QObject, QRectF
from PySide6.QtGui import QPainter, QPen

from monitor.domain.due_status import DueMark, DueStatus, due_marks
from monitor.domain.sessions import Session
from monitor.ui.chart.chart import VitalsChart
from monitor.ui.formatting import fmt_time
from monitor.ui.theme import ThemeName

if TYPE_CHECKING:  # the export's renderer draws DueTicks without the window's controllers
    from monitor.ui.alerts.alert_controller import AlertController

#: How far past now due times are marked: the chart shows a little of the future.
HORIZON = timedelta(minutes=60)
#: At most this many ticks: a session left open for days would otherwise mark thousands of
#: hourly due times, each a graphics item on every plot.
MAX_MARKS = 120
#: How much further than asked the due times are worked out, so the once-a-second redraw
#: reuses them.
DUE_AHEAD = timedelta(minutes=10)


#: (colour in the light theme, in the dark theme, share of the plot's height)
STYLE: dict[DueStatus, tuple[str, str, float]] = {
    DueStatus.UPCOMING: ("#5e35b1", "#b39ddb", 0.08),
    DueStatus.MET: ("#8a939e", "#6b7480", 0.05),
    DueStatus.MISSED: ("#e65100", "#ffa726", 0.12),
}


class DueTicks(pg.GraphicsObject):
    """Every due-time tick of one plot in one graphics item: short vertical lines rising
    from the bottom of the plot to a share of its height, whatever its y range. One item
    updated in place, not one InfiniteLine per due time: a day-long session marks over a
    hundred due times on each plot, and building that many items took a third of the time
    to open it. Hovering a tick shows when it was due and its status."""

    #: How near the pointer must be to a tick, in pixels, for its tooltip.
    HOVER_PX = 4

    def __init__(self) -> None:
        super().__init__()
        self._ticks: list[tuple[float, float, str]] = []  # (time, share of height, tooltip)
        self._pens: list[tuple[QPen, list[int]]] = []  # pen, indexes of its ticks
        self._colours: list[str] = []
        self._bounds = QRectF()
        self.setZValue(5)

    def set_ticks(self, ticks: Sequence[tuple[float, str, float, str]]) -> None:
        """Show ``ticks``: (timestamp, colour, share of the plot's height, tooltip)."""
        self._ticks = [(at, height, tip) for at, _, height, tip in ticks]
        self._colours = [colour for _, colour, _, _ in ticks]
        by_colour: dict[str, list[int]] = {}
        for index, colour in enumerate(self._colours):
            by_colour.setdefault(colour, []).append(index)
        self._pens = [(pg.mkPen(colour, width=2), indexes)
                      for colour, indexes in by_colour.items()]
        self._update_bounds()
        self.update()

    def ticks(self) -> list[tuple[float, str]]:
        """(timestamp, colour) of each tick shown."""
        return [(at, colour) for (at, _, _), colour in zip(self._ticks, self._colours,
                                                           strict=True)]

    def viewTransformChanged(self) -> None:
        super().viewTransformChanged()
        self._update_bounds()

    def _update_bounds(self) -> None:
        view = self.viewRect()
        bounds = QRectF()
        if view is not None and self._ticks:
            pad = (self.pixelWidth() or 0.0) * 2
            times = [at for at, _, _ in self._ticks]
            tallest = max(height for _, height, _ in self._ticks)
            bounds = QRectF(min(times) - pad, view.top(), max(times) - min(times) + 2 * pad,
                            view.height() * tallest)
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def paint(self, painter: QPainter, *_args: object) -> None:
        view = self.viewRect()
        if view is None:
            return
        left, right, bottom, height = view.left(), view.right(), view.top(), view.height()
        for pen, indexes in self._pens:
            lines = [QLineF(at, bottom, at, bottom + share * height)
                     for at, share, _ in (self._ticks[i] for i in indexes)
                     if left <= at <= right]
            if lines:
                painter.setPen(pen)
                painter.drawLines(lines)

    def tooltip_at(self, x: float, y: float) -> str:
        """The tooltip of the tick under (x, y) in plot coordinates, '' for none."""
        view = self.viewRect()
        if view is None:
            return ""
        near = (self.pixelWidth() or 0.0) * self.HOVER_PX
        best = min(self._ticks, key=lambda tick: abs(tick[0] - x), default=None)
        if best is None or abs(best[0] - x) > near \
                or y > view.top() + best[1] * view.height():
            return ""
        return best[2]

    def hoverEvent(self, event: object) -> None:
        if event.isExit():
            self.setToolTip("")
            return
        pos = event.pos()
        self.setToolTip(self.tooltip_at(pos.x(), pos.y()))


class DueTimeOverlay(QObject):
    """Keeps the due-time ticks on ``chart`` in step with the schedule, the session, the
    readings, the theme and the passing of time."""

    def __init__(self, chart: VitalsChart, alerts: AlertController):
        super().__init__(chart)
        self.setObjectName("dueTimeOverlay")
        self.chart = chart
        self.alerts = alerts
        self._items: list[DueTicks] = []
        for plot in chart.plots:
            item = DueTicks()
            plot.addItem(item, ignoreBounds=True)
            self._items.append(item)
        self._drawn: tuple[ThemeName, tuple[DueMark, ...]] | None = None
        self._due: tuple[tuple[object, ...], datetime, list[datetime]] | None = None
        alerts.scheduleChanged.connect(self.redraw)
        alerts.profileChanged.connect(self.redraw)  # the grace period may have changed
        alerts.sessions.sessionChanged.connect(self.redraw)
        alerts.sessions.readingsChanged.connect(self.redraw)
        # Once a second: a due time becomes missed.
        alerts.ticked.connect(self.redraw)
        chart.themeChanged.connect(self.redraw)
        self.redraw()

    def marks(self) -> list[DueMark]:
        """The due times of the open session, up to an hour from now, with their status
        (while a long session loads, only those its loaded readings can tell)."""
        sessions = self.alerts.sessions
        session = sessions.session
        if session is None:
            return []
        now = self.alerts.clock()
        until = session.closed_at or now + HORIZON
        due = self._due_times(session, now, until)[-MAX_MARKS:]
        grace = timedelta(minutes=self.alerts.settings.overdue_grace_minutes)
        return due_marks(due, sessions.current_readings(), now, grace,
                         known_from=sessions.complete_from)

    def _due_times(self, session: Session, now: datetime, until: datetime) -> list[datetime]:
        """``alerts.due_times(until)``, from a list computed a little further ahead while
        what it depends on stays the same: the overlay asks several times as a session
        opens and then every second, and a session left open for days has thousands."""
        ended = session.infusion.ended_at
        key = (session, self.alerts.schedule(), ended is not None and ended > now)
        kept = self._due
        if kept is None or kept[0] != key or kept[1] < until:
            ahead = until if session.closed_at else until + DUE_AHEAD
            kept = self._due = (key, ahead, self.alerts.due_times(ahead))
        due = kept[2]
        return due[:bisect_right(due, until)]

    def redraw(self) -> None:
        """Redraw the ticks when what they show has changed."""
        marks = tuple(self.marks())
        theme = self.chart.theme
        if self._drawn == (theme.name, marks):
            return
        self._drawn = (theme.name, marks)
        dark = theme.name is ThemeName.DARK
        ticks = []
        for mark in marks:
            light_colour, dark_colour, height = STYLE[mark.status]
            ticks.append((mark.at.timestamp(), dark_colour if dark else light_colour, height,
                          f"Reading due {fmt_time(mark.at)}: {mark.status.value}"))
        for item in self._items:
            item.set_ticks(ticks)

    def drawn(self, plot_index: int = 0) -> list[tuple[float, str]]:
        """What plot ``plot_index`` shows: (timestamp, colour) of each tick."""
        return self._items[plot_index].ticks()


def install_due_overlay(chart: VitalsChart, alerts: AlertController) -> DueTimeOverlay:
    """Mark the reading schedule's due times on ``chart``, and let its time axis run on to
    now by the window's clock while the open session is live (not shown as recorded: closed,
    or from a read-only database), moving on with the controller's tick."""
    overlay = DueTimeOverlay(chart, alerts)

    def live() -> bool:
        return alerts.sessions.session is not None and not alerts.passive()

    chart.set_clock(lambda: alerts.clock(), live)
    alerts.ticked.connect(chart.fit_time_range)
    return overlay
