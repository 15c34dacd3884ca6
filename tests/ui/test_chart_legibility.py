"""The chart stays legible: its key is outside the plots, where it covers no reading; labels of
events, sedation scores, phases, the infusion and discharge neither overlap nor run off the
plot (close ones are stacked, or counted as one label); and the time axis of a live session
reaches now. Time is a clock the test sets, never the computer's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF

from monitor.domain.closing import DischargeDetails
from monitor.domain.events import ClinicalEvent, ClinicalEventKind, SedationEntry, SedationScale
from monitor.domain.readings import new_reading
from monitor.domain.sessions import Infusion, Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import Store
from monitor.ui.app import GuiOptions, build_window
from monitor.ui.chart.chart import VitalsChart
from monitor.ui.main_window import MainWindow
from tests.clock import Clock

#: "Now" when each test starts; the infusion ran from T-2h to T-30min.
T = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
KINDS = (ClinicalEventKind.NAUSEA, ClinicalEventKind.DIZZINESS, ClinicalEventKind.VOMITING,
         ClinicalEventKind.CONFUSION, ClinicalEventKind.HALLUCINATION)



@pytest.fixture
def clock() -> Clock:
    return Clock(T)


@pytest.fixture
def live(qtbot, store: Store, db_path: Path, clock: Clock) -> Iterator[MainWindow]:
    """The window on an open session, its clock at T, with readings every 15 minutes from
    T-2h to T-15min."""
    store.create_session(Session(
        Patient("P-8"), Infusion(started_at=T - 120 * MIN, ended_at=T - 30 * MIN),
        started_at=T - 140 * MIN), "JM")
    win = build_window(store, GuiOptions(db_path=db_path, patient_id="P-8"))
    qtbot.addWidget(win)
    win.controller.clock = clock
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    for minutes in range(120, 0, -15):
        win.controller.save_reading(new_reading(
            T - minutes * MIN, {Vital.SBP: 150, Vital.DBP: 90, Vital.HR: 80, Vital.RR: 14,
                                Vital.SPO2: 97}, entered_by="JM"))
    yield win
    win.close()


def painted(chart: VitalsChart) -> VitalsChart:
    """``chart`` after it has been painted, as the nurse sees it."""
    chart.grab()
    return chart


def view_rect(chart: VitalsChart, index: int = 0) -> QRectF:
    return chart.plots[index].getViewBox().sceneBoundingRect()


def shown_labels(chart: VitalsChart) -> list[tuple[str, QRectF]]:
    """Text and scene rectangle of every label on a line of the top plot that is drawn."""
    top = chart.plots[0].getViewBox()
    return [(item.toPlainText(), item.sceneBoundingRect()) for item in chart.scene().items()
            if isinstance(item, pg.InfLineLabel) and item.isVisible()
            and item.getViewBox() is top]


def assert_legible(chart: VitalsChart) -> list[str]:
    """No two labels of the top plot overlap and each is wholly inside it; their texts."""
    labels = shown_labels(chart)
    inside = view_rect(chart)
    for text, rect in labels:
        assert inside.contains(rect), (text, rect, inside)
    for (a, ra), (b, rb) in combinations(labels, 2):
        assert not ra.intersects(rb), (a, ra, b, rb)
    return [text for text, _ in labels]


def counted(texts: list[str], names: set[str]) -> int:
    """How many entries ``texts`` name or count (``3 events``)."""
    total = 0
    for text in texts:
        many = re.fullmatch(r"(\d+) events", text)
        total += int(many.group(1)) if many else text in names
    return total


# -- the key --------------------------------------------------------------------------------

def test_key_is_in_the_title_not_over_the_newest_points(live):
    chart = painted(live.chart)
    assert not [i for i in chart.scene().items() if isinstance(i, pg.LegendItem)]
    top = chart.plots[0]
    title = top.titleLabel
    for vital in (Vital.SBP, Vital.DBP, Vital.MAP):
        name = {Vital.SBP: "SBP", Vital.DBP: "DBP", Vital.MAP: "MAP"}[vital]
        assert name in title.item.toPlainText()
        assert chart.theme.series[vital] in title.text  # its swatch in the series' colour
    assert not title.sceneBoundingRect().intersects(view_rect(chart))
    # The newest readings, at the right of the plot, are drawn in the clear.
    xs, ys = chart.series(Vital.SBP)
    newest = top.getViewBox().mapViewToScene(pg.Point(float(xs[-1]), float(ys[-1])))
    assert view_rect(chart).contains(newest)
    covering = [i for i in chart.scene().items()
                if isinstance(i, pg.LabelItem | pg.LegendItem) and i.isVisible()
                and i.sceneBoundingRect().contains(newest)]
    assert covering == []


def test_key_follows_the_theme(live):
    live.toggle_theme()
    try:
        assert live.chart.theme.series[Vital.DBP] in live.chart.plots[0].titleLabel.text
    finally:
        live.toggle_theme()  # the choice is remembered: leave it as other tests expect


# -- labels ---------------------------------------------------------------------------------

def test_events_a_minute_apart_are_stacked_or_counted_never_overlapping(live, clock):
    names = set()
    for i in range(8):
        kind = KINDS[i % len(KINDS)]
        live.alerts.add_timeline_entry(ClinicalEvent(kind, T - (30 - i) * MIN, "JM"))
        names.add(kind.label)
    live.alerts.add_timeline_entry(SedationEntry(SedationScale.RASS, -1, T - 29 * MIN, "JM"))
    names.add("RASS −1")
    chart = painted(live.chart)
    texts = assert_legible(chart)
    assert "infusion start" in texts
    assert counted(texts, names) == 9  # every entry is named or counted

    # The nurse zooms in so that the newest entries sit at the plot's right edge.
    chart.plots[0].setXRange((T - 33 * MIN).timestamp(), (T - 22.5 * MIN).timestamp(),
                             padding=0)
    texts = assert_legible(painted(chart))
    assert counted(texts, names) == 9
    assert any(t in names for t in texts)  # with room, entries are named, not counted


def test_a_label_at_the_right_edge_stays_inside_the_plot(live):
    live.alerts.add_timeline_entry(ClinicalEvent(
        ClinicalEventKind.OTHER, T - MIN, "JM", note="patient asks for the toilet"))
    chart = live.chart
    chart.plots[0].setXRange((T - 60 * MIN).timestamp(), (T - 0.5 * MIN).timestamp(),
                             padding=0)
    texts = assert_legible(painted(chart))
    assert "Other" in texts


def test_collapsed_label_tells_every_entry_in_its_tooltip(live):
    for i in range(12):
        live.alerts.add_timeline_entry(ClinicalEvent(KINDS[i % 5], T - (40 - i) * MIN, "JM"))
    chart = painted(live.chart)
    texts = assert_legible(chart)
    collapsed = [e for e in chart.line_labels() if len(e.shown_for) > 1]
    assert collapsed and all(f"{len(e.shown_for)} events" in texts for e in collapsed)
    tip = collapsed[0].label.toolTip()
    assert tip.count("(JM)") == len(collapsed[0].shown_for)


def test_phase_and_discharge_labels_keep_clear_of_the_events(live, clock):
    for i in range(4):
        live.alerts.add_timeline_entry(ClinicalEvent(KINDS[i], T - (8 - i) * MIN, "JM"))
    live.controller.close_session(DischargeDetails(T - 5 * MIN, True, True, "JM"))
    texts = assert_legible(painted(live.chart))
    for expected in ("infusion", "recovery", "discharged", "infusion end"):
        assert expected in texts
    assert counted(texts, {k.label for k in KINDS}) == 4


def test_a_phase_begun_before_the_view_is_named_at_its_left_edge(live):
    chart = live.chart
    chart.plots[0].setXRange((T - 100 * MIN).timestamp(), (T - 10 * MIN).timestamp(),
                             padding=0)
    texts = assert_legible(painted(chart))
    assert "infusion" in texts and "recovery" in texts
    (named,) = [rect for text, rect in shown_labels(chart) if text == "infusion"]
    assert named.left() - view_rect(chart).left() < 5


# -- the time axis ----------------------------------------------------------------------------

def test_time_axis_of_a_live_session_reaches_now(live, clock):
    chart = live.chart
    (lo, hi), _ = chart.plots[0].getViewBox().viewRange()
    newest = chart.series(Vital.HR)[0][-1]
    assert newest == (T - 15 * MIN).timestamp()
    assert lo <= (T - 120 * MIN).timestamp() and hi > T.timestamp()  # the gap since shows

    clock.now = T + 40 * MIN  # no reading for 55 minutes
    live.alerts.tick()
    (_, hi), _ = chart.plots[0].getViewBox().viewRange()
    assert hi > clock.now.timestamp()


def test_time_axis_of_a_closed_session_ends_with_what_was_recorded(live, clock):
    live.controller.close_session(DischargeDetails(T - 5 * MIN, True, True, "JM"))
    clock.now = T + 3 * 60 * MIN
    live.alerts.tick()
    (_, hi), _ = live.chart.plots[0].getViewBox().viewRange()
    assert T.timestamp() < hi < (T + 60 * MIN).timestamp()
