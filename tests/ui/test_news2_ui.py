"""NEWS2 from typed observation sets: inputs after Save in the Tab chain, what is stored,
the latest score (partial shown as a lower bound, never as if 0) and the trend."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from monitor.domain.vitals import Vital
from monitor.ui.entry.news2_panel import News2Panel

from .test_entry_panel import type_reading


def type_full_set(qtbot, vitals: list[str], consciousness: str = "", oxygen: str = "",
                  temperature: str = "", initials: str = "jm") -> None:
    """Vitals, time, initials as usual, then Tab past Save into the NEWS2 inputs, choosing
    each by its first letter; Enter saves."""
    for text in vitals:
        qtbot.keyClicks(QApplication.focusWidget(), text)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # time stays "now"
    qtbot.keyClicks(QApplication.focusWidget(), initials)
    for text in ("", consciousness, oxygen, temperature):  # "" is the Save button
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if text:
            qtbot.keyClicks(QApplication.focusWidget(), text)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def panel(window) -> News2Panel:
    return window.findChild(News2Panel)


def test_news2_inputs_follow_save_in_the_tab_chain(qtbot, window):
    window.entry.save_button.setFocus()
    order = []
    for _ in range(3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget().objectName())
    assert order == ["consciousnessInput", "oxygenInput", "temperatureInput"]


def test_full_set_is_stored_with_its_news2_inputs_and_scored_completely(
        qtbot, window, other_connection):
    # RR 22 -> 2, SpO2 95 -> 1, HR 95 -> 1; air, alert, 37.0 °C and SBP 132 -> 0.
    type_full_set(qtbot, ["132", "84", "95", "22", "95"], "a", "a", "37,0")

    (stored,) = other_connection.readings(window.controller.session.id)
    assert (stored.consciousness, stored.on_oxygen, stored.temperature_c) == ("A", False, 37.0)
    shown = panel(window)
    assert shown.value.text() == "4"
    assert shown.band.text().startswith("low  ·")
    assert shown.response.text() == "Registered nurse to assess; decide frequency of monitoring"
    assert shown.partial.text() == "complete"
    assert shown.trend.points() == [(stored.taken_at.timestamp(), 4, False)]


def test_missing_consciousness_gives_a_partial_score_never_counted_as_zero(
        qtbot, window, other_connection):
    # Only the vitals and "on oxygen": consciousness and temperature not assessed.
    type_full_set(qtbot, ["132", "84", "95", "22", "95"], "", "o")

    (stored,) = other_connection.readings(window.controller.session.id)
    assert stored.consciousness is None and stored.on_oxygen is True
    shown = panel(window)
    assert shown.value.text() == "≥ 6"  # a lower bound, not "6"
    assert shown.partial.text() == "partial: consciousness, temperature missing"
    assert "or higher" in shown.band.text() and shown.response.text().startswith("at least: ")
    assert shown.trend.points() == [(stored.taken_at.timestamp(), 6, True)]


def test_vitals_only_reading_is_partial_and_names_everything_missing(qtbot, window):
    type_reading(qtbot, window, ["132", "84", "", "", ""])
    text = panel(window).partial.text()
    assert text == ("partial: respiration rate, SpO2, air or oxygen, pulse, consciousness, "
                    "temperature missing")
    assert panel(window).value.text() == "≥ 0"


def test_consciousness_and_oxygen_stay_for_the_next_set_temperature_is_cleared(
        qtbot, window, other_connection):
    type_full_set(qtbot, ["120", "80", "70", "16", "97"], "c", "a", "38.4")
    inputs = window.entry.news2_inputs
    assert inputs.consciousness.currentText() == "C: new Confusion"
    assert inputs.oxygen.currentText() == "Air"
    assert inputs.temperature.text() == ""

    type_reading(qtbot, window, ["121", "80", "70", "16", "97"])
    first, second = other_connection.readings(window.controller.session.id)
    assert (first.consciousness, first.temperature_c) == ("C", 38.4)
    assert (second.consciousness, second.on_oxygen, second.temperature_c) == ("C", False, None)
    # new confusion scores 3 on its own: low-medium even though the total is low
    assert panel(window).band.text().startswith("low-medium")
    assert "single parameter scores 3" in panel(window).partial.text()


@pytest.mark.parametrize(
    ("temperature", "message"),
    [("abc", "'abc' is not a number"),
     ("50", "50 °C is outside the plausible range 25-45 °C"),
     ("3,7", "3.7 °C is outside the plausible range")],
)
def test_bad_temperature_is_named_beside_its_field_and_nothing_is_saved(
        qtbot, window, other_connection, temperature, message):
    type_full_set(qtbot, ["120", "80", "70", "16", "97"], "a", "a", temperature)

    label = window.findChild(QLabel, "temperatureInputError")
    assert label.isVisible() and message in label.text()
    assert other_connection.readings(window.controller.session.id) == []
    assert window.entry.news2_inputs.temperature.text() == temperature  # kept for fixing
    assert panel(window).value.text() == "—"


def test_trend_follows_corrections_and_entries_in_error(qtbot, window):
    window.entry.confirm = lambda _questions: True  # the critical values are meant
    type_full_set(qtbot, ["132", "84", "95", "22", "95"], "a", "a", "37")
    type_full_set(qtbot, ["88", "50", "135", "26", "90"], "a", "a", "37")
    trend = panel(window).trend
    assert [total for _, total, _ in trend.points()] == [4, 12]
    assert panel(window).value.text() == "12" and panel(window).band.text().startswith("high")

    wrong = window.controller.current_readings()[-1]
    window.controller.mark_in_error(wrong, "AB", "Wrong patient")
    assert [total for _, total, _ in trend.points()] == [4]
    assert panel(window).value.text() == "4"

    right = window.controller.current_readings()[-1]
    values = {v: x for v, x in right.values.items() if v is not Vital.MAP}
    values[Vital.RR] = 14.0
    window.controller.correct_reading(right, values, "KL", "Typing error")
    assert [total for _, total, _ in trend.points()] == [2]  # RR 14 scores 0 now


def test_a_new_session_starts_with_nothing_assessed(qtbot, window):
    inputs = window.entry.news2_inputs
    inputs.consciousness.setCurrentIndex(1)
    inputs.oxygen.setCurrentIndex(2)
    window.controller.sessionChanged.emit()
    assert inputs.consciousness.currentText() == "not assessed"
    assert inputs.oxygen.currentText() == "not recorded"


def tick_texts(axis) -> list[str]:
    """The tick labels ``axis`` would draw now."""
    from PySide6.QtGui import QImage, QPainter

    image = QImage(400, 200, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for *_rest, text in specs[2]] if specs else []


def test_an_empty_trend_shows_no_stray_tick_labels_until_a_score(qtbot, window):
    trend = window.findChild(News2Panel).trend
    plot = trend.getPlotItem()
    assert tick_texts(plot.getAxis("bottom")) == []
    assert tick_texts(plot.getAxis("left")) == []
    type_reading(qtbot, window, ["120", "80", "80", "14", "97"])
    qtbot.waitUntil(lambda: len(trend.trend) == 1)
    assert tick_texts(plot.getAxis("left"))  # 0, 5, 7, 10 once there is a score
