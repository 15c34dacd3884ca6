"""The alert banner as a nurse uses it: what it shows, flashing, acknowledging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QApplication

from monitor.domain.alerts import AlertPriority
from monitor.domain.readings import new_reading
from monitor.domain.thresholds import Severity
from monitor.domain.vitals import Vital
from monitor.ui.theme import DARK, LIGHT, ThemeName


def save(window, minutes_ago: float, **values: float):
    reading = new_reading(datetime.now(UTC) - timedelta(minutes=minutes_ago),
                          {Vital(k): v for k, v in values.items()}, entered_by="JM")
    return window.controller.save_reading(reading)


def stored_acks(other_connection, window) -> list[str | None]:
    return [s.alert.acknowledged_by
            for s in other_connection.alert_history(window.controller.session.id)]


def press(qtbot, key: Qt.Key) -> None:
    """A key press where the nurse's cursor is."""
    qtbot.keyClick(QApplication.focusWidget(), key)


def feed_goes_silent(window) -> None:
    """The live feed stops: a technical (feed-silent) alert after the silence limit."""
    start = datetime.now(UTC)
    window.alerts.feed_message_received(start)
    window.controller.clock = lambda: start + timedelta(minutes=10)
    window.alerts.tick()


# -- what it shows ----------------------------------------------------------------------------

def test_without_alerts_the_banner_says_none_are_active(window):
    assert "No active alerts" in window.banner.text()
    assert window.banner.rows == []


def test_high_alert_shows_message_symbol_word_and_colour(window):
    save(window, 1, sbp=184, dbp=90)
    (row,) = window.banner.rows
    assert "*** HIGH  SBP 184 > 180 mmHg" in row.text()
    assert row.property("priority") == "high"
    assert window.theme.severity[Severity.CRITICAL] in row.styleSheet()
    assert "No active alerts" not in window.banner.text()


def test_alerts_are_listed_most_urgent_first(window):
    save(window, 1, hr=115)
    save(window, 0.5, sbp=184, dbp=90, hr=115)
    texts = [row.text() for row in window.banner.rows]
    assert texts[0].startswith("*** HIGH  SBP 184 > 180 mmHg")
    assert texts[1].startswith("** MEDIUM  HR 115 > 110 /min")
    assert window.theme.severity[Severity.CAUTION] in window.banner.rows[1].styleSheet()


def test_latched_alert_says_the_value_is_back_but_not_acknowledged(window):
    save(window, 10, sbp=184, dbp=90)
    save(window, 5, sbp=130, dbp=80)
    (row,) = window.banner.rows
    assert "SBP 184 > 180 mmHg" in row.text()
    assert "LATCHED: SBP back to 130, not yet acknowledged" in row.text()


def test_technical_alert_has_its_own_look_and_never_flashes(window):
    save(window, 1, sbp=184, dbp=90)
    feed_goes_silent(window)
    physiological, technical = window.banner.rows
    assert physiological.objectName() == "alertRow"
    assert technical.objectName() == "technicalAlertRow"
    assert technical.property("kind") == "technical"
    assert technical.text().startswith("⚙ TECHNICAL (medium)  No data from the monitor")
    assert "*" not in technical.text()
    assert "dashed" in technical.styleSheet()
    assert window.theme.severity[Severity.CAUTION] not in technical.styleSheet()
    assert not technical.flashing


def test_banner_follows_the_theme(window):
    save(window, 1, sbp=184, dbp=90)
    for theme in (DARK, LIGHT):
        window.apply_theme(theme.name)
        assert theme.severity[Severity.CRITICAL] in window.banner.rows[0].styleSheet()
        assert theme.surface in window.banner.styleSheet()
    assert window.theme.name is ThemeName.LIGHT


# -- flashing ---------------------------------------------------------------------------------

def test_unacknowledged_high_alert_flashes(qtbot, window):
    save(window, 1, sbp=184, dbp=90)
    row = window.banner.rows[0]
    assert window.banner.flash_timers[AlertPriority.HIGH].isActive()
    lit = row.lit
    qtbot.waitUntil(lambda: row.lit != lit)
    window.banner.flash_step(AlertPriority.HIGH)
    assert row.lit == lit


def test_flashed_off_row_keeps_its_text_and_outline(window):
    save(window, 1, sbp=184, dbp=90)
    row = window.banner.rows[0]
    if row.lit:
        window.banner.flash_step(AlertPriority.HIGH)
    assert not row.lit
    assert "SBP 184 > 180 mmHg" in row.text()
    assert f"border: 3px solid {window.theme.severity[Severity.CRITICAL]}" in row.styleSheet()


def test_medium_alert_flashes_slower_than_high(window):
    save(window, 1, hr=115)
    assert window.banner.flash_timers[AlertPriority.MEDIUM].isActive()
    assert not window.banner.flash_timers[AlertPriority.HIGH].isActive()
    high, medium = (window.banner.flash_timers[p].interval()
                    for p in (AlertPriority.HIGH, AlertPriority.MEDIUM))
    assert 200 <= high <= 300  # about 2 Hz
    assert 700 <= medium <= 1000  # 0.5-0.7 Hz


def test_acknowledged_alert_is_steady(qtbot, window):
    save(window, 1, sbp=184, dbp=90, hr=115)
    qtbot.keyClicks(window.banner.initials, "KL")
    qtbot.mouseClick(window.banner.ack_button, Qt.MouseButton.LeftButton)
    assert not window.banner.flash_timers[AlertPriority.HIGH].isActive()
    row = window.banner.rows[0]
    window.banner.flash_step(AlertPriority.HIGH)
    assert row.lit and not row.flashing


