"""The window shows and sounds what the record holds, and the record does not depend on the
window: readings charted here record the same alerts as a headless import of the same
readings; an alert raised in another chair by a headless writer appears on the board and
sounds; a database from an older version gets its alerts recorded in the background."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.app.alerting import SessionAlerts
from monitor.domain.readings import Source, new_reading
from monitor.domain.vitals import Vital
from monitor.resources import default_profile
from monitor.store import Store
from monitor.ui.app import GuiOptions, build_window

from ..commands.test_headless_alerts import SERIES, START, csv_file

ROOT = Path(__file__).resolve().parents[2]


def alerts_of(store: Store, session_id: int) -> list[tuple]:
    return [(a.condition, a.priority.word, a.value, a.limit, a.raised_at, a.resolved_at,
             a.latched) for a in (s.alert for s in store.alert_history(session_id))]


def test_readings_charted_here_record_what_a_headless_import_records(
        qtbot, window, store, tmp_path):
    session_id = window.controller.session.id
    for minute, sbp, dbp, hr, spo2 in SERIES:
        window.controller.save_reading(new_reading(
            START + timedelta(minutes=minute),
            {Vital.SBP: sbp, Vital.DBP: dbp, Vital.HR: hr, Vital.SPO2: spo2},
            entered_by="JM"))
    charted = alerts_of(store, session_id)
    assert {a[:2] for a in charted} >= {("sbp-high", "high"), ("hr-high", "medium"),
                                        ("spo2-low", "high")}

    headless = tmp_path / "headless.sqlite"
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "import",
                           str(csv_file(tmp_path)), "--db", str(headless), "--patient",
                           "P-100"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with Store.open(headless) as other:
        assert alerts_of(other, 1) == charted


def test_an_alert_raised_at_another_chair_shows_on_the_board_and_sounds(
        qtbot, window, db_path):
    board = window.review.board
    window.review.board_dock.show()
    qtbot.waitUntil(lambda: board.refresh_count > 0)
    sounded = []
    window.alerts.alertSounded.connect(sounded.append)
    with Store.open(db_path) as gateway:  # e.g. a headless listener on this database
        session, _ = gateway.session_for_patient("P-200")
        recorder = SessionAlerts(gateway, default_profile())
        with gateway.transaction():
            gateway.add_reading(session.id, new_reading(
                datetime.now(UTC), {Vital.SPO2: 86}, source=Source.DEVICE))
            recorder.update(session.id)
    qtbot.waitUntil(lambda: any("SpO2 86 < 90" in t for t in board.texts()), timeout=8000)
    assert [a.message for a in sounded] == ["SpO2 86 < 90 %"]
    board.refresh()
    assert len(sounded) == 1  # once, not at every look


def test_an_old_database_gets_its_alerts_recorded_in_the_background(qtbot, db_path):
    with Store.open(db_path) as old:
        session, _ = old.session_for_patient("P-300")
        old.add_reading(session.id, new_reading(datetime.now(UTC) - timedelta(minutes=5),
                                                {Vital.SBP: 190, Vital.DBP: 90}))
        # As a version before alert states stored it: readings, no alerts.
        old._db.conn.execute("DELETE FROM alert_state")
        old._db.conn.commit()
        assert old.alert_history(session.id) == []
    with Store.open(db_path) as store:
        win = build_window(store, GuiOptions(db_path=db_path))
        qtbot.addWidget(win)
        catch_up = win.alerts.catch_up
        assert catch_up is not None
        qtbot.waitUntil(lambda: catch_up.done == 1, timeout=10_000)
        win.close()  # stops the thread
        assert not catch_up._thread.is_alive()
        (alert,) = store.alert_history(session.id)
        assert alert.alert.message == "SBP 190 > 180 mmHg"
        assert store.sessions_without_alert_state() == []
