"""Discharge readiness: modified Aldrete and PADSS in the dialog, computed items with their
basis, refused input, and when the criteria were first met."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from monitor.domain.charted_scores import DischargeKind
from monitor.domain.readings import new_reading
from monitor.domain.scores import (
    AldreteActivity,
    AldreteConsciousness,
    AldreteRespiration,
)
from monitor.domain.vitals import Vital
from monitor.ui.dialogs.discharge_panel import DischargeController

from .dialog_helpers import run_dialog as open_by_shortcut

BASELINE = {Vital.SBP: 124.0, Vital.DBP: 78.0, Vital.HR: 72.0}
ALL_TWOS = {"activity": AldreteActivity.MOVES_FOUR_LIMBS,
            "respiration": AldreteRespiration.DEEP_BREATH_AND_COUGH,
            "consciousness": AldreteConsciousness.FULLY_AWAKE}


def chart(window, *, baseline: bool = True, sbp: float = 132, on_oxygen: bool | None = False):
    if baseline:
        session = window.controller.session
        window.controller.update_session(replace(session, baseline=BASELINE), "JM",
                                         "baseline")
    window.controller.save_reading(new_reading(
        datetime.now(UTC) - timedelta(minutes=1),
        {Vital.SBP: sbp, Vital.DBP: 80, Vital.HR: 80, Vital.RR: 14, Vital.SPO2: 97},
        entered_by="JM", on_oxygen=on_oxygen))


def run_dialog(qtbot, window, act: Callable[[QWidget], None]) -> None:
    open_by_shortcut(qtbot, window, Qt.Key.Key_R, act)


def choose(dialog: QWidget, name: str, text: str) -> None:
    combo = dialog.findChild(QComboBox, name)
    index = combo.findText(text, Qt.MatchFlag.MatchStartsWith)
    assert index >= 0, (name, text)
    combo.setCurrentIndex(index)


def text_of(dialog: QWidget, name: str) -> str:
    return dialog.findChild(QLabel, name).text()


def save(qtbot, dialog: QWidget, initials: str = "jm") -> str:
    field = dialog.findChild(QLineEdit, "dischargeInitials")
    field.clear()  # it offers the last initials signed with here
    qtbot.keyClicks(field, initials)
    qtbot.mouseClick(dialog.findChild(QWidget, "dischargeSave"), Qt.MouseButton.LeftButton)
    return text_of(dialog, "dischargeErrors")


def summary(window) -> str:
    return window.findChild(QLabel, "dischargeSummary").text()


def test_aldrete_computes_circulation_and_spo2_from_the_chart_and_saves(
        qtbot, window, other_connection):
    chart(window)
    seen: dict[str, str] = {}

    def act(dialog: QWidget) -> None:
        seen["before"] = text_of(dialog, "dischargeResult")
        for field in ("activity", "respiration", "consciousness"):
            choose(dialog, f"aldrete_{field}", "2")
        seen["oxygen"] = dialog.findChild(QComboBox, "aldrete_oxygen").currentText()
        seen["circulation"] = text_of(dialog, "computed_aldrete_circulation")
        seen["spo2"] = text_of(dialog, "computed_aldrete_spo2")
        seen["result"] = text_of(dialog, "dischargeResult")
        seen["errors"] = save(qtbot, dialog)

    run_dialog(qtbot, window, act)

    assert "partial" in seen["before"] and "not assessed: activity" in seen["before"]
    assert seen["oxygen"] == "Air"  # as charted with the latest reading
    assert seen["circulation"] == "SBP 132 vs baseline 124: within 20 mmHg → 2"
    assert seen["spo2"] == "SpO2 97 % on air → 2"
    assert seen["result"] == "Modified Aldrete: 10/10 — ✓ criteria met"
    (stored,) = other_connection.assessments(window.controller.session.id)
    assert (stored.kind, stored.total, stored.meets, stored.entered_by) == (
        "aldrete", 10, True, "JM")
    assert stored.items["basis"]["circulation"] == seen["circulation"]
    assert "Modified Aldrete: 10/10 — ✓ criteria met since" in summary(window)


def test_circulation_beyond_twenty_mmhg_scores_one_and_fails_the_criteria(qtbot, window):
    chart(window, sbp=160)
    seen: list[str] = []

    def act(dialog: QWidget) -> None:
        choose(dialog, "aldrete_activity", "1")
        for field in ("respiration", "consciousness"):
            choose(dialog, f"aldrete_{field}", "2")
        seen.append(text_of(dialog, "computed_aldrete_circulation"))
        seen.append(text_of(dialog, "dischargeResult"))

    run_dialog(qtbot, window, act)
    assert seen[0] == "SBP 160 vs baseline 124: 36 mmHg off, within 50 mmHg → 1"
    assert seen[1] == ("Modified Aldrete: 8/10 — criteria not met: score 8 is below 9")


def test_missing_baseline_is_said_and_the_score_is_partial(qtbot, window, other_connection):
    chart(window, baseline=False)
    seen: list[str] = []

    def act(dialog: QWidget) -> None:
        for field in ("activity", "respiration", "consciousness"):
            choose(dialog, f"aldrete_{field}", "2")
        seen.append(text_of(dialog, "computed_aldrete_circulation"))
        seen.append(text_of(dialog, "dischargeResult"))
        seen.append(save(qtbot, dialog))

    run_dialog(qtbot, window, act)
    assert seen[0] == "no baseline systolic BP: not scored"
    assert seen[1] == ("Modified Aldrete: 8/10 (partial) — criteria not met: "
                       "not assessed: circulation; score 8 is below 9")
    (stored,) = other_connection.assessments(window.controller.session.id)
    assert stored.meets is False and stored.items["scores"]["circulation"] is None
    assert "not met yet" in summary(window)


def test_padss_needs_an_escort(qtbot, window, other_connection):
    chart(window)
    seen: list[str] = []

    def act(dialog: QWidget) -> None:
        choose(dialog, "dischargeKind", "PADSS")
        for field in ("activity", "pain_nausea_vomiting", "bleeding", "intake_output"):
            choose(dialog, f"padss_{field}", "2")
        seen.append(text_of(dialog, "computed_padss_vital_signs"))
        seen.append(text_of(dialog, "dischargeResult"))
        choose(dialog, "padss_escort", "Yes")
        seen.append(text_of(dialog, "dischargeResult"))
        seen.append(save(qtbot, dialog))

    run_dialog(qtbot, window, act)
    assert seen[0] == "SBP 132 vs 124 (6 %), HR 80 vs 72 (11 %): within 20 % → 2"
    assert seen[1] == "PADSS: 10/10 — criteria not met: no escort"
    assert seen[2] == "PADSS: 10/10 — ✓ criteria met"
    (stored,) = other_connection.assessments(window.controller.session.id)
    assert stored.kind == "padss" and stored.meets and stored.items["escort_present"] is True


@pytest.mark.parametrize(
    ("initials", "message"),
    [("", "Initials: enter your initials"), ("j1", "Initials: 'j1' must be up to 6 letters")],
)
def test_bad_initials_are_refused_and_nothing_is_saved(
        qtbot, window, other_connection, initials, message):
    chart(window)
    seen: list[str] = []

    def act(dialog: QWidget) -> None:
        for field in ("activity", "respiration", "consciousness"):
            choose(dialog, f"aldrete_{field}", "2")
        seen.append(save(qtbot, dialog, initials))
        seen.append("open" if dialog.isVisible() else "closed")

    run_dialog(qtbot, window, act)
    assert seen == [message, "open"]
    assert other_connection.assessments(window.controller.session.id) == []
    assert summary(window) == "No discharge assessment yet."


def test_status_says_when_criteria_were_first_met_and_since_when(qtbot, window):
    chart(window)
    controller = window.findChild(DischargeController)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=40)
    real_clock = window.controller.clock
    try:
        for minutes, activity in ((0, AldreteActivity.MOVES_FOUR_LIMBS),
                                  (10, AldreteActivity.NO_MOVEMENT),
                                  (20, AldreteActivity.MOVES_FOUR_LIMBS),
                                  (30, AldreteActivity.MOVES_TWO_LIMBS)):
            window.controller.clock = lambda m=minutes: start + timedelta(minutes=m)
            controller.save(DischargeKind.ALDRETE, {**ALL_TWOS, "activity": activity}, "jm",
                            on_oxygen=False)
            if minutes == 20:
                met_again = summary(window)
    finally:
        window.controller.clock = real_clock

    def hhmm(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).astimezone().strftime("%H:%M")

    assert met_again == (f"Modified Aldrete: 10/10 — ✓ criteria met since {hhmm(20)} "
                         f"(first met {hhmm(0)})")
    assert summary(window) == (f"Modified Aldrete: 9/10 — ✓ criteria met since {hhmm(20)} "
                               f"(first met {hhmm(0)})")


def test_status_says_not_met_now_after_criteria_were_lost(qtbot, window):
    chart(window)
    controller = window.findChild(DischargeController)
    controller.save(DischargeKind.ALDRETE, ALL_TWOS, "jm", on_oxygen=False)
    controller.save(DischargeKind.ALDRETE,
                    {**ALL_TWOS, "consciousness": AldreteConsciousness.NOT_RESPONDING}, "jm",
                    on_oxygen=False)
    assert "— not met now (first met" in summary(window)
    assert summary(window).endswith("score 8 is below 9")
