"""Readings entered across a daylight-saving change keep their order and true times."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from monitor.domain.readings import new_reading
from monitor.domain.timeparse import parse_time_text
from monitor.domain.vitals import Vital
from monitor.store import Store

LONDON = ZoneInfo("Europe/London")


def typed(text: str):
    moment, error = parse_time_text("Time", text, today=date(2026, 3, 29), tz=LONDON)
    assert error is None
    return moment


def test_spring_forward_keeps_order_and_the_real_interval():
    before, after = typed("2026-03-29 00:50"), typed("2026-03-29 02:10")
    assert before.utcoffset() == timedelta(0) and after.utcoffset() == timedelta(hours=1)
    assert after - before == timedelta(minutes=20)


def test_fall_back_hour_is_read_as_the_first_occurrence():
    first = typed("2026-10-25 01:30")
    later = typed("2026-10-25 02:10")
    assert first.utcoffset() == timedelta(hours=1)
    assert later - first == timedelta(minutes=100)


def test_store_keeps_true_times_and_order_across_the_change(tmp_path):
    times = [typed("2026-03-29 00:40"), typed("2026-03-29 00:55"), typed("2026-03-29 02:05")]
    with Store.open(tmp_path / "dst.sqlite") as store:
        from monitor.domain.sessions import Patient, Session

        session = store.create_session(Session(Patient("MRN-D")), "JM")
        for when, hr in zip(reversed(times), (72, 71, 70), strict=True):
            store.add_reading(session.id, new_reading(when, {Vital.HR: hr}, entered_by="JM"))
        stored = store.readings(session.id)
    assert [r.taken_at for r in stored] == times
    assert [r.taken_at.utcoffset() for r in stored] == [timedelta(0), timedelta(0),
                                                         timedelta(hours=1)]
