"""Open a modal dialog by its shortcut and act on it, never leaving it open on failure."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from .conftest import when_modal

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def run_dialog(qtbot, window: QWidget, key: Qt.Key, act: Callable[[QWidget], None]) -> None:
    """Press Ctrl+Shift+``key`` in ``window`` and run ``act`` on the dialog it opens; a
    failing ``act`` still closes the dialog so the test reports instead of hanging."""
    def guarded(dialog: QWidget) -> None:
        try:
            act(dialog)
        finally:
            if dialog.isVisible():
                dialog.reject()

    when_modal(qtbot, guarded)
    qtbot.keyClick(window, key, CTRL_SHIFT)
