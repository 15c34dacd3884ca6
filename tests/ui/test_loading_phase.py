"""What a nurse sees in the seconds a long session takes to load in the background: due
times are not shown as missed for want of readings not read yet, the discharge assessment
waits for every reading, and the chart draws the newest points as it will draw them all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.charted_scores import DischargeKind
from monitor.domain.due_status import DueStatus
from monitor.domain.errors import ValidationFailed
from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.ui import session_controller
from monitor.ui.chart.schedule_overlay import STYLE, DueTimeOverlay
from monitor.ui.dialogs.discharge_panel import LOADING_NOTE, DischargeStatus
from monitor.ui.main_window import MainWindow

from .test_long_session_loading import (  # noqa: F401 (two of them are fixtures)
    ROWS,
    loads_in_background,
    long_db,
    open_window,
)

LIGHT = {status: colours[0] for status, colours in STYLE.items()}


def ticks(window: MainWindow) -> list[tuple[float, str]]:
    return window.chart.findChild(DueTimeOverlay).drawn(0)


def wait_loaded(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.readingsLoaded, timeout=30_000):
        pass


def test_due_times_before_the_loaded_rows_are_not_shown_missed(
        qtbot, long_db, monkeypatch):  # noqa: F811
    read_whole = open_window(qtbot, long_db)
    assert not read_whole.controller.loading
    whole = ticks(read_whole)
    read_whole.close()
    monkeypatch.setattr(session_controller, "LARGE_SESSION", ROWS // 3)
    # Read whole, every due time so far was met (a reading every second).
    assert whole and LIGHT[DueStatus.MET] in {c for _, c in whole}
    assert LIGHT[DueStatus.MISSED] not in {c for _, c in whole}

    window = open_window(qtbot, long_db)
    assert window.controller.loading
    partial = ticks(window)
    assert LIGHT[DueStatus.MISSED] not in {c for _, c in partial}
    assert set(partial) <= set(whole)  # the ones it can tell, as they will stay
    wait_loaded(qtbot, window)
    window.alerts.tick()
    assert ticks(window) == whole
    window.close()


@pytest.mark.usefixtures("loads_in_background")
def test_discharge_assessment_waits_for_every_reading(qtbot, long_db):  # noqa: F811
    window = open_window(qtbot, long_db)
    status = window.findChild(DischargeStatus)
    action = window.findChild(type(window.edit_action), "dischargeAssessmentAction")
    assert window.controller.loading
    assert not status.assess_button.isEnabled() and not action.isEnabled()
    assert status.summary.text().startswith(LOADING_NOTE)
    with pytest.raises(ValidationFailed) as refused:
        status.controller.save(DischargeKind.ALDRETE, {}, "JM")
    assert "still loading" in str(refused.value.errors[0])
    assert window.controller.store.assessments(window.controller.session.id) == []

    wait_loaded(qtbot, window)
    assert status.assess_button.isEnabled() and action.isEnabled()
    assert LOADING_NOTE not in status.summary.text()
    assert status.summary.text() == "No discharge assessment yet."
    window.close()


def sbp_symbol(window: MainWindow) -> str | None:
    curve = window.chart.plot_for(Vital.SBP).listDataItems()[0]
    return curve.opts["symbol"]


@pytest.mark.usefixtures("loads_in_background")
def test_the_chart_draws_the_newest_points_as_it_will_draw_them_all(
        qtbot, long_db):  # noqa: F811
    window = open_window(qtbot, long_db)
    assert window.controller.loading
    times, _ = window.chart.series(Vital.SBP)
    assert 0 < len(times) < 600  # few enough for symbols, were it a short session
    assert window.chart.dense() and sbp_symbol(window) is None
    # The high SBP at the end is drawn over the line, not as a cross per point.
    assert window.chart.flagged(Vital.SBP) == []
    wait_loaded(qtbot, window)
    assert window.chart.dense() and sbp_symbol(window) is None
    window.close()


def test_a_short_session_keeps_its_point_symbols(qtbot, window):
    window.controller.save_reading(new_reading(
        datetime.now(UTC) - timedelta(minutes=1), {Vital.SBP: 190, Vital.DBP: 80},
        entered_by="JM"))
    assert not window.chart.dense() and sbp_symbol(window) == "o"
    assert len(window.chart.flagged(Vital.SBP)) == 1


def test_discharge_assessment_is_offered_for_a_short_session(qtbot, window):
    status = window.findChild(DischargeStatus)
    assert status.assess_button.isEnabled()
    assert LOADING_NOTE not in status.summary.text()
