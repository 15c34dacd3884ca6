"""What the nurse did shows at once: a reading marked entered in error or corrected leaves
or changes the live chart, its value axis and the tiles without a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital


def chart_sbp(window) -> list[float]:
    _, values = window.chart.series(Vital.SBP)
    return [v for v in np.asarray(values, dtype=float).tolist() if v == v]


def axis_top(window) -> float:
    return window.chart.plot_for(Vital.SBP).getViewBox().viewRange()[1][1]


def test_an_entry_in_error_leaves_the_chart_its_axis_and_the_tiles_at_once(qtbot, window):
    now = datetime.now(UTC)
    c = window.controller
    c.save_reading(new_reading(now - timedelta(minutes=10), {Vital.SBP: 128, Vital.DBP: 80},
                               entered_by="AB"))
    wrong = c.save_reading(new_reading(now - timedelta(minutes=5),
                                       {Vital.SBP: 260, Vital.DBP: 80}, entered_by="AB"))
    qtbot.waitUntil(lambda: 260 in chart_sbp(window))
    assert axis_top(window) >= 260
    assert window.tiles.tile(Vital.SBP).value.text().startswith("260/")
    c.mark_in_error(wrong, "AB", "Typing error")
    assert chart_sbp(window) == [128]
    qtbot.waitUntil(lambda: axis_top(window) < 240)
    assert window.tiles.tile(Vital.SBP).value.text().startswith("128/")
    assert window.chart.flagged(Vital.SBP) == []


def test_a_correction_changes_the_chart_and_tile_at_once(qtbot, window):
    now = datetime.now(UTC)
    c = window.controller
    wrong = c.save_reading(new_reading(now - timedelta(minutes=5),
                                       {Vital.SBP: 210, Vital.DBP: 80}, entered_by="AB"))
    c.correct_reading(wrong, {Vital.SBP: 120, Vital.DBP: 80}, "KL", "Typing error")
    assert chart_sbp(window) == [120]
    assert window.tiles.tile(Vital.SBP).value.text().startswith("120/")
    qtbot.waitUntil(lambda: axis_top(window) < 210)  # back to the default range
