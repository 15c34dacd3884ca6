"""Opening a session of 100,000 readings, and cold start to the first window on that
database, each next to a bare baseline measured in the same run."""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .report import Figure

FULL = 100_000
QUICK = 10_000
T0 = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def build(path: Path, n: int) -> int:
    """A database with one session of ``n`` one-second device readings (cached)."""
    from ..domain.sessions import Infusion, Patient, Session
    from ..store import Store

    if path.exists():
        with Store.open(path, read_only=True) as store:
            return store.sessions()[0].id or 0
    with Store.open(path) as store:
        session = store.create_session(Session(
            Patient("BENCH-1", "Bench Patient"),
            Infusion(started_at=T0, ended_at=T0 + timedelta(hours=2)), started_at=T0), "JM")
    conn = sqlite3.connect(path)
    rows = ((session.id, (T0 + timedelta(seconds=i)).isoformat(),
             (T0 + timedelta(seconds=i)).timestamp(), 120 + i % 30, 75 + i % 10,
             90 + i % 15, 70 + i % 25, 14 + i % 4, 95 + i % 5, "device", T0.isoformat())
            for i in range(n))
    with conn:
        conn.executemany(
            "INSERT INTO readings (session_id, taken_at, taken_ts, sbp, dbp, map, hr, rr, "
            "spo2, source, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.close()
    return session.id or 0


def _median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


#: Runs a command and prints its peak resident memory (max RSS, in KiB on Linux).
PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
        "capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def _start(args: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time (ms) and peak memory (MB) of starting and closing ``args``."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    times, peaks = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", PEAK, *args], env=env, cwd=ROOT,
                              check=True, capture_output=True, text=True, timeout=600)
        times.append(time.perf_counter() - began)
        peaks.append(int(done.stdout.split()[-1]) / 1024)
    return statistics.median(times) * 1000, max(peaks)


BARE_START = (
    "from PySide6.QtCore import QTimer; from PySide6.QtWidgets import QApplication, "
    "QMainWindow; import pyqtgraph; app = QApplication([]); w = QMainWindow(); w.show(); "
    "QTimer.singleShot(0, w.close); app.exec()"
)


def run(quick: bool = False) -> list[Figure]:
    from ..store import Store

    n = QUICK if quick else FULL
    folder = Path(tempfile.gettempdir()) / "monitor-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"session-{n}.sqlite"
    session_id = build(path, n)
    repeat = 3 if quick else 5

    def bare() -> None:
        conn = sqlite3.connect(path)
        conn.execute("SELECT * FROM readings WHERE session_id = ? ORDER BY taken_ts",
                     [session_id]).fetchall()
        conn.close()

    store = Store.open(path, check=False)
    try:
        app_ms = _median_ms(lambda: store.readings(session_id), repeat)
    finally:
        store.close()
    bare_ms = _median_ms(bare, repeat)

    start_ms, peak_mb = _start([sys.executable, "main.py", "--db", str(path), "--patient",
                                "BENCH-1", "--quit-after", "0"], 2)
    bare_start_ms, bare_peak_mb = _start([sys.executable, "-c", BARE_START], 2)
    return [
        Figure(f"open a session of {n:,} readings (store.readings)", app_ms, bare_ms, "ms",
               target="< 100 ms", met=app_ms < 100),
        Figure("cold start to first window on it, session open (main.py)", start_ms,
               bare_start_ms, "ms", target="< 2000 ms", met=start_ms < 2000),
        Figure("peak memory of that start (max RSS)", peak_mb, bare_peak_mb, "MB",
               target="< 400 MB", met=peak_mb < 400),
    ]
