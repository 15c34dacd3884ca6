"""SIGKILL in the middle of a file import and of a live MLLP feed: what was confirmed
(reported imported, ACKed) is on disk, nothing half-written is visible, and an interrupted
import can simply be run again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.app.importing import AHEAD_BYTES
from monitor.bench.mllp_feed import T0 as FEED_T0
from monitor.bench.mllp_feed import message
from monitor.io.mllp_client import MllpClient
from monitor.store import Store
from monitor.store.browse import SessionQuery

ROOT = Path(__file__).resolve().parents[2]
ROWS = 150_000
AHEAD_ROWS = 250_000  # over AHEAD_BYTES: read in a second process
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def main_py(*args: str, **kwargs) -> subprocess.Popen[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def big_csv(path: Path, rows: int = ROWS) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("time,SBP,DBP,HR\n")
        for i in range(rows):
            out.write(f"{(T0 + timedelta(seconds=i)).isoformat()},{110 + i % 40},"
                      f"{70 + i % 15},{60 + i % 30}\n")
    return path


def counts(db: Path) -> tuple[int, int]:
    """(readings, import runs) as a fresh process sees them, after the integrity check."""
    with Store.open(db) as store:
        sessions = store.browse_sessions(SessionQuery())
        return (sum(s.reading_count for s in sessions),
                len(store._query("SELECT id FROM imports")))


def _readers(path: Path) -> set[int]:
    """The importer's file-reading processes: started by multiprocessing's spawn, or forked
    from an import of ``path`` (a fork keeps its parent's command line)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit():
                continue
            cmdline = (entry / "cmdline").read_bytes()
            status = (entry / "stat").read_text()
        except OSError:
            continue
        if ") Z " in status:
            continue  # a zombie holds nothing; its parent (the test runner) reaps it
        if b"multiprocessing.spawn" in cmdline or str(path).encode() in cmdline:
            found.add(int(entry.name))
    return found


@pytest.mark.parametrize("rows", [ROWS, AHEAD_ROWS], ids=["read here", "read ahead"])
def test_a_killed_import_leaves_nothing_and_can_be_run_again(tmp_path, rows):
    csv = big_csv(tmp_path / "night.csv", rows)
    assert (csv.stat().st_size >= AHEAD_BYTES) == (rows == AHEAD_ROWS)
    db = tmp_path / "import.sqlite"
    with Store.open(db):
        pass  # the schema exists before the import starts writing
    wal = Path(f"{db}-wal")
    size = wal.stat().st_size if wal.exists() else 0
    readers_before = _readers(csv)
    importer = main_py("import", str(csv), "--db", str(db), "--patient", "MRN-K")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and importer.poll() is None:
        if wal.exists() and wal.stat().st_size > size + 1_000_000:
            break  # mid-transaction: rows are being written
        time.sleep(0.02)
    assert importer.poll() is None, "the import finished before it could be interrupted"
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait(timeout=30)

    assert counts(db) == (0, 0)  # all or nothing: nothing half-imported is visible
    # A reader process left behind finds its pipe closed and ends (a forked one too: it
    # must not hold the writer's end of the pipe open itself).
    deadline = time.monotonic() + 30
    while _readers(csv) - readers_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _readers(csv) - readers_before

    again = main_py("import", str(csv), "--db", str(db), "--patient", "MRN-K")
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert counts(db) == (rows, 1)


def test_every_acked_message_survives_a_killed_listener(tmp_path):
    db = tmp_path / "feed.sqlite"
    listener = main_py("listen", "--db", str(db), "--port", "0")
    try:
        line = listener.stdout.readline()
        port = int(re.search(r":(\d+),", line).group(1))
        acked = 0
        with MllpClient("127.0.0.1", port, timeout=30) as client:
            for i in range(60):
                ack = client.send(message(1, i))
                assert b"MSA|AA|" in ack
                acked += 1
        os.kill(listener.pid, signal.SIGKILL)
        listener.wait(timeout=30)
    finally:
        if listener.poll() is None:
            listener.kill()
    with Store.open(db) as store:
        (session,) = store.sessions()
        readings = store.readings(session.id)
    assert len(readings) == acked
    assert [r.taken_at for r in readings] == [FEED_T0 + timedelta(seconds=i) for i in range(acked)]
