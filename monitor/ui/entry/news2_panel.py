"""NEWS2 on screen: the inputs the entry panel needs beside the vitals (consciousness, air or
oxygen, temperature), the latest score as a tile, and its trend as a compact plot.

Scores come from the domain (charted_scores, scores); a partial score is shown as a lower
bound ("≥ 2", hollow point) and names what is missing, never as if the missing part were 0."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.charted_scores import (
    News2Point,
    missing_text,
    news2_trend_updated,
    parse_temperature,
    point_order,
    reading_news2,
    reading_order,
)
from monitor.domain.errors import FieldError
from monitor.domain.readings import Reading
from monitor.domain.scores import Consciousness, News2Band, News2Result
from monitor.domain.thresholds import Severity
from monitor.ui.formatting import fmt_time
from monitor.ui.session_controller import ReadingsChange
from monitor.ui.theme import LIGHT, Theme, error_label
from monitor.ui.theme_watch import ThemeWatcher

#: At most this many points are drawn as markers; a longer trend shows every score on the
#: line and an evenly spaced subset (always with the newest) as points, since a marker per
#: second of a day-long device session is unreadable and costs seconds to build.
MAX_MARKERS = 600
#: Distinct observation sets whose score is remembered between redraws.
NEWS2_MEMO_SIZE = 4096

CONSCIOUSNESS_CHOICES: tuple[tuple[str, Consciousness | None], ...] = (
    ("not assessed", None),
    ("A: Alert", Consciousness.ALERT),
    ("C: new Confusion", Consciousness.NEW_CONFUSION),
    ("V: responds to Voice", Consciousness.VOICE),
    ("P: responds to Pain", Consciousness.PAIN),
    ("U: Unresponsive", Consciousness.UNRESPONSIVE),
)
OXYGEN_CHOICES: tuple[tuple[str, bool | None], ...] = (
    ("not recorded", None),
    ("Air", False),
    ("On oxygen", True),
)

#: Band colours borrowed from the vitals' severities: the words carry the difference.
BAND_SEVERITY = {
    News2Band.LOW: Severity.NORMAL,
    News2Band.LOW_MEDIUM: Severity.CAUTION,
    News2Band.MEDIUM: Severity.CAUTION,
    News2Band.HIGH: Severity.CRITICAL,
}


class News2Inputs(QWidget):
    """Consciousness (ACVPU), air or oxygen and temperature for the next observation set.

    Consciousness and air/oxygen are kept from set to set (they rarely change between two
    readings, and re-choosing them every time invites a careless choice); temperature is
    a measurement and is cleared after each save, like the vitals."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("news2Inputs")
        self.consciousness = QComboBox()
        self.consciousness.setObjectName("consciousnessInput")
        self.consciousness.setAccessibleName("consciousnessInput")
        for text, value in CONSCIOUSNESS_CHOICES:
            self.consciousness.addItem(text, value)
        self.oxygen = QComboBox()
        self.oxygen.setObjectName("oxygenInput")
        self.oxygen.setAccessibleName("oxygenInput")
        for text, value in OXYGEN_CHOICES:
            self.oxygen.addItem(text, value)
        self.temperature = QLineEdit()
        self.temperature.setObjectName("temperatureInput")
        self.temperature.setAccessibleName("temperatureInput")
        self.temperature.setPlaceholderText("°C")
        self.temperature.setMaxLength(5)
        self.temperature_error = error_label("temperatureInputError")
        self.temperature_error.hide()
        # One row, so the form stays short in a crowded side column.
        row = QGridLayout(self)
        row.setContentsMargins(0, 4, 0, 0)
        row.setHorizontalSpacing(4)
        row.setVerticalSpacing(0)
        captions = ("Consc.", "O2", "T °C")
        for column, (caption, widget) in enumerate(zip(captions, self.widgets(), strict=True)):
            label = QLabel(caption)
            label.setBuddy(widget)
            row.addWidget(label, 0, column * 2)
            row.addWidget(widget, 0, column * 2 + 1)
        row.addWidget(self.temperature_error, 1, 0, 1, 6)
        row.setColumnStretch(1, 3)
        row.setColumnStretch(3, 2)
        row.setColumnStretch(5, 1)
        self.setToolTip("For NEWS2: consciousness (ACVPU), air or oxygen, temperature. "
                        "Consciousness and air/O2 stay set for the next reading.")

    def widgets(self) -> list[QWidget]:
        """The inputs in Tab order."""
        return [self.consciousness, self.oxygen, self.temperature]

    def values(self) -> tuple[dict[str, Any], list[FieldError]]:
        """Keyword arguments for ``new_reading`` (None = not assessed), and input errors."""
        temperature, error = parse_temperature(self.temperature.text())
        consciousness = self.consciousness.currentData()
        return {
            # Qt hands the StrEnum back as its plain value ("A").
            "consciousness": Consciousness(consciousness).value if consciousness else None,
            "on_oxygen": self.oxygen.currentData(),
            "temperature_c": temperature,
        }, [error] if error else []

    def after_save(self) -> None:
        self.temperature.clear()

    def reset(self) -> None:
        """A new patient: nothing is assessed yet."""
        self.consciousness.setCurrentIndex(0)
        self.oxygen.setCurrentIndex(0)
        self.temperature.clear()


