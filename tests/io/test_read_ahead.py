"""Reading a file in a second process while this one writes: batches arrive in order, the
result and progress come through, failures and cancels stop both sides, and an import that
reads ahead saves exactly what an import read here saves."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Generator
from functools import partial
from pathlib import Path

import pytest

from monitor.app import importing as importer
from monitor.app.importing import ImportCancelled, ImportOptions, ImportRejected, import_file
from monitor.io.read_ahead import ReadAhead, ReaderFailed
from monitor.store import Store
from tests.app.test_importing import csv_rows, into, session_for, snapshot, write

# Producers run in the spawned process, so they live at module level (picklable).


def counting(n: int, progress) -> Generator[list[int], None, str]:
    for i in range(n):
        progress(i + 1, n)
        yield [i, i]
    return f"{n} batches"


def failing(progress) -> Generator[list[int], None, str]:
    yield [1]
    raise ValueError("line 3: not a number")


def dying(progress) -> Generator[list[int], None, str]:
    yield [1]
    os.kill(os.getpid(), signal.SIGKILL)
    yield [2]
    return "never"


def test_batches_arrive_in_order_then_the_result():
    seen: list[tuple[int, int]] = []
    ahead: ReadAhead[list[int], str] = ReadAhead(partial(counting, 5),
                                                 progress=lambda d, t: seen.append((d, t)))
    assert list(ahead.batches()) == [[i, i] for i in range(5)]
    assert ahead.result == "5 batches"
    assert seen[-1] == (5, 5)


def test_an_error_while_reading_is_raised_here():
    ahead: ReadAhead[list[int], str] = ReadAhead(failing)
    got = []
    with pytest.raises(ValueError, match="line 3: not a number"):
        for batch in ahead.batches():
            got.append(batch)
    assert got == [[1]] and ahead.result is None


def test_a_reader_that_dies_is_reported_not_waited_for():
    with pytest.raises(ReaderFailed, match="ended unexpectedly"):
        list(ReadAhead(dying).batches())


def test_cancel_stops_the_reader():
    class Cancel(Exception):
        pass

    ahead: ReadAhead[list[int], str] = ReadAhead(
        partial(counting, 10_000), cancelled=lambda: True, on_cancel=Cancel)
    batches = ahead.batches()
    with pytest.raises(Cancel):
        for _ in batches:
            pass
    assert ahead.result is None


# --- an import that reads ahead --------------------------------------------------------------


@pytest.fixture
def ahead_always(monkeypatch) -> list[ReadAhead]:
    """Every file is read ahead; the list holds each ReadAhead the importer used."""
    used: list[ReadAhead] = []

    class Recorded(ReadAhead):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            used.append(self)

    monkeypatch.setattr(importer, "AHEAD_BYTES", 0)
    monkeypatch.setattr(importer, "ReadAhead", Recorded)
    return used


def _rows(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT taken_at, taken_ts, sbp, dbp, map, hr, rr, spo2, "
                            "map_derived, source, source_detail, import_id FROM readings "
                            "ORDER BY id").fetchall()


def test_reading_ahead_saves_what_reading_here_saves(store: Store, db_path: Path,
                                                     tmp_path: Path, request) -> None:
    data = csv_rows(4500) + "2024-05-01T12:00:00Z,abc,80,70,14,97\n"  # one bad row
    path = write(tmp_path, "v.csv", data)
    here = import_file(store, path, into(session_for(store, "P-1"), skip_invalid=True))
    expected = _rows(db_path)
    used = request.getfixturevalue("ahead_always")
    with Store.open(tmp_path / "other.sqlite") as other:
        ahead = import_file(other, path, into(session_for(other, "P-1"), skip_invalid=True))
    assert (ahead.new, ahead.rejected, ahead.sha256) == (here.new, here.rejected, here.sha256)
    assert [str(e) for e in ahead.invalid] == [str(e) for e in here.invalid]
    assert _rows(tmp_path / "other.sqlite") == expected
    assert len(used) == 1 and used[0].result is not None


def test_invalid_rows_read_ahead_save_nothing(store: Store, db_path: Path, tmp_path: Path,
                                              ahead_always) -> None:
    sid = session_for(store)
    before = snapshot(db_path)
    path = write(tmp_path, "v.csv", csv_rows(3000) + "2024-05-01T12:00:00Z,abc,80,70,14,97\n")
    with pytest.raises(ImportRejected) as refused:
        import_file(store, path, into(sid))
    assert [str(e) for e in refused.value.report.invalid] == [
        "line 3002, column 'SBP': 'abc' is not a number"]
    assert snapshot(db_path) == before
    assert len(ahead_always) == 1


def test_cancel_while_reading_ahead_saves_nothing(store: Store, db_path: Path, tmp_path: Path,
                                                  ahead_always) -> None:
    sid = session_for(store)
    before = snapshot(db_path)
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 2  # after the first batches were written

    with pytest.raises(ImportCancelled, match="nothing was saved"):
        import_file(store, write(tmp_path, "v.csv", csv_rows(9000)), into(sid), cancel=cancel)
    assert snapshot(db_path) == before
    assert len(ahead_always) == 1 and ahead_always[0].result is None  # stopped mid-file


def test_patients_named_in_a_file_read_ahead_get_their_sessions(store: Store, tmp_path: Path,
                                                                ahead_always) -> None:
    data = ("time,patient_id,HR\n2024-05-01T10:00:00Z,P-7,70\n"
            "2024-05-01T10:01:00Z,P-8,71\n")
    report = import_file(store, write(tmp_path, "p.csv", data), ImportOptions())
    assert report.new == 2 and report.patient_ids == {"P-7", "P-8"}
    assert store.active_session_for_patient("P-8") is not None
    assert len(ahead_always) == 1


def _import_in_a_pool_worker(db: str, csv: str) -> int:
    importer.AHEAD_BYTES = 0  # every file would be read ahead, but a pool worker may not
    with Store.open(db) as store:
        sid = session_for(store, "P-POOL")
        return import_file(store, Path(csv), into(sid)).new


def test_a_daemonic_process_reads_the_file_itself(tmp_path: Path) -> None:
    """Pool workers are daemonic and may not start a process: the import still works."""
    import multiprocessing

    path = write(tmp_path, "v.csv", csv_rows(300))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        new = pool.apply(_import_in_a_pool_worker, (str(tmp_path / "p.sqlite"), str(path)))
    assert new == 300


def test_on_one_core_the_file_is_read_here(store: Store, tmp_path: Path, monkeypatch,
                                           ahead_always) -> None:
    monkeypatch.setattr(importer.os, "cpu_count", lambda: 1)
    report = import_file(store, write(tmp_path, "v.csv", csv_rows(100)), into(session_for(store)))
    assert report.new == 100 and ahead_always == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is used on Linux only")
@pytest.mark.parametrize(("setup", "expected"), [
    ("", "fork"),  # the command line: one thread, no Qt
    ("import PySide6.QtCore", "spawn"),  # the window: Qt's threads may hold locks
    ("import threading, time; threading.Thread(target=time.sleep, args=(1,), daemon=True)"
     ".start()", "spawn"),
])
def test_the_reader_is_forked_only_where_that_is_safe(setup: str, expected: str) -> None:
    code = f"{setup}\nfrom monitor.io.read_ahead import start_method\nprint(start_method())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == expected
