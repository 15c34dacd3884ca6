"""Session browser queries: filters, sort, paging and the summary columns kept by triggers."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.alerts import AlertEngine
from monitor.domain.readings import new_reading
from monitor.domain.sessions import Patient, Session, SessionStatus
from monitor.domain.vitals import Vital
from monitor.resources import default_profile
from monitor.store import Store
from monitor.store.browse import SessionQuery

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def make_session(store: Store, pid: str, name: str, day: int, sbps: list[float]) -> int:
    session = store.create_session(
        Session(Patient(pid, name), started_at=T0 + timedelta(days=day)), "JM")
    readings = [new_reading(T0 + timedelta(days=day, minutes=10 * i),
                            {Vital.SBP: sbp, Vital.DBP: 70}, entered_by="JM")
                for i, sbp in enumerate(sbps)]
    saved = store.add_readings(session.id, readings)
    engine = AlertEngine(default_profile(), {})
    for reading in saved:
        store.record_alert_events(session.id, engine.on_reading(reading))
    return session.id


@pytest.fixture
def sessions(store: Store) -> dict[str, int]:
    return {
        "ann1": make_session(store, "MRN-001", "Ann Smith", 0, [120, 130]),
        "bob": make_session(store, "MRN-002", "Bob Jones", 1, [120, 165, 170]),
        "ann2": make_session(store, "MRN-001", "Ann Smith", 7, [190, 150, 140, 130]),
        "cy": make_session(store, "XY-9", "Cy Ng", 9, []),
    }


def ids(rows) -> list[int]:
    return [r.id for r in rows]


def test_summaries_count_readings_and_worst_alert(store, sessions):
    rows = {r.id: r for r in store.browse_sessions(SessionQuery())}
    assert rows[sessions["ann2"]].reading_count == 4
    assert rows[sessions["ann2"]].worst_alert == 3  # SBP 190 > 180: high priority
    assert rows[sessions["bob"]].worst_alert == 2
    assert rows[sessions["cy"]].reading_count == 0 and rows[sessions["cy"]].worst_alert == 0
    assert rows[sessions["ann2"]].duration == timedelta(minutes=30)


def test_corrections_do_not_count_as_new_readings(store, sessions):
    first = store.readings(sessions["ann1"])[0]
    store.correct_reading(first.id, first, "KL", "typo")
    (row,) = store.browse_sessions(SessionQuery(text="MRN-001", sort="started",
                                                descending=False), limit=1)
    assert row.reading_count == 2


def test_search_by_identifier_or_name_case_insensitive(store, sessions):
    assert set(ids(store.browse_sessions(SessionQuery(text="mrn-001")))) == {
        sessions["ann1"], sessions["ann2"]}
    assert ids(store.browse_sessions(SessionQuery(text="jones"))) == [sessions["bob"]]
    assert store.browse_sessions(SessionQuery(text="%")) == []  # wildcards are literal
    assert store.count_sessions(SessionQuery(text="smith")) == 2


def test_filters_for_dates_status_and_critical_alerts(store, sessions):
    store.close_session(sessions["ann1"], "JM")
    assert ids(store.browse_sessions(SessionQuery(status=SessionStatus.CLOSED))) == [
        sessions["ann1"]]
    assert ids(store.browse_sessions(SessionQuery(min_alert_priority=3))) == [sessions["ann2"]]
    week = SessionQuery(started_from=T0 + timedelta(days=1), started_to=T0 + timedelta(days=8))
    assert ids(store.browse_sessions(week)) == [sessions["ann2"], sessions["bob"]]


@pytest.mark.parametrize(("sort", "first"), [("readings", "ann2"), ("patient", "cy"),
                                             ("worst_alert", "ann2"), ("started", "cy")])
def test_sort_columns(store, sessions, sort, first):
    assert store.browse_sessions(SessionQuery(sort=sort), limit=1)[0].id == sessions[first]


def test_paging_covers_every_row_once(store, sessions):
    pages = [ids(store.browse_sessions(SessionQuery(sort="name"), offset=o, limit=3))
             for o in (0, 3)]
    assert sorted(pages[0] + pages[1]) == sorted(sessions.values())


def test_unknown_sort_column_is_refused(store):
    with pytest.raises(ValueError):
        store.browse_sessions(SessionQuery(sort="id; DROP TABLE sessions"))


def test_read_only_archive_is_never_modified(store, sessions, db_path, tmp_path):
    store.close()
    archive = tmp_path / "archive.sqlite"
    archive.write_bytes(db_path.read_bytes())
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    with Store.open(archive, read_only=True) as ro:
        assert ro.count_sessions(SessionQuery()) == 4
        assert len(ro.readings(sessions["ann2"])) == 4
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == digest
    assert sorted(os.listdir(tmp_path)).count("archive.sqlite-wal") == 0


def _recount(store: Store, session_id: int) -> tuple[int, float | None]:
    """The summary as the m004 migration computes it from scratch."""
    return store._db.execute(
        "SELECT count(*) FILTER (WHERE supersedes IS NULL), max(taken_ts) FILTER "
        "(WHERE supersedes IS NULL) FROM readings WHERE session_id = ?", [session_id]).fetchone()


def _summary(store: Store, session_id: int) -> tuple[int, float | None]:
    return store._db.execute("SELECT reading_count, last_reading_ts FROM sessions WHERE id = ?",
                             [session_id]).fetchone()


def _imported(minute: int, sbp: float, status=None):
    from monitor.domain.readings import ReadingStatus, Source
    from monitor.io.parsed import imported_reading
    return imported_reading(T0 + timedelta(days=2, minutes=minute), {Vital.SBP: sbp, Vital.DBP: 70},
                            source=Source.IMPORT, detail="f.csv (CSV)",
                            status=status or ReadingStatus.VALID)


@pytest.mark.parametrize("numbered", [True, False], ids=["import run", "live feed"])
def test_imports_keep_the_summary_exact(store, sessions, numbered):
    """An import run is counted by the store per batch (m006), the live feed by the trigger:
    both give what a recount gives, with duplicates, repeats across batches and a correction."""
    from monitor.domain.readings import ReadingStatus
    from monitor.store.imports import ImportRun, ImportTarget

    target = ImportTarget(session_id=sessions["bob"])
    batches = [
        [(target, _imported(100, 120)), (target, _imported(101, 121)),
         (target, _imported(100, 120))],  # a repeat inside the batch
        [(target, _imported(101, 121)),  # a repeat of the previous batch
         (target, _imported(102, 150, ReadingStatus.CORRECTED)),
         (target, _imported(102, 125)),  # corrects the row before: not a new reading
         (target, _imported(103, 130))],
    ]
    totals = store.commit_import(batches,
                                 run=(lambda: ImportRun("f.csv", "csv")) if numbered else None)
    assert (totals.imported, totals.duplicates) == (5, 2)
    count, last = _summary(store, sessions["bob"])
    assert (count, last) == _recount(store, sessions["bob"])
    assert count == 3 + 4 and last == (T0 + timedelta(days=2, minutes=103)).timestamp()
    again = store.commit_import(batches,
                                run=(lambda: ImportRun("f.csv", "csv")) if numbered else None)
    assert (again.imported, again.duplicates) == (0, 7)
    assert _summary(store, sessions["bob"]) == (count, last)


def test_a_failed_import_leaves_the_summary_as_it_was(store, sessions):
    from monitor.store.imports import ImportRun, ImportTarget

    target = ImportTarget(session_id=sessions["bob"])
    before = _summary(store, sessions["bob"])

    def batches():
        yield [(target, _imported(200 + i, 120 + i)) for i in range(5)]
        raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError):
        store.commit_import(batches(),
                            run=lambda: ImportRun("f.csv", "csv"))
    assert _summary(store, sessions["bob"]) == before == _recount(store, sessions["bob"])
