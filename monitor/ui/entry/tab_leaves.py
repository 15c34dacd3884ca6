"""Tab leaves a date or time field: it moves to the next field, Shift+Tab to the previous one.

Qt's date/time boxes use Tab to walk their own sections (day, month, year, hour, minute), so
initials typed after Tab in the event dialog went into the date instead of the initials
field. A nurse moves between sections with the arrow keys or by clicking; Tab means "next
field" everywhere else in the app, so it does here too."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDateTimeEdit, QWidget

from monitor.ui.filters import install_on

#: Ctrl+Tab / Alt+Tab mean something else (switching tabs or windows): left to Qt.
_OTHER_MEANING = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


class TabLeaves(QObject):
    """The event filter of each date/time field; see the module docstring."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if (event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent)
                or not isinstance(watched, QWidget)
                or event.key() not in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
                or event.modifiers() & _OTHER_MEANING):
            return False
        forward = (event.key() == Qt.Key.Key_Tab
                   and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        # QWidget's own focus chain, not QDateTimeEdit's override that walks the sections.
        QWidget.focusNextPrevChild(watched, forward)
        return True


def tab_leaves_date_fields(root: QWidget) -> None:
    """Make Tab leave every date, time and date-time field under ``root`` (a dialog, once
    built). QTimeEdit and QDateEdit are QDateTimeEdits, so they are covered too."""
    install_on(root, (QDateTimeEdit,), TabLeaves, "tabLeaves")
