"""Closed sessions are locked; amendments are the one way in, with a reason on the row and
in the audit trail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.readings import ReadingStatus, new_reading
from monitor.domain.sessions import Patient, Session, SessionStatus
from monitor.domain.vitals import Vital
from monitor.store.browse import SessionQuery
from monitor.store.errors import SessionClosed, StoreError

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def reading(minutes: int, sbp: float = 120):
    return new_reading(T0 + timedelta(minutes=minutes), {Vital.SBP: sbp, Vital.DBP: 70},
                       entered_by="JM")


@pytest.fixture
def closed(store) -> int:
    session = store.create_session(Session(Patient("MRN-7", "Eve"), started_at=T0), "JM")
    store.add_readings(session.id, [reading(0), reading(15)])
    store.close_session(session.id, "JM", at=T0 + timedelta(hours=1),
                        details={"escort_present": True})
    return session.id


def test_a_closed_session_refuses_readings_marks_details_and_events(store, closed):
    first = store.readings(closed)[0]
    with pytest.raises(SessionClosed, match="Amend"):
        store.add_reading(closed, reading(30))
    with pytest.raises(SessionClosed):
        store.correct_reading(first.id, reading(0, 125), "KL", "typo")
    with pytest.raises(SessionClosed):
        store.mark_entered_in_error(first.id, "KL", "wrong patient")
    session = store.get_session(closed)
    with pytest.raises(SessionClosed):
        store.update_session(replace(session, weight_kg=80.0), "KL", "weighed")
    with pytest.raises(SessionClosed):
        store.close_session(closed, "KL")
    assert len(store.readings(closed)) == 2
    assert store.get_session(closed).status is SessionStatus.CLOSED


def test_amended_late_reading_is_marked_and_audited(store, closed):
    saved = store.amend_add_reading(closed, reading(45, 150), "KL", "Paper chart found")
    assert saved.amendment_reason == "Paper chart found" and saved.late
    assert [r.id for r in store.amendments(closed)] == [saved.id]
    entry = store.audit_trail(closed)[-1]
    assert (entry.action, entry.actor) == ("amendment", "KL")
    assert entry.detail["reason"] == "Paper chart found"
    assert entry.detail["kind"] == "late reading"
    summary = store.browse_sessions(SessionQuery(), limit=1)[0]
    assert summary.reading_count == 3  # the summary triggers follow an amendment


def test_amended_correction_and_in_error_mark_keep_the_originals(store, closed):
    first, second = store.readings(closed)
    fixed = store.amend_correct_reading(first.id, reading(0, 128), "KL", "Re-read strip")
    assert fixed.supersedes == first.id and fixed.amendment_reason == "Re-read strip"
    marked = store.amend_mark_in_error(second.id, "KL", "Wrong patient")
    assert marked.status is ReadingStatus.ENTERED_IN_ERROR
    kinds = [e.detail.get("kind") for e in store.audit_trail(closed) if e.action == "amendment"]
    assert kinds == ["correction", "entered-in-error"]


@pytest.mark.parametrize(("by", "reason", "message"), [
    ("", "late", "Initials: enter your initials"),
    ("K1", "late", "Initials: 'K1' must be up to 6 letters"),  # the one initials rule
    ("KL", "", "Reason: say why"), ("KL", "   ", "Reason: say why")])
def test_an_amendment_needs_initials_and_a_reason(store, closed, by, reason, message):
    with pytest.raises(ValueError, match=message):
        store.amend_add_reading(closed, reading(45), by, reason)
    assert len(store.readings(closed)) == 2


def test_an_active_session_is_not_amended(store):
    session = store.create_session(Session(Patient("MRN-8")), "JM")
    with pytest.raises(StoreError, match="Only a closed session"):
        store.amend_add_reading(session.id, reading(0), "KL", "late")


def test_the_database_itself_refuses_a_plain_row_in_a_closed_session(store, closed, db_path):
    """The lock holds below the store too (m005, kept by m008 for everything that is not an
    import run, which checks the lock once inside its own transaction)."""
    import sqlite3

    from monitor.store.imports import ImportTarget

    with sqlite3.connect(db_path) as conn, pytest.raises(sqlite3.IntegrityError,
                                                         match="session is closed"):
        conn.execute("INSERT INTO readings (session_id, taken_at, taken_ts, hr, source, "
                     "recorded_at) VALUES (?, ?, 0, 70, 'device', ?)",
                     [closed, T0.isoformat(), T0.isoformat()])
    with pytest.raises(SessionClosed):  # the live feed (no import run)
        store.commit_import([[(ImportTarget(session_id=closed), reading(50))]])
    assert len(store.readings(closed)) == 2
