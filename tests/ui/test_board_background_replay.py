"""The active sessions board replays a long background session (charted from another
workstation or a live feed) in a worker thread, never in the window's: meanwhile the line
shows what was last known, and says the alerts are updating when that takes long."""

# ruff: noqa: F811 (the background fixture is imported, and tests take it by name)
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from monitor.store import Store
from monitor.ui import active_board, board_replay

from .test_active_board import background, board_line, reading  # noqa: F401 (a fixture)


@pytest.fixture
def long_background(monkeypatch, other_connection, background) -> int:
    """P-200's session counts as long (the threshold lowered so the test stays small)."""
    monkeypatch.setattr(active_board, "WORKER_REPLAY_ROWS", 3)
    for minutes in (14, 13, 12, 11):
        other_connection.add_reading(background, reading(minutes, 130))
    return background


@pytest.fixture
def held_replay(monkeypatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """The board's replays wait until the gate opens or they are cancelled:
    (started, gate)."""
    started, gate = threading.Event(), threading.Event()
    real = board_replay.rebuild

    def held(*args, **kwargs):
        started.set()
        cancelled = args[-1]
        while not gate.wait(0.01) and not cancelled():
            pass
        return real(*args, **kwargs)

    monkeypatch.setattr(board_replay, "rebuild", held)
    yield started, gate
    gate.set()


@pytest.fixture
def reads(monkeypatch) -> list[tuple[str, int]]:
    """(thread name, session id) of each whole-session read."""
    seen: list[tuple[str, int]] = []
    real = Store.readings

    def recorded(self, session_id, *args, **kwargs):
        seen.append((threading.current_thread().name, session_id))
        return real(self, session_id, *args, **kwargs)

    monkeypatch.setattr(Store, "readings", recorded)
    return seen


def test_a_new_alert_in_a_long_background_session_appears_after_the_worker(
        qtbot, window, other_connection, long_background, reads):
    board = window.review.board
    qtbot.waitUntil(lambda: "BP 130/80" in board_line(board, "P-200"), timeout=8000)

    other_connection.add_reading(long_background, reading(1, 190, hr=126))

    qtbot.waitUntil(lambda: "(+1 more)" in board_line(board, "P-200"), timeout=8000)
    line = board_line(board, "P-200")
    assert "*** HR 126 > 120 /min" in line or "*** SBP 190 > 180 mmHg" in line
    assert "BP 190/80" in line
    assert (threading.main_thread().name, long_background) not in reads
    assert any(session == long_background for _, session in reads)  # read in the worker


def test_a_slow_replay_shows_the_last_known_state_marked_updating(
        qtbot, window, other_connection, long_background, monkeypatch):
    board = window.review.board
    qtbot.waitUntil(lambda: "BP 130/80" in board_line(board, "P-200"), timeout=8000)
    gate = threading.Event()
    real = board_replay.rebuild

    def held(*args, **kwargs):
        gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(board_replay, "rebuild", held)
    monkeypatch.setattr(active_board, "UPDATING_AFTER_MS", 0)
    try:
        other_connection.add_reading(long_background, reading(1, 190, hr=126))
        qtbot.waitUntil(lambda: active_board.UPDATING_TEXT in board_line(board, "P-200"),
                        timeout=8000)
        line = board_line(board, "P-200")
        assert "✓ no active alert" in line and "BP 130/80" in line  # as last known
        assert window.isEnabled()  # the window goes on meanwhile
    finally:
        gate.set()
    qtbot.waitUntil(lambda: "(+1 more)" in board_line(board, "P-200"), timeout=8000)
    assert active_board.UPDATING_TEXT not in board_line(board, "P-200")


def test_closing_the_window_stops_a_replay_under_way(qtbot, window, other_connection,
                                                    long_background, held_replay):
    board = window.review.board
    started, _ = held_replay
    other_connection.add_reading(long_background, reading(1, 190))
    qtbot.waitUntil(started.is_set, timeout=8000)
    window.close()
    assert not board._replayer.pending(long_background)


def test_opening_the_session_stops_its_background_replay(qtbot, window, other_connection,
                                                        long_background, held_replay):
    """The window shows the session it opens from its own engine: a board replay of it
    still under way is stopped, not left to compete with the window's own load."""
    board = window.review.board
    started, _ = held_replay
    other_connection.add_reading(long_background, reading(1, 190))
    qtbot.waitUntil(started.is_set, timeout=8000)
    window.open_session(long_background)
    assert not board._replayer.pending(long_background)
    qtbot.waitUntil(lambda: "SBP 190" in board_line(board, "P-200"), timeout=8000)
    assert active_board.UPDATING_TEXT not in board_line(board, "P-200")
