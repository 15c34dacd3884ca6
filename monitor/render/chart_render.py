"""The session chart drawn off screen for export: PNG at a chosen size and SVG.

It is the app's own VitalsChart (same panels, bands, flagged points and infusion lines), always
in the LIGHT theme whatever the screen shows (paper is white), with what the live chart shows
beside them, drawn by the same overlays: the phases shaded (baseline, infusion, recovery) and
the discharge line, the reading schedule's due-time ticks (missed ones labelled
``due 10:45 missed``), and sedation scores and clinical events (with their note, as scrubbed
by de-identification: the export has no tooltips). Then what a chart in the notes needs: a
title, alert markers and a key. Everything is limited to the chosen time range. Rendering draws
the scene as vectors onto the target, so a 300 dpi PNG has sharp text rather than an enlarged
screenshot.

Widgets belong to the GUI thread: call these from it (the export dialog does the slow parts,
reading the store and writing files, in a worker). Why this draws with the live chart's own
classes from monitor.ui: see the package docstring.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPaintDevice, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication

from monitor.app.export_marks import ChartMarks, TimeRange, chart_marks, due_label
from monitor.domain.alerts import AlertKind, AlertPriority
from monitor.domain.due_status import DueStatus
from monitor.domain.events import TimelineEntry
from monitor.domain.phases import PHASE_LABELS
from monitor.domain.thresholds import Severity
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.io.export_data import SessionRecord
from monitor.render import CHART_SIZE, check_size
from monitor.ui.chart.chart import PANELS, VitalsChart
from monitor.ui.chart.phase_overlay import PHASE_COLOURS, PhaseOverlay
from monitor.ui.chart.schedule_overlay import STYLE as DUE_STYLE
from monitor.ui.chart.schedule_overlay import DueTicks
from monitor.ui.chart.timeline_overlay import MARKER_COLOURS, TimelineOverlay, short_text
from monitor.ui.theme import LIGHT, ThemeName

DEFAULT_SIZE = QSize(*CHART_SIZE)
PRINT_DPI = 300
SCREEN_DPI = 96
#: Layout happens at this width in screen pixels and is then scaled to the target, so text
#: and lines keep their proportions at any output size.
LAYOUT_WIDTH = 1200
EDGE_MARGIN = timedelta(minutes=5)
#: An event's label on paper: its short text and note, cut to this many characters.
EVENT_LABEL_CHARS = 32
#: Missed due times closer than this on paper (layout pixels) share one label: the first.
DUE_LABEL_GAP_PX = 64
#: Where a missed due time's label sits, as a share of the bottom plot's height: just above
#: the tallest tick, to its right.
DUE_LABEL_POSITION = 0.13


def session_range(record: SessionRecord) -> TimeRange | None:
    """The whole session: readings, infusion, timeline and discharge, with a small margin."""
    times = [r.taken_at for r in record.current_readings()]
    inf = record.session.infusion
    times += [t for t in (inf.started_at, inf.ended_at, record.session.closed_at)
              if t is not None]
    times += [e.at for e in record.timeline]
    if not times:
        return None
    return TimeRange(min(times) - EDGE_MARGIN, max(times) + EDGE_MARGIN)


def chart_title(record: SessionRecord) -> str:
    """Who and when, as the first line of the chart."""
    s = record.session
    who = s.patient.identifier
    if s.patient.name and not record.deidentified:
        who += f"  {s.patient.name}"
    day = (s.infusion.started_at or s.started_at or record.generated_at)
    return f"{who}  ·  session {s.id}  ·  {day:%Y-%m-%d}  ·  {s.infusion.drug}"


def event_label(entry: TimelineEntry) -> str:
    """A sedation score or event as printed beside its marker: the live chart's short text
    and, where there is one, the note (already scrubbed when the record is de-identified),
    e.g. ``Nausea: Ondansetron 4 mg IV``."""
    text = short_text(entry)
    if entry.note:
        text += f": {entry.note}"
    return text if len(text) <= EVENT_LABEL_CHARS else text[:EVENT_LABEL_CHARS - 1] + "…"


def _translucent_paper() -> QColor:
    colour = QColor(LIGHT.surface)
    colour.setAlpha(200)
    return colour


def _seconds_west(record: SessionRecord) -> int | None:
    """The session's own UTC offset as pyqtgraph wants it (seconds WEST of UTC), so the
    chart reads the same clock times as the report's tables whichever computer exports it."""
    inf = record.session.infusion
    moments = [inf.started_at, record.session.started_at] + [r.taken_at for r in
                                                             record.readings[:1]]
    for moment in moments:
        if moment is not None and moment.utcoffset() is not None:
            return -int(moment.utcoffset().total_seconds())
    return None


