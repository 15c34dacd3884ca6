"""A patient's series: earlier sessions overlaid on today's, aligned on infusion end, with
the baseline-to-peak change of each session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from monitor.domain.readings import new_reading
from monitor.domain.sessions import Infusion, Patient, Session, SessionStatus
from monitor.domain.vitals import Vital
from monitor.ui.app import GuiOptions, build_window

NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def add_session(store, days_ago: int, minutes: int, sbps: dict[int, float], *,
                ended: bool = True, close: bool = True) -> int:
    """A session whose readings are given as {minutes from infusion end: SBP}."""
    end = NOW - timedelta(days=days_ago, minutes=5)
    start = end - timedelta(minutes=minutes)
    session = store.create_session(Session(
        Patient("MRN-5", "Ines Series"),
        Infusion(started_at=start, ended_at=end if ended else None),
        baseline={Vital.SBP: 120.0, Vital.HR: 70.0}, started_at=start - timedelta(minutes=20)),
        "JM")
    store.add_readings(session.id, [
        new_reading(end + timedelta(minutes=m), {Vital.SBP: sbp, Vital.DBP: 75, Vital.HR: 80},
                    entered_by="JM") for m, sbp in sbps.items()])
    if close:
        store.close_session(session.id, "JM", at=end + timedelta(minutes=max(sbps) + 5))
    return session.id


@pytest.fixture
def series(store):
    return {
        "old": add_session(store, 28, 90, {-60: 140, 0: 150, 30: 130}),
        "recent": add_session(store, 14, 45, {-20: 160, 15: 135}),
        "unaligned": add_session(store, 7, 60, {-50: 125}, ended=False),
        "today": add_session(store, 0, 60, {-40: 150, -5: 165}, close=False),
    }


@pytest.fixture
def series_window(qtbot, store, db_path, series):
    win = build_window(store, GuiOptions(db_path=db_path, patient_id="MRN-5"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.controller.session.id == series["today"]
    win.findChild(QAction, "patientSeriesAction").trigger()
    dialog = win.review.series_dialog
    qtbot.waitExposed(dialog)
    yield win, dialog
    if shiboken6.isValid(dialog):  # opening a session closes (and deletes) the dialog
        dialog.close()


def test_every_session_is_listed_newest_first_with_baseline_to_peak(series_window, series):
    _, dialog = series_window
    assert [e.session.id for e in dialog.entries] == [
        series["today"], series["unaligned"], series["recent"], series["old"]]
    today, unaligned, recent, old = (dialog.row_texts(r) for r in range(4))
    assert "(this session)" in today[0] and dialog.table.item(0, 0).font().bold()
    assert today[4] == "120 → 165 (+45)"
    assert recent[4] == "120 → 160 (+40)" and old[4] == "120 → 150 (+30)"
    assert old[6] == "70 → 80 (+10)"  # heart rate
    assert "no infusion end" in unaligned[0]
    assert dialog.windowTitle() == "Patient series — MRN-5 Ines Series"


def test_earlier_sessions_are_aligned_on_their_infusion_end(series_window, series):
    _, dialog = series_window
    assert dialog.overlay(series["old"], Vital.SBP) == [(-60.0, 140.0), (0.0, 150.0),
                                                        (30.0, 130.0)]
    assert dialog.overlay(series["recent"], Vital.SBP) == [(-20.0, 160.0), (15.0, 135.0)]
    assert dialog.overlay(series["today"], Vital.SBP) == [(-40.0, 150.0), (-5.0, 165.0)]
    assert dialog.overlay(series["unaligned"], Vital.SBP) == []
    # Today is drawn bold in the vital's colour, earlier sessions thin.
    today_pen = dialog.curves[(series["today"], Vital.SBP)].opts["pen"]
    old_pen = dialog.curves[(series["old"], Vital.SBP)].opts["pen"]
    assert today_pen.width() > old_pen.width()


def test_double_clicking_an_earlier_session_opens_it_read_only(qtbot, series_window, series):
    win, dialog = series_window
    dialog.table.scrollToItem(dialog.table.item(3, 0))
    rect = dialog.table.visualItemRect(dialog.table.item(3, 0))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert win.controller.session.id == series["old"]
    assert win.controller.session.status is SessionStatus.CLOSED
    assert not win.entry.isEnabled()
