"""The session browser: a lazy model over a few hundred generated sessions, searched,
filtered, sorted and opened the way a nurse does it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction

from monitor.bench.browse import populate
from monitor.domain.sessions import SessionStatus
from monitor.store import Store
from monitor.store.browse import SessionQuery
from monitor.ui.app import GuiOptions, build_window
from monitor.ui.review.session_browser import COLUMNS, PAGE_SIZE, SessionBrowserModel

SESSIONS = 450


@pytest.fixture
def big_path(tmp_path: Path) -> Path:
    path = tmp_path / "many.sqlite"
    populate(path, SESSIONS, 3)
    return path


@pytest.fixture
def big_store(big_path: Path):
    store = Store.open(big_path)
    yield store
    store.close()


@pytest.fixture
def browser_window(qtbot, big_store, big_path):
    win = build_window(big_store, GuiOptions(db_path=big_path))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.findChild(QAction, "browseSessionsAction").trigger()
    browser = win.review.browser
    qtbot.waitExposed(browser)
    yield win, browser
    browser.close()
    win.close()


def column_texts(model, column: int) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_model_passes_qtmodeltester_and_pages_lazily(qtmodeltester, big_store):
    model = SessionBrowserModel(big_store)
    model.set_query(SessionQuery())
    assert model.total == SESSIONS
    assert model.rowCount() == PAGE_SIZE  # only the first page is read
    assert model.canFetchMore(QModelIndex())
    qtmodeltester.check(model, force_py=True)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == SESSIONS
    assert len({model.summary(r).id for r in range(SESSIONS)}) == SESSIONS
    qtmodeltester.check(model, force_py=True)


def test_opens_newest_first_with_every_column(browser_window):
    _, browser = browser_window
    model = browser.model
    assert browser.count.text().startswith(f"{SESSIONS} sessions")
    started = column_texts(model, 2)
    assert started == sorted(started, reverse=True)
    first = [model.index(0, c).data() for c in range(len(COLUMNS))]
    assert first[0].startswith("MRN-") and first[4] == "3" and first[6] == "active"


def test_search_by_identifier_or_name(qtbot, browser_window, big_store):
    _, browser = browser_window
    qtbot.keyClicks(browser.search, "okafor")
    qtbot.keyClick(browser.search, Qt.Key.Key_Return)
    expected = big_store.count_sessions(SessionQuery(text="okafor"))
    assert 0 < expected < SESSIONS
    assert browser.model.total == expected
    assert all("Okafor" in name for name in column_texts(browser.model, 1))
    browser.search.clear()
    qtbot.keyClicks(browser.search, "mrn-000007")
    # Typing alone searches after a short pause.
    qtbot.waitUntil(lambda: browser.model.total == big_store.count_sessions(
        SessionQuery(text="MRN-000007")))
    assert set(column_texts(browser.model, 0)) == {"MRN-000007"}


def test_filters_for_critical_status_and_dates(qtbot, browser_window, big_store):
    _, browser = browser_window
    qtbot.mouseClick(browser.critical, Qt.MouseButton.LeftButton)
    assert browser.model.total == big_store.count_sessions(SessionQuery(min_alert_priority=3))
    assert set(column_texts(browser.model, 5)) == {"*** HIGH"}
    browser.status.setCurrentIndex(browser.status.findText("Active"))
    assert browser.model.total == big_store.count_sessions(
        SessionQuery(min_alert_priority=3, status=SessionStatus.ACTIVE))
    browser.critical.setChecked(False)
    browser.status.setCurrentIndex(browser.status.findText("Any status"))
    day = browser.model.summary(browser.model.rowCount() - 1).started_at.astimezone().date()
    browser.date_from.setText(day.isoformat())
    browser.date_to.setText(day.isoformat())
    qtbot.keyClick(browser.date_to, Qt.Key.Key_Return)
    days = {browser.model.summary(r).started_at.astimezone().date()
            for r in range(browser.model.rowCount())}
    assert days == {day} and 0 < browser.model.total < SESSIONS


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2026-13-01", "", "From: '2026-13-01' is not a date (use YYYY-MM-DD)"),
    ("yesterday", "", "From: 'yesterday' is not a date"),
    ("", "2026/03/01", "To: '2026/03/01' is not a date"),
    ("2026-03-05", "2026-03-01", "To: is before From"),
])
def test_bad_dates_are_named_and_keep_the_last_results(qtbot, browser_window, start, end,
                                                       message):
    _, browser = browser_window
    before = browser.model.total
    browser.date_from.setText(start)
    browser.date_to.setText(end)
    qtbot.keyClick(browser.date_from, Qt.Key.Key_Return)
    assert message in browser.errors.text()
    assert browser.errors.isVisible()
    assert browser.model.total == before


def test_clicking_headers_sorts_in_the_database(qtbot, browser_window):
    _, browser = browser_window
    header = browser.view.horizontalHeader()
    name_column = [c for c, (_, key) in enumerate(COLUMNS) if key == "name"][0]
    header.setSortIndicator(name_column, Qt.SortOrder.AscendingOrder)
    assert browser.model.query.sort == "name" and not browser.model.query.descending
    names = column_texts(browser.model, name_column)
    assert names == sorted(names, key=str.casefold)
    readings_column = [c for c, (_, key) in enumerate(COLUMNS) if key == "worst_alert"][0]
    header.setSortIndicator(readings_column, Qt.SortOrder.DescendingOrder)
    assert column_texts(browser.model, readings_column)[0] == "*** HIGH"


def test_enter_on_a_row_opens_that_session_in_the_window(qtbot, browser_window):
    win, browser = browser_window
    qtbot.keyClicks(browser.search, "MRN-000003")
    qtbot.keyClick(browser.search, Qt.Key.Key_Return)
    wanted = browser.model.summary(0).id
    browser.view.setFocus()
    browser.view.setCurrentIndex(browser.model.index(0, 0))
    qtbot.keyClick(browser.view, Qt.Key.Key_Return)
    assert win.controller.session.id == wanted
    assert win.stack.currentWidget() is win.session_page
    assert "MRN-000003" in win.header.patient.text()
    # A generated session is closed: it opens read-only.
    if win.controller.session.status is SessionStatus.CLOSED:
        assert not win.entry.isEnabled()
