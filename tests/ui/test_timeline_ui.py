"""Sedation scores and clinical events: the dialog by shortcut and menu, refused input,
markers on the chart and rows in the list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QComboBox, QDateTimeEdit, QLabel, QLineEdit, QWidget

from monitor.domain.events import ClinicalEvent, ClinicalEventKind, SedationEntry, SedationScale
from monitor.ui.chart.timeline_overlay import TimelineList, TimelineOverlay

from .conftest import when_modal
from .dialog_helpers import run_dialog as open_by_shortcut


def run_dialog(qtbot, window, act: Callable[[QWidget], None]) -> None:
    open_by_shortcut(qtbot, window, Qt.Key.Key_E, act)


def fill(qtbot, dialog: QWidget, *, record: str, choice: str, initials: str = "jm",
         note: str = "", time: QDateTime | None = None) -> None:
    """Pick the kind and the item from their lists, type the note and initials."""
    kind = dialog.findChild(QComboBox, "timelineKind")
    kind.setCurrentIndex(kind.findText(record, Qt.MatchFlag.MatchStartsWith))
    chosen = dialog.findChild(QComboBox, "timelineChoice")
    chosen.setCurrentIndex(chosen.findText(choice, Qt.MatchFlag.MatchStartsWith))
    qtbot.keyClicks(dialog.findChild(QLineEdit, "timelineNote"), note)
    qtbot.keyClicks(dialog.findChild(QLineEdit, "timelineInitials"), initials)
    if time is not None:
        dialog.findChild(QDateTimeEdit, "timelineTime").setDateTime(time)


def save_and_read_errors(qtbot, dialog: QWidget) -> str:
    qtbot.mouseClick(dialog.findChild(QWidget, "timelineSave"), Qt.MouseButton.LeftButton)
    return dialog.findChild(QLabel, "timelineErrors").text()


def test_rass_score_by_shortcut_is_stored_and_marked_on_the_chart(
        qtbot, window, other_connection):
    def act(dialog: QWidget) -> None:
        fill(qtbot, dialog, record="RASS", choice="−2")
        save_and_read_errors(qtbot, dialog)

    run_dialog(qtbot, window, act)

    (entry,) = other_connection.timeline(window.controller.session.id)
    assert isinstance(entry, SedationEntry)
    assert (entry.scale, entry.score, entry.entered_by) == (SedationScale.RASS, -2, "JM")
    overlay = window.findChild(TimelineOverlay)
    ((at, label, tip),) = overlay.markers()
    assert at == pytest.approx(entry.at.timestamp())
    assert label == "RASS −2" and "light sedation" in tip and "(JM)" in tip
    rows = window.findChild(TimelineList).rows()
    assert len(rows) == 1 and "RASS −2 light sedation" in rows[0]


def test_late_charted_event_is_marked_at_the_time_given_with_its_note(
        qtbot, window, other_connection):
    twenty_ago = QDateTime.currentDateTime().addSecs(-20 * 60)

    def act(dialog: QWidget) -> None:
        fill(qtbot, dialog, record="Clinical", choice="Antiemetic", note="ondansetron 4 mg IV",
             time=twenty_ago)
        save_and_read_errors(qtbot, dialog)

    run_dialog(qtbot, window, act)

    (entry,) = other_connection.timeline(window.controller.session.id)
    assert isinstance(entry, ClinicalEvent) and entry.kind is ClinicalEventKind.ANTIEMETIC_GIVEN
    expected = twenty_ago.toPython().replace(second=0, microsecond=0).astimezone()
    assert entry.at == expected
    ((at, label, tip),) = window.findChild(TimelineOverlay).markers()
    assert at == expected.timestamp()
    assert label == "Antiemetic given" and "ondansetron 4 mg IV" in tip


def test_markers_follow_the_entries_in_time_order(qtbot, window):
    now = datetime.now().astimezone()
    for minutes, kind in ((30, ClinicalEventKind.NAUSEA), (5, ClinicalEventKind.DIZZINESS)):
        window.alerts.add_timeline_entry(
            ClinicalEvent(kind, now - timedelta(minutes=minutes), "JM"))
    labels = [label for _, label, _ in window.findChild(TimelineOverlay).markers()]
    assert labels == ["Nausea", "Dizziness"]
    assert window.findChild(TimelineList).rows()[0].endswith("Dizziness  (JM)")  # newest first


BAD_INPUT = [
    # record, choice, initials, note, in the future, the message shown
    ("RASS", "−2", "", "", False, "Initials: enter your initials"),
    ("RASS", "—", "jm", "", False, "RASS: choose a score"),
    ("MOAA/S", "3", "j2", "", False, "Initials: 'J2' must be up to 6 letters"),
    ("Clinical", "Other", "jm", "", False, "Note: describe what happened"),
    ("Clinical", "Antiemetic", "jm", "  ", False, "Note: name the drug and dose given"),
    ("Clinical", "—", "jm", "", False, "What happened: choose an event"),
    ("Clinical", "Nausea", "jm", "", True, "is in the future"),
    ("Clinical", "Nausea", "jm", "x" * 501, False, "Note: must be at most 500 characters"),
]


def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
        qtbot, window, other_connection):
    seen: list[tuple[str, bool]] = []

    def act(dialog: QWidget) -> None:
        # One dialog, corrected and re-tried like a nurse would: each refusal in turn.
        for record, choice, initials, note, future, _ in BAD_INPUT:
            for name in ("timelineNote", "timelineInitials"):
                dialog.findChild(QLineEdit, name).clear()
            time = QDateTime.currentDateTime().addSecs(3600 if future else -60)
            fill(qtbot, dialog, record=record, choice=choice, initials=initials, note=note,
                 time=time)
            seen.append((save_and_read_errors(qtbot, dialog), dialog.isVisible()))

    run_dialog(qtbot, window, act)

    assert len(seen) == len(BAD_INPUT)
    for (shown, still_open), (*_, message) in zip(seen, BAD_INPUT, strict=True):
        assert message in shown and still_open, (message, shown)
    assert other_connection.timeline(window.controller.session.id) == []
    assert window.findChild(TimelineOverlay).markers() == []


def test_menu_action_and_side_button_open_the_same_dialog(qtbot, window):
    titles: list[str] = []
    when_modal(qtbot, lambda d: (titles.append(d.windowTitle()), d.reject()))
    window.findChild(QWidget, "addTimelineButton").click()
    assert titles == ["Add sedation score or event"]
    action = next(a for a in window.menuBar().actions()[1].menu().actions()
                  if a.objectName() == "addTimelineEntryAction")
    assert action.shortcut().toString() == "Ctrl+Shift+E"


def test_markers_are_recoloured_with_the_theme(qtbot, window):
    window.alerts.add_timeline_entry(
        ClinicalEvent(ClinicalEventKind.NAUSEA, datetime.now().astimezone(), "JM"))
    overlay = window.findChild(TimelineOverlay)
    top = window.chart.plots[0]

    def marker_colour() -> str:
        lines = [i for i in top.items if getattr(i, "label", None) is not None
                 and i.label.toPlainText() == "Nausea"]
        return lines[0].pen.color().name()

    before = marker_colour()
    window.toggle_theme()
    try:
        qtbot.waitUntil(lambda: marker_colour() != before)
        assert len(overlay.markers()) == 1
    finally:
        window.toggle_theme()  # the choice is remembered: leave it as other tests expect
