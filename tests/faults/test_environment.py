"""When the environment fails, the app says what to do (never a traceback) and loses
nothing already saved; a reading that could not be saved stays in the form."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from monitor.domain.readings import new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[2]


def start_app(db: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "d"),
               XDG_CONFIG_HOME=str(tmp_path / "c"))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--db", str(db),
                           "--quit-after", "300"], capture_output=True, text=True, env=env,
                          timeout=120)


def saved_database(path: Path) -> Path:
    with Store.open(path) as store:
        session = store.create_session(Session(Patient("MRN-1")), "JM")
        store.add_readings(session.id, [
            new_reading(datetime(2026, 4, 1, 10, m, tzinfo=UTC), {Vital.HR: 70 + m},
                        entered_by="JM") for m in range(50)])
    return path


def test_garbage_file_is_refused_with_advice(tmp_path):
    db = tmp_path / "garbage.sqlite"
    db.write_bytes(os.urandom(8192))
    result = start_app(db, tmp_path)
    assert result.returncode == 2
    assert "damaged or is not a database" in result.stderr
    assert "Restore it from a backup" in result.stderr and "Traceback" not in result.stderr


def test_truncated_database_is_refused_and_not_overwritten(tmp_path):
    db = saved_database(tmp_path / "cut.sqlite")
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    before = db.read_bytes()
    result = start_app(db, tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "backup" in result.stderr
    assert db.read_bytes() == before


def test_database_from_a_newer_app_is_left_alone(tmp_path):
    db = saved_database(tmp_path / "newer.sqlite")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = db.read_bytes()
    result = start_app(db, tmp_path)
    assert result.returncode == 2 and "newer version of this app" in result.stderr
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == before


def test_full_disk_keeps_the_reading_in_the_form_and_the_old_ones_safe(qtbot, window,
                                                                       other_connection):
    window.entry.initials_input.setText("JM")
    window.entry.inputs[Vital.HR].setText("71")
    qtbot.mouseClick(window.entry.save_button, Qt.MouseButton.LeftButton)
    session_id = window.controller.session.id
    assert len(other_connection.readings(session_id)) == 1
    conn = window.controller.store._db.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # what a full disk looks like to SQLite
    for hr in range(72, 140):  # fill the last free page, then one more
        window.entry.inputs[Vital.HR].setText(str(hr % 40 + 60))
        window.entry.inputs[Vital.RR].setText("14")
        qtbot.mouseClick(window.entry.save_button, Qt.MouseButton.LeftButton)
        if "NOT SAVED" in window.entry.status.text():
            break
    assert "disk is full" in window.entry.status.text()
    assert window.entry.inputs[Vital.HR].text() != ""  # what was typed is still there
    stored = other_connection.readings(session_id)
    assert stored[0].values[Vital.HR] == 71
    with Store.open(other_connection.path) as reopened:  # integrity check passes
        assert len(reopened.readings(session_id)) == len(stored)


def test_database_in_use_by_another_writer_is_said_clearly(qtbot, window, db_path):
    window.controller.store._db.conn.execute("PRAGMA busy_timeout = 200")
    blocker = sqlite3.connect(db_path)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        window.entry.initials_input.setText("JM")
        window.entry.inputs[Vital.HR].setText("75")
        qtbot.mouseClick(window.entry.save_button, Qt.MouseButton.LeftButton)
        assert "NOT SAVED" in window.entry.status.text()
        assert "in use by another program" in window.entry.status.text()
        assert window.entry.inputs[Vital.HR].text() == "75"
    finally:
        blocker.rollback()
        blocker.close()
    qtbot.mouseClick(window.entry.save_button, Qt.MouseButton.LeftButton)
    assert "Saved" in window.entry.status.text()  # works again once the lock is gone


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="file permissions do not bind root")
def test_read_only_file_says_so(tmp_path):
    db = saved_database(tmp_path / "ro.sqlite")
    db.chmod(0o444)
    result = start_app(db, tmp_path)
    assert "cannot be written" in result.stderr and "Traceback" not in result.stderr
