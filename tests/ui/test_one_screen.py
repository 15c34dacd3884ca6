"""The bedside screen fits one screen, from 1280×720 to 1920×1200, in both themes: header,
banner, tiles, entry strip with its countdown and the chart all in sight, nothing scrolls,
the chart takes the height that is left, and the window opens maximised or where it was."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QMainWindow,
    QScrollArea,
    QWidget,
)

from monitor.domain.vitals import Vital
from monitor.ui.geometry import SMALLEST_SCREEN, remember_geometry, show_placed
from monitor.ui.settings_keys import WINDOW_GEOMETRY
from monitor.ui.theme import ThemeName

from .test_entry_panel import type_reading

SCREENS = [(1280, 720), (1366, 768), (1600, 1000), (1920, 1080), (1920, 1200)]


def rect_in_window(window: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def must_be_in_sight(window) -> dict[str, QWidget]:
    """What a nurse must see without touching the mouse."""
    countdown = window.findChild(QWidget, "scheduleCountdownPanel")
    widgets = {
        "header": window.header, "banner": window.banner, "chart": window.chart,
        "save": window.entry.save_button, "initials": window.entry.initials_input,
        "time": window.entry.time_input, "countdown": countdown,
        "readings table": window.table,
    }
    widgets |= {f"{v.value} tile": tile.value for v, tile in window.tiles.tiles.items()}
    widgets |= {f"{v.value} state": tile.state for v, tile in window.tiles.tiles.items()}
    return widgets


def show_at(qtbot, window, size: tuple[int, int]) -> None:
    window.showNormal()
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().toTuple() == size)
    QApplication.processEvents()


@pytest.mark.parametrize("theme", [ThemeName.LIGHT, ThemeName.DARK])
@pytest.mark.parametrize("size", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_everything_a_nurse_needs_is_in_sight_without_scrolling(qtbot, window, size, theme):
    window.apply_theme(theme)
    type_reading(qtbot, window, ["132", "84", "88", "14", "97"])
    show_at(qtbot, window, size)

    frame = window.rect()
    for name, widget in must_be_in_sight(window).items():
        assert widget.isVisible(), f"{name} hidden at {size}"
        place = rect_in_window(window, widget)
        assert frame.contains(place), f"{name} cut off at {size}: {place} outside {frame}"
        scroller = widget.parentWidget()
        while scroller is not None and scroller is not window:
            # The readings table scrolls its own rows; nothing else may sit in a scroll area.
            assert not isinstance(scroller, QScrollArea) or widget is window.table, \
                f"{name} is inside a scroll area at {size}"
            scroller = scroller.parentWidget()
    assert window.tiles.tile(Vital.SBP).value.text() == "132/84"
    assert window.size().toTuple() == size  # nothing pushed the window wider or taller


def test_the_smallest_screen_is_what_the_layout_needs_at_most(qtbot, window):
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALLEST_SCREEN[0] and hint.height() <= SMALLEST_SCREEN[1]


def test_the_chart_takes_the_height_a_bigger_screen_adds(qtbot, window):
    show_at(qtbot, window, (1280, 720))
    small_chart, small_numerals = window.chart.height(), window.tiles.tile(Vital.HR).numeral_px
    assert small_chart >= 160
    show_at(qtbot, window, (1920, 1200))
    # Of the 480 extra lines the chart gets most; the numerals grow too, for two metres.
    assert window.chart.height() - small_chart >= 300
    assert window.tiles.tile(Vital.HR).numeral_px > small_numerals
    assert window.table.height() >= 96  # three rows stay in sight to correct from


def test_many_alert_rows_do_not_widen_the_window(qtbot, window):
    show_at(qtbot, window, (1280, 720))
    window.entry.confirm = lambda questions: True
    # Every vital beyond its critical limit: one banner row each.
    type_reading(qtbot, window, ["230", "135", "175", "45", "79"])
    qtbot.waitUntil(lambda: len(window.banner.rows) >= 3)
    QApplication.processEvents()
    assert window.size().toTuple() == (1280, 720)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720
    # The rest are counted, not dropped: the history has them all.
    more = window.banner.more_label
    assert more.isVisible() and more.text().startswith("+ 2 more active")
    assert window.chart.height() >= 160
    assert rect_in_window(window, window.entry.save_button).bottom() < 720


def test_no_scroll_area_hides_the_side_column_any_more(window):
    side = window.side_column
    assert not any(isinstance(w, QAbstractScrollArea) and w.isAncestorOf(side)
                   for w in window.findChildren(QAbstractScrollArea))


def test_first_start_is_maximised_and_the_next_start_is_where_it_was_left(qtbot, settings):
    # A bare main window: the offscreen screen (800×800) is smaller than the monitor's.
    window = QMainWindow()
    qtbot.addWidget(window)
    show_placed(window, settings)
    qtbot.waitUntil(lambda: window.isVisible())
    assert window.windowState() & Qt.WindowState.WindowMaximized
    assert window.size() == window.screen().availableGeometry().size()

    window.showNormal()
    window.setGeometry(40, 50, 700, 500)
    qtbot.waitUntil(lambda: window.geometry() == QRect(40, 50, 700, 500))
    remember_geometry(window, settings)
    window.hide()
    window.setGeometry(0, 0, 300, 200)
    show_placed(window, settings)
    qtbot.waitUntil(lambda: window.isVisible())
    assert window.size().toTuple() == (700, 500)
    assert abs(window.x() - 40) <= 4 and abs(window.y() - 50) <= 4  # give or take a frame
    assert not window.windowState() & Qt.WindowState.WindowMaximized


def test_a_geometry_from_a_screen_no_longer_there_opens_on_this_one(qtbot, settings):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    window.setGeometry(5000, 4000, 700, 500)
    remember_geometry(window, settings)
    window.hide()
    show_placed(window, settings)
    qtbot.waitUntil(lambda: window.isVisible())
    assert window.screen().availableGeometry().intersects(window.frameGeometry())


@pytest.mark.parametrize("saved", ["bm90IGEgZ2VvbWV0cnk=", "%%%not base64%%%", "Größe 800×600"])
def test_a_corrupt_saved_geometry_opens_the_window_maximised(qtbot, settings, saved):
    WINDOW_GEOMETRY.write(saved, settings)
    window = QMainWindow()
    qtbot.addWidget(window)
    show_placed(window, settings)
    qtbot.waitUntil(lambda: window.isVisible())
    assert window.windowState() & Qt.WindowState.WindowMaximized


def test_closing_the_main_window_remembers_its_geometry(qtbot, window):
    WINDOW_GEOMETRY.write("", window.settings)
    window.close()
    assert WINDOW_GEOMETRY.read(window.settings) != ""


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "geometry.ini"), QSettings.Format.IniFormat)
