"""The lookups a window and the board run every second on a long session: rows stored
after the newest in hand, rows by id, the session's marks. Each walks the primary key or
the marks, never the session's rows (no index on readings is needed for that)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.readings import ReadingStatus, new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import Store

T0 = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def two_sessions(store: Store) -> tuple[int, int]:
    """Two sessions whose readings interleave, one row of each marked in error."""
    ids = []
    for patient in ("P-1", "P-2"):
        ids.append(store.create_session(Session(Patient(patient)), "JM").id)
    for i in range(6):
        for sid in ids:
            store.add_reading(sid, new_reading(T0 + timedelta(minutes=10 - i),
                                               {Vital.HR: 60 + i}, entered_by="JM"))
    for sid in ids:
        store.mark_entered_in_error(store.readings(sid)[0].id, "JM", "artefact")
    return ids[0], ids[1]


def test_rows_stored_after_come_in_the_order_they_were_stored(store, two_sessions):
    first, _ = two_sessions
    rows = store.readings(first)
    stored = sorted(rows, key=lambda r: r.id)
    after = store.readings_stored_after(first, stored[1].id)
    assert after == stored[2:]
    assert all(r.session_id == first for r in after)
    assert store.readings_stored_after(first, stored[-1].id) == []
    assert store.readings_stored_after(999, 0) == []


def test_rows_by_id_come_as_stored_now_in_time_order(store, two_sessions):
    first, second = two_sessions
    rows = store.readings(first)
    found = store.readings_with_ids([rows[3].id, rows[0].id, rows[3].id, 10_000])
    assert found == [rows[0], rows[3]]
    assert found[0].status is ReadingStatus.ENTERED_IN_ERROR
    assert store.readings_with_ids([]) == []


def test_marked_ids_are_the_sessions_own(store, two_sessions):
    first, second = two_sessions
    assert store.marked_reading_ids(first) == {store.readings(first)[0].id}
    assert store.marked_reading_ids(second) == {store.readings(second)[0].id}
    assert store.marked_reading_ids(999) == frozenset()


@pytest.mark.parametrize("lookup", [
    lambda store, sid: store.readings_stored_after(sid, 1),
    lambda store, sid: store.marked_reading_ids(sid),
])
def test_the_live_lookups_never_walk_the_sessions_rows(store, two_sessions, lookup):
    # The plan of the SQL the store really runs: it must not use the session's time
    # index, which on a device session visits 100,000 rows on every poll.
    statements: list[str] = []
    store._db.conn.set_trace_callback(statements.append)
    lookup(store, two_sessions[0])
    store._db.conn.set_trace_callback(None)
    (sql,) = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    plan = " ".join(str(row[-1]) for row in store._db.execute(
        "EXPLAIN QUERY PLAN " + sql).fetchall())
    assert "readings_session_time" not in plan
    assert "PRIMARY KEY" in plan
