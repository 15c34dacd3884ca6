"""Which version a saved threshold version replaced, and the history of changes the
Changes tab lists: a clinic default replaces the clinic default (or the preset), a session
override replaces whatever was in force for the session."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from monitor.domain.alerts import AlertSettings
from monitor.domain.profile_history import change_history, replaced_version
from monitor.domain.profiles import ProfileScope, ProfileVersion
from monitor.domain.thresholds import Limits
from monitor.domain.vitals import Vital
from monitor.resources import default_profile

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
SHIPPED = ProfileVersion(default_profile())


def version(scope: ProfileScope, minute: int, *, sbp_caution_high: float = 160,
            reminder: float = 5.0) -> ProfileVersion:
    limits = dict(SHIPPED.profile.limits)
    limits[Vital.SBP] = Limits(90, 100, sbp_caution_high, 180)
    return ProfileVersion(replace(SHIPPED.profile, limits=limits),
                          AlertSettings(reminder_minutes=reminder), scope, "AB",
                          T0 + timedelta(minutes=minute), "why",
                          7 if scope is ProfileScope.SESSION else None)


def test_the_first_clinic_default_replaces_the_shipped_preset():
    assert replaced_version([], ProfileScope.CLINIC, SHIPPED) is SHIPPED


def test_a_clinic_default_replaces_the_previous_clinic_default_not_a_session_override():
    clinic = version(ProfileScope.CLINIC, 0, sbp_caution_high=150)
    override = version(ProfileScope.SESSION, 5, sbp_caution_high=140)
    assert replaced_version([clinic, override], ProfileScope.CLINIC, SHIPPED) is clinic
    assert replaced_version([override], ProfileScope.CLINIC, SHIPPED) is SHIPPED


def test_a_session_override_replaces_what_was_in_force_for_the_session():
    clinic = version(ProfileScope.CLINIC, 0, sbp_caution_high=150)
    override = version(ProfileScope.SESSION, 5, sbp_caution_high=140)
    assert replaced_version([], ProfileScope.SESSION, SHIPPED) is SHIPPED
    assert replaced_version([clinic], ProfileScope.SESSION, SHIPPED) is clinic
    assert replaced_version([clinic, override], ProfileScope.SESSION, SHIPPED) is override


def test_the_history_compares_each_version_with_the_one_it_replaced():
    clinic = version(ProfileScope.CLINIC, 0, sbp_caution_high=150)
    override = version(ProfileScope.SESSION, 5, sbp_caution_high=140, reminder=10)
    second_clinic = version(ProfileScope.CLINIC, 9, sbp_caution_high=155)
    history = change_history([clinic, override, second_clinic], SHIPPED)
    assert [(h.version, h.replaced) for h in history] == [
        (clinic, SHIPPED), (override, clinic), (second_clinic, clinic)]
    assert [h.changes for h in history] == [
        {"SBP caution high": {"old": 160, "new": 150}},
        {"SBP caution high": {"old": 150, "new": 140},
         "Reminder after acknowledgement (min)": {"old": 5.0, "new": 10}},
        {"SBP caution high": {"old": 150, "new": 155}},
    ]


def test_a_version_that_changes_nothing_has_no_changes():
    same = replace(SHIPPED, scope=ProfileScope.SESSION, changed_at=T0)
    (entry,) = change_history([same], SHIPPED)
    assert entry.changes == {}
