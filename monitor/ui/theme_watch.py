"""Let a feature's widgets follow the window's theme without the window knowing them.

MainWindow.apply_theme sets the application palette; the palette change reaches every
widget, and by then ``window.theme`` is the new theme."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from monitor.ui.theme import Theme

_PALETTE_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


class ThemeWatcher(QObject):
    """Calls ``apply(theme_source())`` once after each palette change of ``widget``."""

    def __init__(self, widget: QWidget, theme_source: Callable[[], Theme],
                 apply: Callable[[Theme], None]):
        super().__init__(widget)
        self._source = theme_source
        self._apply = apply
        self._pending = False
        self._applied = theme_source()
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Style sheets change palettes too (the apply may set one): only a new theme counts,
        # else restyling would answer its own palette change for ever.
        if (event.type() in _PALETTE_EVENTS and not self._pending
                and self._source() is not self._applied):
            # One theme switch arrives as several events; answer them once, after the
            # window has finished switching.
            self._pending = True
            QTimer.singleShot(0, self._refresh)
        return super().eventFilter(watched, event)

    def _refresh(self) -> None:
        self._pending = False
        self._applied = self._source()
        self._apply(self._applied)