class News2Trend(pg.PlotWidget):
    """NEWS2 over time: bands 0-4, 5-6 and 7+ shaded; partial scores drawn hollow."""

    def __init__(self, theme: Theme = LIGHT, parent: QWidget | None = None):
        super().__init__(parent=parent, axisItems={"bottom": pg.DateAxisItem()})
        self.setObjectName("news2Trend")
        self.setFixedWidth(170)
        self.setMinimumHeight(64)
        self.setMaximumHeight(76)
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.getAxis("left").setWidth(28)
        plot.getAxis("left").setTicks([[(v, str(v)) for v in (0, 5, 7, 10, 15, 20)]])
        self._bands = [pg.LinearRegionItem(values=span, orientation="horizontal",
                                           movable=False, pen=pg.mkPen(None))
                       for span in ((4.5, 6.5), (6.5, 20.5))]
        for band in self._bands:
            band.setZValue(-10)
            plot.addItem(band)
        self._line = plot.plot()
        self._points = pg.ScatterPlotItem(size=9, hoverable=True, tip=None)
        self._points.setZValue(10)
        plot.addItem(self._points)
        self._trend: list[News2Point] = []
        self._times = self._totals = np.empty(0)
        self._theme = theme
        self.set_theme(theme)

    @property
    def trend(self) -> list[News2Point]:
        """The points plotted now."""
        return self._trend

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.setBackground(theme.surface)
        plot = self.getPlotItem()
        for side in ("left", "bottom"):
            plot.getAxis(side).setPen(pg.mkPen(theme.muted))
            plot.getAxis(side).setTextPen(pg.mkPen(theme.text))
        self._bands[0].setBrush(pg.mkBrush(QColor(*theme.caution_band)))
        self._bands[1].setBrush(pg.mkBrush(QColor(*theme.critical_band)))
        self.show_trend(self._trend, len(self._trend))

    def show_trend(self, trend: Sequence[News2Point], kept: int = 0) -> None:
        """Plot ``trend`` in place (the items are created once). ``kept``: how many of its
        first points are those plotted now (a long trend's columns are then extended, not
        rebuilt: a day of one-second readings is 86,400 points)."""
        kept = min(kept, len(self._trend), len(trend))
        self._trend = list(trend)
        colour = self._theme.text
        fresh = self._trend[kept:]
        times = self._times = np.concatenate((self._times[:kept], np.fromiter(
            (p.at.timestamp() for p in fresh), dtype=np.float64, count=len(fresh))))
        totals = self._totals = np.concatenate((self._totals[:kept], np.fromiter(
            (p.result.total for p in fresh), dtype=np.float64, count=len(fresh))))
        self._line.setData(times, totals, pen=pg.mkPen(self._theme.muted, width=1))
        pen = pg.mkPen(colour, width=1.5)
        hollow, filled = pg.mkBrush(self._theme.surface), pg.mkBrush(colour)
        self._points.setData([{
            "pos": (float(times[i]), float(totals[i])),
            "brush": hollow if p.result.partial else filled,
            "pen": pen,
            "data": f"{fmt_time(p.at)} NEWS2 {p.result.total}"
                    + (f" ({missing_text(p.result)})" if p.result.partial else ""),
        } for i, p in ((int(i), self._trend[int(i)]) for i in marker_indices(times.size))])
        top = max(10.0, float(totals.max()) + 1) if totals.size else 10.0
        self.getPlotItem().setYRange(0, top, padding=0.05)
        # Without a score the time axis would count from 1970 (pyqtgraph's 0..1 range):
        # no tick labels until there is something to read.
        for side in ("left", "bottom"):
            self.getPlotItem().getAxis(side).setStyle(showValues=bool(times.size))
        if times.size:
            span = max(float(times[-1] - times[0]), 1800.0)
            self.getPlotItem().setXRange(times[-1] - span - 300, times[-1] + 300, padding=0)

    def marker_count(self) -> int:
        """How many points carry a marker (all of them up to :data:`MAX_MARKERS`)."""
        return len(self._points.data)

    def plotted(self) -> list[tuple[float, int]]:
        """(time, total) of each point of the line as drawn."""
        times, totals = self._line.getData()
        if times is None:
            return []
        return [(float(t), int(v)) for t, v in zip(times, totals, strict=True)]

    def points(self) -> list[tuple[float, int, bool]]:
        """(time, total, partial) of each plotted point."""
        return [(p.at.timestamp(), p.result.total, p.result.partial) for p in self._trend]


