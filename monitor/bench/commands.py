"""Timing whole commands, start-up included: the app's ``main.py import`` and the bare floor
it is compared with, each as its own process, with its wall time and peak memory.

The floor of an import is what any program must do to get the same rows into SQLite: read
the file with the format's own library (``csv``, ``hl7``, ``json``), turn each time into an
instant, and ``sqlite3.executemany`` the rows in one WAL transaction with
``synchronous=FULL``. :data:`FLOORS` holds one such script per format; each is run with
``python -c`` and the same arguments as the app (file, database).

Both sides are measured the same way: :func:`run_command` starts the process, waits for it
with ``os.wait4`` and reads that process's own peak RSS (its children, such as the import's
reading process, are counted too)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: The project root: where ``main.py`` is.
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    """One finished command: how long it took, its peak memory and its exit status."""

    seconds: float
    peak_mb: float
    status: int
    stderr: str


def run_command(argv: list[str], *, timeout: float = 3600) -> Run:
    """Run ``argv`` to its end: wall time from start to exit, and the peak resident memory
    of the largest of the process and the descendants it waited for (``os.wait4`` reports
    the maximum over that tree; Linux in KiB, macOS in bytes)."""
    with tempfile.TemporaryFile() as errors:
        began = time.perf_counter()
        process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors,
                                   env=_ENV)
        deadline = began + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                process.returncode = -9
                raise subprocess.TimeoutExpired(argv, timeout)
            time.sleep(0.002)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    scale = 1 if sys.platform == "darwin" else 1024
    return Run(seconds, usage.ru_maxrss * scale / 1e6, process.returncode, stderr)


#: Both sides run with compiled bytecode cached, as an installed app does (a machine that sets
#: PYTHONDONTWRITEBYTECODE would otherwise compile every module on every start).
_ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "monitor-bench-pycache")}


def warm_up(folder: Path) -> None:
    """Import a one-row file once, so that the measured runs find their bytecode compiled."""
    path = folder / "warm-up.csv"
    path.write_text("time,SBP,DBP,HR\n2024-05-01T08:00:00+00:00,120,80,70\n", encoding="utf-8")
    run_command(app_import(path, folder / "warm-up.sqlite"))
    path.unlink()


def app_import(path: Path, db: Path, *extra: str) -> list[str]:
    """The command a user runs to import ``path`` into a new session of patient BENCH."""
    return [sys.executable, str(ROOT / "main.py"), "import", str(path), "--db", str(db),
            "--patient", "BENCH", *extra]


def floor_import(fmt: str, path: Path, db: Path) -> list[str]:
    """The bare floor for ``fmt`` (a key of :data:`FLOORS`) on the same file."""
    return [sys.executable, "-c", FLOORS[fmt], str(path), str(db)]


FLOOR_TABLE = """
import sqlite3, sys
from datetime import datetime
conn = sqlite3.connect(sys.argv[2])
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = FULL")
conn.execute("CREATE TABLE readings (id INTEGER PRIMARY KEY, taken_at TEXT, taken_ts REAL, "
             "sbp REAL, dbp REAL, hr REAL, rr REAL, spo2 REAL)")
INSERT = ("INSERT INTO readings (taken_at, taken_ts, sbp, dbp, hr, rr, spo2) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)")
"""

#: One floor script per format: read with the format's library, executemany, commit.
FLOORS: dict[str, str] = {
    # A CSV whose first column is an ISO 8601 time and whose next five are SBP, DBP, HR, RR
    # and SpO2; a decimal comma is read as a point (the floor must read the same file).
    "csv": FLOOR_TABLE + """
import csv
def rows():
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter=";" if ";" in f.readline() else ",")
        for t, *values in reader:
            moment = datetime.fromisoformat(t)
            yield (moment.isoformat(), moment.timestamp(),
                   *(float(v.replace(",", ".")) if v else None for v in values[:5]))
with conn:
    conn.executemany(INSERT, rows())
""",
}
