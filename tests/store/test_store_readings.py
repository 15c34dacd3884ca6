"""Readings in the store: saved as charted, never changed in place. Corrections and
entered-in-error marks keep the original, everything is audited, batches are all-or-nothing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.domain.readings import Reading, ReadingStatus, Source, new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import NotFound, Store, StoreError

T0 = datetime(2026, 3, 10, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
BP = {Vital.SBP: 210, Vital.DBP: 80, Vital.HR: 72}


@pytest.fixture
def session_id(store: Store) -> int:
    return store.create_session(Session(Patient("MRN-1")), by="JS").id


def chart(store: Store, session_id: int, minutes: int = 0, **values: float) -> Reading:
    """Save a manual reading taken ``minutes`` after T0."""
    vals = {Vital(k): v for k, v in values.items()} or BP
    return store.add_reading(session_id, new_reading(T0 + timedelta(minutes=minutes), vals,
                                                     entered_by="js"))


def count(store: Store, table: str) -> int:
    return store._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_reading_comes_back_as_charted_after_reopening(
    store: Store, session_id: int, db_path: Path
) -> None:
    reading = new_reading(T0, {Vital.SBP: 128, Vital.DBP: 76, Vital.HR: 72, Vital.RR: 0,
                               Vital.SPO2: 97.5}, entered_by="js", note="apnoea confirmed",
                          source=Source.MANUAL)
    saved = store.add_reading(session_id, reading)
    store.close()
    with Store.open(db_path) as again:
        [loaded] = again.readings(session_id)
    assert loaded == saved
    assert loaded.values == {Vital.SBP: 128, Vital.DBP: 76, Vital.MAP: 93.3, Vital.HR: 72,
                             Vital.RR: 0, Vital.SPO2: 97.5}
    assert (loaded.entered_by, loaded.note, loaded.source) == ("JS", "apnoea confirmed",
                                                               Source.MANUAL)
    assert loaded.map_derived and loaded.is_current
    assert (loaded.taken_at, loaded.taken_at.utcoffset()) == (T0, timedelta(hours=-5))
    assert loaded.session_id == session_id and loaded.recorded_at is not None


def test_imported_reading_keeps_its_source_and_detail(store: Store, session_id: int) -> None:
    reading = new_reading(T0, {Vital.HR: 64}, source=Source.IMPORT,
                          source_detail="export.csv (Philips CSV)")
    saved = store.add_reading(session_id, reading)
    assert (saved.source, saved.source_detail, saved.entered_by) == (
        Source.IMPORT, "export.csv (Philips CSV)", "")
    assert saved.values == {Vital.HR: 64}


def test_readings_come_back_in_time_order_whatever_the_order_charted(
    store: Store, session_id: int
) -> None:
    for minutes in (30, 0, 15):
        chart(store, session_id, minutes, hr=60 + minutes)
    assert [r.value(Vital.HR) for r in store.readings(session_id)] == [60, 75, 90]


def test_correction_keeps_the_original_and_the_new_reading_counts(
    store: Store, session_id: int
) -> None:
    original = chart(store, session_id)
    fix = new_reading(T0, {**BP, Vital.SBP: 120}, entered_by="AB")
    new = store.correct_reading(original.id, fix, by="AB", reason="typed 210 for 120")
    old = store.get_reading(original.id)
    assert (old.status, old.status_reason, old.status_by) == (
        ReadingStatus.CORRECTED, "typed 210 for 120", "AB")
    assert old.values == original.values
    assert (new.supersedes, new.value(Vital.SBP), new.is_current) == (original.id, 120, True)
    assert store.current_readings(session_id) == [new]
    assert [r.id for r in store.readings(session_id)] == [original.id, new.id]


def test_correction_is_audited_with_old_and_new_values(store: Store, session_id: int) -> None:
    original = chart(store, session_id, hr=180)
    new = store.correct_reading(original.id, new_reading(T0, {Vital.HR: 80}), by="AB",
                                reason="typo")
    entry = store.audit_trail(session_id)[-1]
    assert (entry.actor, entry.action) == ("AB", "reading corrected")
    assert entry.detail == {"reading_id": original.id, "correction_id": new.id, "reason": "typo",
                            "old": {"hr": 180.0}, "new": {"hr": 80}}


def test_entered_in_error_keeps_the_reading_struck_out(store: Store, session_id: int) -> None:
    wrong = chart(store, session_id)
    marked = store.mark_entered_in_error(wrong.id, by="AB", reason="wrong patient")
    assert (marked.status, marked.status_reason, marked.status_by) == (
        ReadingStatus.ENTERED_IN_ERROR, "wrong patient", "AB")
    assert marked.values == wrong.values and marked.status_at is not None
    assert store.current_readings(session_id) == []
    assert store.readings(session_id) == [marked]
    entry = store.audit_trail(session_id)[-1]
    assert (entry.actor, entry.action, entry.detail) == (
        "AB", "reading entered in error", {"reading_id": wrong.id, "reason": "wrong patient"})


def _correct(store: Store, reading_id: int) -> Reading:
    return store.correct_reading(reading_id, new_reading(T0, {Vital.HR: 70}), by="AB",
                                 reason="typo")


def _mark(store: Store, reading_id: int) -> Reading:
    return store.mark_entered_in_error(reading_id, by="AB", reason="wrong patient")


@pytest.mark.parametrize("first", [_correct, _mark])
@pytest.mark.parametrize("second", [_correct, _mark])
def test_a_corrected_or_struck_out_reading_cannot_be_changed_again(
    store: Store, session_id: int, first, second
) -> None:
    reading = chart(store, session_id)
    first(store, reading.id)
    before = store.readings(session_id), store.audit_trail(session_id)
    with pytest.raises(StoreError, match="already"):
        second(store, reading.id)
    assert (store.readings(session_id), store.audit_trail(session_id)) == before


def test_a_correction_can_itself_be_corrected(store: Store, session_id: int) -> None:
    first = _correct(store, chart(store, session_id).id)
    second = _correct(store, first.id)
    assert store.current_readings(session_id) == [second]


@pytest.mark.parametrize("reason", ["", "   "])
@pytest.mark.parametrize("change", ["correct", "mark"])
def test_changing_a_reading_needs_a_reason(
    store: Store, session_id: int, reason: str, change: str
) -> None:
    reading = chart(store, session_id)
    with pytest.raises(ValueError, match="needs a reason"):
        if change == "correct":
            store.correct_reading(reading.id, new_reading(T0, {Vital.HR: 1}), "AB", reason)
        else:
            store.mark_entered_in_error(reading.id, "AB", reason)
    assert store.readings(session_id) == [reading]


def test_batch_for_unknown_session_saves_nothing(store: Store, session_id: int) -> None:
    with pytest.raises(NotFound):
        store.add_readings(session_id + 1, [new_reading(T0, {Vital.HR: 70})])
    assert count(store, "readings") == 0


def test_batch_with_a_failing_row_saves_nothing(store: Store, session_id: int) -> None:
    chart(store, session_id)
    # The last row corrects a reading that does not exist: the foreign key refuses it.
    rows = [Reading(T0 + timedelta(minutes=i), {Vital.HR: 70 + i}, Source.IMPORT,
                    supersedes=10**6 if i == 2 else None) for i in range(3)]
    with pytest.raises(sqlite3.IntegrityError):
        store.add_readings(session_id, rows)
    assert count(store, "readings") == 1
    assert store.add_readings(session_id, rows[:2])[-1].value(Vital.HR) == 71


def test_batch_saves_every_reading(store: Store, session_id: int) -> None:
    rows = [new_reading(T0 + timedelta(minutes=i), {Vital.HR: 70 + i}, source=Source.DEVICE)
            for i in range(50)]
    saved = store.add_readings(session_id, rows)
    assert [r.value(Vital.HR) for r in saved] == [70 + i for i in range(50)]
    assert store.readings(session_id) == saved


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE readings SET sbp = 120",
        "DELETE FROM readings",
        "UPDATE reading_marks SET reason = 'nothing to see'",
        "DELETE FROM reading_marks",
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ],
)
def test_recorded_rows_cannot_be_changed_or_deleted_even_with_raw_sql(
    store: Store, session_id: int, sql: str
) -> None:
    _mark(store, chart(store, session_id).id)
    before = store.readings(session_id), store.audit_trail(session_id)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store._db.execute(sql)
    assert (store.readings(session_id), store.audit_trail(session_id)) == before


def test_reading_times_keep_their_offset_and_order_by_moment(
    store: Store, session_id: int
) -> None:
    utc_later = datetime(2026, 3, 10, 15, 1, tzinfo=UTC)  # 10:01 at -05:00
    store.add_reading(session_id, new_reading(utc_later, {Vital.HR: 2}, entered_by="JS"))
    chart(store, session_id, 0, hr=1)
    loaded = store.readings(session_id)
    assert [r.value(Vital.HR) for r in loaded] == [1, 2]
    assert loaded[1].taken_at.tzinfo == UTC


def test_a_session_loads_every_kind_of_reading_exactly_as_one_by_one(
        store: Store, session_id: int) -> None:
    """store.readings builds readings on a fast path; it must agree field by field with
    get_reading for valid, corrected, correcting, in-error, NEWS2 and device readings."""
    plain = chart(store, session_id, 0)
    wrong = chart(store, session_id, 5, sbp=150, dbp=90)
    store.correct_reading(wrong.id, new_reading(wrong.taken_at, {Vital.SBP: 140,
                                                                 Vital.DBP: 85}), "AB",
                          "typo")
    struck = chart(store, session_id, 10, hr=61)
    store.mark_entered_in_error(struck.id, "CD", "wrong patient")
    store.add_reading(session_id, new_reading(
        T0 + timedelta(minutes=15), {Vital.HR: 70, Vital.SPO2: 96}, source=Source.DEVICE,
        source_detail="bedside-3", consciousness="A", on_oxygen=True, temperature_c=37.2,
        note="after a walk"))
    loaded = store.readings(session_id)
    one_by_one = [store.get_reading(r.id) for r in loaded]
    assert loaded == one_by_one
    assert [vars(r) for r in loaded] == [vars(r) for r in one_by_one]
    assert [r.status for r in loaded] == [ReadingStatus.VALID, ReadingStatus.CORRECTED,
                                          ReadingStatus.VALID, ReadingStatus.ENTERED_IN_ERROR,
                                          ReadingStatus.VALID]
    assert loaded[0] == plain and loaded[1].status_reason == "typo"
    assert store.readings_after(session_id, plain.id) == sorted(loaded[1:],
                                                                key=lambda r: r.id or 0)
    assert not hasattr(Reading, "__post_init__")  # the fast path does not run one
