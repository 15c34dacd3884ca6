"""The alert history dialog: every alert of the session, who handled it, never deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.ui.alerts.alert_history import COLUMNS, AlertHistoryDialog, AlertHistoryModel


def save(window, minutes_ago: float, **values: float):
    reading = new_reading(datetime.now(UTC) - timedelta(minutes=minutes_ago),
                          {Vital(k): v for k, v in values.items()}, entered_by="JM")
    return window.controller.save_reading(reading)


def open_history(qtbot, window) -> AlertHistoryDialog:
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_H,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.findChild(AlertHistoryDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def rows(model: AlertHistoryModel) -> list[dict[str, str]]:
    return [{COLUMNS[c]: model.index(r, c).data() for c in range(model.columnCount())}
            for r in range(model.rowCount())]


def test_history_lists_every_alert_with_who_handled_it(qtbot, window):
    critical = save(window, 20, sbp=184, dbp=90)
    save(window, 15, sbp=130, dbp=80, hr=115)
    save(window, 10, sbp=130, dbp=80, hr=90)
    qtbot.keyClicks(window.banner.initials, "KL")
    qtbot.mouseClick(window.banner.ack_button, Qt.MouseButton.LeftButton)

    dialog = open_history(qtbot, window)
    sbp, hr = rows(dialog.model)
    assert sbp["Vital"] == "SBP" and sbp["Priority"] == "*** HIGH"
    assert sbp["Value"] == "184 mmHg" and sbp["Limit"] == "180 mmHg"
    assert sbp["Message"] == "SBP 184 > 180 mmHg"
    assert sbp["Acknowledged by"] == "KL" and sbp["Acknowledged at"]
    assert sbp["Resolved at"] and sbp["Status"] == "resolved"  # latched, then acknowledged
    assert hr["Priority"] == "** MEDIUM" and hr["Message"] == "HR 115 > 110 /min"
    assert hr["Acknowledged by"] == "" and hr["Status"] == "resolved"  # the value came back
    assert sbp["Raised at"] == critical.taken_at.astimezone().strftime("%H:%M:%S")
    assert "2 alerts: 2 resolved" in dialog.heading.text()


def test_active_latched_and_technical_alerts_show_their_status(qtbot, window):
    save(window, 10, sbp=184, dbp=90)
    save(window, 5, sbp=130, dbp=80)
    start = datetime.now(UTC)
    window.alerts.feed_message_received(start)
    window.controller.clock = lambda: start + timedelta(minutes=10)
    window.alerts.tick()

    dialog = open_history(qtbot, window)
    sbp, feed = rows(dialog.model)
    assert sbp["Status"] == "active (latched)"
    assert feed["Vital"] == "technical: feed silent" and feed["Status"] == "active"
    assert feed["Limit"] == "180 s" and feed["Priority"] == "** MEDIUM"


def test_withdrawn_alert_stays_with_its_reason(qtbot, window):
    reading = save(window, 3, sbp=184, dbp=90)
    window.controller.mark_in_error(reading, "AB", "Wrong patient")
    dialog = open_history(qtbot, window)
    (row,) = rows(dialog.model)
    assert row["Message"] == "SBP 184 > 180 mmHg"
    assert row["Status"] == "withdrawn: reading corrected or entered in error"


def test_open_dialog_updates_as_alerts_change(qtbot, window):
    dialog = open_history(qtbot, window)
    assert dialog.model.rowCount() == 0 and "0 alerts" in dialog.heading.text()
    save(window, 1, sbp=184, dbp=90)
    assert dialog.model.rowCount() == 1
    assert "1 alert: 1 active" in dialog.heading.text()


def test_reopening_brings_back_the_same_dialog(qtbot, window):
    first = open_history(qtbot, window)
    first.close()
    window.activateWindow()
    window.entry.focus_first()
    assert open_history(qtbot, window) is first


def test_history_model_passes_the_qt_model_tester(qtbot, qtmodeltester, window):
    save(window, 20, sbp=184, dbp=90)
    reading = save(window, 15, hr=115)
    window.controller.mark_in_error(reading, "AB", "Artefact")
    save(window, 10, spo2=88)
    model = AlertHistoryModel(window.alerts)
    assert model.rowCount() == 3
    qtmodeltester.check(model)
    save(window, 5, rr=31)
    assert model.rowCount() == 4
    qtmodeltester.check(model)


def test_history_has_no_editable_cells_and_full_times_as_tooltips(window):
    save(window, 1, sbp=184, dbp=90)
    model = AlertHistoryModel(window.alerts)
    index = model.index(0, 0)
    assert not model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert len(model.data(index, Qt.ItemDataRole.ToolTipRole)) > len(index.data())
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Raised at"