class _OffsetDateAxis(pg.DateAxisItem):
    """A wall-clock axis for x values counted in seconds from ``origin``."""

    def __init__(self, origin: float, **kwargs: object):
        super().__init__(**kwargs)
        self.origin = origin

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802
        levels = super().tickValues(minVal + self.origin, maxVal + self.origin, size)
        return [(spacing, [v - self.origin for v in values]) for spacing, values in levels]

    def tickStrings(self, values: list, scale: float, spacing: float) -> list:  # noqa: N802
        return super().tickStrings([v + self.origin for v in values], scale, spacing)


class ExportChart(VitalsChart):
    """A VitalsChart with the session's alerts, events, title and key, for export only."""

    def __init__(self, record: SessionRecord, time_range: TimeRange | None = None):
        super().__init__(LIGHT)
        self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.record = record
        session = record.session
        self.set_infusion(session.infusion.started_at, session.infusion.ended_at)
        self.set_profile(record.profile.profile, session.baseline)
        self.set_readings(record.readings)
        for plot in self.plots:
            plot.hideButtons()
            # An invisible border is still painted as a closed path, which pyqtgraph's SVG
            # exporter cannot parse; None skips painting it.
            plot.getViewBox().border = None
        # The chart's own title line goes above the first panel's title: the layout has no
        # row above the plots to put it in.
        self._heading = f"<b>{html.escape(chart_title(record))}</b><br>"
        self._retitle()
        self.plots[0].titleLabel.setMaximumHeight(52)
        self.plots[0].layout.setRowFixedHeight(0, 52)
        self.time_range = time_range or session_range(record)
        start = self.time_range.start if self.time_range else record.generated_at
        self.origin = float(int(start.timestamp()) // 3600 * 3600)
        self._shift_time_origin()
        self._add_alert_markers()
        self.marks = chart_marks(record, self.time_range)
        self.phases = PhaseOverlay(self, x=self.x)
        self.phases.show_spans(self.marks.phases, self.marks.discharged_at)
        self.due_ticks = self._add_due_times(self.marks)
        self.timeline = TimelineOverlay(self, x=self.x, label=event_label)
        self.timeline.show_entries(self.marks.entries)
        self._key = pg.LabelItem(justify="left")
        self._key.setText(self._key_html())
        self.ci.addItem(self._key, row=len(PANELS), col=0)
        self.fit_time_range()

    def fit_time_range(self) -> None:
        # The export shows exactly its chosen range, not the live view's room ahead.
        time_range = getattr(self, "time_range", None)
        if time_range is None:
            super().fit_time_range()
            return
        self.plots[0].setXRange(self.x(time_range.start), self.x(time_range.end), padding=0)

    def x(self, moment: datetime) -> float:
        """Where ``moment`` lies on the shifted time axis."""
        return moment.timestamp() - self.origin

    def image_point(self, moment: datetime, vital: Vital, value: float,
                    size: QSize) -> tuple[int, int]:
        """The pixel of an image of ``size`` rendered from this chart (as laid out by
        :func:`laid_out_chart`) where ``value`` of ``vital`` at ``moment`` is drawn."""
        scene = self.plot_for(vital).getViewBox().mapViewToScene(
            pg.Point(self.x(moment), value))
        source = ImageExporter(self.ci).getSourceRect()
        scale = size.width() / source.width()
        return (round((scene.x() - source.left()) * scale),
                round((scene.y() - source.top()) * scale))

    def _shift_time_origin(self) -> None:
        """Count time from ``origin`` instead of 1970.

        Vector output writes numbers with six significant digits: epoch seconds (1.8e9)
        would land minutes away from where they belong in an SVG. Seconds since the hour
        the session starts keep full precision; the axis adds the origin back for its labels.
        """
        for index, plot in enumerate(self.plots):
            axis = _OffsetDateAxis(self.origin, orientation="bottom",
                                   utcOffset=_seconds_west(self.record))
            plot.setAxisItems({"bottom": axis})
            axis.setPen(pg.mkPen(LIGHT.muted))
            axis.setTextPen(pg.mkPen(LIGHT.text))
            if index < len(self.plots) - 1:
                axis.setStyle(showValues=False)
            for item in list(plot.items):
                if isinstance(item, pg.PlotDataItem):
                    xs, ys = item.getOriginalDataset()
                    if xs is not None and len(xs):
                        item.setData(np.asarray(xs) - self.origin, ys)
                elif isinstance(item, pg.InfiniteLine) and item.angle == 90:
                    item.setValue(item.value() - self.origin)
                elif isinstance(item, pg.ScatterPlotItem) and len(item.data):
                    # Styled per item (symbol, brush), so only the positions move.
                    item.setData(x=item.data["x"] - self.origin, y=item.data["y"])
                elif isinstance(item, pg.LinearRegionItem):
                    self._clamp(plot, item)

    @staticmethod
    def _clamp(plot: pg.PlotItem, region: pg.LinearRegionItem) -> None:
        """Keep a band inside its plot: SVG output has no clipping, so a band reaching to the
        plausible limit (SBP 300) would paint over the plots above and below."""
        y_low, y_high = plot.getViewBox().viewRange()[1]
        low, high = region.getRegion()
        low, high = max(low, y_low), min(high, y_high)
        if high <= low:
            region.hide()
        else:
            region.setRegion((low, high))

    def _add_alert_markers(self) -> None:
        for stored in self.record.alerts:
            a = stored.alert
            if a.kind is not AlertKind.PHYSIOLOGICAL or a.vital is None or a.value is None:
                continue
            if stored.withdrawn_at is not None:
                continue  # its reading was corrected or entered in error: not on the chart
            severity = Severity.CRITICAL if a.priority is AlertPriority.HIGH \
                else Severity.CAUTION
            colour = LIGHT.severity[severity]
            # Below a high value and above a low one, so the flag stays inside the plot; at
            # the moment the alert took the value it shows (escalation moves it).
            below = a.condition.endswith("-high")
            label = pg.TextItem(
                html=f'<span style="color:{colour};font-weight:bold;font-size:11pt">'
                     f"&#9873;{html.escape(a.priority.symbol)}</span>",
                anchor=(0.5, -0.25) if below else (0.5, 1.25))
            label.setPos(self.x(a.escalated_at or a.raised_at), a.value)
            label.setZValue(30)
            self.plot_for(a.vital).addItem(label)

    def _add_due_times(self, marks: ChartMarks) -> list[DueTicks]:
        """The live chart's due-time ticks along the bottom of every plot, and on the
        bottom plot a label beside each missed one (a tooltip cannot be printed)."""
        ticks = [(self.x(m.at), DUE_STYLE[m.status][0], DUE_STYLE[m.status][2], due_label(m))
                 for m in marks.due]
        items = []
        for plot in self.plots:
            item = DueTicks()
            item.set_ticks(ticks)
            plot.addItem(item, ignoreBounds=True)
            items.append(item)
        colour = DUE_STYLE[DueStatus.MISSED][0]
        span = self._range_seconds()
        gap = span * DUE_LABEL_GAP_PX / LAYOUT_WIDTH if span else 0.0
        last: float | None = None
        for mark in marks.due:
            at = self.x(mark.at)
            if mark.status is not DueStatus.MISSED or (last is not None and at - last < gap):
                continue
            last = at
            # Two short lines beside the tick: a whole-height rotated label would not fit
            # the bottom plot, and the fill keeps it readable over the curve and bands.
            # Near the right edge the label goes left of its tick, so it is not cut off.
            end = self.x(self.time_range.end) if self.time_range else at
            side = (1, 1) if span and end - at < gap else (0, 1)
            line = pg.InfiniteLine(pos=at, angle=90, movable=False, pen=pg.mkPen(None),
                                   label=due_label(mark, "\n"),
                                   labelOpts={"position": DUE_LABEL_POSITION, "color": colour,
                                              "fill": _translucent_paper(),
                                              "anchors": [side, side]})
            line.setZValue(6)
            self.plots[-1].addItem(line, ignoreBounds=True)
        return items

    def _range_seconds(self) -> float:
        if self.time_range is None:
            return 0.0
        return (self.time_range.end - self.time_range.start).total_seconds()

    def _key_html(self) -> str:
        def swatch(colour: str, text: str, glyph: str = "&#9644;") -> str:
            return (f'<span style="color:{colour}">{glyph}</span>&nbsp;'
                    f'<span style="color:{LIGHT.text}">{text}</span>')

        def band(rgba: tuple[int, int, int, int], text: str) -> str:
            r, g, b, a = rgba
            colour = QColor(r, g, b, min(255, a * 3)).name()
            return swatch(colour, text, "&#9632;")

        def tint(rgba: tuple[int, int, int, int], text: str) -> str:
            # The shading is too faint to read as a small glyph: darker, as on white.
            r, g, b, _ = rgba
            paper = QColor(LIGHT.surface)
            mix = QColor(*(round(paper_part + (part - paper_part) * 0.45) for part, paper_part
                           in ((r, paper.red()), (g, paper.green()), (b, paper.blue()))))
            return swatch(mix.name(), text, "&#9632;")

        events = MARKER_COLOURS[ThemeName.LIGHT]
        lines = [
            [swatch(LIGHT.series[v], VITAL_SPECS[v].abbreviation) for v in Vital] + [
                band(LIGHT.caution_band, "caution band"),
                band(LIGHT.critical_band, "critical band")],
            [swatch(LIGHT.severity[Severity.CAUTION], "caution value", "&#9650;"),
             swatch(LIGHT.severity[Severity.CRITICAL], "critical value", "&#10006;"),
             swatch(LIGHT.severity[Severity.CRITICAL], "alert raised (*** high, ** medium)",
                    "&#9873;"),
             swatch(LIGHT.muted, "infusion start / end", "&#8942;"),
             swatch(LIGHT.text, "discharged", "&#9474;")],
            [tint(PHASE_COLOURS[phase], label) for phase, label in PHASE_LABELS.items()] + [
                swatch(DUE_STYLE[status][0], f"reading due: {status.value}", "&#9475;")
                for status in (DueStatus.MET, DueStatus.MISSED, DueStatus.UPCOMING)] + [
                swatch(events["sedation"], "sedation score", "&#8942;"),
                swatch(events["event"], "clinical event", "&#8942;")],
        ]
        text = "<br>".join("&nbsp;&nbsp; ".join(parts) for parts in lines)
        return (f'<span style="font-size:9pt">{text}<br>'
                f'<span style="color:{LIGHT.text}">Thresholds: '
                f"{html.escape(self.record.profile.profile.name)}&nbsp;&nbsp; Reading schedule: "
                f"{html.escape(self.record.reading_schedule.text)}</span></span>")


@contextmanager
def laid_out_chart(record: SessionRecord, size: QSize,
                   time_range: TimeRange | None = None) -> Iterator[ExportChart]:
    """The export chart of ``record``, laid out for an output of ``size`` as the renderers
    draw it (for them, and for tests that ask where something lands); closed afterwards.
    Raises ValueError for a size that cannot be rendered."""
    check_size((size.width(), size.height()))
    if QApplication.instance() is None:
        raise RuntimeError("rendering a chart needs a QApplication")
    chart = ExportChart(record, time_range)
    try:
        layout_height = round(LAYOUT_WIDTH * size.height() / size.width())
        chart.resize(LAYOUT_WIDTH, layout_height)
        chart.show()  # off screen (WA_DontShowOnScreen): lays the plots out
        chart.ci.layout.activate()
        QApplication.processEvents()
        chart.fit_time_range()
        yield chart
    finally:
        chart.close()
        chart.deleteLater()


def _draw(chart: ExportChart, device: QPaintDevice, size: QSize) -> None:
    """Paint the chart onto ``device`` scaled to ``size``, as pyqtgraph's exporters do: in
    export mode, so axes and text are drawn for the target and not from screen caches."""
    exporter = ImageExporter(chart.ci)
    target = QRectF(0, 0, size.width(), size.height())
    source = QRectF(exporter.getSourceRect())
    painter = QPainter(device)
    try:
        painter.fillRect(target, QColor(LIGHT.surface))
        exporter.setExportMode(True, {
            "antialias": True, "background": QColor(LIGHT.surface), "painter": painter,
            "resolutionScale": size.width() / exporter.getTargetRect().width()})
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        exporter.getScene().render(painter, target, source)
    finally:
        exporter.setExportMode(False)
        painter.end()


def _qsize(size: QSize | tuple[int, int]) -> QSize:
    return QSize(*size) if isinstance(size, tuple) else size


def render_image(record: SessionRecord, size: QSize | tuple[int, int] = DEFAULT_SIZE,
                 time_range: TimeRange | None = None) -> QImage:
    """The chart as an image of exactly ``size`` pixels (a QSize or (width, height)), tagged
    as 300 dpi."""
    size = _qsize(size)
    with laid_out_chart(record, size, time_range) as chart:
        image = QImage(size, QImage.Format.Format_ARGB32)
        _draw(chart, image, size)
    # Tagged only after drawing: text sized in points would grow with the image's dpi.
    dots_per_metre = round(PRINT_DPI / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    return image


def render_svg(record: SessionRecord, size: QSize | tuple[int, int] = DEFAULT_SIZE,
               time_range: TimeRange | None = None) -> bytes:
    """The chart as an SVG document: vector lines and real text, ``size`` (a QSize or
    (width, height)) as its view box."""
    size = _qsize(size)
    with laid_out_chart(record, size, time_range) as chart:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setSize(size)
        generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
        # The generator's own resolution scales text in points, so it stays at the layout's
        # (screen) resolution; the printed size is set on the document afterwards.
        generator.setResolution(SCREEN_DPI)
        generator.setTitle(chart_title(record))
        generator.setDescription("Vital signs with alert thresholds (Infusion Recovery Monitor)")
        _draw(chart, generator, size)
        svg = bytes(buffer.data().data())
    return _print_size(svg, size)


def _print_size(svg: bytes, size: QSize) -> bytes:
    """Give the SVG its size at 300 dpi, so it prints at the same size as the PNG."""
    def mm(pixels: int) -> str:
        return f"{pixels / PRINT_DPI * 25.4:.1f}mm"
    return re.sub(rb'<svg width="[^"]*" height="[^"]*"',
                  f'<svg width="{mm(size.width())}" height="{mm(size.height())}"'.encode(),
                  svg, count=1)


def png_bytes(image: QImage) -> bytes:
    """``image`` encoded as PNG (the dpi tag included)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("the chart image could not be encoded as PNG")
    return bytes(data.data())


def save_png(image: QImage, path: str | Path) -> None:
    """Write ``image`` to ``path`` as PNG; raises OSError when it cannot be written."""
    Path(path).write_bytes(png_bytes(image))
