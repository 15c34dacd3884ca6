"""The live vitals chart: four stacked plots on one wall-clock axis, with threshold bands.

Plots and curves are created once and updated in place with ``setData`` (STYLE.md); a
profile change only rebuilds the cheap band items."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor

from monitor.domain.readings import Reading
from monitor.domain.thresholds import Severity, ThresholdProfile
from monitor.domain.vectorized import severity_codes
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.ui.theme import LIGHT, Theme

ALL_VITALS: tuple[Vital, ...] = tuple(Vital)
NOT_MEASURED: tuple[float, ...] = (np.nan,) * len(ALL_VITALS)
#: Above this many points per series, per-point symbols cost more than they tell.
SYMBOL_LIMIT = 600
MARGIN_BEFORE_S = 5 * 60
MARGIN_AFTER_S = 15 * 60
MIN_AHEAD_S = 2 * 60  # room kept to the right of the newest point before the view moves


@dataclass(frozen=True)
class Panel:
    title: str
    vitals: tuple[Vital, ...]
    y_range: tuple[float, float]  # shown at least; widened to fit the data
    banded: Vital  # the vital whose threshold bands are shaded
    lined: tuple[Vital, ...] = ()  # vitals whose limits are drawn as dashed lines
    shade_low: bool = True  # False where another series lives in the low band (DBP)


PANELS: tuple[Panel, ...] = (
    # Diastolic values sit where systolic's low bands would be, so systolic's low limits
    # are drawn as lines there instead of shading.
    Panel("Blood pressure  mmHg", (Vital.SBP, Vital.DBP, Vital.MAP), (40, 200), Vital.SBP,
          (Vital.DBP,), shade_low=False),
    Panel("Heart rate  /min", (Vital.HR,), (30, 150), Vital.HR),
    Panel("Respiratory rate  /min", (Vital.RR,), (0, 40), Vital.RR),
    Panel("SpO2  %", (Vital.SPO2,), (84, 101), Vital.SPO2),
)


class VitalsChart(pg.GraphicsLayoutWidget):
    """Stacked plots of every vital against time, threshold bands shaded, flagged points
    marked (triangle for caution, cross for critical: shape as well as colour)."""

    #: set_theme recoloured the chart: overlays recolour theirs.
    themeChanged = Signal()

    def __init__(self, theme: Theme = LIGHT, parent: object = None):
        super().__init__(parent=parent)
        self.setObjectName("vitalsChart")
        self.setAccessibleName("vitalsChart")
        self._theme = theme
        self._profile: ThresholdProfile | None = None
        self._baseline: Mapping[Vital, float] = {}
        self._readings: list[Reading] = []
        self._source: list[Reading] = []  # what set_readings was given, in-error included
        self._x_range: tuple[float, float] | None = None
        self._y_ranges: dict[int, tuple[float, float]] = {}
        self._flag_state: dict[tuple[Vital, int], bool] = {}
        self._codes: dict[Vital, np.ndarray] = {}  # valid for the cached rows only
        self._extents: dict[Vital, tuple[int, tuple[float, float] | None]] = {}
        self._plots: list[pg.PlotItem] = []
        self._curves: dict[Vital, pg.PlotDataItem] = {}
        self._flags: dict[Vital, tuple[pg.ScatterPlotItem, pg.ScatterPlotItem]] = {}
        self._flag_lines: dict[Vital, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._times = np.array([], dtype=np.float64)
        self._values = np.empty((0, len(ALL_VITALS)), dtype=np.float64)
        self._head_id: int | None = None
        self._tail_id: int | None = None
        self._bands: dict[int, list[pg.GraphicsObject]] = {}
        self._bands_drawn: tuple[Theme, ThresholdProfile | None] | None = None
        #: Per plot, the infusion start and end lines (hidden while there is none).
        self._markers: list[tuple[pg.InfiniteLine, pg.InfiniteLine]] = []
        self._infusion: tuple[datetime | None, datetime | None] = (None, None)
        self._note = ""
        self._expected: Callable[[], int] = lambda: 0
        self._build()
        self.set_theme(theme)

    # -- construction --------------------------------------------------------------------

    def _build(self) -> None:
        first: pg.PlotItem | None = None
        for row, panel in enumerate(PANELS):
            axis = pg.DateAxisItem(orientation="bottom")
            plot = self.addPlot(row=row, col=0, axisItems={"bottom": axis})
            plot.setTitle(panel.title, justify="left", size="11pt")
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=True, y=False)
            # Time grid only: pyqtgraph's alpha-blended horizontal grid doubled the cost of
            # every repaint (measured with monitor.bench chart), and the shaded threshold
            # bands already give the eye its vertical reference.
            plot.showGrid(x=True, y=False, alpha=0.25)
            plot.setClipToView(True)
            plot.setDownsampling(mode="peak", auto=True)
            plot.getAxis("left").setWidth(48)
            plot.setYRange(*panel.y_range, padding=0.02)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            if row < len(PANELS) - 1:
                axis.setStyle(showValues=False)
            for vital in panel.vitals:
                curve = plot.plot(name=VITAL_SPECS[vital].abbreviation)
                curve.setZValue(10)
                self._curves[vital] = curve
                pair = (pg.ScatterPlotItem(), pg.ScatterPlotItem())
                for flags in pair:
                    flags.setZValue(20)
                    plot.addItem(flags)
                self._flags[vital] = pair
                lines = (plot.plot(), plot.plot())
                for line in lines:
                    line.setZValue(15)
                self._flag_lines[vital] = lines
            if len(panel.vitals) > 1:
                legend = plot.addLegend(offset=(-10, 5))
                for vital in panel.vitals:
                    legend.addItem(self._curves[vital], VITAL_SPECS[vital].abbreviation)
            markers = tuple(
                pg.InfiniteLine(pos=0, angle=90, movable=False,
                                label=label if row == 0 else None,
                                labelOpts={"position": 0.95})
                for label in ("infusion start", "infusion end"))
            for line in markers:
                line.setVisible(False)
                plot.addItem(line, ignoreBounds=True)
            self._markers.append(markers)  # type: ignore[arg-type]
            self._plots.append(plot)

    # -- public API ----------------------------------------------------------------------

    def set_theme(self, theme: Theme) -> None:
        """Recolour everything for ``theme``."""
        self._theme = theme
        self.setBackground(theme.surface)
        for plot in self._plots:
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pg.mkPen(theme.muted))
                axis.setTextPen(pg.mkPen(theme.text))
            plot.titleLabel.setText(plot.titleLabel.text, color=theme.text)
        for vital, curve in self._curves.items():
            colour = theme.series[vital]
            width = 1 if vital is Vital.MAP else 2
            style = Qt.PenStyle.DashLine if vital is Vital.MAP else Qt.PenStyle.SolidLine
            curve.setPen(pg.mkPen(colour, width=width, style=style))
            curve.setSymbolBrush(pg.mkBrush(colour))
            curve.setSymbolPen(pg.mkPen(colour))
        self._style_flags()
        self._redraw_bands()
        self._redraw_markers()
        self._update_data()
        self.themeChanged.emit()

    def set_profile(self, profile: ThresholdProfile, baseline: Mapping[Vital, float]) -> None:
        """Draw the bands of ``profile`` and re-classify every point against it."""
        self._profile = profile
        self._baseline = dict(baseline)
        self._codes = {}
        self._redraw_bands()
        self._update_data()

    def set_readings(self, readings: Sequence[Reading]) -> None:
        """Show ``readings`` (only current ones are plotted; corrected and in-error are not).
        A long session's readings loaded in the background come with their current ones
        and columns already made, which are used as they are."""
        columns = getattr(readings, "columns", None)
        current = getattr(readings, "current", None)
        if columns is not None and current is not None and len(columns) == len(current):
            self._readings = list(current)
            self._source = list(readings)
            self._times, self._values = columns.times, columns.values
            self._head_id = current[0].id if current else None
            self._tail_id = current[-1].id if current else None
            self._codes, self._extents = {}, {}
            self._update_data()
            return
        shown = len(self._source)
        if 0 < shown <= len(readings) and readings[shown - 1] is self._source[-1]:
            # The live case: the same list grew at the end; filter only what is new.
            self._readings.extend(r for r in readings[shown:] if r.is_current)
        else:
            self._readings = [r for r in readings if r.is_current]
        self._source = list(readings)
        self._update_data()

    def set_infusion(self, started: datetime | None, ended: datetime | None) -> None:
        """Mark the infusion start and end on the time axis."""
        self._infusion = (started, ended)
        self._redraw_markers()
        self.fit_time_range()

    def set_note(self, note: str) -> None:
        """Say something about the whole chart beside its first title (e.g. that a long
        session is still loading); '' removes it."""
        title = PANELS[0].title + (f"   ·   {note}" if note else "")
        self._plots[0].setTitle(title, justify="left", size="11pt", color=self._theme.text)
        self._note = note

    def set_expected_points(self, expected: Callable[[], int]) -> None:
        """Ask ``expected()`` how many points the chart is about to hold (0: only what it
        was given), and draw what it has as that many would be drawn: a long session's
        newest few hundred points are not drawn with symbols while the rest loads."""
        self._expected = expected

    def dense(self) -> bool:
        """True when points are drawn as a bare line (too many for per-point symbols)."""
        return max(len(self._times), self._expected()) > SYMBOL_LIMIT

    def note(self) -> str:
        """What :meth:`set_note` said last ('' for nothing)."""
        return self._note

    @property
    def plots(self) -> list[pg.PlotItem]:
        """The stacked plots, top (blood pressure) to bottom (SpO2), for overlays."""
        return list(self._plots)

    def plot_for(self, vital: Vital) -> pg.PlotItem:
        """The plot that shows ``vital``."""
        for index, panel in enumerate(PANELS):
            if vital in panel.vitals:
                return self._plots[index]
        raise KeyError(vital)

    @property
    def theme(self) -> Theme:
        return self._theme

    def series(self, vital: Vital) -> tuple[np.ndarray, np.ndarray]:
        """The (time, value) arrays plotted for ``vital``; NaN where not measured."""
        x, y = self._curves[vital].getOriginalDataset()
        if x is None:
            return np.array([]), np.array([])
        return np.asarray(x), np.asarray(y)

    def flagged(self, vital: Vital) -> list[tuple[float, float]]:
        """Points of ``vital`` drawn as out of range: (time, value)."""
        points = [(float(p["x"]), float(p["y"])) for item in self._flags[vital]
                  for p in item.data]
        return sorted(points)

    def band_limits(self, vital: Vital) -> list[tuple[float, float]]:
        """The shaded bands currently drawn for ``vital`` (lower, upper)."""
        for index, panel in enumerate(PANELS):
            if panel.banded is vital:
                return [tuple(item.getRegion()) for item in self._bands.get(index, [])
                        if isinstance(item, pg.LinearRegionItem)]
        return []

    def fit_time_range(self) -> None:
        """Show the whole session with a margin, and room ahead for the next readings."""
        times = [float(self._times[0]), float(self._times[-1])] if len(self._times) else []
        times += [t.timestamp() for t in self._infusion if t is not None]
        if not times:
            now = datetime.now().timestamp()
            times = [now - 3600, now]
        lo, newest = min(times) - MARGIN_BEFORE_S, max(times)
        shown = self._x_range
        # Move only when the newest point nears the right edge (or the session changed
        # shape): re-ranging makes every curve recompute, so a live feed should not do it
        # on every reading.
        if (shown is None or abs(lo - shown[0]) > 1 or newest + MIN_AHEAD_S > shown[1]
                or newest + 2 * MARGIN_AFTER_S < shown[1]):
            self._x_range = (lo, newest + MARGIN_AFTER_S)
            self._plots[0].setXRange(*self._x_range, padding=0)

    # -- drawing -------------------------------------------------------------------------

    def _columns(self) -> tuple[np.ndarray, np.ndarray]:
        """Times and a (readings x vitals) value matrix. When the readings only grew at the
        end (the live case), only the new ones are converted."""
        readings = self._readings
        n_old = len(self._times)
        grew = (
            0 < n_old <= len(readings)
            and readings[n_old - 1].id is not None
            and readings[n_old - 1].id == self._tail_id
            and readings[0].id == self._head_id
        )
        fresh = readings[n_old:] if grew else readings
        times = np.fromiter((r.taken_at.timestamp() for r in fresh), dtype=np.float64,
                            count=len(fresh))
        # map() over dict.get runs in C: a third of the time of a nested comprehension
        # when a long session is first drawn.
        values = np.array([tuple(map(r.values.get, ALL_VITALS, NOT_MEASURED)) for r in fresh],
                          dtype=np.float64).reshape(len(fresh), len(ALL_VITALS))
        if grew:
            times = np.concatenate([self._times, times])
            values = np.concatenate([self._values, values])
        else:
            self._codes = {}
            self._extents = {}
        self._times, self._values = times, values
        self._head_id = readings[0].id if readings else None
        self._tail_id = readings[-1].id if readings else None
        return times, values

    def _update_data(self) -> None:
        if not self._curves:
            return
        times, matrix = self._columns()
        dense = self.dense()
        symbol = None if dense else "o"
        for panel_index, panel in enumerate(PANELS):
            low, high = panel.y_range
            for vital in panel.vitals:
                values = matrix[:, ALL_VITALS.index(vital)]
                extent = self._extent(vital, values)
                if extent is not None:
                    curve = self._curves[vital]
                    if curve.opts["symbol"] != symbol:  # restyling costs a full redraw
                        curve.setSymbol(symbol)
                        curve.setSymbolSize(7)
                    curve.setData(times, values)
                    low = min(low, extent[0] - 5)
                    high = max(high, extent[1] + 5)
                else:
                    self._curves[vital].setData([], [])
                self._show_flags(vital, times, values, dense)
            if self._y_ranges.get(panel_index) != (low, high):
                self._y_ranges[panel_index] = (low, high)
                self._plots[panel_index].setYRange(low, high, padding=0.02)
        self.fit_time_range()

    def _extent(self, vital: Vital, values: np.ndarray) -> tuple[float, float] | None:
        """Lowest and highest value, looking only at values new since the last call when
        the readings just grew (the live case)."""
        seen, extent = self._extents.get(vital, (0, None))
        if seen > len(values) or seen == 0:
            seen, extent = 0, None
        tail = values[seen:]
        tail = tail[np.isfinite(tail)]
        if tail.size:
            lo, hi = float(tail.min()), float(tail.max())
            extent = (lo, hi) if extent is None else (min(extent[0], lo), max(extent[1], hi))
        self._extents[vital] = (len(values), extent)
        return extent

    def _show_flags(self, vital: Vital, times: np.ndarray, values: np.ndarray,
                    dense: bool) -> None:
        """Mark out-of-range points: triangles for caution, crosses for critical (on a
        dense chart, the out-of-range stretches of the line in the state colour)."""
        codes = self._codes_for(vital, values)
        for index, severity in enumerate((Severity.CAUTION, Severity.CRITICAL)):
            hit = codes == int(severity)
            item, overlay = self._flags[vital][index], self._flag_lines[vital][index]
            any_hit = bool(hit.any())
            if not any_hit and not self._flag_state.get((vital, index), True):
                continue  # nothing flagged now or before: leave the empty items alone
            self._flag_state[(vital, index)] = any_hit
            if any_hit and not dense:
                item.setData(x=times[hit], y=values[hit])
            else:
                item.clear()
            if any_hit and dense:
                # Thousands of symbols cost more than they tell: on a dense device feed
                # the out-of-range stretches are drawn over the line in the state colour,
                # only the flagged points, so the cost follows what is abnormal.
                index_hit = np.flatnonzero(hit)
                joined = np.append(np.diff(index_hit) == 1, False)  # break between stretches
                overlay.setData(times[index_hit], values[index_hit], connect=joined)
            else:
                overlay.setData([], [])

    def _codes_for(self, vital: Vital, values: np.ndarray) -> np.ndarray:
        """Severity per value, classifying only values not seen since the last change."""
        if self._profile is None:
            return np.zeros(len(values), dtype=np.int8)
        cached = self._codes.get(vital)
        known = 0 if cached is None or len(cached) > len(values) else len(cached)
        tail = severity_codes(self._profile, vital, values[known:], self._baseline)
        codes = np.concatenate([cached[:known], tail]) if known else tail
        self._codes[vital] = codes
        return codes

    def _style_flags(self) -> None:
        for caution_line, critical_line in self._flag_lines.values():
            caution_line.setPen(pg.mkPen(self._theme.severity[Severity.CAUTION], width=4))
            critical_line.setPen(pg.mkPen(self._theme.severity[Severity.CRITICAL], width=4))
        for caution, critical in self._flags.values():
            colour = self._theme.severity[Severity.CAUTION]
            caution.setSymbol("t1")
            caution.setSize(13)
            caution.setBrush(pg.mkBrush(colour))
            caution.setPen(pg.mkPen(colour, width=1.5))
            critical.setSymbol("x")
            critical.setSize(16)
            critical.setBrush(pg.mkBrush(self._theme.severity[Severity.CRITICAL]))
            critical.setPen(pg.mkPen(self._theme.text, width=1.5))

    def _redraw_bands(self) -> None:
        # Opening a session sets its profile again, usually the one already drawn; the
        # bands are a score of graphics items, rebuilt only when they would look different.
        drawn = (self._theme, self._profile)
        if drawn == self._bands_drawn:
            return
        self._bands_drawn = drawn
        for index, items in self._bands.items():
            for item in items:
                self._plots[index].removeItem(item)
        self._bands = {}
        if self._profile is None:
            return
        for index, panel in enumerate(PANELS):
            items: list[pg.GraphicsObject] = []
            spec = VITAL_SPECS[panel.banded]
            lim = self._profile.limits_for(panel.banded)
            regions = [
                (spec.plausible_min, lim.critical_low, self._theme.critical_band),
                (lim.critical_low, lim.caution_low, self._theme.caution_band),
                (lim.caution_high, lim.critical_high, self._theme.caution_band),
                (lim.critical_high, spec.plausible_max, self._theme.critical_band),
            ]
            if lim.caution_high is not None and lim.critical_high is None:
                regions[2] = (lim.caution_high, spec.plausible_max, self._theme.caution_band)
            if lim.caution_low is not None and lim.critical_low is None:
                regions[1] = (spec.plausible_min, lim.caution_low, self._theme.caution_band)
            lines: list[tuple[Vital, float | None, bool]] = []
            if not panel.shade_low:
                regions = regions[2:]
                lines += [(panel.banded, lim.critical_low, True),
                          (panel.banded, lim.caution_low, False)]
            for vital in panel.lined:
                dl = self._profile.limits_for(vital)
                lines += [(vital, dl.critical_low, True), (vital, dl.caution_low, False),
                          (vital, dl.caution_high, False), (vital, dl.critical_high, True)]
            for low, high, colour in regions:
                if low is None or high is None or high <= low:
                    continue
                region = pg.LinearRegionItem(
                    values=(low, high), orientation="horizontal", movable=False,
                    brush=pg.mkBrush(QColor(*colour)), pen=pg.mkPen(None),
                )
                region.setZValue(-10)
                items.append(region)
            for vital, value, critical in lines:
                if value is None:
                    continue
                line = pg.InfiniteLine(
                    pos=value, angle=0, movable=False,
                    pen=pg.mkPen(self._theme.series[vital], width=1,
                                 style=Qt.PenStyle.DashLine if critical
                                 else Qt.PenStyle.DotLine),
                )
                line.setZValue(-5)
                items.append(line)
            for item in items:
                self._plots[index].addItem(item)
            self._bands[index] = items

    def _redraw_markers(self) -> None:
        """Move, show or hide and colour the infusion lines (made once, in _build)."""
        pen = pg.mkPen(self._theme.muted, width=1, style=Qt.PenStyle.DashLine)
        for lines in self._markers:
            for line, moment in zip(lines, self._infusion, strict=True):
                line.setPen(pen)
                label = getattr(line, "label", None)  # only the top plot's lines have one
                if label is not None:
                    label.setColor(self._theme.muted)
                if moment is not None:
                    line.setValue(moment.timestamp())
                line.setVisible(moment is not None)
