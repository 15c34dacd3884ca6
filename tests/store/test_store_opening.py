"""The cheap queries a window runs when it opens a long session: how many rows, the newest
rows with each vital's latest reading, and the chart's columns straight from SQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from monitor.domain.readings import new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import NotFound, Store

T0 = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def charted(store: Store):
    """A session: HR charted only in the first reading, then ten BP-only readings, one of
    them corrected and one entered in error."""
    session = store.create_session(Session(Patient("P-1", "Pat One")), "JM")
    sid = session.id
    store.add_reading(sid, new_reading(T0, {Vital.SBP: 120, Vital.DBP: 70, Vital.HR: 66},
                                       entered_by="JM"))
    for i in range(1, 11):
        store.add_reading(sid, new_reading(T0 + timedelta(minutes=i),
                                           {Vital.SBP: 120 + i, Vital.DBP: 70}, entered_by="JM"))
    rows = store.readings(sid)
    store.correct_reading(rows[5].id, new_reading(rows[5].taken_at,
                                                  {Vital.SBP: 150, Vital.DBP: 80},
                                                  entered_by="JM"), "JM", "typo")
    store.mark_entered_in_error(rows[-1].id, "JM", "wrong patient")
    return sid


def test_reading_count_counts_every_row_of_the_session(store, charted):
    assert store.reading_count(charted) == 12  # 11 charted and one correction
    assert store.reading_count(charted) == len(store.readings(charted))


def test_opening_readings_are_the_newest_rows_and_each_vitals_latest(store, charted):
    everything = store.readings(charted)
    opening = store.opening_readings(charted, 3)
    newest_three = everything[-3:]
    assert [r.id for r in opening] == [everything[0].id] + [r.id for r in newest_three]
    assert opening[0].values[Vital.HR] == 66  # the only heart rate, however old
    assert opening == sorted(opening, key=lambda r: (r.taken_at, r.id))
    # Statuses come with the rows, as in store.readings.
    assert [r.status for r in opening] == [r.status for r in [everything[0], *newest_three]]


def test_opening_readings_skip_in_error_rows_for_the_latest_value(store, charted):
    everything = store.readings(charted)
    opening = store.opening_readings(charted, 0)
    newest_current_sbp = [r for r in everything if r.is_current][-1]
    assert [r.id for r in opening] == sorted({everything[0].id, newest_current_sbp.id})


def test_opening_readings_of_an_empty_session_are_empty(store):
    session = store.create_session(Session(Patient("P-2")), "JM")
    assert store.opening_readings(session.id, 200) == []
    assert store.reading_count(session.id) == 0
    columns = store.current_columns(session.id)
    assert len(columns) == 0 and columns.values.shape == (0, len(Vital))


def test_current_columns_match_the_current_readings(store, charted):
    current = store.current_readings(charted)
    columns = store.current_columns(charted)
    assert columns.ids.tolist() == [r.id for r in current]
    assert columns.times.tolist() == [r.taken_at.timestamp() for r in current]
    for row, reading in zip(columns.values, current, strict=True):
        for index, vital in enumerate(Vital):
            expected = reading.values.get(vital, math.nan)
            assert row[index] == expected or (math.isnan(row[index]) and math.isnan(expected))
    assert np.isnan(columns.values[1:, list(Vital).index(Vital.HR)]).all()
    assert 150 in columns.values[:, 0]  # the correction, not the corrected value


@pytest.mark.parametrize("query", [
    lambda s: s.reading_count(999),
    lambda s: s.opening_readings(999, 10),
    lambda s: s.current_columns(999),
])
def test_an_unknown_session_is_not_found(store, query):
    with pytest.raises(NotFound, match="no session 999"):
        query(store)


def test_a_negative_row_count_is_refused(store, charted):
    with pytest.raises(ValueError):
        store.opening_readings(charted, -1)
