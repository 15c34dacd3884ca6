"""File > Open database read-only…: an archive opens in its own window, labelled read-only,
nothing in it can be changed, and the file's bytes are the same afterwards."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QLabel

from monitor.domain.readings import new_reading
from monitor.domain.sessions import Infusion, Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import DatabaseReadOnly, Store

from .conftest import when_modal

T0 = datetime.now(UTC) - timedelta(days=30)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A colleague's database: one closed session with a critical value, one still active."""
    path = tmp_path / "archive" / "colleague.sqlite"
    path.parent.mkdir()
    with Store.open(path) as store:
        for pid, close in (("ARC-1", True), ("ARC-2", False)):
            session = store.create_session(Session(
                Patient(pid, f"Archived {pid}"),
                Infusion(started_at=T0, ended_at=T0 + timedelta(minutes=60)),
                started_at=T0 - timedelta(minutes=15)), "JM")
            store.add_readings(session.id, [
                new_reading(T0 + timedelta(minutes=10 * i), {Vital.SBP: sbp, Vital.DBP: 80},
                            entered_by="JM") for i, sbp in enumerate((130, 185, 150))])
            if close:
                store.close_session(session.id, "JM", at=T0 + timedelta(hours=2))
    return path


def open_archive(qtbot, window, path: Path):
    def act(dialog) -> None:
        assert isinstance(dialog, QFileDialog)
        dialog.selectFile(str(path))
        dialog.accept()

    when_modal(qtbot, act)
    window.findChild(QAction, "openReadOnlyAction").trigger()
    (archive_window,) = window.review.archive_windows
    qtbot.waitExposed(archive_window)  # deletes itself on close (WA_DeleteOnClose)
    return archive_window


def test_an_archive_opens_read_only_and_its_bytes_never_change(qtbot, window, archive):
    before = digest(archive)
    live_session = window.controller.session.id
    ro = open_archive(qtbot, window, archive)

    assert "READ-ONLY" in ro.windowTitle() and "colleague.sqlite" in ro.windowTitle()
    assert ro.controller.store.read_only
    label = ro.findChild(QLabel, "readOnlyDatabaseLabel")
    assert label.isVisible() and "nothing can be changed" in label.text()
    browser = ro.review.browser
    assert browser.isVisible() and browser.model.total == 2
    for row in range(2):
        browser.view.setCurrentIndex(browser.model.index(row, 0))
        qtbot.keyClick(browser.view, Qt.Key.Key_Return)
        assert ro.controller.session is not None
        assert not ro.entry.isEnabled()
        assert ro.review.strip.isVisible()
        assert "READ-ONLY database (colleague.sqlite)" in ro.review.strip.label.text()
        assert not ro.review.strip.amend_button.isEnabled()
        assert not ro.findChild(QAction, "closeSessionAction").isEnabled()
        assert not ro.edit_action.isEnabled()
        # Shown exactly as recorded: the three readings and the critical SBP.
        assert ro.table_model.rowCount() == 3
        assert "***" in ro.table_model.index(1, 1).data()
        with pytest.raises(DatabaseReadOnly):
            ro.controller.save_reading(new_reading(datetime.now(UTC), {Vital.HR: 70},
                                                   entered_by="KL"))
    ro.review.board.refresh()
    assert any("ARC-2" in text for text in ro.review.board.texts())

    ro.close()
    qtbot.waitUntil(lambda: not window.review.archive_windows)
    assert digest(archive) == before
    assert sorted(p.name for p in archive.parent.iterdir()) == ["colleague.sqlite"]
    # The live window is untouched and still on its own database.
    assert window.controller.session.id == live_session
    assert not window.controller.store.read_only
    assert "READ-ONLY" not in window.windowTitle()
    assert window.findChild(QLabel, "readOnlyDatabaseLabel") is None


def test_a_file_that_is_not_a_database_is_refused_with_a_message(qtbot, window, tmp_path,
                                                                 monkeypatch):
    junk = tmp_path / "notes.sqlite"
    junk.write_text("shopping list: milk, eggs")
    messages: list[str] = []
    monkeypatch.setattr(window, "report", lambda error: messages.append(str(error)))
    assert window.review.open_read_only(junk) is None
    assert window.review.open_read_only(tmp_path / "missing.sqlite") is None
    assert "damaged or is not a database" in messages[0]
    assert "There is no database" in messages[1]
    assert junk.read_text() == "shopping list: milk, eggs"
    assert not window.review.archive_windows
