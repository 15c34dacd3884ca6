"""Where the window opens: where the user last left it on this workstation, or maximised.

A recovery-room workstation is the app's own screen, so the first start fills it;"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

from monitor.ui.settings_keys import WINDOW_GEOMETRY

#: The smallest screen the layout is made for (header, banner, tiles, entry and a chart
#: without scrolling); see tests/ui/test_one_screen.py.
SMALLEST_SCREEN = (1280, 720)


def show_placed(window: QMainWindow, settings: QSettings) -> None:
    """Show ``window`` at its remembered geometry, else maximised. Qt's restoreGeometry
    already moves a geometry saved on a screen since unplugged, or larger than this one,
    back onto the screen."""
    saved = WINDOW_GEOMETRY.read(settings)
    # A settings file edited by hand or cut short may hold anything: it only loses the
    # remembered place, never the start (non-ASCII text once raised here).
    if saved and saved.isascii() and window.restoreGeometry(
            QByteArray.fromBase64(saved.encode("ascii"))):
        window.show()
        return
    screen = window.screen()
    if screen is not None:  # without a window manager "maximised" alone changes nothing
        window.setGeometry(screen.availableGeometry())
    window.showMaximized()


def remember_geometry(window: QMainWindow, settings: QSettings) -> None:
    """Keep the window's geometry (and whether it was maximised) for the next start."""
    WINDOW_GEOMETRY.write(window.saveGeometry().toBase64().data().decode("ascii"), settings)
