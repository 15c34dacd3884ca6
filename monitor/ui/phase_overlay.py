"""Phases on the chart's time axis: pre-infusion baseline, infusion and recovery as lightly
shaded spans, and the discharge time as a line. Drawn on the chart's plots (an overlay),
created once and moved in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ..domain.sessions import Phase, Session
from .chart import VitalsChart


@dataclass(frozen=True)
class PhaseSpan:
    phase: Phase
    start: datetime
    end: datetime


#: Light tints, readable under the threshold bands in both themes (RGBA).
PHASE_COLOURS = {Phase.BASELINE: (66, 133, 244, 22), Phase.INFUSION: (142, 36, 170, 28),
                 Phase.RECOVERY: (46, 125, 50, 18)}
DISCHARGE_MARGIN_S = 10 * 60
PHASE_LABELS = {Phase.BASELINE: "baseline", Phase.INFUSION: "infusion",
                Phase.RECOVERY: "recovery"}


def phase_spans(session: Session, now: datetime) -> list[PhaseSpan]:
    """The spans of each phase that has begun, up to discharge (or ``now``)."""
    inf = session.infusion
    stop = session.closed_at or now
    spans: list[PhaseSpan] = []
    if session.started_at and inf.started_at and session.started_at < inf.started_at:
        spans.append(PhaseSpan(Phase.BASELINE, session.started_at, inf.started_at))
    if inf.started_at:
        end = inf.ended_at if inf.ended_at and inf.ended_at <= stop else stop
        if end > inf.started_at:
            spans.append(PhaseSpan(Phase.INFUSION, inf.started_at, end))
    if inf.ended_at and stop > inf.ended_at:
        spans.append(PhaseSpan(Phase.RECOVERY, inf.ended_at, stop))
    return spans


class PhaseOverlay:
    """Keeps the chart's phase spans and discharge line in step with the open session."""

    def __init__(self, chart: VitalsChart):
        self.chart = chart
        self.regions: dict[Phase, list[pg.LinearRegionItem]] = {}
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
                    pg.InfLineLabel(region.lines[0], text=PHASE_LABELS[phase], position=0.06,
                                    anchor=(-0.05, 0.0), color=chart.theme.muted)
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

    def show_session(self, session: Session | None, now: datetime) -> None:
        """Shade the phases of ``session`` (nothing when None)."""
        spans = {s.phase: s for s in phase_spans(session, now)} if session else {}
        for phase, items in self.regions.items():
            span = spans.get(phase)
            for region in items:
                region.setVisible(span is not None)
                if span is not None:
                    region.setRegion((span.start.timestamp(), span.end.timestamp()))
        closed = session.closed_at if session else None
        for line in self.discharge_lines:
            line.setVisible(closed is not None)
            if closed is not None:
                line.setValue(closed.timestamp())
        if closed is not None:
            # The chart fits its readings; make sure the discharge line is in view too.
            view = self.chart.plots[0].getViewBox()
            lo, hi = view.viewRange()[0]
            at = closed.timestamp()
            if not lo <= at <= hi - DISCHARGE_MARGIN_S:
                view.setXRange(min(lo, at - DISCHARGE_MARGIN_S), max(hi, at + DISCHARGE_MARGIN_S),
                               padding=0)

    def visible_phases(self) -> dict[Phase, tuple[float, float]]:
        """The spans drawn now, as (start, end) timestamps (for tests)."""
        return {phase: tuple(items[0].getRegion()) for phase, items in self.regions.items()
                if items[0].isVisible()}
