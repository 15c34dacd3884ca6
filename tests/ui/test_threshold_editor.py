"""Editing thresholds the way a nurse does: Session > Thresholds… (Ctrl+Shift+T), type,
Save. Refused input changes nothing; a saved change applies at once and is recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QRadioButton

from monitor.domain.profiles import ProfileScope
from monitor.domain.readings import new_reading
from monitor.domain.thresholds import Limits, ThresholdProfile
from monitor.domain.vitals import Vital
from monitor.ui.dialogs.threshold_editor import ThresholdEditor

from .conftest import when_modal

SHIPPED_SBP_BANDS = [(160.0, 180.0), (180.0, 300.0)]


def save(window, minutes_ago: float, **values: float):
    reading = new_reading(datetime.now(UTC) - timedelta(minutes=minutes_ago),
                          {Vital(k): v for k, v in values.items()}, entered_by="JM")
    return window.controller.save_reading(reading)


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    if text:
        qtbot.keyClicks(edit, text)


def edit_thresholds(qtbot, window, fields: dict[str, str], *, initials: str = "dr",
                    reason: str = "Known hypertension", clinic: bool = False,
                    before_save: Callable[[ThresholdEditor], None] | None = None,
                    ) -> tuple[str, bool]:
    """Open the editor by its shortcut, type ``fields``, Save. Returns the dialog's error
    text and whether it closed (a refused dialog is cancelled)."""
    seen: list[tuple[str, bool]] = []

    def act(dialog: ThresholdEditor) -> None:
        if clinic:
            qtbot.mouseClick(dialog.findChild(QRadioButton, "scopeClinic"),
                             Qt.MouseButton.LeftButton)
        for name, text in fields.items():
            type_into(qtbot, dialog.findChild(QLineEdit, name), text)
        if before_save:
            before_save(dialog)
        type_into(qtbot, dialog.findChild(QLineEdit, "thresholdInitials"), initials)
        dialog.findChild(QComboBox, "thresholdReason").setCurrentText(reason)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        closed = not dialog.isVisible()
        seen.append((dialog.error_text(), closed))
        if not closed:
            dialog.reject()

    when_modal(qtbot, act)
    window.activateWindow()  # a dialog closed a moment ago may still hold the focus
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_T,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert seen, "the threshold editor did not open"
    return seen[0]


def assert_nothing_changed(window, other_connection) -> None:
    session_id = window.controller.session.id
    assert other_connection.session_profile(session_id) is None
    assert other_connection.clinic_profile() is None
    assert window.chart.band_limits(Vital.SBP) == SHIPPED_SBP_BANDS
    assert window.alerts.profile.limits[Vital.SBP] == Limits(90, 100, 160, 180)


@pytest.mark.parametrize(("fields", "message"), [
    ({"limit_sbp_caution_high": "abc"}, "SBP caution high: 'abc' is not a number"),
    ({"limit_hr_critical_low": "5o"}, "HR critical low: '5o' is not a number"),
    ({"limit_sbp_critical_high": "350"},
     "SBP critical high: 350 is outside the plausible range 20-300 mmHg"),
    ({"limit_spo2_caution_high": "101"},
     "SpO2 caution high: 101 is outside the plausible range 50-100 %"),
    ({"limit_sbp_caution_high": "175", "limit_sbp_critical_high": "170"},
     "SBP critical high: 170 must be above caution high 175"),
    ({"limit_rr_caution_low": "7"}, "RR caution low: 7 must be above critical low 8"),
    ({"rule_caution_pct": "50"}, "SBP baseline rule: needs 0 < caution % < critical % < 100"),
    ({"rule_critical_pct": ""},
     "SBP baseline rule: enter both caution % and critical %, or neither for no rule"),
    ({"setting_reminder_minutes": "0"}, "Reminder: must be more than 0 minutes"),
    ({"setting_device_persistence_readings": "1.5"},
     "Device persistence readings: '1.5' is not a whole number"),
    ({"setting_feed_silent_seconds": "soon"}, "Feed silent after: 'soon' is not a number"),
    ({"margin_sbp": "-5"}, "SBP resolve margin: must not be negative"),
])
def test_invalid_input_is_refused_with_a_named_message_and_nothing_changes(
        qtbot, window, other_connection, fields, message):
    errors, closed = edit_thresholds(qtbot, window, fields)
    assert not closed
    assert message in errors.splitlines()
    assert_nothing_changed(window, other_connection)


def test_initials_and_reason_are_required(qtbot, window, other_connection):
    errors, closed = edit_thresholds(qtbot, window, {"limit_sbp_caution_high": "140"},
                                     initials="", reason=" ")
    assert not closed
    assert "Initials: enter your initials" in errors
    assert "Reason: say why the thresholds change" in errors
    assert_nothing_changed(window, other_connection)


def test_valid_change_redraws_reclassifies_and_is_recorded(qtbot, window, other_connection):
    save(window, 5, sbp=150, dbp=85, hr=80)
    tile = window.tiles.tile(Vital.SBP)
    assert window.table_model.index(0, 1).data() == "150"
    assert tile.state.text() == "✓ normal"

    errors, closed = edit_thresholds(qtbot, window, {"limit_sbp_caution_high": "140"})

    assert closed and errors == ""
    assert window.chart.band_limits(Vital.SBP) == [(140.0, 180.0), (180.0, 300.0)]
    assert window.table_model.index(0, 1).data() == "150 **"
    assert tile.state.text() == "▲ caution high"
    assert [a.message for a in window.alerts.active_alerts()] == ["SBP 150 > 140 mmHg"]
    stored = other_connection.session_profile(window.controller.session.id)
    assert stored.changed_by == "DR" and stored.reason == "Known hypertension"
    assert stored.profile.limits[Vital.SBP].caution_high == 140
    trail = other_connection.audit_trail(window.controller.session.id)
    (change,) = [e for e in trail if e.action.startswith("thresholds changed")]
    assert change.actor == "DR"
    assert change.detail["changes"] == {"SBP caution high": {"old": 160, "new": 140}}

    # Reopened, the editor says which version is in force and lists the change.
    def inspect(dialog: ThresholdEditor) -> None:
        seen.append((dialog.in_force.text(), dialog.change_texts(),
                     dialog.findChild(QLineEdit, "limit_sbp_caution_high").text()))
        dialog.reject()

    seen: list[tuple[str, list[str], str]] = []
    when_modal(qtbot, inspect)
    window.findChild(QAction, "thresholdsAction").trigger()
    in_force, changes, shown = seen[0]
    assert in_force.startswith("In force: session override (this patient only), "
                               "changed by DR at ")
    assert shown == "140"
    (row,) = changes
    assert "| DR | this session | SBP caution high: 160 -> 140 | Known hypertension" in row


def changes_tab(qtbot, window) -> list[str]:
    """The Changes tab of the editor opened from the menu, one text per version."""
    seen: list[list[str]] = []

    def inspect(dialog: ThresholdEditor) -> None:
        try:
            bar = dialog.tabs.tabBar()
            index = dialog.tabs.indexOf(dialog.changes)
            qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
            if dialog.tabs.currentWidget() is dialog.changes:
                seen.append(dialog.change_texts())
        finally:
            dialog.reject()  # never left open, whatever the tab showed

    when_modal(qtbot, inspect)
    window.findChild(QAction, "thresholdsAction").trigger()
    assert seen, "the Changes tab did not open"
    return seen[0]


def test_alert_behaviour_change_is_saved_and_listed(qtbot, window, other_connection):
    # Same limits, new alert behaviour only: still a change, listed and audited.
    errors, closed = edit_thresholds(qtbot, window, {"setting_reminder_minutes": "10",
                                                     "margin_spo2": "2"})
    assert closed, errors
    stored = other_connection.session_profile(window.controller.session.id)
    assert stored.settings.reminder_minutes == 10
    assert stored.settings.resolve_margin[Vital.SPO2] == 2
    assert stored.profile == window.alerts.shipped.profile
    assert window.alerts.settings.reminder_minutes == 10
    (row,) = changes_tab(qtbot, window)
    assert ("| DR | this session | Reminder after acknowledgement (min): 5 -> 10\n"
            "SpO2 resolve margin: 1 -> 2 | Known hypertension") in row
    (audit,) = [e for e in other_connection.audit_trail(window.controller.session.id)
                if e.action.startswith("thresholds changed")]
    assert audit.actor == "DR" and audit.detail["reason"] == "Known hypertension"
    assert audit.detail["scope"] == "session"
    assert audit.detail["changes"] == {  # the same old -> new as the Changes tab
        "Reminder after acknowledgement (min)": {"old": 5.0, "new": 10.0},
        "SpO2 resolve margin": {"old": 1.0, "new": 2.0}}


def test_a_session_change_lists_what_the_clinic_default_had(qtbot, window, other_connection):
    errors, closed = edit_thresholds(qtbot, window, {"setting_feed_silent_seconds": "120"},
                                     clinic=True, reason="Clinic protocol update")
    assert closed, errors
    errors, closed = edit_thresholds(qtbot, window, {"setting_feed_silent_seconds": "60"})
    assert closed, errors
    session_row, clinic_row = changes_tab(qtbot, window)
    assert "| this session | Feed silent after (s): 120 -> 60 |" in session_row
    assert "| clinic default | Feed silent after (s): 180 -> 120 |" in clinic_row
    (audit,) = [e for e in other_connection.audit_trail(window.controller.session.id)
                if e.action.startswith("thresholds changed")]
    assert audit.detail["replaces"] == "clinic"
    assert audit.detail["changes"] == {"Feed silent after (s)": {"old": 120.0, "new": 60.0}}


def test_clinic_default_change_applies_to_the_open_session_at_once(
        qtbot, window, other_connection):
    save(window, 5, sbp=155, dbp=85)
    errors, closed = edit_thresholds(qtbot, window, {"limit_sbp_caution_high": "150"},
                                     clinic=True, reason="Clinic protocol update")
    assert closed, errors
    clinic = other_connection.clinic_profile()
    assert clinic.profile.limits[Vital.SBP].caution_high == 150
    assert other_connection.session_profile(window.controller.session.id) is None
    assert (150.0, 180.0) in window.chart.band_limits(Vital.SBP)
    assert window.table_model.index(0, 1).data() == "155 **"
    assert [a.message for a in window.alerts.active_alerts()] == ["SBP 155 > 150 mmHg"]
    assert window.alerts.version().scope is ProfileScope.CLINIC


def test_clinic_default_change_leaves_a_session_override_in_force(
        qtbot, window, other_connection):
    current = window.alerts.profile
    limits = dict(current.limits)
    limits[Vital.SBP] = Limits(90, 100, 140, 180)
    window.alerts.change_profile(ThresholdProfile(current.name, limits, current.baseline_rules),
                                 window.alerts.settings, by="dr", reason="Known HTN",
                                 scope=ProfileScope.SESSION)
    seen_fields: list[str] = []

    def starts_from_clinic_default(dialog: ThresholdEditor) -> None:
        # Switching to the clinic scope shows the clinic default, not this override.
        seen_fields.append(dialog.findChild(QLineEdit, "limit_sbp_caution_high").text())

    errors, closed = edit_thresholds(qtbot, window, {"limit_hr_caution_high": "105"},
                                     clinic=True, before_save=starts_from_clinic_default)
    assert closed, errors
    assert seen_fields == ["160"]
    assert other_connection.clinic_profile().profile.limits[Vital.SBP].caution_high == 160
    assert window.alerts.profile.limits[Vital.SBP].caution_high == 140  # override stays
    assert window.alerts.profile.limits[Vital.HR].caution_high == 110


def test_load_shipped_preset_restores_the_preset(qtbot, window, other_connection):
    edit_thresholds(qtbot, window, {"limit_sbp_caution_high": "140",
                                    "setting_reminder_minutes": "2"})
    assert window.alerts.profile.limits[Vital.SBP].caution_high == 140

    def load(dialog: ThresholdEditor) -> None:
        qtbot.mouseClick(dialog.findChild(QPushButton, "loadPresetButton"),
                         Qt.MouseButton.LeftButton)
        assert dialog.findChild(QLineEdit, "limit_sbp_caution_high").text() == "160"

    errors, closed = edit_thresholds(qtbot, window, {}, reason="", before_save=load)
    assert not closed and "Reason: say why the thresholds change" in errors

    errors, closed = edit_thresholds(qtbot, window, {}, reason="Back to the preset",
                                     before_save=load)
    assert closed, errors
    assert window.alerts.profile.limits[Vital.SBP].caution_high == 160
    assert window.alerts.settings.reminder_minutes == 5
    assert window.chart.band_limits(Vital.SBP) == SHIPPED_SBP_BANDS
