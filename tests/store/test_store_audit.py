"""Changes of what governs alerts are audited with what they replaced: every limit and
alert setting old -> new, with who, the scope and the reason, and each schedule change with
the schedule before it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import pytest

from monitor.domain.alerts import AlertSettings
from monitor.domain.profiles import ProfileVersion
from monitor.domain.schedule import CLINIC, DEFAULT_SCHEDULE, WARD
from monitor.domain.sessions import Patient, Session
from monitor.domain.thresholds import Limits
from monitor.domain.vitals import Vital
from monitor.resources import default_profile
from monitor.store import Store


@pytest.fixture
def session_id(store) -> int:
    return store.create_session(Session(Patient("P-1")), "AB").id


def sbp_caution_high(value: float):
    profile = default_profile()
    return replace(profile, limits={**profile.limits, Vital.SBP: Limits(90, 100, value, 180)})


def threshold_audits(store, session_id: int):
    return [e for e in store.audit_trail(session_id)
            if e.action.startswith("thresholds changed")]


def clinic_audits(db_path) -> list[tuple[str, str, dict]]:
    """The audit entries of clinic-default changes (they belong to no session)."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT actor, action, detail FROM audit_log "
                            "WHERE session_id IS NULL ORDER BY id").fetchall()
    return [(actor, action, json.loads(detail)) for actor, action, detail in rows]


def test_a_settings_only_change_is_audited_with_the_setting_old_and_new(store, session_id):
    store.save_profile(default_profile(), AlertSettings(reminder_minutes=10), by="KL",
                       reason="Noisy bay", session_id=session_id)
    (entry,) = threshold_audits(store, session_id)
    assert entry.actor == "KL" and entry.action == "thresholds changed (session)"
    assert entry.detail["changes"] == {
        "Reminder after acknowledgement (min)": {"old": 5.0, "new": 10}}
    assert entry.detail["reason"] == "Noisy bay"
    assert entry.detail["scope"] == "session" and entry.detail["replaces"] == "shipped"


def test_a_session_override_is_audited_against_what_was_in_force_for_the_session(
        store, session_id):
    wider = AlertSettings(resolve_margin={**AlertSettings().resolve_margin, Vital.SBP: 8})
    store.save_profile(sbp_caution_high(150), AlertSettings(), by="AB", reason="protocol")
    store.save_profile(sbp_caution_high(140), wider, by="KL", reason="Known HTN",
                       session_id=session_id)
    store.save_profile(sbp_caution_high(140), AlertSettings(), by="KL", reason="margin back",
                       session_id=session_id)
    first, second = threshold_audits(store, session_id)
    assert first.detail["replaces"] == "clinic"  # the clinic default, not the preset
    assert first.detail["changes"] == {"SBP caution high": {"old": 150, "new": 140},
                                       "SBP resolve margin": {"old": 5.0, "new": 8}}
    assert second.detail["replaces"] == "session"  # this session's own override
    assert second.detail["changes"] == {"SBP resolve margin": {"old": 8, "new": 5.0}}


def test_a_clinic_change_is_audited_against_the_clinic_default_or_the_preset(
        store, session_id, db_path):
    store.save_profile(sbp_caution_high(140), AlertSettings(), by="KL", reason="Known HTN",
                       session_id=session_id)  # an override: not what a clinic change replaces
    store.save_profile(sbp_caution_high(150), AlertSettings(), by="AB", reason="protocol",
                       shipped=ProfileVersion(default_profile()))
    store.save_profile(sbp_caution_high(155), AlertSettings(feed_silent_seconds=120),
                       by="CD", reason="protocol v2")
    first, second = clinic_audits(db_path)
    assert first[:2] == ("AB", "thresholds changed (clinic)")
    assert first[2]["replaces"] == "shipped" and first[2]["scope"] == "clinic"
    assert first[2]["changes"] == {"SBP caution high": {"old": 160, "new": 150}}
    assert second[0] == "CD" and second[2]["reason"] == "protocol v2"
    assert second[2]["changes"] == {"SBP caution high": {"old": 150, "new": 155},
                                    "Feed silent after (s)": {"old": 180.0, "new": 120}}


def test_a_change_saved_at_another_workstation_is_the_one_replaced(store, db_path):
    other = Store.open(db_path)
    try:
        other.save_profile(sbp_caution_high(150), AlertSettings(), by="AB", reason="one")
        store.save_profile(sbp_caution_high(145), AlertSettings(), by="KL", reason="two")
    finally:
        other.close()
    assert clinic_audits(db_path)[1][2]["changes"] == {
        "SBP caution high": {"old": 150, "new": 145}}


def test_a_schedule_change_is_audited_with_what_it_replaced(store, session_id):
    store.set_schedule(session_id, CLINIC, "AB")
    store.set_schedule(session_id, WARD, "KL")
    first, second = [e for e in store.audit_trail(session_id)
                     if e.action == "schedule changed"]
    assert first.actor == "AB"
    assert first.detail["changes"]["schedule"] == {"old": DEFAULT_SCHEDULE.to_dict(),
                                                   "new": CLINIC.to_dict()}
    assert second.actor == "KL"
    assert second.detail["changes"]["schedule"] == {"old": CLINIC.to_dict(),
                                                    "new": WARD.to_dict()}
