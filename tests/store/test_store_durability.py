"""A saved reading is on disk: other connections see it at once, and it survives the app being
killed. A write that was not finished when the app died leaves no trace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain.readings import new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)

# Saves a reading (HR 77), says so, then, in "half-written" mode, starts another write
# (HR 99) that it never finishes; then it waits to be killed.
CHILD = """
import sys, time
from datetime import UTC, datetime
from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.store import Store

path, session_id, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = Store.open(path)
store.add_reading(session_id, new_reading(datetime.now(UTC), {Vital.HR: 77}, entered_by="KS"))
print("saved", flush=True)
if mode == "half-written":
    store._db.execute("BEGIN IMMEDIATE")
    store._db.execute(
        "INSERT INTO readings (session_id, taken_at, taken_ts, hr, source, recorded_at) "
        "VALUES (?, '2026-03-10T10:00:00+00:00', 0, 99, 'manual', 'now')", [session_id])
    print("writing", flush=True)
time.sleep(60)
"""


def new_session(db_path: Path) -> int:
    with Store.open(db_path) as s:
        return s.create_session(Session(Patient("MRN-1")), by="JS").id


def test_saved_reading_is_visible_at_once_to_a_second_connection(db_path: Path) -> None:
    session_id = new_session(db_path)
    with Store.open(db_path) as writer, Store.open(db_path) as viewer:
        assert viewer.readings(session_id) == []
        version = viewer.data_version()
        saved = writer.add_reading(session_id, new_reading(NOW, {Vital.HR: 70}, entered_by="JS"))
        assert viewer.readings(session_id) == [saved]
        assert viewer.data_version() != version


def test_second_connection_sees_corrections_and_marks_at_once(db_path: Path) -> None:
    session_id = new_session(db_path)
    with Store.open(db_path) as writer, Store.open(db_path, read_only=True) as viewer:
        first = writer.add_reading(session_id, new_reading(NOW, {Vital.HR: 170}, entered_by="JS"))
        fix = writer.correct_reading(first.id, new_reading(NOW, {Vital.HR: 70}), "JS", "typo")
        writer.mark_entered_in_error(fix.id, "JS", "wrong patient")
        assert [r.status.value for r in viewer.readings(session_id)] == [
            "corrected", "entered-in-error"]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("mode", ["saved", "half-written"])
def test_reading_survives_the_app_being_killed(db_path: Path, mode: str) -> None:
    session_id = new_session(db_path)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path), str(session_id), mode],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout is not None
        for expected in ["saved", "writing"][: 2 if mode == "half-written" else 1]:
            line = child.stdout.readline().strip()
            assert line == expected, child.stderr.read() if child.stderr else line
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    with Store.open(db_path) as again:
        assert again.pragma("integrity_check") == "ok"
        [reading] = again.readings(session_id)
    assert (reading.value(Vital.HR), reading.entered_by) == (77, "KS")
