"""The charting use cases without a window: each change is stored with its alerts or not at
all, and bad input is refused by name with nothing saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.app.alerting import SessionAlerts
from monitor.app.charting import Amendment, Charting
from monitor.domain.closing import DischargeDetails
from monitor.domain.errors import ValidationFailed
from monitor.domain.readings import new_reading
from monitor.domain.sessions import Infusion, Patient, Session
from monitor.domain.vitals import Vital
from monitor.resources import default_profile
from monitor.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def charting(store: Store) -> Charting:
    clock = lambda: NOW  # noqa: E731 (a fixed clock)
    return Charting(store, SessionAlerts(store, default_profile(), clock), clock)


def session(charting: Charting) -> int:
    started = charting.start(Session(Patient("P-1"), infusion=Infusion(
        started_at=NOW - timedelta(hours=3), ended_at=NOW - timedelta(hours=2)),
        started_at=NOW - timedelta(hours=3)), "AB")  # every time from the test's clock
    return started.id or 0


def at(minutes_ago: float, **values: float):
    return new_reading(NOW - timedelta(minutes=minutes_ago),
                       {Vital(k): v for k, v in values.items()}, entered_by="AB")


def test_a_reading_is_stored_with_its_alert(charting, store):
    session_id = session(charting)
    charted = charting.chart(session_id, at(5, sbp=184, dbp=90))
    assert [a.message for a in charted.alerts.sounding()] == ["SBP 184 > 180 mmHg"]
    assert [s.alert.message for s in store.alert_history(session_id)] == ["SBP 184 > 180 mmHg"]


def test_bad_input_is_refused_by_name_and_nothing_is_saved(charting, store):
    session_id = session(charting)
    with pytest.raises(ValidationFailed) as refused:
        charting.chart(session_id, at(5, sbp=80, dbp=90))
    assert "Diastolic" in str(refused.value) or "diastolic" in str(refused.value)
    with pytest.raises(ValidationFailed):
        charting.chart(session_id, at(-30, sbp=120, dbp=80))  # in the future
    good = charting.chart(session_id, at(5, sbp=120, dbp=80)).reading
    with pytest.raises(ValidationFailed) as refused:
        charting.mark_in_error(session_id, good, " ", "")
    assert {e.field for e in refused.value.errors} == {"Initials", "Reason"}
    with pytest.raises(ValidationFailed):
        charting.correct(session_id, good, {Vital.SBP: 130, Vital.DBP: 80}, "KL", " ")
    assert [r.id for r in store.readings(session_id)] == [good.id]
    assert store.alert_history(session_id) == []


def test_a_correction_withdraws_the_alert_of_the_wrong_value(charting, store):
    session_id = session(charting)
    wrong = charting.chart(session_id, at(5, sbp=184, dbp=90)).reading
    charted = charting.correct(session_id, wrong, {Vital.SBP: 134, Vital.DBP: 90}, "kl",
                               "Typing error")
    assert charted.alerts.replayed
    (stored,) = store.alert_history(session_id)
    assert stored.withdrawn_at is not None and SessionAlerts(
        store, default_profile()).active(session_id) == []


def test_closing_ends_the_overdue_alert_and_an_amendment_still_records_alerts(
        charting, store):
    session_id = session(charting)
    charting.chart(session_id, at(100, sbp=120, dbp=80))
    (overdue,) = charting.alerts.tick(session_id).events
    assert overdue.alert.condition == "overdue"
    closed = charting.close(store.get_session(session_id),
                            DischargeDetails(NOW, True, True, "JM"), NOW - timedelta(minutes=100))
    (stored,) = store.alert_history(session_id)
    assert stored.alert.resolved_at == NOW and closed.closed_at == NOW
    late = charting.chart(session_id, at(90, spo2=86), Amendment("KL", "paper chart found"))
    assert late.reading.amendment_reason == "paper chart found"
    assert "SpO2 86 < 90 %" in [a.message for a in late.alerts.sounding()]
