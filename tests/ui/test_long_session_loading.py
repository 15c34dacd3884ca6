"""A long session opens in two steps: at once with its newest rows, latest values and
recorded alerts, then with everything from a worker thread. After the load it shows the
same as a session read whole; while loading, the chart says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from monitor.bench.session_open import insert_device_rows
from monitor.domain.readings import new_reading
from monitor.domain.sessions import Infusion, Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import Store
from monitor.ui import session_controller
from monitor.ui.app import GuiOptions, build_window
from monitor.ui.main_window import MainWindow

ROWS = 3000
PATIENT = "LONG-1"


def build_long_session(path: Path) -> int:
    """ROWS device readings a second apart ending now; SBP critical for a stretch in the
    middle (a latched HIGH alert) and high again at the end (an active one)."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(seconds=ROWS)
    with Store.open(path) as store:
        session = store.create_session(Session(
            Patient(PATIENT, "Long Session"),
            Infusion(started_at=start, ended_at=start + timedelta(minutes=20)),
            started_at=start), "JM")
    rows = []
    for i in range(ROWS):
        at = start + timedelta(seconds=i)
        sbp = 186 if 1000 <= i < 1010 or i >= ROWS - 5 else 120 + i % 15
        rows.append((session.id, at.isoformat(), at.timestamp(), sbp, 75 + i % 10,
                     95 + i % 5, 70 + i % 20, 14 + i % 4, 95 + i % 4, "device",
                     at.isoformat()))
    insert_device_rows(path, rows)
    return session.id or 0


def open_window(qtbot, path: Path) -> MainWindow:
    store = Store.open(path)
    window = build_window(store, GuiOptions(db_path=path, patient_id=PATIENT))
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    window.destroyed.connect(store.close)
    return window


def what_the_nurse_sees(window: MainWindow) -> dict[str, object]:
    tiles = {v: window.tiles.tile(v).value.text() + " " + window.tiles.tile(v).state.text()
             for v in window.tiles.tiles}
    return {
        "tiles": tiles,
        "alerts": [(a.condition, a.priority, a.message, a.latched)
                   for a in window.alerts.active_alerts()],
        "banner": window.banner.text(),
        "rows": window.table_model.rowCount(),
        "newest row": window.table_model.index(0, 0).data(),
    }


@pytest.fixture
def long_db(tmp_path: Path) -> Path:
    path = tmp_path / "long.sqlite"
    build_long_session(path)
    return path


@pytest.fixture
def read_whole(qtbot, long_db: Path) -> Iterator[dict[str, object]]:
    """What a window shows on the session read whole, the way a short one is (this also
    records the session's alerts, as any window does)."""
    window = open_window(qtbot, long_db)
    assert not window.controller.loading
    seen = what_the_nurse_sees(window)
    seen["series"] = {v: window.chart.series(v) for v in Vital}
    seen["news2 text"] = news2_text(window)
    window.close()
    yield seen


def news2_text(window: MainWindow) -> str:
    from monitor.ui.entry.news2_panel import News2Panel

    panel = window.findChild(News2Panel)
    return f"{panel.value.text()} {panel.band.text()} {len(panel.trend.points())}"


@pytest.fixture
def loads_in_background(monkeypatch):
    monkeypatch.setattr(session_controller, "LARGE_SESSION", ROWS // 3)


def test_a_long_session_shows_the_same_once_loaded(qtbot, long_db, read_whole,
                                                   loads_in_background):
    window = open_window(qtbot, long_db)
    controller = window.controller
    assert controller.loading
    assert window.chart.note() == "loading all 3,000 readings…"
    first = what_the_nurse_sees(window)
    # Already right before the load: the latest values and the recorded alerts.
    assert first["tiles"] == read_whole["tiles"]
    assert first["alerts"] == read_whole["alerts"]
    assert any("SBP 186" in a[2] for a in first["alerts"])
    assert first["newest row"] == read_whole["newest row"]
    with qtbot.waitSignal(controller.readingsLoaded, timeout=30_000):
        pass
    assert not controller.loading and window.chart.note() == ""
    loaded = what_the_nurse_sees(window)
    for key in ("tiles", "alerts", "banner", "rows", "newest row"):
        assert loaded[key] == read_whole[key], key
    assert len(controller.readings) == ROWS
    assert news2_text(window) == read_whole["news2 text"]
    for vital, (times, values) in read_whole["series"].items():
        shown_times, shown_values = window.chart.series(vital)
        assert np.array_equal(shown_times, times)
        assert np.array_equal(shown_values, values, equal_nan=True)
    window.close()


def test_a_reading_saved_while_loading_is_kept_and_alerts(qtbot, long_db, read_whole,
                                                          loads_in_background):
    window = open_window(qtbot, long_db)
    controller = window.controller
    assert controller.loading
    saved = controller.save_reading(new_reading(datetime.now(UTC), {Vital.HR: 150},
                                                entered_by="AB"))
    with qtbot.waitSignal(controller.readingsLoaded, timeout=30_000):
        pass
    assert controller.readings[-1].id == saved.id
    assert len(controller.readings) == ROWS + 1
    assert window.tiles.tile(Vital.HR).value.text() == "150"
    assert any(a.condition == "hr-high" for a in window.alerts.active_alerts())
    stored = controller.store.alert_history(controller.session.id)
    assert any(s.alert.condition == "hr-high" for s in stored)
    window.close()


def test_closing_the_window_while_loading_stops_the_worker(qtbot, long_db,
                                                           loads_in_background):
    window = open_window(qtbot, long_db)
    loader = window.controller.loader
    assert loader.running
    window.close()
    assert not loader.running and not window.controller.loading
