"""A stored threshold profile: the limits together with the alert behaviour settings, as
one unit that is versioned (clinic default, per-session override) with who and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from .alerts import AlertPriority, AlertSettings
from .thresholds import (
    LIMIT_LABELS,
    LIMIT_NAMES,
    ThresholdProfile,
    profile_from_dict,
    profile_to_dict,
)
from .vitals import VITAL_SPECS, Vital


class ProfileScope(StrEnum):
    SHIPPED = "shipped"  # the preset in resources/, when nobody has changed anything
    CLINIC = "clinic"
    SESSION = "session"


@dataclass(frozen=True)
class ProfileVersion:
    """One version of the profile in force, and its provenance."""

    profile: ThresholdProfile
    settings: AlertSettings = field(default_factory=AlertSettings)
    scope: ProfileScope = ProfileScope.SHIPPED
    changed_by: str = ""
    changed_at: datetime | None = None
    reason: str = ""
    session_id: int | None = None


def settings_to_dict(settings: AlertSettings) -> dict[str, Any]:
    """The JSON form of alert settings."""
    data: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.name == "resolve_margin":
            value = {v.value: m for v, m in value.items()}
        elif isinstance(value, AlertPriority):
            value = int(value)
        data[f.name] = value
    return data


def settings_from_dict(data: Mapping[str, Any]) -> AlertSettings:
    """Read back :func:`settings_to_dict`; missing keys take the defaults."""
    known = {f.name for f in fields(AlertSettings)}
    values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    if "resolve_margin" in values:
        values["resolve_margin"] = {Vital(k): float(v) for k, v in values["resolve_margin"].items()}
    for name in ("overdue_priority", "feed_silent_priority"):
        if name in values:
            values[name] = AlertPriority(int(values[name]))
    return AlertSettings(**values)


def version_to_json(profile: ThresholdProfile, settings: AlertSettings) -> dict[str, Any]:
    return {"profile": profile_to_dict(profile), "alert_settings": settings_to_dict(settings)}


def version_from_json(data: Mapping[str, Any]) -> tuple[ThresholdProfile, AlertSettings]:
    return (profile_from_dict(data["profile"]),
            settings_from_dict(data.get("alert_settings", {})))


def profile_changes(old: ThresholdProfile, new: ThresholdProfile) -> dict[str, dict[str, Any]]:
    """Each changed limit as ``{"SBP caution high": {"old": 160, "new": 150}}``."""
    changes: dict[str, dict[str, Any]] = {}
    for vital in Vital:
        before, after = old.limits_for(vital), new.limits_for(vital)
        for name in LIMIT_NAMES:
            a, b = getattr(before, name), getattr(after, name)
            if a != b:
                changes[f"{VITAL_SPECS[vital].abbreviation} {LIMIT_LABELS[name]}"] = {
                    "old": a, "new": b}
    old_rules = {r.vital: r for r in old.baseline_rules}
    new_rules = {r.vital: r for r in new.baseline_rules}
    for vital in Vital:  # in the vitals' order, so the record reads the same every time
        a, b = old_rules.get(vital), new_rules.get(vital)
        if a != b:
            changes[f"{VITAL_SPECS[vital].abbreviation} baseline rule"] = {
                "old": None if a is None else [a.caution_pct, a.critical_pct],
                "new": None if b is None else [b.caution_pct, b.critical_pct]}
    return changes


#: How each alert setting is named in the audit trail.
SETTING_LABELS: Mapping[str, str] = {
    "reminder_minutes": "Reminder after acknowledgement (min)",
    "device_persistence_readings": "Device persistence (readings)",
    "device_persistence_seconds": "Device persistence (s)",
    "overdue_grace_minutes": "Overdue grace (min)",
    "feed_silent_seconds": "Feed silent after (s)",
    "overdue_priority": "Reading overdue priority",
    "feed_silent_priority": "Feed silent priority",
}


def settings_changes(old: AlertSettings, new: AlertSettings) -> dict[str, dict[str, Any]]:
    """Each changed alert setting as ``{"Reminder after acknowledgement (min)": {"old": 5,
    "new": 10}}``; resolve margins per vital (``"SBP resolve margin"``), priorities as
    words (``"low"``, ``"medium"``)."""
    changes: dict[str, dict[str, Any]] = {}
    for f in fields(AlertSettings):
        a, b = getattr(old, f.name), getattr(new, f.name)
        if f.name == "resolve_margin":
            for vital in Vital:
                x, y = old.margin(vital), new.margin(vital)
                if x != y:
                    changes[f"{VITAL_SPECS[vital].abbreviation} resolve margin"] = {
                        "old": x, "new": y}
        elif a != b:
            if isinstance(a, AlertPriority):
                a, b = a.word, AlertPriority(b).word
            changes[SETTING_LABELS.get(f.name, f.name)] = {"old": a, "new": b}
    return changes


def version_changes(old: ProfileVersion, new: ProfileVersion) -> dict[str, dict[str, Any]]:
    """Everything ``new`` changes against ``old``, the version it replaces: each limit (MAP
    too), baseline rule and alert setting as ``{label: {"old": ..., "new": ...}}``. What the
    audit trail records and the threshold editor's *Changes* tab shows."""
    return {**profile_changes(old.profile, new.profile),
            **settings_changes(old.settings, new.settings)}