# -- acknowledging ----------------------------------------------------------------------------

def test_acknowledge_button_records_the_initials(qtbot, window, other_connection):
    save(window, 1, sbp=184, dbp=90)
    qtbot.keyClicks(window.banner.initials, "kl")
    qtbot.mouseClick(window.banner.ack_button, Qt.MouseButton.LeftButton)

    assert stored_acks(other_connection, window) == ["KL"]
    (row,) = window.banner.rows
    assert "acknowledged by KL at" in row.text()
    assert "1 alert acknowledged by KL" in window.banner.text()


def test_acknowledging_a_latched_alert_clears_it_from_the_banner(qtbot, window,
                                                                 other_connection):
    save(window, 10, sbp=184, dbp=90)
    save(window, 5, sbp=130, dbp=80)
    qtbot.keyClicks(window.banner.initials, "KL")
    qtbot.keyClick(window.banner.initials, Qt.Key.Key_Return)
    assert window.banner.rows == []
    (stored,) = other_connection.alert_history(window.controller.session.id)
    assert stored.alert.acknowledged_by == "KL" and stored.alert.resolved_at is not None


def test_shortcut_acknowledges_all_with_the_entry_panel_initials(qtbot, window,
                                                                 other_connection):
    save(window, 1, sbp=184, dbp=90, hr=115)
    window.entry.initials_input.setText("JM")
    window.entry.focus_first()
    press(qtbot, Qt.Key.Key_F9)

    assert stored_acks(other_connection, window) == ["JM", "JM"]
    assert all("acknowledged by JM" in row.text() for row in window.banner.rows)


def test_banner_initials_win_over_the_entry_panel(qtbot, window, other_connection):
    save(window, 1, sbp=184, dbp=90)
    window.entry.initials_input.setText("JM")
    qtbot.keyClicks(window.banner.initials, "AB")
    press(qtbot, Qt.Key.Key_F9)
    assert stored_acks(other_connection, window) == ["AB"]


def test_shortcut_without_initials_acknowledges_nothing(qtbot, window, other_connection):
    save(window, 1, sbp=184, dbp=90)
    window.entry.initials_input.clear()
    window.entry.focus_first()
    press(qtbot, Qt.Key.Key_F9)

    assert stored_acks(other_connection, window) == [None]
    assert "Type your initials to acknowledge" in window.banner.text()
    assert QApplication.focusWidget() is window.banner.initials
    assert window.banner.rows[0].flashing


def test_blank_initials_acknowledge_nothing(qtbot, window, other_connection):
    save(window, 1, sbp=184, dbp=90)
    window.entry.initials_input.clear()
    qtbot.keyClicks(window.banner.initials, "   ")
    qtbot.mouseClick(window.banner.ack_button, Qt.MouseButton.LeftButton)
    assert stored_acks(other_connection, window) == [None]
    assert "Type your initials" in window.banner.text()


def test_initials_that_are_not_letters_are_refused(qtbot, window, other_connection):
    save(window, 1, sbp=184, dbp=90)
    qtbot.keyClicks(window.banner.initials, "K1")
    qtbot.mouseClick(window.banner.ack_button, Qt.MouseButton.LeftButton)
    assert stored_acks(other_connection, window) == [None]
    assert "Initials 'K1' must be up to 6 letters" in window.banner.text()


def test_bad_entry_panel_initials_are_refused_too(qtbot, window, other_connection):
    save(window, 1, sbp=184, dbp=90)
    window.entry.initials_input.setText("J-M")
    press(qtbot, Qt.Key.Key_F9)
    assert stored_acks(other_connection, window) == [None]
    assert "Initials 'J-M'" in window.banner.text()


def test_initials_field_takes_at_most_six_characters(qtbot, window):
    qtbot.keyClicks(window.banner.initials, "ABCDEFGH")
    assert window.banner.initials.text() == "ABCDEF"


def test_acknowledge_with_nothing_waiting_says_so(qtbot, window, other_connection):
    qtbot.keyClicks(window.banner.initials, "KL")
    qtbot.mouseClick(window.banner.ack_button, Qt.MouseButton.LeftButton)
    assert "No alert is waiting to be acknowledged" in window.banner.text()
    assert other_connection.alert_history(window.controller.session.id) == []


def test_shortcut_also_acknowledges_technical_alerts(qtbot, window, other_connection):
    feed_goes_silent(window)
    qtbot.keyClicks(window.banner.initials, "KL")
    press(qtbot, Qt.Key.Key_F9)
    (stored,) = other_connection.alert_history(window.controller.session.id)
    assert stored.alert.condition == "feed-silent" and stored.alert.acknowledged_by == "KL"


def test_alert_shortcuts_clash_with_no_other_shortcut(window):
    taken = [a.shortcut().toString() for a in window.findChildren(QAction)
             if not a.shortcut().isEmpty()]
    taken += [s.key().toString() for s in window.findChildren(QShortcut)]
    for name in ("acknowledgeAlertsAction", "pauseAudioAction", "alertHistoryAction"):
        action = window.findChild(QAction, name)
        assert taken.count(action.shortcut().toString()) == 1, action.shortcut().toString()
