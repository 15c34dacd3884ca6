"""The mouse wheel never changes a choice the nurse did not pick: a combo box or spin box
that does not have the keyboard focus ignores it (scrolling past the O2 combo once set
"on oxygen" and added 2 NEWS2 points). Click or Tab into one first to wheel through it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget

from monitor.ui.filters import install_on


class WheelGuard(QObject):
    """The event filter of each guarded box; see the module docstring."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if (event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget)
                and not watched.hasFocus()):
            event.ignore()
            return True
        return False


def guard_choices(root: QWidget) -> None:
    """Guard every combo and spin box under ``root`` (a window or dialog, once built)."""
    install_on(root, (QComboBox, QAbstractSpinBox), WheelGuard, "wheelGuarded")
