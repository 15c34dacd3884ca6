"""Ctrl+T repaints everything at once: header text, the board, panel titles and the
countdown follow the new theme (they stayed in the old one until a restart)."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from monitor.ui.theme import DARK, LIGHT, Theme, ThemeName


def colours(widget: QWidget) -> Counter[str]:
    """How many pixels of each colour ``widget`` shows now."""
    image = widget.grab().toImage()
    return Counter(image.pixelColor(x, y).name()
                   for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))


def label(window, text: str) -> QLabel:
    return next(w for w in window.findChildren(QLabel) if w.text() == text)


def shows_text_of(widget: QWidget, theme: Theme, other: Theme) -> bool:
    seen = colours(widget)
    return seen[theme.text] > 0 and seen[other.text] == 0


@pytest.mark.parametrize("start", [ThemeName.LIGHT, ThemeName.DARK])
def test_ctrl_t_repaints_header_board_titles_and_countdown(qtbot, window, start):
    window.apply_theme(start)
    before, after = (LIGHT, DARK) if start is ThemeName.LIGHT else (DARK, LIGHT)
    watched = {
        "header": window.header.patient,
        "discharge title": label(window, "Discharge readiness"),
        "events title": label(window, "Sedation and events"),
        "countdown title": label(window, "Reading schedule"),
    }
    for name, widget in watched.items():
        assert shows_text_of(widget, before, after), f"{name} before the switch"

    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()

    assert window.theme is after
    for name, widget in watched.items():
        assert shows_text_of(widget, after, before), f"{name} kept the old theme"
    board = window.findChild(QWidget, "activeBoardList")
    background, _count = colours(board.viewport()).most_common(1)[0]
    assert background == after.surface
