"""SIGKILL the app in the middle of manual entry: every reading the window had shown as
saved is on disk afterwards, the integrity check passes, nothing half-written shows."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from monitor.domain.vitals import Vital
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[2]
WANTED = 40
DEADLINE_S = 60

NURSE = textwrap.dedent("""
    import sys, itertools
    from pathlib import Path
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from monitor.domain.vitals import Vital
    from monitor.store import Store
    from monitor.ui.app import GuiOptions, build_window

    app = QApplication([])
    db = Path(sys.argv[1])
    window = build_window(Store.open(db), GuiOptions(db_path=db, patient_id="KILL-1"))
    window.show()
    entry = window.entry
    entry.initials_input.setText("JM")
    counter = itertools.count()

    def type_one():
        hr = 60 + next(counter) % 40  # never critical: no confirmation dialog
        field = entry.inputs[Vital.HR]
        QTest.keyClicks(field, str(hr))
        QTest.keyClick(field, Qt.Key.Key_Return)
        if field.text() == "":  # the form clears only after the commit returned
            print(f"saved {hr}", flush=True)
        QTimer.singleShot(0, type_one)

    QTimer.singleShot(0, type_one)
    app.exec()
""")


def read_confirmations(process: subprocess.Popen[str], wanted: int) -> list[float]:
    """Lines 'saved N' from the nurse process, with a hard deadline (never hangs)."""
    confirmed: list[float] = []
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + DEADLINE_S
    while len(confirmed) < wanted and time.monotonic() < deadline:
        if not selector.select(timeout=1):
            if process.poll() is not None:
                break
            continue
        line = process.stdout.readline()
        if not line:
            break
        confirmed.append(float(line.split()[1]))
    return confirmed


def test_every_reading_shown_as_saved_survives_a_kill(tmp_path):
    db = tmp_path / "killed.sqlite"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    nurse = subprocess.Popen([sys.executable, "-c", NURSE, str(db)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        confirmed = read_confirmations(nurse, WANTED)
        os.kill(nurse.pid, signal.SIGKILL)
        nurse.wait(timeout=30)
    finally:
        if nurse.poll() is None:
            nurse.kill()
    assert len(confirmed) == WANTED

    with Store.open(db) as store:  # the integrity check runs on open
        (session,) = store.sessions()
        stored = [r.values[Vital.HR] for r in store.readings(session.id)]
    assert stored[: len(confirmed)] == confirmed
    assert all(60 <= hr < 100 for hr in stored)  # no half-written row
