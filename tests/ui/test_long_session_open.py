"""Opening a long session: the NEWS2 trend marks a bounded number of points but scores every
reading, and the active board reuses the window's own alerts for the open session instead
of replaying it a second time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.app.alerting import SessionAlerts
from monitor.domain.charted_scores import news2_trend
from monitor.domain.readings import ReadingStatus, new_reading
from monitor.domain.vitals import Vital
from monitor.ui.entry.news2_panel import MAX_MARKERS, News2Memo, News2Panel

T0 = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)


def device_readings(count: int):
    readings = []
    for i in range(count):
        reading = new_reading(T0 + timedelta(seconds=i),
                              {Vital.SBP: 120 + i % 30, Vital.DBP: 75 + i % 10,
                               Vital.HR: 70 + i % 25, Vital.RR: 14 + i % 4,
                               Vital.SPO2: 95 + i % 5},
                              consciousness="A" if i % 3 else None,
                              on_oxygen=bool(i % 2), temperature_c=36.5 + i % 3)
        readings.append(reading.__class__(**{**reading.__dict__, "id": i + 1}))
    return readings


def test_a_long_trend_scores_every_reading_but_marks_a_bounded_number(qtbot):
    panel = News2Panel()
    qtbot.addWidget(panel)
    readings = device_readings(MAX_MARKERS * 3 + 7)
    panel.show_readings(readings)
    points = panel.trend.points()
    assert len(points) == len(readings)
    assert panel.trend.marker_count() == MAX_MARKERS
    newest = readings[-1].taken_at.timestamp()
    assert newest in {spot.pos().x() for spot in panel.trend._points.points()}
    short = device_readings(5)
    panel.show_readings(short)
    assert panel.trend.marker_count() == 5 == len(panel.trend.points())


def test_remembered_scores_match_scoring_each_reading():
    readings = device_readings(200)
    readings[3] = readings[3].__class__(**{**readings[3].__dict__,
                                           "status": ReadingStatus.CORRECTED})
    memo = News2Memo()
    expected = news2_trend(readings)
    assert memo.trend(readings) == expected
    assert memo.trend(list(reversed(readings))) == expected  # second pass: from the memo


def test_the_board_shows_recorded_alerts_without_replaying_any_session(
        qtbot, window, store, monkeypatch):
    replayed = []
    real_replay = SessionAlerts._replay
    monkeypatch.setattr(SessionAlerts, "_replay", lambda self, session, *a: (
        replayed.append(session.id), real_replay(self, session, *a))[1])
    other, _ = store.session_for_patient("P-200")
    board = window.review.board
    window.controller.save_reading(new_reading(datetime.now(UTC), {
        Vital.SBP: 185, Vital.DBP: 80}, entered_by="AB"))
    with store.transaction():  # a reading at another chair, as every writer stores one
        store.add_reading(other.id, new_reading(datetime.now(UTC), {Vital.SPO2: 86},
                                                entered_by="CD"))
        window.controller.recorder.update(other.id)
    board.refresh()
    line = next(t for t in board.texts() if "P-100" in t.splitlines()[0])
    assert "*** SBP 185 > 180" in line and "BP 185/80" in line
    line = next(t for t in board.texts() if "P-200" in t.splitlines()[0])
    assert "*** SpO2 86 < 90" in line
    assert replayed == []


def test_the_board_replays_the_open_session_when_the_window_is_behind(qtbot, window,
                                                                      other_connection):
    board = window.review.board
    open_id = window.controller.session.id
    window.controller._watch.stop()  # the window has not noticed the other commit yet
    other_connection.add_reading(open_id, new_reading(datetime.now(UTC), {
        Vital.SBP: 186, Vital.DBP: 80}, entered_by="AB"))
    board.refresh()
    line = next(t for t in board.texts() if "P-100" in t.splitlines()[0])
    assert "*** SBP 186 > 180" in line


def test_the_table_starts_with_the_newest_rows_and_adds_older_ones_on_scrolling(qtbot):
    from monitor.resources import default_profile
    from monitor.ui.entry.readings_model import FETCH_BATCH, ReadingsTableModel
    from monitor.ui.entry.readings_table import ReadingsTable

    model = ReadingsTableModel(default_profile())
    table = ReadingsTable(model)
    qtbot.addWidget(table)
    readings = device_readings(FETCH_BATCH * 2 + 50)
    model.set_readings(readings)
    assert model.rowCount() == FETCH_BATCH
    assert model.reading(0) is readings[-1]  # newest first
    table.show()
    table.resize(900, 300)
    bar = table.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())  # the nurse drags the scroll bar to the bottom
    qtbot.waitUntil(lambda: model.rowCount() > FETCH_BATCH)
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == len(readings)
    assert model.reading(len(readings) - 1) is readings[0]
    assert model.index(len(readings) - 1, 0).data() != model.index(0, 0).data()
    model.set_readings(readings[:-1] + [readings[-1]])  # a reload keeps what was scrolled
    assert model.rowCount() == len(readings)
    model.set_readings(readings[:3])
    assert model.rowCount() == 3 and not model.canFetchMore()
