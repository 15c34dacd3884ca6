"""Phases on the chart's time axis: pre-infusion baseline, infusion and recovery as lightly
shaded spans, and the discharge time as a line. Drawn on the chart's plots (an overlay),
created once and moved in place. Which spans there are is the domain's (domain.phases); the
export draws them with the same overlay on its own chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import pyqtgraph as pg
from PySide6.QtCore import Qt

from monitor.domain.phases import PHASE_LABELS, PhaseSpan, phase_spans
from monitor.domain.sessions import Phase, Session
from monitor.ui.chart.chart import LineLabel, VitalsChart

__all__ = ["PHASE_COLOURS", "PHASE_LABELS", "PhaseOverlay", "PhaseSpan", "phase_spans"]

#: Light tints, readable under the threshold bands in both themes (RGBA).
PHASE_COLOURS = {Phase.BASELINE: (66, 133, 244, 22), Phase.INFUSION: (142, 36, 170, 28),
                 Phase.RECOVERY: (46, 125, 50, 18)}
DISCHARGE_MARGIN_S = 10 * 60


class PhaseOverlay:
    """Keeps the chart's phase spans and discharge line in step with the open session.

    ``x`` places a moment on the chart's time axis: epoch seconds on the live chart; the
    export counts from its own origin."""

    def __init__(self, chart: VitalsChart, x: Callable[[datetime], float] = datetime.timestamp):
        self.chart = chart
        self.x = x
        self.regions: dict[Phase, list[pg.LinearRegionItem]] = {}
        #: The name of each phase, on the top plot at the start of its span.
        self.labels: dict[Phase, pg.InfLineLabel] = {}
        self.discharge_lines: list[pg.InfiniteLine] = []
        for phase, colour in PHASE_COLOURS.items():
            items = []
            for index, plot in enumerate(chart.plots):
                region = pg.LinearRegionItem(values=(0, 1), orientation="vertical",
                                             movable=False, brush=pg.mkBrush(*colour),
                                             pen=pg.mkPen(None))
                region.setZValue(-20)
                region.setVisible(False)
                if index == 0:
                    self.labels[phase] = pg.InfLineLabel(
                        region.lines[0], text=PHASE_LABELS[phase], color=chart.theme.muted)
                plot.addItem(region, ignoreBounds=True)
                items.append(region)
            self.regions[phase] = items
        for index, plot in enumerate(chart.plots):
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen(chart.theme.text, width=1.5,
                                                style=Qt.PenStyle.SolidLine),
                                   label="discharged" if index == 0 else None,
                                   labelOpts={"position": 0.8, "color": chart.theme.text})
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self.discharge_lines.append(line)
        # Laid out by the chart with its other labels: the phase names along the bottom,
        # each inside its own span (never left of its start, which would seem to name the
        # phase before; at the left edge while its start is out of view), the discharge
        # with the labels along the top.
        chart.set_line_labels("phases", [
            LineLabel(label, PHASE_LABELS[phase], edge="bottom", flip=False, optional=True,
                      reaches=self.regions[phase][0].lines[1])
            for phase, label in self.labels.items()])
        chart.set_line_labels("discharge", [
            LineLabel(self.discharge_lines[0].label, "discharged")])

    def show_session(self, session: Session | None, now: datetime) -> None:
        """Shade the phases of ``session`` (nothing when None)."""
        closed = session.closed_at if session else None
        self.show_spans(phase_spans(session, now) if session else [], closed)
        if closed is not None:
            # The chart fits its readings; make sure the discharge line is in view too.
            view = self.chart.plots[0].getViewBox()
            lo, hi = view.viewRange()[0]
            at = self.x(closed)
            if not lo <= at <= hi - DISCHARGE_MARGIN_S:
                view.setXRange(min(lo, at - DISCHARGE_MARGIN_S), max(hi, at + DISCHARGE_MARGIN_S),
                               padding=0)

    def show_spans(self, spans: Sequence[PhaseSpan], discharged_at: datetime | None) -> None:
        """Shade ``spans`` (one per phase at most) and mark ``discharged_at`` (None: no
        line), leaving the view where it is."""
        by_phase = {s.phase: s for s in spans}
        for phase, items in self.regions.items():
            span = by_phase.get(phase)
            for region in items:
                region.setVisible(span is not None)
                if span is not None:
                    region.setRegion((self.x(span.start), self.x(span.end)))
        for line in self.discharge_lines:
            line.setVisible(discharged_at is not None)
            if discharged_at is not None:
                line.setValue(self.x(discharged_at))
        self.chart.labels_changed()

    def visible_phases(self) -> dict[Phase, tuple[float, float]]:
        """The spans drawn now, as (start, end) on the time axis (for tests)."""
        return {phase: tuple(items[0].getRegion()) for phase, items in self.regions.items()
                if items[0].isVisible()}
