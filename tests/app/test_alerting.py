"""The one alert recorder: the same record however and in whatever steps readings arrive."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.app.alerting import SessionAlerts
from monitor.domain.alerts import AlertKind, AlertPriority, AlertSettings
from monitor.domain.readings import Source, new_reading
from monitor.domain.sessions import Infusion, Patient, Session
from monitor.domain.vitals import Vital
from monitor.resources import default_profile
from monitor.store import Store
from tests.clock import Clock

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)



def new_session(store: Store, patient: str = "P-1", **infusion: datetime) -> int:
    session = store.create_session(Session(
        Patient(patient), infusion=Infusion(**infusion), baseline={Vital.SBP: 125.0}), "AB")
    assert session.id is not None
    return session.id


def reading(minutes: float, source: Source = Source.MANUAL, **values: float):
    return new_reading(T0 + timedelta(minutes=minutes), {Vital(k): v for k, v in values.items()},
                       entered_by="AB", source=source)


def recorded(store: Store, session_id: int) -> list[tuple]:
    """What the record says, in a form two databases can be compared by."""
    return sorted(
        (s.alert.kind.value, s.alert.condition, s.alert.priority.word, s.alert.value,
         s.alert.limit, s.alert.raised_at, s.alert.resolved_at, s.alert.acknowledged_by,
         s.alert.latched, s.withdrawn_at is not None)
        for s in store.alert_history(session_id))


def replayed_afresh(db_path: Path, session_id: int) -> list[tuple]:
    """The record a fresh replay of the stored session gives (state and alerts dropped)."""
    copy = db_path.with_name("afresh.sqlite")
    with Store.open(db_path) as source:
        source._db.conn.execute(f"VACUUM INTO '{copy}'")
    with Store.open(copy) as store:
        conn = store._db.conn
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                    "AND tbl_name IN ('alerts', 'alert_events')").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        store._db.conn.executescript(
            "DELETE FROM alert_events; DELETE FROM alerts; DELETE FROM alert_state;")
        SessionAlerts(store, default_profile()).update(session_id)
        return recorded(store, session_id)


def test_a_critical_reading_is_recorded_in_the_transaction_that_stores_it(store, db_path):
    session_id = new_session(store)
    alerts = SessionAlerts(store, default_profile(), Clock(T0))
    with store.transaction():
        store.add_reading(session_id, reading(1, sbp=190, dbp=90))
        update = alerts.update(session_id)
    (alert,) = update.sounding()
    assert alert.priority is AlertPriority.HIGH and alert.message == "SBP 190 > 180 mmHg"
    with Store.open(db_path) as other:
        (stored,) = other.alert_history(session_id)
    assert stored.alert.raised_at == T0 + timedelta(minutes=1)


def test_a_failed_transaction_leaves_neither_the_reading_nor_its_alert(store):
    session_id = new_session(store)
    alerts = SessionAlerts(store, default_profile(), Clock(T0))
    with pytest.raises(RuntimeError), store.transaction():
        store.add_reading(session_id, reading(1, sbp=190, dbp=90))
        alerts.update(session_id)
        raise RuntimeError("disk gone")
    assert store.readings(session_id) == [] and store.alert_history(session_id) == []
    # What the recorder held in memory was from the rolled-back transaction: it reads back.
    store.add_reading(session_id, reading(2, sbp=120, dbp=80))
    assert alerts.update(session_id).events == ()
    assert alerts.active(session_id) == []


def test_readings_one_by_one_record_what_a_replay_of_the_session_records(store, db_path):
    rng = random.Random(7)
    session_id = new_session(store)
    clock = Clock(T0)
    alerts = SessionAlerts(store, default_profile(), clock)
    for minute in range(120):
        clock.now = T0 + timedelta(minutes=minute, seconds=30)
        values = {"sbp": rng.choice([120, 150, 165, 185, 95, 85]), "dbp": 70,
                  "hr": rng.choice([70, 115, 125, 45]), "spo2": rng.choice([98, 93, 88])}
        with store.transaction():
            store.add_reading(session_id, reading(minute, **values))
            alerts.update(session_id)
        if minute % 17 == 0 and alerts.active(session_id):
            alerts.acknowledge_all(session_id, "kl")
    assert recorded(store, session_id) == replayed_afresh(db_path, session_id)
    assert any(r[2] == "high" for r in recorded(store, session_id))


def test_a_device_stream_in_batches_records_what_a_replay_records(store, db_path):
    store.save_profile(default_profile(), AlertSettings(device_persistence_readings=3),
                       by="AB", reason="noisy feed")
    session_id = new_session(store)
    alerts = SessionAlerts(store, default_profile(), Clock(T0))
    rng = random.Random(3)
    # Readings after the profile was saved (it applies from then on).
    start = (datetime.now(UTC) - T0).total_seconds() / 60 + 1
    rows = [reading(start + i / 60, Source.DEVICE, hr=rng.choice([80, 80, 80, 125, 125, 45]),
                    spo2=rng.choice([97, 97, 89])) for i in range(3000)]
    for start in range(0, len(rows), 250):
        with store.transaction():
            store.add_readings(session_id, rows[start:start + 250])
            alerts.update(session_id)
    assert recorded(store, session_id) == replayed_afresh(db_path, session_id)


def test_a_late_reading_a_correction_and_an_in_error_mark_replay_the_session(store, db_path):
    session_id = new_session(store)
    alerts = SessionAlerts(store, default_profile(), Clock(T0))
    store.add_reading(session_id, reading(10, sbp=130, dbp=80))
    alerts.update(session_id)
    store.add_reading(session_id, reading(5, sbp=185, dbp=80))  # charted late
    update = alerts.update(session_id)
    (late,) = update.sounding()  # back to normal since, but HIGH latches until acknowledged
    assert update.replayed and late.message == "SBP 185 > 180 mmHg" and late.latched
    assert [r[1:3] for r in recorded(store, session_id)] == [("sbp-high", "high")]
    wrong = store.add_reading(session_id, reading(15, hr=130))
    alerts.update(session_id)
    assert {a.condition for a in alerts.active(session_id)} >= {"hr-high"}
    store.mark_entered_in_error(wrong.id, "AB", "wrong patient")
    assert alerts.update(session_id).replayed
    assert "hr-high" not in {a.condition for a in alerts.active(session_id)}
    (hr,) = [s for s in store.alert_history(session_id) if s.alert.condition == "hr-high"]
    assert hr.withdrawn_at is not None  # kept in the history, marked
    standing = [r for r in recorded(store, session_id) if not r[-1]]
    assert standing == replayed_afresh(db_path, session_id)


def test_a_session_stored_without_alerts_gets_them_recorded_once(store):
    session_id = new_session(store)
    store.add_readings(session_id, [reading(1, sbp=190, dbp=90), reading(2, spo2=85)])
    # As a database from before alert states were kept holds it (m009 adds none).
    store._db.conn.execute("DELETE FROM alert_state")
    assert store.sessions_without_alert_state() == [session_id]
    assert store.alert_history(session_id) == []
    alerts = SessionAlerts(store, default_profile(), Clock(T0))
    first = alerts.update(session_id)
    assert first.replayed
    assert {a.message for a in first.sounding()} == {"SBP 190 > 180 mmHg", "SpO2 85 < 90 %"}
    assert SessionAlerts(store, default_profile()).update(session_id).events == ()
    assert len(store.alert_history(session_id)) == 2


def test_overdue_is_raised_once_across_two_connections_and_resolves_with_a_reading(
        store, db_path):
    session_id = new_session(store, started_at=T0, ended_at=T0 + timedelta(minutes=30))
    store.add_reading(session_id, reading(31, sbp=120, dbp=80))
    clock = Clock(T0 + timedelta(minutes=40))
    with Store.open(db_path) as other:
        here = SessionAlerts(store, default_profile(), clock)
        there = SessionAlerts(other, default_profile(), clock)
        assert here.tick(session_id).events == ()  # not yet due
        clock.now = T0 + timedelta(hours=3)
        (raised,) = here.tick(session_id).events
        assert raised.alert.kind is AlertKind.TECHNICAL and raised.alert.condition == "overdue"
        assert there.tick(session_id).events == ()  # the other one carries it on
        assert [a.condition for a in there.active(session_id)] == ["overdue"]
        store.add_reading(session_id, reading(180, sbp=120, dbp=80))
        clock.now = T0 + timedelta(hours=3, minutes=1)
        there.update(session_id)
        there.tick(session_id)
    (stored,) = store.alert_history(session_id)
    assert stored.alert.resolved_at == T0 + timedelta(hours=3, minutes=1)


def test_feed_silent_needs_a_feed_and_follows_its_messages(store):
    session_id = new_session(store)
    clock = Clock(T0)
    alerts = SessionAlerts(store, default_profile(), clock)
    clock.now = T0 + timedelta(minutes=10)
    assert alerts.tick(session_id).events == ()  # no feed expected
    (silent,) = alerts.tick(session_id, last_feed_message_at=T0).events
    assert silent.alert.condition == "feed-silent"
    assert alerts.tick(session_id, last_feed_message_at=clock.now).events[0].alert.resolved_at


def test_acknowledgement_is_recorded_and_survives_a_new_recorder(store):
    session_id = new_session(store)
    clock = Clock(T0 + timedelta(minutes=2))
    alerts = SessionAlerts(store, default_profile(), clock)
    store.add_reading(session_id, reading(1, sbp=190, dbp=90))
    (alert,) = alerts.active(session_id)
    with pytest.raises(KeyError):
        alerts.acknowledge(session_id, alert.id + 99, "KL")
    alerts.acknowledge(session_id, alert.id, "kl")
    again = SessionAlerts(store, default_profile(), clock)
    (acked,) = again.active(session_id)
    assert acked.acknowledged_by == "KL"
    assert [a.by for a in store.acknowledgements(session_id)] == ["KL"]


def test_a_read_only_database_is_evaluated_for_display_and_left_unchanged(db_path):
    with Store.open(db_path) as store:
        session_id = new_session(store)
        store.add_reading(session_id, reading(1, sbp=190, dbp=90))
    before = db_path.read_bytes()
    with Store.open(db_path, read_only=True) as archive:
        (alert,) = SessionAlerts(archive, default_profile()).active(session_id)
    assert alert.message == "SBP 190 > 180 mmHg"
    assert db_path.read_bytes() == before


@pytest.mark.parametrize("seed", range(6))
def test_taking_normal_stretches_at_once_gives_what_reading_by_reading_gives(store, seed):
    from monitor.app.alerting import feed
    from monitor.domain.alert_timeline import advance, start_engine
    from monitor.domain.profiles import ProfileVersion
    from monitor.store.alert_state import reading_rows_to_readings

    rng = random.Random(seed)
    session_id = new_session(store)
    source = rng.choice([Source.DEVICE, Source.IMPORT, Source.MANUAL])
    rows = []
    for i in range(1500):
        values = {"sbp": rng.choice([125] * 30 + [185, 95, 150, 176]),
                  "hr": rng.choice([70] * 20 + [125, 45, 112])}
        if rng.random() < 0.3:
            values["spo2"] = rng.choice([97] * 10 + [88, 92])
        if rng.random() < 0.1:
            del values["sbp"]
        rows.append(reading(i / 6, source, **values))
    store.add_readings(session_id, rows)
    shipped = ProfileVersion(default_profile())
    session = store.get_session(session_id)
    fast, _ = start_engine([], shipped, session.baseline, None)
    events, _ = feed(fast, store.current_reading_chunks(session_id), [], shipped, [], [])
    slow, _ = start_engine([], shipped, session.baseline, None)
    readings = [r for chunk in store.current_reading_chunks(session_id)
                for r in reading_rows_to_readings(chunk)]
    expected = advance(slow, [], shipped, readings, collect=True)
    assert events == expected
    assert fast.state() == slow.state() and fast.history() == slow.history()


def test_two_tickers_on_clocks_that_disagree_keep_one_overdue_alert(store, db_path):
    """A board or a second workstation whose clock runs behind must not end the overdue
    alert the other raised (its "now" is before the due time), which would make the
    first raise a second one on its next tick."""
    session_id = new_session(store, started_at=T0, ended_at=T0 + timedelta(minutes=30))
    store.add_reading(session_id, reading(31, sbp=120, dbp=80))
    ahead, behind = Clock(T0 + timedelta(hours=3)), Clock(T0 + timedelta(minutes=40))
    with Store.open(db_path) as other:
        here = SessionAlerts(store, default_profile(), ahead)
        there = SessionAlerts(other, default_profile(), behind)
        (raised,) = here.tick(session_id).events
        assert raised.alert.condition == "overdue"
        there.tick(session_id)
        here.tick(session_id)
        ahead.now += timedelta(minutes=1)
        here.tick(session_id)
    overdue = [s for s in store.alert_history(session_id) if s.alert.condition == "overdue"]
    assert len(overdue) == 1 and overdue[0].alert.resolved_at is None
