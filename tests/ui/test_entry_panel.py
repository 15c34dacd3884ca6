"""Typing readings: keys and clicks in, database, chart, tiles and table checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from monitor.domain.confirmation import describe_time
from monitor.domain.vitals import Vital
from monitor.store import DiskFull


def type_reading(qtbot, window, fields: list[str], initials: str = "jm") -> None:
    """Type like a nurse: values separated by Tab, skip the time with Tab, initials, Enter."""
    for text in fields:
        widget = QApplication.focusWidget()
        qtbot.keyClicks(widget, text)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # time stays "now"
    qtbot.keyClicks(QApplication.focusWidget(), initials)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def error_text(window, object_name: str) -> str:
    label = window.findChild(QLabel, f"{object_name}Error")
    return label.text() if label.isVisible() else ""


def test_focus_starts_in_systolic_and_tab_follows_the_monitor_order(qtbot, window):
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    order = []
    for _ in range(8):
        order.append(QApplication.focusWidget().objectName())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert order == ["sbpInput", "dbpInput", "hrInput", "rrInput", "spo2Input", "timeInput",
                     "initialsInput", "saveReadingButton"]


def test_typed_reading_is_committed_and_shown_everywhere(qtbot, window, other_connection):
    type_reading(qtbot, window, ["132", "84", "88", "14", "97"])

    session_id = window.controller.session.id
    stored = other_connection.readings(session_id)
    assert len(stored) == 1
    assert stored[0].values[Vital.SBP] == 132 and stored[0].values[Vital.SPO2] == 97
    assert stored[0].values[Vital.MAP] == pytest.approx(100.0)
    assert stored[0].entered_by == "JM"
    _, ys = window.chart.series(Vital.HR)
    assert list(ys) == [88]
    tile = window.tiles.tile(Vital.SBP)
    assert tile.value.text() == "132/84" and "normal" in tile.state.text()
    model = window.table_model
    assert model.rowCount() == 1 and model.index(0, 1).data() == "132"
    assert window.entry.inputs[Vital.SBP].text() == ""  # form cleared for the next one
    assert "Saved" in window.entry.status.text()


@pytest.mark.parametrize(
    ("fields", "widget", "message"),
    [
        (["abc", "80", "", "", ""], "sbpInput", "not a number"),
        (["120", "130", "", "", ""], "dbpInput", "below systolic"),
        (["", "", "", "", "101"], "spo2Input", "outside the plausible range"),
        (["-5", "80", "", "", ""], "sbpInput", "outside the plausible range"),
        (["120", "", "", "", ""], "dbpInput", "needs both systolic and diastolic"),
    ],
)
def test_invalid_input_is_named_beside_the_field_and_nothing_is_saved(
        qtbot, window, other_connection, fields, widget, message):
    type_reading(qtbot, window, fields)

    assert message in error_text(window, widget)
    assert other_connection.readings(window.controller.session.id) == []
    assert window.findChild(QLineEdit, "sbpInput").text() == fields[0]  # kept for fixing


def test_missing_initials_are_refused(qtbot, window, other_connection):
    type_reading(qtbot, window, ["120", "80", "70", "14", "98"], initials="")
    assert "initials" in error_text(window, "initialsInput")
    assert other_connection.readings(window.controller.session.id) == []


def test_empty_form_saves_nothing(qtbot, window, other_connection):
    type_reading(qtbot, window, ["", "", "", "", ""])
    assert "at least one" in window.entry.status.text()
    assert other_connection.readings(window.controller.session.id) == []


def test_critical_value_needs_confirmation_and_declining_saves_nothing(
        qtbot, window, other_connection):
    asked: list[list[str]] = []
    window.entry.confirm = lambda questions: asked.append(questions) or False
    type_reading(qtbot, window, ["184", "90", "", "", ""])

    assert asked and "SBP 184 > 180 mmHg" in asked[0][0]
    assert other_connection.readings(window.controller.session.id) == []
    assert window.entry.inputs[Vital.SBP].text() == "184"


def test_confirmed_critical_value_is_saved_and_flagged(qtbot, window, other_connection):
    window.entry.confirm = lambda questions: True
    type_reading(qtbot, window, ["184", "90", "", "", ""])

    assert len(other_connection.readings(window.controller.session.id)) == 1
    tile = window.tiles.tile(Vital.SBP)
    assert "CRITICAL" in tile.state.text()
    assert "SBP 184 > 180 mmHg" in window.banner.text()
    assert "***" in window.banner.text()
    assert window.chart.flagged(Vital.SBP)[0][1] == 184
    assert window.table_model.index(0, 1).data() == "184 ***"


def test_enter_saves_from_the_time_field(qtbot, window, other_connection):
    qtbot.keyClicks(QApplication.focusWidget(), "118")
    for _ in range(1):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "76")
    window.entry.initials_input.setText("AB")
    window.entry.time_input.setFocus()
    qtbot.keyClick(window.entry.time_input, Qt.Key.Key_Enter)
    assert len(other_connection.readings(window.controller.session.id)) == 1


def type_time(qtbot, window, text: str) -> None:
    """Tab into the time field from the last vital (it selects what is there) and type."""
    window.entry.inputs[Vital.SPO2].setFocus()
    qtbot.keyClick(window.entry.inputs[Vital.SPO2], Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.entry.time_input
    qtbot.keyClicks(window.entry.time_input, text)


def test_late_charting_takes_hh_mm_typed_straight_over_as_today(qtbot, window,
                                                               other_connection):
    # A clock that stands still: the texts below never straddle a minute.
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    window.controller.clock = lambda: now
    window.controller.session = window.controller.session.__class__(
        **{**window.controller.session.__dict__, "started_at": now - timedelta(hours=2)})
    when = (now.astimezone() - timedelta(minutes=45)).replace(second=0)
    type_time(qtbot, window, f"{when:%H:%M}")
    # "today 08:20 (45 min ago)" (yesterday's date just after midnight)
    assert window.entry.time_words.text() == describe_time(when, window.controller.clock())
    window.entry.inputs[Vital.HR].setText("72")
    window.entry.initials_input.setText("AB")
    asked = []
    window.entry.confirm = lambda questions: asked.append(questions) or True
    qtbot.mouseClick(window.entry.save_button, Qt.MouseButton.LeftButton)
    (saved,) = other_connection.readings(window.controller.session.id)
    assert saved.taken_at == when  # today (or last night), not a date months away
    assert asked == []  # recent, after the session began: nothing to confirm
    assert window.entry.time_input.text() == f"{now.astimezone():%H:%M}"


def test_a_time_before_the_session_or_hours_back_asks_and_a_future_one_is_refused(
        qtbot, window, other_connection):
    session_id = window.controller.session.id
    asked = []
    window.entry.confirm = lambda questions: asked.append(questions) or False
    earlier = datetime.now().astimezone() - timedelta(minutes=30)
    type_time(qtbot, window, f"{earlier:%H:%M}")  # the session began just now
    window.entry.inputs[Vital.HR].setText("72")
    window.entry.initials_input.setText("AB")
    qtbot.mouseClick(window.entry.save_button, Qt.MouseButton.LeftButton)
    assert "before this session began" in asked[0][0]
    assert window.entry.status.text() == "Not saved: not confirmed."
    assert other_connection.readings(session_id) == []

    far = datetime.now().astimezone() - timedelta(days=2)
    type_time(qtbot, window, f"{far:%Y-%m-%d %H:%M}")
    assert window.entry.time_words.text().startswith(f"{far:%Y-%m-%d %H:%M} (2 d ago")
    qtbot.mouseClick(window.entry.save_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 2

    future = datetime.now().astimezone() + timedelta(hours=2)
    type_time(qtbot, window, f"{future:%Y-%m-%d %H:%M}")
    assert "in the future" in window.entry.time_words.text()
    qtbot.mouseClick(window.entry.save_button, Qt.MouseButton.LeftButton)
    assert "is in the future" in window.entry.errors["Time"].text()

    type_time(qtbot, window, "25:99")
    assert "is not a time" in window.entry.time_words.text()
    qtbot.mouseClick(window.entry.save_button, Qt.MouseButton.LeftButton)
    assert "'25:99' is not a time" in window.entry.errors["Time"].text()
    assert len(asked) == 2 and other_connection.readings(session_id) == []


def test_a_reading_that_could_not_be_saved_stays_in_the_form(qtbot, window, monkeypatch):
    def full_disk(*_args, **_kwargs):
        raise DiskFull("Could not write: the disk is full.")

    monkeypatch.setattr(window.controller.store, "add_reading", full_disk)
    type_reading(qtbot, window, ["120", "80", "70", "14", "98"])

    assert "NOT SAVED" in window.entry.status.text()
    assert window.entry.inputs[Vital.SBP].text() == "120"
    assert window.table_model.rowCount() == 0
