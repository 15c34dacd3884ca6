"""What changed between two threshold versions, in the audit trail's words: limits (MAP
too), the baseline rule and every alert setting, each with its old and new value."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monitor.domain.alerts import AlertPriority, AlertSettings
from monitor.domain.profiles import (
    ProfileVersion,
    profile_changes,
    settings_changes,
    version_changes,
)
from monitor.domain.thresholds import BaselineRule, Limits, ThresholdProfile
from monitor.domain.vitals import Vital
from monitor.resources import default_profile


def with_limits(profile: ThresholdProfile, vital: Vital, limits: Limits | None
                ) -> ThresholdProfile:
    changed = dict(profile.limits)
    if limits is None:
        changed.pop(vital, None)
    else:
        changed[vital] = limits
    return replace(profile, limits=changed)


def test_every_kind_of_setting_is_named_with_old_and_new():
    old = AlertSettings()
    new = replace(old, reminder_minutes=10, device_persistence_readings=3,
                  device_persistence_seconds=20, overdue_grace_minutes=10,
                  feed_silent_seconds=300, overdue_priority=AlertPriority.MEDIUM,
                  feed_silent_priority=AlertPriority.HIGH,
                  resolve_margin={**old.resolve_margin, Vital.HR: 8})
    assert settings_changes(old, new) == {
        "Reminder after acknowledgement (min)": {"old": 5.0, "new": 10},
        "Device persistence (readings)": {"old": 1, "new": 3},
        "Device persistence (s)": {"old": 0.0, "new": 20},
        "Overdue grace (min)": {"old": old.overdue_grace_minutes, "new": 10},
        "Feed silent after (s)": {"old": 180.0, "new": 300},
        "Reading overdue priority": {"old": "low", "new": "medium"},
        "Feed silent priority": {"old": "medium", "new": "high"},
        "HR resolve margin": {"old": 5.0, "new": 8},
    }
    assert settings_changes(old, AlertSettings()) == {}


def test_a_resolve_margin_set_or_removed_is_a_change_from_or_to_zero():
    old = AlertSettings(resolve_margin={Vital.SBP: 5.0})
    new = AlertSettings(resolve_margin={Vital.MAP: 3.0})
    assert settings_changes(old, new) == {"SBP resolve margin": {"old": 5.0, "new": 0.0},
                                          "MAP resolve margin": {"old": 0.0, "new": 3.0}}


def test_each_changed_limit_is_named_by_vital_and_limit():
    old = default_profile()
    new = with_limits(old, Vital.SBP, Limits(90, 100, 150, 180))
    assert profile_changes(old, new) == {"SBP caution high": {"old": 160, "new": 150}}


@pytest.mark.parametrize(("before", "after", "expected"), [
    (None, Limits(caution_high=110), {"MAP caution high": {"old": None, "new": 110}}),
    (Limits(60, 65, 110, 120), None,
     {"MAP critical low": {"old": 60, "new": None}, "MAP caution low": {"old": 65, "new": None},
      "MAP caution high": {"old": 110, "new": None},
      "MAP critical high": {"old": 120, "new": None}}),
])
def test_map_limits_added_or_removed_are_changes(before, after, expected):
    old = with_limits(default_profile(), Vital.MAP, before)
    new = with_limits(default_profile(), Vital.MAP, after)
    assert profile_changes(old, new) == expected


def test_the_baseline_rule_changed_or_removed_is_a_change():
    old = default_profile()
    stricter = replace(old, baseline_rules=(BaselineRule(Vital.SBP, 15, 30),))
    none = replace(old, baseline_rules=())
    assert profile_changes(old, stricter) == {
        "SBP baseline rule": {"old": [20, 40], "new": [15, 30]}}
    assert profile_changes(stricter, none) == {
        "SBP baseline rule": {"old": [15, 30], "new": None}}
    assert profile_changes(old, old) == {}


def test_a_version_change_lists_limits_and_settings_together():
    old = ProfileVersion(default_profile())
    new = ProfileVersion(with_limits(old.profile, Vital.HR, Limits(50, 55, 105, 120)),
                         AlertSettings(reminder_minutes=10))
    assert version_changes(old, new) == {
        "HR caution high": {"old": 110, "new": 105},
        "Reminder after acknowledgement (min)": {"old": 5.0, "new": 10}}
    settings_only = replace(old, settings=AlertSettings(reminder_minutes=10))
    assert version_changes(old, settings_only) == {
        "Reminder after acknowledgement (min)": {"old": 5.0, "new": 10}}
