"""Fixtures that build the real window on a temp database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from monitor.store import Store
from monitor.ui.app import GuiOptions, build_window
from monitor.ui.main_window import MainWindow


class SilentBackend:
    """Plays nothing: a developer's machine with speakers must not sound alarms while the
    suite runs. Tests about sound set their own recording backend (test_alarm_audio)."""

    available = True
    problem = ""

    def play(self, priority: object) -> None:
        pass

    def stop(self) -> None:
        pass


@pytest.fixture(autouse=True)
def silent_alarms(monkeypatch) -> None:
    """Every window built in a UI test gets the silent backend instead of Qt's player."""
    from monitor.ui.alerts import alarm_audio

    monkeypatch.setattr(alarm_audio, "QtSoundBackend", SilentBackend)


@pytest.fixture
def window(qtbot, store: Store, db_path: Path) -> Iterator[MainWindow]:
    """The main window with patient P-100's session open, shown and focused."""
    win = build_window(store, GuiOptions(db_path=db_path, patient_id="P-100"))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    win.entry.focus_first()
    yield win
    win.close()


@pytest.fixture
def other_connection(db_path: Path) -> Iterator[Store]:
    """A second, independent connection: what is saved must be visible here at once."""
    s = Store.open(db_path)
    yield s
    s.close()


def when_modal(qtbot, act: Callable[[QWidget], None]) -> None:
    """Run ``act`` on the next modal dialog once it is open (dialogs block in exec())."""
    def attempt() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, attempt)
            return
        act(dialog)

    QTimer.singleShot(0, attempt)
