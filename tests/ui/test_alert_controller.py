"""The alert workflow wired to the store: raised, recorded, acknowledged, replayed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.alerts import AlertPriority
from monitor.domain.errors import ValidationFailed
from monitor.domain.profiles import ProfileScope
from monitor.domain.readings import new_reading
from monitor.domain.thresholds import Limits, ThresholdProfile
from monitor.domain.vitals import Vital
from monitor.ui.app import GuiOptions, build_window


def save(window, minutes_ago: float, **values: float):
    reading = new_reading(datetime.now(UTC) - timedelta(minutes=minutes_ago),
                          {Vital(k): v for k, v in values.items()}, entered_by="JM")
    return window.controller.save_reading(reading)


def test_critical_reading_raises_a_recorded_high_alert(window, other_connection):
    save(window, 1, sbp=184, dbp=90)
    (alert,) = window.alerts.active_alerts()
    assert alert.priority is AlertPriority.HIGH and alert.message == "SBP 184 > 180 mmHg"
    (stored,) = other_connection.alert_history(window.controller.session.id)
    assert stored.alert.message == "SBP 184 > 180 mmHg"


def test_acknowledgement_needs_initials_and_is_kept_after_reopening(
        qtbot, window, store, db_path, other_connection):
    save(window, 2, sbp=184, dbp=90)
    alert_id = window.alerts.active_alerts()[0].id
    with pytest.raises(ValidationFailed):
        window.alerts.acknowledge(alert_id, "  ")
    window.alerts.acknowledge(alert_id, "kl")
    (stored,) = other_connection.alert_history(window.controller.session.id)
    assert stored.alert.acknowledged_by == "KL"

    again = build_window(store, GuiOptions(db_path=db_path, patient_id="P-100"))
    qtbot.addWidget(again)
    (alert,) = again.alerts.active_alerts()
    assert alert.acknowledged_by == "KL"  # replayed from the stored acknowledgement


def test_entered_in_error_withdraws_the_alert_but_keeps_it_in_history(window, other_connection):
    reading = save(window, 3, sbp=184, dbp=90)
    window.controller.mark_in_error(reading, "AB", "Wrong patient")
    assert window.alerts.active_alerts() == []
    (stored,) = other_connection.alert_history(window.controller.session.id)
    assert stored.withdrawn_at is not None


def test_session_threshold_change_applies_at_once_and_is_audited(window, other_connection):
    save(window, 5, sbp=150, dbp=85)
    assert window.alerts.active_alerts() == []
    current = window.alerts.profile
    limits = dict(current.limits)
    limits[Vital.SBP] = Limits(90, 100, 140, 180)
    changed = ThresholdProfile(current.name, limits, current.baseline_rules)
    window.alerts.change_profile(changed, window.alerts.settings, by="dr", reason="Known HTN",
                                 scope=ProfileScope.SESSION)

    assert window.controller.profile.limits[Vital.SBP].caution_high == 140
    assert (140, 180) in window.chart.band_limits(Vital.SBP)
    assert [a.message for a in window.alerts.active_alerts()] == ["SBP 150 > 140 mmHg"]
    assert window.table_model.index(0, 1).data() == "150 **"
    trail = other_connection.audit_trail(window.controller.session.id)
    change = [e for e in trail if e.action.startswith("thresholds changed")][0]
    assert change.detail["changes"]["SBP caution high"] == {"old": 160, "new": 140}


def test_inconsistent_thresholds_are_refused_and_nothing_changes(window, other_connection):
    current = window.alerts.profile
    limits = dict(current.limits)
    limits[Vital.SBP] = Limits(90, 100, 190, 180)
    with pytest.raises(ValidationFailed) as failure:
        window.alerts.change_profile(ThresholdProfile("x", limits), window.alerts.settings,
                                     by="dr", reason="typo", scope=ProfileScope.SESSION)
    assert "SBP critical high" in str(failure.value)
    assert other_connection.session_profile(window.controller.session.id) is None
    assert window.alerts.profile.limits[Vital.SBP].caution_high == 160


def test_readings_from_another_connection_appear_and_raise_alerts(qtbot, window,
                                                                  other_connection):
    """A second app instance (or the live feed) writes through its own connection."""
    session_id = window.controller.session.id
    other_connection.add_reading(session_id, new_reading(
        datetime.now(UTC), {Vital.SBP: 186, Vital.DBP: 95}, entered_by="KL"))
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 1, timeout=5000)
    assert [a.message for a in window.alerts.active_alerts()] == ["SBP 186 > 180 mmHg"]
    assert list(window.chart.series(Vital.SBP)[1]) == [186]


def test_a_mark_made_elsewhere_reloads_the_session(qtbot, window, other_connection):
    reading = save(window, 2, sbp=184, dbp=90)
    other_connection.mark_entered_in_error(reading.id, "AB", "wrong patient")
    qtbot.waitUntil(lambda: window.alerts.active_alerts() == [], timeout=5000)
    assert window.table_model.index(0, 9).data().startswith("ENTERED IN ERROR")


def test_a_late_charted_reading_takes_its_place_in_time(window, other_connection):
    save(window, 5, hr=80)
    save(window, 30, hr=70)  # charted late: taken before the one above
    save(window, 1, hr=90)
    shown = [r.values[Vital.HR] for r in window.controller.readings]
    assert shown == [70, 80, 90]
    stored = [r.values[Vital.HR] for r in other_connection.readings(window.controller.session.id)]
    assert shown == stored
    assert list(window.chart.series(Vital.HR)[1]) == [70, 80, 90]
