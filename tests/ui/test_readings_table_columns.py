"""The readings table's columns: as wide as what they show (flag symbols, "(calc)", long
statuses, in italics for corrected rows), in either theme, and a nurse can widen one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QHeaderView

from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.ui.entry.readings_model import HEADERS, STATUS_COL
from monitor.ui.theme import ThemeName

NOW = datetime.now(UTC).replace(microsecond=0)


def chart_varied_rows(window) -> None:
    """Rows whose texts differ in width: flagged values, a derived MAP, a correction and
    an entry in error with long reasons."""
    controller = window.controller
    controller.save_reading(new_reading(NOW - timedelta(minutes=30), {
        Vital.SBP: 128, Vital.DBP: 80, Vital.HR: 72}, entered_by="JM"))
    controller.save_reading(new_reading(NOW - timedelta(minutes=20), {
        Vital.SBP: 196, Vital.DBP: 112, Vital.HR: 138, Vital.SPO2: 86}, entered_by="JM",
        note="Restless"))
    first = controller.readings[0]
    controller.correct_reading(first, {Vital.SBP: 118, Vital.DBP: 80, Vital.HR: 72}, "kl",
                               "Cuff too small for the arm, repeated with the large cuff")
    flagged = next(r for r in controller.readings if r.values.get(Vital.SBP) == 196)
    controller.mark_in_error(flagged, "ab", "Charted for the wrong patient in bay four")


def cut_columns(window) -> list[str]:
    """Headers of the columns (all but the stretched last) narrower than Qt's own measure
    of their header and every row's content."""
    view = window.table.view
    header = view.horizontalHeader()
    return [HEADERS[c] for c in range(len(HEADERS) - 1)
            if view.columnWidth(c) < max(view.sizeHintForColumn(c),
                                         header.sectionSizeHint(c))]


def test_columns_are_wide_enough_for_every_row(qtbot, window):
    chart_varied_rows(window)
    model = window.table_model
    statuses = [model.index(r, STATUS_COL).data() for r in range(model.rowCount())]
    assert any(s.startswith("ENTERED IN ERROR by AB") for s in statuses)
    assert any("***" in (model.index(r, 1).data() or "") for r in range(model.rowCount()))
    assert cut_columns(window) == []
    # Not absurdly wide either: the status column fits its longest text.
    view = window.table.view
    assert view.columnWidth(STATUS_COL) <= view.sizeHintForColumn(STATUS_COL) + 4


def test_columns_stay_wide_enough_in_the_dark_theme(qtbot, window):
    window.apply_theme(ThemeName.DARK)
    chart_varied_rows(window)
    assert cut_columns(window) == []
    window.apply_theme(ThemeName.LIGHT)
    assert cut_columns(window) == []


def test_a_column_grows_when_a_wider_text_arrives(qtbot, window):
    view = window.table.view
    before = view.columnWidth(STATUS_COL)
    chart_varied_rows(window)
    assert view.columnWidth(STATUS_COL) > before
    assert cut_columns(window) == []


def drag_column_edge(qtbot, window, column: int, by: int) -> None:
    header = window.table.view.horizontalHeader()
    edge = header.sectionViewportPosition(column) + header.sectionSize(column) - 1
    start = QPoint(edge, header.height() // 2)
    qtbot.mousePress(header.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(header.viewport(), start + QPoint(by // 2, 0))
    qtbot.mouseMove(header.viewport(), start + QPoint(by, 0))
    qtbot.mouseRelease(header.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(by, 0))


def test_a_nurse_can_widen_a_column_and_it_stays_so(qtbot, window):
    header = window.table.view.horizontalHeader()
    assert header.sectionResizeMode(0) is QHeaderView.ResizeMode.Interactive
    chart_varied_rows(window)
    width = header.sectionSize(1)
    drag_column_edge(qtbot, window, 1, 60)
    assert header.sectionSize(1) >= width + 50
    widened = header.sectionSize(1)
    window.controller.save_reading(new_reading(NOW - timedelta(minutes=1), {
        Vital.SBP: 130, Vital.DBP: 82}, entered_by="JM"))
    assert header.sectionSize(1) == widened  # a new reading does not undo it
    assert cut_columns(window) == []
