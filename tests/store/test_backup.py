"""Backups: consistent, checked, private, rotated; restore checks first and keeps the old."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.readings import new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import DatabaseCorrupt, Store
from monitor.store.backup import backup_database, backup_due, list_backups, restore_database

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def add(store: Store, session_id: int, hr: float) -> None:
    store.add_reading(session_id, new_reading(T0, {Vital.HR: hr}, entered_by="JM"))


@pytest.fixture
def session_id(store: Store) -> int:
    return store.create_session(Session(Patient("MRN-1", "Ann")), "JM").id


def test_backup_of_an_open_database_holds_every_committed_reading(store, session_id, db_path,
                                                                  tmp_path):
    add(store, session_id, 71)
    add(store, session_id, 72)  # the store stays open, its WAL not checkpointed
    info = backup_database(db_path, tmp_path / "backups", now=T0)
    with Store.open(info.path, read_only=True) as copy:
        assert [r.values[Vital.HR] for r in copy.readings(session_id)] == [71, 72]
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600


def test_rotation_keeps_the_newest(store, session_id, db_path, tmp_path):
    folder = tmp_path / "b"
    for day in range(5):
        backup_database(db_path, folder, keep=3, now=T0 + timedelta(days=day))
    kept = list_backups(folder)
    assert [b.taken_at for b in kept] == [T0 + timedelta(days=d) for d in (4, 3, 2)]


def test_daily_backup_is_due_after_a_day(store, db_path, tmp_path):
    folder = tmp_path / "b"
    assert backup_due(folder, T0)
    backup_database(db_path, folder, now=T0)
    assert not backup_due(folder, T0 + timedelta(hours=23))
    assert backup_due(folder, T0 + timedelta(hours=24))


def test_restore_brings_back_the_backup_and_keeps_the_current(store, session_id, db_path,
                                                              tmp_path):
    add(store, session_id, 70)
    info = backup_database(db_path, tmp_path / "b", now=T0)
    add(store, session_id, 99)
    store.close()
    kept = restore_database(info.path, db_path, now=T0)
    with Store.open(db_path) as restored:
        assert [r.values[Vital.HR] for r in restored.readings(session_id)] == [70]
    with Store.open(kept, read_only=True) as previous:
        assert [r.values[Vital.HR] for r in previous.readings(session_id)] == [70, 99]


def test_a_damaged_backup_is_refused_and_the_database_untouched(store, session_id, db_path,
                                                                tmp_path):
    add(store, session_id, 70)
    store.close()
    bad = tmp_path / "monitor-20260501-100000.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    before = db_path.read_bytes()
    with pytest.raises(DatabaseCorrupt):
        restore_database(bad, db_path)
    assert db_path.read_bytes() == before


def test_keep_must_be_positive(db_path, store, tmp_path):
    with pytest.raises(ValueError):
        backup_database(db_path, tmp_path, keep=0)
