"""What changed between two alert settings, in the audit trail's words."""

from __future__ import annotations

from dataclasses import replace

from monitor.domain.alerts import AlertPriority, AlertSettings
from monitor.domain.profiles import settings_changes
from monitor.domain.vitals import Vital


def test_every_kind_of_setting_is_named_with_old_and_new():
    old = AlertSettings()
    new = replace(old, reminder_minutes=10, device_persistence_readings=3,
                  device_persistence_seconds=20, overdue_grace_minutes=10,
                  feed_silent_seconds=300, overdue_priority=AlertPriority.MEDIUM,
                  resolve_margin={**old.resolve_margin, Vital.HR: 8})
    assert settings_changes(old, new) == {
        "Reminder after acknowledgement (min)": {"old": 5.0, "new": 10},
        "Device persistence (readings)": {"old": 1, "new": 3},
        "Device persistence (s)": {"old": 0.0, "new": 20},
        "Overdue grace (min)": {"old": old.overdue_grace_minutes, "new": 10},
        "Feed silent after (s)": {"old": 180.0, "new": 300},
        "Reading overdue priority": {"old": "low", "new": "medium"},
        "HR resolve margin": {"old": 5.0, "new": 8},
    }
    assert settings_changes(old, AlertSettings()) == {}

