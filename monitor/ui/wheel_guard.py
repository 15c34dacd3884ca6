"""The mouse wheel never changes a choice the nurse did not pick: a combo box or spin box
that does not have the keyboard focus ignores it (scrolling past the O2 combo once set
"on oxygen" and added 2 NEWS2 points). Click or Tab into one first to wheel through it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget


class WheelGuard(QObject):
    """The event filter of each guarded box; see the module docstring."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if (event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget)
                and not watched.hasFocus()):
            event.ignore()
            return True
        return False


def guard_choices(root: QWidget) -> None:
    """Guard every combo and spin box under ``root`` (a window or dialog, once built).
    Installed per widget, not on the application: an application-wide filter is called for
    every event of every object, which made the window a quarter slower."""
    guard = _guard()
    for widget in root.findChildren(QComboBox) + root.findChildren(QAbstractSpinBox):
        if not widget.property("wheelGuarded"):
            widget.installEventFilter(guard)
            widget.setProperty("wheelGuarded", True)


def _guard() -> WheelGuard:
    app = QApplication.instance()
    guard = getattr(app, "_wheel_guard", None)
    if guard is None:
        guard = WheelGuard(app)
        app._wheel_guard = guard  # type: ignore[union-attr]
    return guard