def marker_indices(count: int) -> np.ndarray:
    """Which of ``count`` points get a marker: all up to MAX_MARKERS, else evenly spaced
    ones ending with the newest."""
    if count <= MAX_MARKERS:
        return np.arange(count)
    return np.unique(np.linspace(count - 1, 0, MAX_MARKERS).round().astype(int))


by_taken_at = attrgetter("taken_at")


class News2Memo:
    """NEWS2 of each current reading in time order, like ``charted_scores.news2_trend``, but
    scoring each distinct observation set once: a long session repeats the same values
    many times and is re-scored on every change."""

    def __init__(self) -> None:
        self._scores: dict[tuple[object, ...], News2Result] = {}

    def score(self, r: Reading) -> News2Result:
        """NEWS2 of one observation set (as ``reading_news2``), scored once per set."""
        key = (tuple(r.values.items()), r.on_oxygen, r.consciousness, r.temperature_c)
        scores = self._scores
        result = scores.get(key)
        if result is None:
            if len(scores) >= NEWS2_MEMO_SIZE:
                scores.clear()
            result = scores[key] = reading_news2(r)
        return result

    def trend(self, readings: Sequence[Reading]) -> list[News2Point]:
        """The trend of ``readings``: corrected and in-error ones left out, in time order."""
        current = sorted((r for r in readings if r.is_current), key=by_taken_at)
        score = self.score
        return [News2Point(r.taken_at, score(r), r.id) for r in current]


