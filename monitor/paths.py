"""Where the app keeps its data (platform-appropriate user data folder)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_DIR_NAME = "InfusionRecoveryMonitor"


def data_dir() -> Path:
    """e.g. ~/.local/share/InfusionRecoveryMonitor on Linux,
    ~/Library/Application Support/InfusionRecoveryMonitor on macOS,
    %LOCALAPPDATA%\\InfusionRecoveryMonitor on Windows."""
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))


def default_db_path() -> Path:
    """The embedded default database."""
    return data_dir() / "monitor.sqlite"


def demo_db_path() -> Path:
    """The throw-away database ``--demo`` uses, so demo patients never mix with real ones."""
    return data_dir() / "demo.sqlite"
