"""Every keyboard shortcut of the window, declared once (a test holds them unique and checks
each menu action uses one of these). Menus name them; README's sections list them."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

# File
NEW_SESSION = QKeySequence.StandardKey.New  # Ctrl+N
RESUME_SESSION = "Ctrl+O"
QUIT = QKeySequence.StandardKey.Quit
IMPORT = "Ctrl+I"
EXPORT = "Ctrl+Shift+X"
PDF_REPORT = "Ctrl+Shift+P"
PRINT_REPORT = QKeySequence.StandardKey.Print  # Ctrl+P
BROWSE_SESSIONS = "Ctrl+B"
OPEN_READ_ONLY = "Ctrl+Shift+O"
# Session
EDIT_DETAILS = "Ctrl+E"
NEW_READING = "Ctrl+R"
CORRECT_READING = "F2"
READING_IN_ERROR = "Shift+F2"
THRESHOLDS = "Ctrl+Shift+T"
READING_SCHEDULE = "Ctrl+Shift+D"
DISCHARGE_ASSESSMENT = "Ctrl+Shift+R"  # readiness
SEDATION_OR_EVENT = "Ctrl+Shift+E"
CLOSE_SESSION = "Ctrl+Shift+L"
AMEND_SESSION = "Ctrl+Shift+M"
PATIENT_SERIES = "Ctrl+Shift+S"
# Alerts
ACKNOWLEDGE_ALL = "F9"
PAUSE_AUDIO = "Ctrl+Shift+A"  # A for audio
ALERT_HISTORY = "Ctrl+Shift+H"
# View
ACTIVE_BOARD = "Ctrl+Shift+B"
TOGGLE_THEME = "Ctrl+T"

#: All of them, for tests and documentation.
ALL: dict[str, QKeySequence.StandardKey | str] = {
    name: value for name, value in globals().items()
    if name.isupper() and isinstance(value, str | QKeySequence.StandardKey)}


def text(shortcut: QKeySequence.StandardKey | str) -> str:
    """What a shortcut is on this platform, e.g. ``Ctrl+N`` (a QGuiApplication must exist for
    the standard ones)."""
    if isinstance(shortcut, str):
        return QKeySequence(shortcut).toString()
    bindings = QKeySequence.keyBindings(shortcut)
    return bindings[0].toString() if bindings else ""
