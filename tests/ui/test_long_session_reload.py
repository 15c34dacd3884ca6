"""Importing into an open long session (File > Import…): the window takes the new rows in
as it opens a long session, its newest rows at once and the rest with the alert replay in
the loader's worker, never reading the whole session in the GUI thread; afterwards it
shows what a window reading the session whole shows."""

# ruff: noqa: F811 (the long_db fixture is imported, and tests take it by name)
from __future__ import annotations

import threading
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from monitor.store import Store
from monitor.ui import session_controller
from monitor.ui.chart.loading_note import loading_text
from monitor.ui.dialogs.import_dialog import ImportDialog
from monitor.ui.main_window import MainWindow

from .test_import_dialog import open_from_menu
from .test_long_session_amend import loaded_long_window, news2_points, reference
from .test_long_session_loading import (  # noqa: F401 (long_db: a fixture)
    ROWS,
    long_db,
    open_window,
    what_the_nurse_sees,
)

IMPORTED = 300


@pytest.fixture
def whole_reads(monkeypatch) -> list[str]:
    """Names of the threads each whole-session read ran in."""
    threads: list[str] = []
    real = Store.readings

    def recorded(self, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "readings", recorded)
    return threads


def write_late_rows(path: Path, db: Path) -> None:
    """IMPORTED rows at instants the session already has (other values: not duplicates),
    one every ten seconds from its start; an SBP of 60 among them raises a low alert."""
    with Store.open(db) as store:
        start = store.readings_with_ids([1])[0].taken_at
    lines = ["time,SBP,DBP,HR"]
    for i in range(IMPORTED):
        at = (start + timedelta(seconds=10 * i)).astimezone(UTC)
        sbp, dbp = (60, 40) if i == IMPORTED // 2 else (131, 71)
        lines.append(f"{at:%Y-%m-%dT%H:%M:%SZ},{sbp},{dbp},66")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def import_through_dialog(window: MainWindow, qtbot, monkeypatch, path: Path) -> None:
    dialog = open_from_menu(window, qtbot, monkeypatch, path)
    assert isinstance(dialog, ImportDialog)
    assert f"<b>{IMPORTED}</b> new readings" in dialog.summary.text()
    qtbot.keyClicks(dialog.initials, "kl")
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)


def test_importing_into_an_open_long_session_loads_it_in_the_background(
        qtbot, long_db: Path, tmp_path: Path, monkeypatch, whole_reads: list[str]) -> None:
    csv = tmp_path / "late.csv"
    write_late_rows(csv, long_db)
    window = loaded_long_window(qtbot, long_db, monkeypatch)
    controller = window.controller
    assert not any("SBP 60" in a.message for a in window.alerts.active_alerts())
    whole_reads.clear()

    import_through_dialog(window, qtbot, monkeypatch, csv)
    # The new rows are being taken in: the chart says so and the newest rows are shown.
    assert controller.loading
    assert window.chart.note() == loading_text(ROWS + IMPORTED)
    assert window.table_model.rowCount() > 0
    qtbot.waitUntil(lambda: not controller.loading, timeout=30_000)
    assert window.chart.note() == ""
    assert whole_reads and "MainThread" not in whole_reads  # read in the worker only

    seen = what_the_nurse_sees(window)
    seen["news2"] = news2_points(window)
    assert len(controller.readings) == ROWS + IMPORTED
    assert any("SBP 60" in a[2] for a in seen["alerts"])  # the replay saw the late rows
    window.close()
    assert seen == reference(qtbot, long_db, monkeypatch)


def test_importing_into_an_open_short_session_reads_it_at_once(
        qtbot, long_db: Path, tmp_path: Path, monkeypatch) -> None:
    csv = tmp_path / "late.csv"
    write_late_rows(csv, long_db)
    monkeypatch.setattr(session_controller, "LARGE_SESSION", (ROWS + IMPORTED) * 2)
    window = open_window(qtbot, long_db)
    assert not window.controller.loading
    import_through_dialog(window, qtbot, monkeypatch, csv)
    assert not window.controller.loading
    assert len(window.controller.readings) == ROWS + IMPORTED
    assert window.chart.note() == ""
