"""A QApplication to draw in when no window is running (``python main.py export`` as png,
svg or pdf): on Qt's offscreen platform when there is no display at all."""

from __future__ import annotations

import os
import sys

from PySide6.QtWidgets import QApplication

from monitor.paths import APP_DIR_NAME


def drawing_application() -> QApplication:
    """The running QApplication, or a new one. Without a display (no ``DISPLAY`` or
    ``WAYLAND_DISPLAY``) it uses the offscreen platform; an explicit ``QT_QPA_PLATFORM`` is
    kept."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        # Read when the QApplication is created, so it must be set before.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication(sys.argv[:1] or ["main.py"])
    app.setApplicationName(APP_DIR_NAME)
    app.setOrganizationName(APP_DIR_NAME)
    return app
