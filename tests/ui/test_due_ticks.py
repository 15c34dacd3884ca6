"""The due-time ticks as drawn: the same marks on every plot, kept in one item per plot
that is updated rather than rebuilt, recoloured with the theme at once, and a tooltip
when the pointer rests on one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QPoint, QPointF

from monitor.domain.due_status import DueStatus
from monitor.ui.chart.schedule_overlay import STYLE, DueTicks
from monitor.ui.theme import ThemeName

from .test_schedule_ui import MIN, T, ticks

# The schedule tests' fixtures: their window runs on the test clock from the start.
from .test_schedule_ui import clock as clock  # noqa: F401
from .test_schedule_ui import fixed_clock as fixed_clock  # noqa: F401
from .test_schedule_ui import window as window  # noqa: F401


def plot_items(window) -> list[int]:
    return [len(plot.items) for plot in window.chart.plots]


def test_ticks_are_updated_in_place_not_rebuilt(qtbot, window, clock):  # noqa: F811
    items = plot_items(window)
    before = ticks(window)
    window.alerts.set_schedule(replace(window.alerts.schedule(), name="Only after",
                                       during_infusion_minutes=None), "KL")
    after = ticks(window)
    assert after != before and len(after) < len(before)
    clock.now = T + 6 * MIN
    window.alerts.tick()
    assert plot_items(window) == items
    for plot in range(len(window.chart.plots)):
        assert ticks(window, plot) == ticks(window)


def test_ticks_take_the_new_theme_at_once(qtbot, window, clock):  # noqa: F811
    window.alerts.shutdown()  # no clock tick to redraw them meanwhile
    window.apply_theme(ThemeName.DARK)
    assert ticks(window)[6][1] == STYLE[DueStatus.UPCOMING][1]
    window.apply_theme(ThemeName.LIGHT)
    assert ticks(window)[6][1] == STYLE[DueStatus.UPCOMING][0]


def test_resting_on_a_tick_says_when_it_was_due(qtbot, window, clock):  # noqa: F811
    chart = window.chart
    plot = chart.plots[0]
    item = next(i for i in plot.items if isinstance(i, DueTicks))
    view = plot.vb.viewRect()
    met = (T - 15 * MIN).timestamp()

    def point_at(share_of_height: float) -> Callable[[], str]:
        """Move the pointer to the met tick's time at that height; what the tick says.
        (pyqtgraph drops moves that come too fast, and Qt a move to where the pointer
        already is, so it wobbles by a pixel until a move is taken, as a hand would.)"""
        scene = plot.vb.mapViewToScene(QPointF(met, view.top() + view.height()
                                               * share_of_height))
        wobble = [QPoint(0, 0), QPoint(0, -1)]

        def move() -> str:
            wobble.reverse()
            qtbot.mouseMove(chart.viewport(), chart.mapFromScene(scene) + wobble[0])
            return item.toolTip()
        return move

    near_bottom = point_at(0.01)
    qtbot.waitUntil(lambda: near_bottom() != "")
    assert item.toolTip().startswith("Reading due ") and item.toolTip().endswith(": met")
    far_up = point_at(0.6)  # above the ticks: nothing to say
    qtbot.waitUntil(lambda: far_up() == "")
