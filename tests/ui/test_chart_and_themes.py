"""The chart's bands follow the threshold profile; themes switch and persist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.ui.theme import ThemeName


def test_default_profile_bands_are_drawn(window):
    bands = window.chart.band_limits(Vital.SBP)
    assert (160, 180) in bands and (180, 300) in bands
    assert (94, 90) not in window.chart.band_limits(Vital.SPO2)
    assert (90, 94) in window.chart.band_limits(Vital.SPO2)


def test_readings_plot_in_time_order_with_gaps_for_missing_values(window):
    now = datetime.now(UTC)
    window.controller.save_reading(new_reading(now - timedelta(minutes=20),
                                               {Vital.HR: 80}, entered_by="JM"))
    window.controller.save_reading(new_reading(now - timedelta(minutes=30),
                                               {Vital.SBP: 120, Vital.DBP: 80}, entered_by="JM"))
    xs, ys = window.chart.series(Vital.SBP)
    assert list(xs) == sorted(xs)
    assert ys[0] == 120 and ys[1] != ys[1]  # NaN: a gap, not a zero


def test_dark_theme_from_the_menu_persists(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.theme.name is ThemeName.DARK
    assert window.settings.value("theme") == "dark"
    assert window.chart.backgroundBrush().color().name() == window.theme.surface
