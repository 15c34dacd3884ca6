"""The mouse wheel never changes a choice the nurse did not pick: a combo box or spin box
that does not have the keyboard focus ignores it (scrolling past the O2 combo once set
"on oxygen" and added 2 NEWS2 points). Click or Tab into one first to wheel through it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget


class WheelGuard(QObject):
    """An application-wide event filter; see the module docstring."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget):
            target = _choice(watched)
            if target is not None and not target.hasFocus():
                event.ignore()
                return True
        return False


def _choice(widget: QWidget) -> QWidget | None:
    """The combo or spin box ``widget`` is (or is part of: its line edit, its view)."""
    for candidate in (widget, widget.parentWidget()):
        if isinstance(candidate, QComboBox | QAbstractSpinBox):
            return candidate
    return None


def install_wheel_guard(app: QApplication) -> None:
    """Install the guard on ``app`` once."""
    if getattr(app, "_wheel_guard", None) is None:
        guard = WheelGuard(app)
        app.installEventFilter(guard)
        app._wheel_guard = guard  # type: ignore[attr-defined]
