"""The active-sessions board refreshes once for a burst of changes (opening a session
asks three or four times) and shows the open session from the window's own readings and
alerts, never by reading that session's rows again."""

# ruff: noqa: F811 (the background fixture is imported, and tests take it by name)
from __future__ import annotations

from PySide6.QtWidgets import QApplication

from .test_active_board import background, board_line, reading  # noqa: F401 (a fixture)


def line(board, patient_id: str) -> str:
    return board_line(board, patient_id)


def settle() -> None:
    """Let every zero-timer that is due fire."""
    for _ in range(3):
        QApplication.processEvents()


def test_opening_a_session_refreshes_the_board_once(qtbot, window, background):
    board = window.review.board
    settle()
    before = board.refresh_count
    window.open_session(background)
    qtbot.waitUntil(lambda: board.refresh_count > before)
    settle()
    assert board.refresh_count == before + 1
    assert line(board, "P-200").startswith("▶ ")
    assert not line(board, "P-100").startswith("▶ ")


def test_a_burst_of_saves_refreshes_the_board_once(qtbot, window):
    board = window.review.board
    settle()
    before = board.refresh_count
    for minutes_ago, sbp in ((3, 130), (2, 140), (1, 186)):
        window.controller.save_reading(reading(minutes_ago, sbp))
    qtbot.waitUntil(lambda: board.refresh_count > before)
    settle()
    assert board.refresh_count == before + 1
    assert "*** SBP 186 > 180" in line(board, "P-100")
    assert "BP 186/80" in line(board, "P-100")


def test_the_open_session_is_never_read_again_for_the_board(qtbot, window, monkeypatch,
                                                           other_connection):
    board = window.review.board
    store = window.controller.store
    open_id = window.controller.session.id
    read: list[int] = []
    real = store.readings
    monkeypatch.setattr(store, "readings", lambda sid: read.append(sid) or real(sid))
    window.controller.save_reading(reading(2, 150))
    other_connection.add_reading(open_id, reading(1, 187))  # another workstation
    board.refresh()  # the window takes in the other workstation's reading first
    assert "*** SBP 187 > 180" in line(board, "P-100")
    assert open_id not in read


def test_a_mark_elsewhere_clears_a_background_alert_on_the_board(qtbot, window, background,
                                                                 other_connection):
    board = window.review.board
    other_connection.add_reading(background, reading(5, 190))
    board.refresh()
    assert "SBP 190" in line(board, "P-200")
    critical = other_connection.readings(background)[-1]
    other_connection.mark_entered_in_error(critical.id, "AB", "Artefact")
    qtbot.waitUntil(lambda: "SBP 190" not in line(board, "P-200"), timeout=8000)
