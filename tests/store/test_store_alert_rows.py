"""The rows the alert feed streams: slim rows carry, at the same places as full rows, the
id, times, values and what says a row is corrected, a correction or marked in error."""

from __future__ import annotations

from monitor.domain.readings import new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import Store
from monitor.store.alert_state import (
    ROW_CORRECTED_BY,
    ROW_MARKED,
    ROW_SUPERSEDES,
    ROW_TAKEN_AT,
    ROW_TS,
    ROW_VALUES,
)
from tests.store.test_store_readings import chart

USED = (0, 1, ROW_TAKEN_AT, ROW_SUPERSEDES, ROW_CORRECTED_BY, ROW_MARKED, ROW_TS)


def _used(row):
    return tuple(row[i] is not None if i in (ROW_CORRECTED_BY, ROW_MARKED) else row[i]
                 for i in USED) + tuple(row[ROW_VALUES])


def test_slim_rows_hold_what_the_full_rows_hold_where_the_feed_reads(store: Store) -> None:
    sid = store.create_session(Session(Patient("MRN-1")), by="JS").id
    plain = chart(store, sid, 0, hr=70)
    wrong = chart(store, sid, 5, sbp=210, dbp=80)
    store.correct_reading(wrong.id, new_reading(wrong.taken_at, {Vital.SBP: 120, Vital.DBP: 80},
                                                entered_by="AB"), by="AB", reason="typo")
    error = chart(store, sid, 10, spo2=88)
    store.mark_entered_in_error(error.id, by="AB", reason="probe off")
    full = [r for chunk in store.reading_chunks_after(sid, 0, 10**9) for r in chunk]
    slim = [r for chunk in store.reading_chunks_after(sid, 0, 10**9, slim=True) for r in chunk]
    assert [_used(r) for r in slim] == [_used(r) for r in full]
    assert len(slim[0]) == len(full[0])
    assert store.full_rows([r[0] for r in slim][::-1]) == full[::-1]
    by_id = {r[0]: r for r in slim}
    assert by_id[wrong.id][ROW_CORRECTED_BY] is not None and by_id[error.id][ROW_MARKED]
    assert by_id[plain.id][ROW_SUPERSEDES] is None and by_id[plain.id][ROW_MARKED] is None
    current_full = [r for c in store.current_reading_chunks(sid) for r in c]
    current_slim = [r for c in store.current_reading_chunks(sid, slim=True) for r in c]
    assert [_used(r) for r in current_slim] == [_used(r) for r in current_full]
