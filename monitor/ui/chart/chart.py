"""The live vitals chart: four stacked plots on one wall-clock axis, with threshold bands.

Plots and curves are created once and updated in place with ``setData`` (STYLE.md); a
profile change only rebuilds the cheap band items. The key is in the panel titles, outside
the data; the labels on the top plot's lines (the infusion here, events and phases from the
overlays) are laid out by the chart so that none overlaps another or leaves the plot."""

from __future__ import annotations

import html
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

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
#: Panel titles: one line of 10 pt text in a 20-pixel row.
TITLE_SIZE, TITLE_ROW_PX = "10pt", 20
MARGIN_AFTER_S = 15 * 60
MIN_AHEAD_S = 2 * 60  # room kept to the right of the newest point before the view moves
#: Label layout on the top plot, in scene pixels: from the plot's edge, from its line, between
#: two labels side by side, and between stacked rows.
LABEL_PAD = 2.0
LABEL_GAP = 3.0
LABEL_ROW_GAP = 1.0
#: Of the rows of labels a plot has room for, the labels along the top (events, infusion,
#: discharge) take this share, the phase names along the bottom the rest; with room for one
#: row only, they share it.
TOP_SHARE = 0.7
#: Space around a label's text inside its fill (Qt's default of 4 pixels takes a row from a
#: short plot).
LABEL_MARGIN = 1.0
#: The key glyph of each line style in a panel's title.
SOLID_GLYPH, DASHED_GLYPH = "&#9644;", "&#9476;&#9476;"


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


def label_format(text: str) -> str:
    """``text`` as an InfLineLabel's format string: pyqtgraph fills in ``{value}``, so braces
    typed in a note must not be read as fields."""
    return text.replace("{", "{{").replace("}", "}}")


@dataclass(eq=False)
class LineLabel:
    """A label on a vertical line of the top plot, which the chart lays out so that no two
    overlap and none is cut off by the plot's edge (see :meth:`VitalsChart.lay_out_labels`).

    ``edge``: the edge of the plot it is stacked from. ``flip``: near the right edge it may
    sit left of its line (a phase name may not: it would seem to name the phase before, so it
    is only kept inside the plot). ``collapse``: labels with the same word that cannot all be
    placed side by side or stacked are drawn as one label, ``3 events``, whose tooltip lists
    them all; '' for a label that is never collapsed (infusion start, discharged).
    ``optional``: where there is no room for another label, this one gives way (the infusion
    start and end and the phase names: the dashed lines and the shading say the same).
    ``reaches``: the line where what the label names ends (a phase's span); while the span
    starts left of the view and reaches into it, the label is drawn at the left edge."""

    label: pg.InfLineLabel
    text: str
    tip: str = ""
    edge: Literal["top", "bottom"] = "top"
    flip: bool = True
    collapse: str = ""
    optional: bool = False
    reaches: pg.InfiniteLine | None = None
    #: the labels drawn as this one (itself first) by the last layout
    shown_for: list[LineLabel] = field(default_factory=list)


@dataclass
class _Box:
    """A label to place: where its line is and how wide it is (scene pixels), and the rows it
    may take, in order of preference."""
    x: float
    width: float
    flip: bool
    fixed: bool
    rows: tuple[int, ...]

    def reach(self, other: _Box) -> bool:
        """True when the two labels would touch, side by side in one row."""
        return abs(self.x - other.x) <= max(self.width, other.width) + 2 * LABEL_GAP


