"""What the store says when the environment is at fault: unknown ids, a database from a newer
app, a damaged file, a read-only open and a second writer. Each is a named StoreError with a
message, never a raw sqlite3 traceback, and a file the app must not touch is left unchanged."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain.readings import new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import (
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseReadOnly,
    DatabaseTooNew,
    NotFound,
    Store,
    StoreError,
    database,
)
from monitor.store.schema import schema_version

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
HR = new_reading(NOW, {Vital.HR: 70}, entered_by="JS")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def populated(db_path: Path) -> tuple[int, int]:
    """Fill a closed database with one session and one reading; return their ids."""
    with Store.open(db_path) as s:
        session = s.create_session(Session(Patient("MRN-1")), by="JS")
        return session.id, s.add_reading(session.id, HR).id


# -- unknown ids ----------------------------------------------------------------------------

UNKNOWN = 999
OPERATIONS: dict[str, Callable[[Store], object]] = {
    "get_session": lambda s: s.get_session(UNKNOWN),
    "update_session": lambda s: s.update_session(Session(Patient("P"), id=UNKNOWN), by="JS"),
    "close_session": lambda s: s.close_session(UNKNOWN, by="JS"),
    "add_reading": lambda s: s.add_reading(UNKNOWN, HR),
    "get_reading": lambda s: s.get_reading(UNKNOWN),
    "correct_reading": lambda s: s.correct_reading(UNKNOWN, HR, by="JS", reason="typo"),
    "mark_entered_in_error": lambda s: s.mark_entered_in_error(UNKNOWN, by="JS", reason="x"),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_unknown_id_is_not_found(store: Store, operation: Callable[[Store], object]) -> None:
    with pytest.raises(NotFound, match=str(UNKNOWN)):
        operation(store)
    assert store.sessions() == []


def test_unknown_session_has_no_readings_and_no_audit_trail(store: Store) -> None:
    assert (store.readings(UNKNOWN), store.audit_trail(UNKNOWN)) == ([], [])


# -- a database from a newer version ----------------------------------------------------------


@pytest.mark.parametrize("read_only", [False, True])
def test_database_from_a_newer_app_is_refused_and_left_untouched(
    db_path: Path, read_only: bool
) -> None:
    populated(db_path)
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {schema_version() + 1}")
    conn.close()
    before = digest(db_path)
    with pytest.raises(DatabaseTooNew, match="newer version"):
        Store.open(db_path, read_only=read_only)
    assert digest(db_path) == before


# -- damaged files ------------------------------------------------------------------------------


def _garbage(data: bytes) -> bytes:
    return bytes(range(256)) * 64


def _truncated_to(size: int) -> Callable[[bytes], bytes]:
    return lambda data: data[:size]


def _header_only(data: bytes) -> bytes:
    return data[:100] + b"\xff" * (len(data) - 100)


@pytest.mark.parametrize(
    "damage",
    [_garbage, _truncated_to(50), _truncated_to(4096), _truncated_to(3 * 4096), _header_only],
    ids=["garbage", "first 50 bytes", "first page", "first 3 pages", "pages overwritten"],
)
def test_damaged_file_is_reported_as_corrupt_and_not_overwritten(
    db_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    populated(db_path)
    db_path.write_bytes(damage(db_path.read_bytes()))
    before = digest(db_path)
    with pytest.raises(DatabaseCorrupt, match=str(db_path.name)):
        Store.open(db_path)
    assert digest(db_path) == before


def test_damaged_file_is_reported_even_without_the_integrity_check(db_path: Path) -> None:
    db_path.write_bytes(b"this is a shopping list, not a database" * 200)
    with pytest.raises(DatabaseCorrupt):
        Store.open(db_path, check=False)


# -- read-only ------------------------------------------------------------------------------------

WRITES: dict[str, Callable[[Store, int, int], object]] = {
    "create_session": lambda s, sid, rid: s.create_session(Session(Patient("P2")), by="JS"),
    "update_session": lambda s, sid, rid: s.update_session(
        Session(Patient("P2"), id=sid), by="JS"),
    "close_session": lambda s, sid, rid: s.close_session(sid, by="JS"),
    "add_reading": lambda s, sid, rid: s.add_reading(sid, HR),
    "add_readings": lambda s, sid, rid: s.add_readings(sid, [HR, HR]),
    "correct_reading": lambda s, sid, rid: s.correct_reading(rid, HR, by="JS", reason="typo"),
    "mark_entered_in_error": lambda s, sid, rid: s.mark_entered_in_error(rid, "JS", "wrong"),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_read_only_open_cannot_write_and_leaves_the_file_unchanged(
    db_path: Path, write: Callable[[Store, int, int], object]
) -> None:
    session_id, reading_id = populated(db_path)
    before = digest(db_path)
    with Store.open(db_path, read_only=True) as viewer:
        assert [r.id for r in viewer.readings(session_id)] == [reading_id]
        with pytest.raises(DatabaseReadOnly):
            write(viewer, session_id, reading_id)
        assert [r.id for r in viewer.readings(session_id)] == [reading_id]
    assert digest(db_path) == before


def test_read_only_open_refuses_raw_sql_writes_too(db_path: Path) -> None:
    populated(db_path)
    before = digest(db_path)
    with Store.open(db_path, read_only=True) as viewer, pytest.raises(sqlite3.OperationalError,
                                                                        match="readonly"):
        viewer._db.execute("INSERT INTO audit_log (at, actor, action) VALUES ('x', 'y', 'z')")
    assert digest(db_path) == before


def test_read_only_open_of_a_missing_file_creates_nothing(db_path: Path) -> None:
    with pytest.raises(NotFound):
        Store.open(db_path, read_only=True)
    assert not db_path.exists()


# -- a second writer ---------------------------------------------------------------------------


def test_second_writer_waits_for_the_timeout_then_gets_busy(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 0.3)
    session_id, _ = populated(db_path)
    with Store.open(db_path) as first, Store.open(db_path) as second:
        first._db.execute("BEGIN IMMEDIATE")  # the first writer holds the write lock
        start = time.monotonic()
        with pytest.raises(DatabaseBusy, match="in use by another program"):
            second.add_reading(session_id, HR)
        assert time.monotonic() - start >= 0.25
        first._db.execute("ROLLBACK")
        assert second.add_reading(session_id, HR).value(Vital.HR) == 70
        assert len(first.readings(session_id)) == 2


def test_store_errors_are_one_family_with_a_message() -> None:
    for error in (NotFound, DatabaseBusy, DatabaseCorrupt, DatabaseReadOnly, DatabaseTooNew):
        assert issubclass(error, StoreError)