class News2Panel(QFrame):
    """The latest NEWS2 (total, band, response, what is missing) and its trend."""

    def __init__(self, theme: Theme = LIGHT, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("news2Panel")
        self.setAccessibleName("news2Panel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel("NEWS2")
        self.value = QLabel("—")
        self.value.setObjectName("news2Value")
        self.band = QLabel("no reading")
        self.band.setObjectName("news2Band")
        self.response = QLabel("")
        self.response.setObjectName("news2Response")
        # Wrapped, so the panel fits beside the four tiles on a 1280-pixel screen.
        for label in (self.band, self.response):
            label.setWordWrap(True)

        self.partial = QLabel("")
        self.partial.setObjectName("news2Partial")
        self.partial.setWordWrap(True)
        self.trend = News2Trend(theme)
        self.legend = QLabel("● complete  ○ partial")
        self.legend.setObjectName("news2Legend")
        self.legend.setWordWrap(True)
        score = QVBoxLayout()
        score.setSpacing(0)
        score.addWidget(self.title)
        score.addWidget(self.value, 1)
        score.addWidget(self.legend)  # under the number: the trend keeps its height
        text = QVBoxLayout()
        text.setSpacing(0)
        for widget in (self.band, self.response, self.partial):
            text.addWidget(widget)
        text.addStretch(1)
        trend = QVBoxLayout()
        trend.setSpacing(0)
        trend.addWidget(self.trend)
        # Score and trend side by side, the words under them at the column's full width
        # (beside the chart the panel is narrow, and wrapped words needed the height).
        layout = QGridLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.setVerticalSpacing(2)
        layout.addLayout(score, 0, 0)
        layout.addLayout(trend, 0, 1)
        layout.addLayout(text, 1, 0, 1, 2)
        layout.setColumnStretch(0, 1)
        self._theme = theme
        self._latest: News2Point | None = None
        self._memo = News2Memo()
        #: The readings list whose trend is shown (the controller replaces its list on
        #: every change, so this says which change the next one follows).
        self.shown: Sequence[Reading] | None = None
        self.restyle()

    def show_readings(self, readings: Sequence[Reading],
                      change: ReadingsChange | None = None) -> None:
        """Score every current observation set; show the newest and the trend. A long
        session's readings loaded in the background come with their trend already scored;
        ``change``, when given, is how ``readings`` differ from the readings shown last,
        and only its new rows are scored."""
        derived = getattr(readings, "derived", {})
        kept = 0
        if "news2" in derived:
            trend = derived["news2"]
        elif change is not None and change.before is self.shown:
            shown = self.trend.trend
            trend = news2_trend_updated(shown, change.removed, change.added,
                                        self._memo.score)
            kept = _unchanged_points(shown, change)
        else:
            trend = self._memo.trend(readings)
        self.shown = readings
        self._latest = trend[-1] if trend else None
        self.trend.show_trend(trend, kept)
        latest = self._latest
        if latest is None:
            self.value.setText("—")
            self.band.setText("no reading")
            self.response.setText("")
            self.partial.setText("")
        else:
            r = latest.result
            self.value.setText(f"≥ {r.total}" if r.partial else str(r.total))
            self.band.setText(f"{r.band.value}{' or higher' if r.partial else ''}"
                              f"  ·  set of {fmt_time(latest.at)}")
            self.band.setToolTip(r.summary)
            self.response.setText(f"at least: {r.response[0].lower()}{r.response[1:]}"
                                  if r.partial else r.response)
            single = "; a single parameter scores 3" if r.any_single_three else ""
            self.partial.setText((missing_text(r) or "complete") + single)
        self.setAccessibleDescription(
            f"NEWS2 {self.value.text()}, {self.band.text()}, {self.partial.text()}")
        self.restyle()

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.trend.set_theme(theme)
        self.restyle()

    def restyle(self) -> None:
        theme, latest = self._theme, self._latest
        severity = BAND_SEVERITY[latest.result.band] if latest else None
        background = theme.severity[severity] if severity else theme.surface
        foreground = theme.severity_text[severity] if severity else theme.muted
        self.setStyleSheet(
            f"QFrame#news2Panel {{ background: {background}; border-radius: 6px;"
            f" border: 1px solid {theme.grid}; }}"
            f"QLabel {{ color: {foreground}; background: transparent; font-size: 10pt; }}"
            f"QLabel#news2Value {{ font-size: 24pt; font-weight: 600; padding-right: 8px; }}"
            f"QLabel#news2Band, QLabel#news2Partial {{ font-weight: 600; }}"
        )


def _unchanged_points(shown: Sequence[News2Point], change: ReadingsChange) -> int:
    """How many of the first ``shown`` points ``change`` leaves as they are: all of them
    for a new reading (the usual case), those before the earliest changed one otherwise."""
    changed = [reading_order(r) for r in (*change.removed, *change.added) if r.is_current]
    if not changed:
        return len(shown)
    return bisect_left(shown, min(changed), key=point_order)


def scored_in_background(_store: Any, readings: Sequence[Reading], _cancelled: Any
                         ) -> list[News2Point]:
    """The NEWS2 trend of a long session, scored in the loader's worker thread."""
    return News2Memo().trend(readings)


def install_news2(window: Any) -> News2Panel:
    """Put the NEWS2 panel at the top of the column beside the chart and keep it in step
    with the session's readings (saved, corrected, entered in error) and the theme."""
    controller = window.controller
    panel = News2Panel(window.theme)
    window.add_side_widget(panel)
    controller.loader.add_step("news2", lambda: scored_in_background)
    controller.readingsChanged.connect(lambda: panel.show_readings(
        controller.readings, controller.change_since(panel.shown)))
    ThemeWatcher(panel, lambda: window.theme, panel.set_theme)
    panel.show_readings(controller.readings)
    return panel
