"""The active sessions board without a window: rows from what is recorded, most urgent
first, and each new alert of another chair announced once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.app.alerting import SessionAlerts
from monitor.app.board import AlertNotices, board_rows
from monitor.domain.profiles import ProfileVersion
from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.resources import default_profile
from monitor.store import Store

NOW = datetime.now(UTC)


def chart(store: Store, alerts: SessionAlerts, patient: str, **values: float) -> int:
    session, _ = store.session_for_patient(patient)
    with store.transaction():
        store.add_reading(session.id, new_reading(NOW - timedelta(minutes=1),
                                                  {Vital(k): v for k, v in values.items()}))
        alerts.update(session.id)
    return session.id


def test_rows_show_recorded_alerts_most_urgent_first_and_news_is_said_once(store):
    alerts = SessionAlerts(store, default_profile())
    shipped = ProfileVersion(default_profile())
    calm = chart(store, alerts, "P-1", sbp=120, dbp=80)
    notices = AlertNotices()
    assert notices.fresh(alerts, [calm]) == []  # the first look is not news
    critical = chart(store, alerts, "P-2", spo2=85)
    rows = board_rows(store, alerts, shipped, NOW)
    assert [r.patient_id for r in rows] == ["P-2", "P-1"]
    assert rows[0].worst_alert.message == "SpO2 85 < 90 %" and rows[1].worst_alert is None
    assert rows[0].last_values == {Vital.SPO2: 85}
    ids = [r.session_id for r in rows]
    assert [a.message for a in notices.fresh(alerts, ids)] == ["SpO2 85 < 90 %"]
    assert notices.fresh(alerts, ids) == []
    chart(store, alerts, "P-1", hr=130)
    assert [a.message for a in notices.fresh(alerts, ids, skip=critical)] == [
        "HR 130 > 120 /min"]
    chart(store, alerts, "P-2", spo2=84)  # the same ongoing condition: no news
    assert notices.fresh(alerts, ids) == []
