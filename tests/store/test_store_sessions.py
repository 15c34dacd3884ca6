"""Sessions in the store: the database's settings, saving and reopening every field, changes
with their audit trail, closing, finding a patient's active session and ordering."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.domain.sessions import Infusion, Patient, Phase, Session, SessionStatus
from monitor.domain.vitals import Vital
from monitor.store import Store
from monitor.store.schema import schema_version

PLUS_TWO = timezone(timedelta(hours=2))
T0 = datetime(2026, 3, 10, 8, 30, tzinfo=PLUS_TWO)


def full_session(patient_id: str = "MRN-1001", started_at: datetime = T0) -> Session:
    return Session(
        Patient(patient_id, "Ada Lovelace", date(1980, 6, 15)),
        Infusion("ketamine", 80, 0.5, T0 + timedelta(minutes=10), T0 + timedelta(hours=2),
                 "CRPS"),
        weight_kg=72.5,
        baseline={Vital.SBP: 121, Vital.DBP: 76, Vital.MAP: 91, Vital.HR: 68, Vital.RR: 14,
                  Vital.SPO2: 98},
        started_at=started_at,
    )


def started(store: Store, patient_id: str, minutes: int) -> Session:
    """A session for ``patient_id`` started ``minutes`` after T0."""
    return store.create_session(
        Session(Patient(patient_id), started_at=T0 + timedelta(minutes=minutes)), by="JS"
    )


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [("journal_mode", "wal"), ("synchronous", 2), ("foreign_keys", 1),
     ("user_version", schema_version())],
)
def test_database_is_durable_and_checked(store: Store, pragma: str, expected: object) -> None:
    assert store.pragma(pragma) == expected


def test_settings_hold_again_after_reopening(store: Store, db_path: Path) -> None:
    store.close()
    with Store.open(db_path) as again:
        assert (again.pragma("synchronous"), again.pragma("foreign_keys")) == (2, 1)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_new_database_file_is_readable_by_its_owner_only(store: Store, db_path: Path) -> None:
    started(store, "P1", 0)
    for path in (db_path, Path(f"{db_path}-wal")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_creating_the_database_makes_missing_folders(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a" / "b" / "monitor.sqlite") as s:
        assert s.sessions() == []


def test_session_comes_back_with_every_field_after_reopening(
    store: Store, db_path: Path
) -> None:
    created = store.create_session(full_session(), by="JS")
    store.close()
    with Store.open(db_path) as again:
        loaded = again.get_session(created.id)
    assert loaded == replace(full_session(), id=created.id, created_by="JS")
    assert loaded.infusion.started_at.utcoffset() == timedelta(hours=2)
    assert loaded.started_at.utcoffset() == timedelta(hours=2)


def test_session_without_optional_fields_round_trips(store: Store) -> None:
    created = store.create_session(Session(Patient("P", age_years=40)), by="JS")
    loaded = store.get_session(created.id)
    assert loaded.patient == Patient("P", age_years=40)
    assert (loaded.infusion, loaded.baseline, loaded.weight_kg) == (Infusion(), {}, None)
    assert loaded.status is SessionStatus.ACTIVE


def test_new_session_is_stamped_with_its_start_when_none_given(store: Store) -> None:
    before = datetime.now(UTC)
    created = store.create_session(Session(Patient("P")), by="JS")
    assert before <= created.started_at <= datetime.now(UTC)


def test_starting_a_session_is_audited(store: Store) -> None:
    created = store.create_session(full_session(), by="JS")
    [entry] = store.audit_trail(created.id)
    assert (entry.actor, entry.action) == ("JS", "session started")
    assert entry.detail == {"patient_id": "MRN-1001"}


def test_session_change_is_saved_and_audited_with_old_and_new_values(store: Store) -> None:
    created = store.create_session(full_session(), by="JS")
    changed = replace(created, weight_kg=80.0, baseline={**created.baseline, Vital.SBP: 130},
                      infusion=replace(created.infusion, dose_mg=100))
    updated = store.update_session(changed, by="AB", reason="weighed again")
    assert updated == changed
    entry = store.audit_trail(created.id)[-1]
    assert (entry.actor, entry.action, entry.detail["reason"]) == (
        "AB", "session changed", "weighed again")
    assert entry.detail["changes"] == {
        "weight_kg": {"old": 72.5, "new": 80.0},
        "baseline_sbp": {"old": 121.0, "new": 130},
        "dose_mg": {"old": 80.0, "new": 100},
    }


def test_saving_an_unchanged_session_writes_no_audit_entry(store: Store) -> None:
    created = store.create_session(full_session(), by="JS")
    store.update_session(created, by="AB")
    assert [e.action for e in store.audit_trail(created.id)] == ["session started"]


def test_closing_a_session_discharges_the_patient_and_is_audited(store: Store) -> None:
    created = store.create_session(full_session(), by="JS")
    at = T0 + timedelta(hours=3)
    closed = store.close_session(created.id, by="AB", at=at, details={"aldrete": 10})
    assert (closed.status, closed.closed_at) == (SessionStatus.CLOSED, at)
    assert closed.phase(at) is Phase.DISCHARGED
    entry = store.audit_trail(created.id)[-1]
    assert (entry.actor, entry.action, entry.detail) == ("AB", "session closed", {"aldrete": 10})


def test_active_session_for_patient_ignores_closed_and_other_patients(store: Store) -> None:
    active = started(store, "P1", 0)
    store.close_session(started(store, "P1", 30).id, by="JS")
    started(store, "P2", 60)
    assert store.active_session_for_patient("P1") == active


def test_active_session_for_patient_is_the_most_recent_active_one(store: Store) -> None:
    started(store, "P1", 0)
    newest = started(store, "P1", 45)
    started(store, "P1", 30)
    assert store.active_session_for_patient("P1") == newest


@pytest.mark.parametrize("patient_id", ["P1", "NOBODY"])
def test_no_active_session_when_none_is_open(store: Store, patient_id: str) -> None:
    store.close_session(started(store, "P1", 0).id, by="JS")
    assert store.active_session_for_patient(patient_id) is None


def test_sessions_are_listed_newest_first(store: Store) -> None:
    ids = {m: started(store, p, m).id for p, m in (("P1", 30), ("P2", 0), ("P1", 90), ("P3", 60))}
    assert [s.id for s in store.sessions()] == [ids[90], ids[60], ids[30], ids[0]]
    assert [s.id for s in store.sessions(patient_id="P1")] == [ids[90], ids[30]]
    assert [s.id for s in store.sessions(limit=2)] == [ids[90], ids[60]]


def test_sessions_started_at_the_same_moment_list_the_later_entry_first(store: Store) -> None:
    first, second = started(store, "P1", 0), started(store, "P2", 0)
    assert [s.id for s in store.sessions()] == [second.id, first.id]


def test_sessions_order_by_moment_across_time_zones(store: Store) -> None:
    early = store.create_session(full_session("P1", datetime(2026, 3, 10, 9, 0, tzinfo=UTC)),
                                 by="JS")
    # 10:30 at +02:00 is 08:30 UTC: earlier, although its wall clock reads later.
    earlier = store.create_session(full_session("P2", T0.replace(hour=10)), by="JS")
    assert [s.id for s in store.sessions()] == [early.id, earlier.id]
