"""Correcting, marking in error and late charting in a long session: the table, tiles and
NEWS2 show the change at once (only the changed rows are put in place), while the alert
replay runs in the loader's worker and the chart says the alerts are catching up. Once
it is done the window shows what a window reading the whole session shows."""

# ruff: noqa: F811 (the long_db fixture is imported, and tests take it by name)
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLineEdit

from monitor.domain.charted_scores import news2_trend
from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.store import Store
from monitor.ui import alert_controller, session_controller
from monitor.ui.main_window import MainWindow
from monitor.ui.news2_panel import News2Memo, News2Panel
from monitor.ui.readings_model import STATUS_COL
from monitor.ui.replay_note import REPLAY_TEXT

from .conftest import when_modal
from .test_long_session_loading import (  # noqa: F401 (long_db: a fixture)
    ROWS,
    long_db,
    open_window,
    what_the_nurse_sees,
)


@pytest.fixture
def replays(monkeypatch) -> list[str]:
    """Names of the threads each alert replay ran in."""
    threads: list[str] = []
    real = alert_controller.rebuild

    def recorded(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(alert_controller, "rebuild", recorded)
    return threads


def loaded_long_window(qtbot, path: Path, monkeypatch) -> MainWindow:
    """The long session open in a window that treats it as long (threshold lowered so the
    test stays small), once its background load is in."""
    monkeypatch.setattr(session_controller, "LARGE_SESSION", ROWS // 3)
    window = open_window(qtbot, path)
    assert window.controller.loading
    qtbot.waitUntil(lambda: not window.controller.loading, timeout=30_000)
    return window


def reference(qtbot, path: Path, monkeypatch) -> dict[str, object]:
    """What a window that reads the session whole and replays at once shows."""
    monkeypatch.setattr(session_controller, "LARGE_SESSION", ROWS * 2)
    window = open_window(qtbot, path)
    assert not window.controller.loading
    seen = what_the_nurse_sees(window)
    seen["news2"] = news2_points(window)
    window.close()
    return seen


def news2_points(window: MainWindow) -> list[tuple[float, int, bool]]:
    trend = window.findChild(News2Panel).trend
    points = trend.points()
    assert trend.plotted() == [(t, total) for t, total, _ in points]  # the line as well
    return points


def updating_states(window: MainWindow) -> list[tuple[bool, str]]:
    """(updating, chart note) at each change of the alerts' catching-up state."""
    states: list[tuple[bool, str]] = []
    alerts = window.alerts
    alerts.updatingChanged.connect(lambda: states.append((alerts.updating,
                                                          window.chart.note())))
    return states


def assert_caught_up(qtbot, window: MainWindow, states: list[tuple[bool, str]],
                     replays: list[str], path: Path, monkeypatch) -> None:
    """The alerts caught up in the background, the chart said so meanwhile, and the
    window now shows what a window reading the whole session shows."""
    qtbot.waitUntil(lambda: bool(states) and not states[-1][0], timeout=30_000)
    assert states[0] == (True, REPLAY_TEXT) and states[-1] == (False, "")
    assert window.chart.note() == ""
    assert replays and threading.main_thread().name not in replays
    seen = what_the_nurse_sees(window)
    seen["news2"] = news2_points(window)
    window.close()
    assert seen == reference(qtbot, path, monkeypatch)


def ok(dialog) -> None:
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()


def test_a_correction_shows_at_once_and_the_alerts_catch_up_in_the_background(
        qtbot, long_db, monkeypatch, replays):
    window = loaded_long_window(qtbot, long_db, monkeypatch)
    states = updating_states(window)
    replays.clear()
    newest = window.table_model.reading(0)
    assert newest.values[Vital.SBP] == 186
    window.table.view.selectRow(0)

    def act(dialog) -> None:
        dialog.findChild(QLineEdit, "correct_sbp").setText("120")
        dialog.findChild(QComboBox, "reasonInput").setCurrentText("Typing error")
        dialog.findChild(QLineEdit, "reasonInitials").setText("KL")
        ok(dialog)

    when_modal(qtbot, act)
    qtbot.mouseClick(window.table.correct_button, Qt.MouseButton.LeftButton)
    # At once, before any event is processed: the table shows the correction on top
    # and the original struck below it, the tile shows the corrected value.
    assert window.table_model.reading(0).values[Vital.SBP] == 120
    assert window.table_model.reading(0).supersedes == newest.id
    assert window.table_model.index(1, STATUS_COL).data().startswith("corrected by KL")
    assert len(window.controller.readings) == ROWS + 1
    assert window.tiles.tile(Vital.SBP).value.text().startswith("120/")
    assert threading.main_thread().name not in replays  # no replay in the GUI thread
    assert_caught_up(qtbot, window, states, replays, long_db, monkeypatch)


def test_marked_in_error_elsewhere_is_put_in_place_and_alerts_catch_up(
        qtbot, long_db, monkeypatch, replays):
    window = loaded_long_window(qtbot, long_db, monkeypatch)
    states = updating_states(window)
    replays.clear()
    newest = window.controller.readings[-1]
    with Store.open(long_db) as other:
        for reading in window.controller.readings[-5:]:  # the critical stretch at the end
            other.mark_entered_in_error(reading.id, "AB", "Artefact")
    qtbot.waitUntil(lambda: window.table_model.index(0, STATUS_COL).data()
                    .startswith("ENTERED IN ERROR by AB"), timeout=8000)
    assert window.table_model.reading(0).id == newest.id
    assert len(window.controller.readings) == ROWS
    assert_caught_up(qtbot, window, states, replays, long_db, monkeypatch)


def test_readings_charted_while_the_alerts_catch_up_are_kept_and_alert(
        qtbot, long_db, monkeypatch):
    window = loaded_long_window(qtbot, long_db, monkeypatch)
    controller = window.controller
    states = updating_states(window)
    late = controller.readings[100]
    controller.mark_in_error(late, "AB", "Wrong patient")
    assert window.alerts.updating
    saved = controller.save_reading(new_reading(datetime.now(UTC), {Vital.HR: 150},
                                                entered_by="JM"))
    # The engine in hand raises it at once...
    assert any("HR 150" in a.message for a in window.alerts.active_alerts())
    qtbot.waitUntil(lambda: bool(states) and not states[-1][0], timeout=30_000)
    # ...and so does the replay that took over.
    assert any("HR 150" in a.message for a in window.alerts.active_alerts())
    assert controller.readings[-1] == saved
    seen = what_the_nurse_sees(window)
    window.close()
    expected = reference(qtbot, long_db, monkeypatch)
    assert seen["alerts"] == expected["alerts"] and seen["tiles"] == expected["tiles"]


def test_a_late_reading_in_a_long_session_is_replayed_in_the_background(
        qtbot, long_db, monkeypatch, replays):
    window = loaded_long_window(qtbot, long_db, monkeypatch)
    states = updating_states(window)
    replays.clear()
    controller = window.controller
    at = controller.readings[1500].taken_at + timedelta(milliseconds=500)
    controller.save_reading(new_reading(at, {Vital.SBP: 120, Vital.DBP: 70},
                                        entered_by="JM"))
    assert threading.main_thread().name not in replays
    assert_caught_up(qtbot, window, states, replays, long_db, monkeypatch)


def test_saving_scores_only_the_new_reading_and_the_trend_equals_a_full_rescore(
        qtbot, long_db, monkeypatch):
    window = loaded_long_window(qtbot, long_db, monkeypatch)
    controller = window.controller
    scored: list[int | None] = []
    real = News2Memo.score
    monkeypatch.setattr(News2Memo, "score",
                        lambda self, r: scored.append(r.id) or real(self, r))

    def full() -> list[tuple[float, int, bool]]:
        return [(p.at.timestamp(), p.result.total, p.result.partial)
                for p in news2_trend(controller.readings)]

    saved = controller.save_reading(new_reading(datetime.now(UTC), {
        Vital.SBP: 88, Vital.DBP: 50, Vital.HR: 135, Vital.RR: 26, Vital.SPO2: 90},
        entered_by="JM", consciousness="A", on_oxygen=False, temperature_c=37.0))
    assert scored == [saved.id]
    assert news2_points(window) == full()
    assert window.findChild(News2Panel).value.text() == "12"

    scored.clear()  # a late reading goes in its place
    late = controller.save_reading(new_reading(
        controller.readings[10].taken_at + timedelta(milliseconds=1), {Vital.RR: 30},
        entered_by="JM"))
    assert scored == [late.id]
    assert news2_points(window) == full()

    scored.clear()  # a correction: the original leaves, the correction is scored
    original = controller.readings[-1]
    correction = controller.correct_reading(original, {Vital.SBP: 130, Vital.DBP: 80},
                                            "KL", "Typing error")
    assert scored == [correction.id]
    assert news2_points(window) == full()
    assert window.findChild(News2Panel).value.text().startswith("≥")
    window.close()


def test_a_replay_here_supersedes_one_still_running_in_the_background(
        qtbot, long_db, monkeypatch, replays):
    """Whatever replays the session at once (it uses every reading in hand) ends the
    catching-up state; the background result that comes later is not taken over."""
    window = loaded_long_window(qtbot, long_db, monkeypatch)
    reading = window.controller.readings[-1]
    window.controller.mark_in_error(reading, "KL", "Artefact")
    assert window.alerts.updating and window.chart.note() == REPLAY_TEXT
    window.alerts.rebuild()
    assert not window.alerts.updating and window.chart.note() == ""
    engine = window.alerts.engine
    # The background replay finishes meanwhile, and is not taken over.
    qtbot.waitUntil(lambda: not window.controller.loader.rederiving, timeout=30_000)
    assert window.alerts.engine is engine and not window.alerts.updating
    seen = what_the_nurse_sees(window)
    seen["news2"] = news2_points(window)
    window.close()
    assert seen == reference(qtbot, long_db, monkeypatch)
