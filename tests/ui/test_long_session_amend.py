"""Correcting, marking in error and late charting in a long session: the table, tiles and
NEWS2 show the change at once (only the changed rows are put in place), the alerts are
recorded in the same transaction (the recorder replays the session from the store), and
the window shows what a window reading the whole session shows."""

# ruff: noqa: F811 (the long_db fixture is imported, and tests take it by name)
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLineEdit

from monitor.domain.charted_scores import news2_trend
from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.store import Store
from monitor.ui import session_controller
from monitor.ui.entry.news2_panel import News2Memo, News2Panel
from monitor.ui.entry.readings_model import STATUS_COL
from monitor.ui.main_window import MainWindow

from .conftest import when_modal
from .test_long_session_loading import (  # noqa: F401 (long_db: a fixture)
    ROWS,
    long_db,
    open_window,
    what_the_nurse_sees,
)


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


def assert_as_read_whole(qtbot, window: MainWindow, path: Path, monkeypatch) -> None:
    """The window shows what a window reading the whole session shows, and no alert was
    left to catch up: the record holds what a fresh evaluation gives."""
    assert window.chart.note() == ""
    seen = what_the_nurse_sees(window)
    seen["news2"] = news2_points(window)
    window.close()
    assert seen == reference(qtbot, path, monkeypatch)


def ok(dialog) -> None:
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()


def test_a_correction_shows_at_once_with_its_alerts(qtbot, long_db, monkeypatch):
    window = loaded_long_window(qtbot, long_db, monkeypatch)
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
    assert_as_read_whole(qtbot, window, long_db, monkeypatch)


def test_marked_in_error_elsewhere_is_put_in_place_with_its_alerts(
        qtbot, long_db, monkeypatch):
    window = loaded_long_window(qtbot, long_db, monkeypatch)
    newest = window.controller.readings[-1]
    with Store.open(long_db) as other:
        for reading in window.controller.readings[-5:]:  # the critical stretch at the end
            other.mark_entered_in_error(reading.id, "AB", "Artefact")
    qtbot.waitUntil(lambda: window.table_model.index(0, STATUS_COL).data()
                    .startswith("ENTERED IN ERROR by AB"), timeout=8000)
    assert window.table_model.reading(0).id == newest.id
    assert len(window.controller.readings) == ROWS
    assert_as_read_whole(qtbot, window, long_db, monkeypatch)


def test_a_reading_charted_after_an_in_error_mark_alerts_at_once(
        qtbot, long_db, monkeypatch):
    window = loaded_long_window(qtbot, long_db, monkeypatch)
    controller = window.controller
    late = controller.readings[100]
    controller.mark_in_error(late, "AB", "Wrong patient")
    sounded = []
    window.alerts.alertSounded.connect(sounded.append)
    saved = controller.save_reading(new_reading(datetime.now(UTC), {Vital.HR: 150},
                                                entered_by="JM"))
    assert any("HR 150" in a.message for a in window.alerts.active_alerts())
    assert [a.message for a in sounded] == ["HR 150 > 120 /min"]
    assert controller.readings[-1] == saved
    seen = what_the_nurse_sees(window)
    window.close()
    expected = reference(qtbot, long_db, monkeypatch)
    assert seen["alerts"] == expected["alerts"] and seen["tiles"] == expected["tiles"]


def test_a_late_reading_in_a_long_session_is_put_in_its_place(qtbot, long_db, monkeypatch):
    window = loaded_long_window(qtbot, long_db, monkeypatch)
    controller = window.controller
    at = controller.readings[1500].taken_at + timedelta(milliseconds=500)
    controller.save_reading(new_reading(at, {Vital.SBP: 120, Vital.DBP: 70},
                                        entered_by="JM"))
    assert_as_read_whole(qtbot, window, long_db, monkeypatch)


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