def stack_labels(boxes: Sequence[_Box], left: float,
                 right: float) -> list[tuple[float, int] | None]:
    """Where each box goes, as (left edge, row), or None where none of its rows has room.
    A box sits right of its line, or left of it near the right edge when it may flip, and is
    kept between ``left`` and ``right``; it takes the first of its rows where it overlaps
    nothing. Fixed boxes are placed first, then the others, each in time order."""
    occupied: dict[int, list[tuple[float, float]]] = {}
    places: list[tuple[float, int] | None] = [None] * len(boxes)
    order = sorted(range(len(boxes)), key=lambda i: (not boxes[i].fixed, boxes[i].x))
    for i in order:
        box = boxes[i]
        start = box.x + LABEL_GAP
        if start + box.width > right - LABEL_PAD and box.flip:
            start = box.x - LABEL_GAP - box.width
        start = max(left + LABEL_PAD, min(start, right - LABEL_PAD - box.width))
        end = start + box.width
        for row in box.rows:
            spans = occupied.setdefault(row, [])
            if all(end + LABEL_GAP <= a or start >= b + LABEL_GAP for a, b in spans):
                spans.append((start, end))
                places[i] = (start, row)
                break
    return places


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
        self._clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._live: Callable[[], bool] = lambda: False
        #: Put before the first panel's title (the export's title line).
        self._heading = ""
        #: The top plot's line labels, by who drew them; laid out before the next paint.
        self._line_labels: dict[str, list[LineLabel]] = {}
        self._watched_lines: weakref.WeakSet[pg.InfiniteLine] = weakref.WeakSet()
        self._labels_dirty = True
        self._build()
        top = self._plots[0].getViewBox()
        # After the view boxes' own preparation (they were added to the scene first), so the
        # layout reads the view as it is about to be painted.
        top.sigTransformChanged.connect(self.labels_changed)
        self.scene().sigPrepareForPaint.connect(self._prepare_labels)
        self.set_line_labels("infusion", [
            LineLabel(line.label, text, optional=True) for line, text
            in zip(self._markers[0], ("infusion start", "infusion end"), strict=True)])
        self.set_theme(theme)

    # -- construction --------------------------------------------------------------------

    def _build(self) -> None:
        first: pg.PlotItem | None = None
        for row, panel in enumerate(PANELS):
            axis = pg.DateAxisItem(orientation="bottom")
            plot = self.addPlot(row=row, col=0, axisItems={"bottom": axis})
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
            # No legend inside the plot, where the newest points are drawn: the key of a
            # panel with several series is in its title (_title).
            markers = tuple(
                pg.InfiniteLine(pos=0, angle=90, movable=False,
                                label=label if row == 0 else None)
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
        for vital, curve in self._curves.items():
            colour = theme.series[vital]
            width = 1 if vital is Vital.MAP else 2
            style = Qt.PenStyle.DashLine if vital is Vital.MAP else Qt.PenStyle.SolidLine
            curve.setPen(pg.mkPen(colour, width=width, style=style))
            curve.setSymbolBrush(pg.mkBrush(colour))
            curve.setSymbolPen(pg.mkPen(colour))
        self._retitle()
        self._style_flags()
        self._redraw_bands()
        self._redraw_markers()
        self._update_data()
        self.themeChanged.emit()
        self.labels_changed()

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
        self._note = note
        self._retitle()

    def set_expected_points(self, expected: Callable[[], int]) -> None:
        """Ask ``expected()`` how many points the chart is about to hold (0: only what it
        was given), and draw what it has as that many would be drawn: a long session's
        newest few hundred points are not drawn with symbols while the rest loads."""
        self._expected = expected

    def set_clock(self, clock: Callable[[], datetime], live: Callable[[], bool]) -> None:
        """Tell the time by ``clock``. While ``live()`` (the open session is still being
        charted) the time axis reaches now, not just the newest reading, so the time since
        the last reading shows as a gap; :meth:`fit_time_range` moves it on as time passes."""
        self._clock = clock
        self._live = live
        self.fit_time_range()

    def set_line_labels(self, owner: str, labels: Sequence[LineLabel]) -> None:
        """Lay out ``labels`` (on lines of the top plot) with everyone else's, replacing
        those ``owner`` gave before."""
        self._line_labels[owner] = list(labels)
        for entry in labels:
            entry.label.format = label_format(entry.text)
            entry.label.textItem.document().setDocumentMargin(LABEL_MARGIN)
            line = entry.label.line
            if line not in self._watched_lines:
                self._watched_lines.add(line)
                line.sigPositionChanged.connect(self.labels_changed)
        self.labels_changed()

    def line_labels(self) -> list[LineLabel]:
        """Every label laid out on the top plot, shown or not."""
        return [entry for entries in self._line_labels.values() for entry in entries]

    def lay_out_labels(self) -> None:
        """Place the top plot's line labels for the view as it is now: each beside its line,
        labels that would overlap stacked in rows from the top (phase names from the bottom),
        all inside the plot; where the rows run out, neighbours with the same word are
        collapsed into one label (``3 events``), and optional labels give way to events.
        Done before each paint after the view, the labels or the lines changed; call it to
        lay them out at once."""
        view = self._plots[0].getViewBox()
        view.updateMatrix()
        self._labels_dirty = False
        rect = view.sceneBoundingRect()
        (x0, x1), _ = view.viewRange()
        def scene_x(value: float) -> float:
            return rect.left() + (value - x0) / (x1 - x0) * rect.width()

        entries: list[tuple[float, LineLabel]] = []
        lines: dict[int, float] = {}  # where each label's own line is
        moved: set[int] = set()  # labels at the left edge, their line out of view
        for entry in self.line_labels():
            line = entry.label.line
            entry.shown_for = []
            x = lines[id(entry)] = scene_x(line.value()) if x1 > x0 else -1.0
            if x < rect.left() and entry.reaches is not None \
                    and scene_x(entry.reaches.value()) > rect.left():
                x = rect.left()
                moved.add(id(entry))
            if not line.isVisible() or not rect.left() <= x <= rect.right():
                self._show_label(entry, None)
                continue
            entries.append((x, entry))
        entries.sort(key=lambda pair: pair[0])
        sizes = [self._text_size(entry.label, entry.text) for _, entry in entries]
        row_height = max((h for _, h in sizes), default=0.0) + LABEL_ROW_GAP
        rows = int((rect.height() - 2 * LABEL_PAD + LABEL_ROW_GAP) // row_height) \
            if entries else 0
        if rows < 1:  # not even one label fits the plot's height: the lines stay
            for _, entry in entries:
                self._show_label(entry, None)
            return
        # Rows from the top; the lowest are the phase names' (all of them share one row when
        # there is only one). Either kind takes the other's rows when its own are full.
        bottom = 1 if rows == 1 else max(1, rows - max(1, round(rows * TOP_SHARE)))
        upper = tuple(range(max(1, rows - bottom)))
        lower = tuple(range(rows - 1, rows - bottom - 1, -1))
        choices = {"top": upper + tuple(r for r in reversed(lower) if r not in upper),
                   "bottom": lower + tuple(r for r in reversed(upper) if r not in lower)}
        groups = [[entry] for _, entry in entries]
        where = {id(entry): x for x, entry in entries}
        while True:
            texts = [self._group_text(group) for group in groups]
            boxes = [_Box(where[id(group[0])], self._text_size(group[0].label, text)[0],
                          group[0].flip, not group[0].collapse, choices[group[0].edge])
                     for group, text in zip(groups, texts, strict=True)]
            places = stack_labels(boxes, rect.left(), rect.right())
            failed = next((i for i, place in enumerate(places) if place is None), None)
            if failed is None:
                break
            partner = self._partner(groups, boxes, failed)
            if partner is not None:
                low, high = sorted((failed, partner))
                groups[low] = groups[low] + groups.pop(high)
                continue
            # Nothing close to share a label with: an optional label in the way gives way
            # (one whose line is out of view before any other), or else this one is not
            # drawn (its line and tooltip stay).
            me = groups[failed][0]
            giving_way = next((
                i for i, group in enumerate(groups) if boxes[i].reach(boxes[failed]) and (
                    group[0].optional and not me.optional
                    or id(group[0]) in moved and id(me) not in moved)), failed)
            for entry in groups.pop(giving_way):
                self._show_label(entry, None)
        for group, text, box, place in zip(groups, texts, boxes, places, strict=True):
            left, row = place  # type: ignore[misc]
            first = group[0]
            first.shown_for = group
            for entry in group[1:]:
                self._show_label(entry, None)
            # A row of the upper ones hangs from the top, a lower one stands on the bottom.
            if (first.edge == "top") if rows == 1 else row in upper:
                y, anchor_y = rect.top() + LABEL_PAD + row * row_height, 0.0
            else:
                y = rect.bottom() - LABEL_PAD - (rows - 1 - row) * row_height
                anchor_y = 1.0
            anchor = ((lines[id(first)] - left) / box.width if box.width else 0.0, anchor_y)
            tip = "\n".join(entry.tip for entry in group if entry.tip)
            self._show_label(first, text, tip, anchor, 1 - (y - rect.top()) / rect.height())

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
        """Show the whole session with a margin, up to now while it is live (see
        :meth:`set_clock`), and room ahead for the next readings."""
        times = [float(self._times[0]), float(self._times[-1])] if len(self._times) else []
        times += [t.timestamp() for t in self._infusion if t is not None]
        if self._live() or not times:
            now = self._clock().timestamp()
            times += [now] if times else [now - 3600, now]
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

    def _retitle(self) -> None:
        for index, plot in enumerate(self._plots):
            plot.setTitle(self._title(index), justify="left", size=TITLE_SIZE,
                          color=self._theme.text)
            # pyqtgraph gives a title a 30-pixel row; four of them took a third of the
            # chart on a 720-line screen, where each plot has barely 60 pixels.
            plot.layout.setRowFixedHeight(0, TITLE_ROW_PX)
            plot.titleLabel.setMaximumHeight(TITLE_ROW_PX)

    def _title(self, index: int) -> str:
        """A panel's title; with several series, their key (a legend inside the plot would
        cover the newest points); the first also says the note."""
        panel = PANELS[index]
        parts = [html.escape(panel.title)]
        if len(panel.vitals) > 1:
            parts.append("&nbsp;&nbsp;".join(
                f'<span style="color:{self._theme.series[vital]}">'
                f"{DASHED_GLYPH if vital is Vital.MAP else SOLID_GLYPH}</span>"
                f"&nbsp;{VITAL_SPECS[vital].abbreviation}" for vital in panel.vitals))
        if index == 0 and self._note:
            parts.append(html.escape(self._note))
        return (self._heading if index == 0 else "") + "&nbsp;&nbsp;&nbsp;&nbsp;".join(parts)

    def labels_changed(self, *_args: object) -> None:
        """Lay the line labels out again before the next paint (say so after showing or
        hiding a labelled line; moving one is noticed)."""
        self._labels_dirty = True

    def _prepare_labels(self) -> None:
        if self._labels_dirty:
            self.lay_out_labels()

    @staticmethod
    def _group_text(group: list[LineLabel]) -> str:
        return group[0].text if len(group) == 1 else f"{len(group)} {group[0].collapse}"

    @staticmethod
    def _text_size(label: pg.InfLineLabel, text: str) -> tuple[float, float]:
        if label.toPlainText() != text:
            label.setText(text)
        size = label.textItem.boundingRect().size()
        return size.width(), size.height()

    @staticmethod
    def _partner(groups: list[list[LineLabel]], boxes: list[_Box], failed: int) -> int | None:
        """The neighbour (in time order) that the label ``failed`` may share one label with:
        the nearest one on either side with the same word, if their labels would touch."""
        word = groups[failed][0].collapse
        if not word:
            return None
        before = next((i for i in range(failed - 1, -1, -1)
                       if groups[i][0].collapse == word), None)
        after = next((i for i in range(failed + 1, len(groups))
                      if groups[i][0].collapse == word), None)
        for other in (before, after):
            if other is not None and boxes[other].reach(boxes[failed]):
                return other
        return None

    @staticmethod
    def _show_label(entry: LineLabel, text: str | None, tip: str = "",
                    anchor: tuple[float, float] = (0.0, 0.0), position: float = 0.5) -> None:
        """Show ``entry``'s label saying ``text`` with its ``anchor`` at ``position`` along
        its line (0 the bottom of the plot, 1 the top); None hides it."""
        label = entry.label
        if text is None:
            label.setVisible(False)
            return
        label.format = label_format(text)
        label.orthoPos = position
        label.anchors = [anchor, anchor]
        label.setVisible(True)  # InfLineLabel: sets the text from format, then the position
        label.setText(text)
        label.updatePosition()
        label.updateTransform()
        label.setToolTip(tip)

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
        self.labels_changed()
