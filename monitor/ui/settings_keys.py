"""Every setting the window keeps in the user's settings, declared once: its key, type,
default and what it is for (as qutebrowser's configdata does). Code reads and writes them
only through these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings

from monitor.io.export_data import DEFAULT_PATIENT_ID_SYSTEM
from monitor.paths import APP_DIR_NAME


@dataclass(frozen=True)
class Setting:
    """One setting: ``key`` in the settings file, its type and default, and why."""

    key: str
    kind: type
    default: Any
    description: str

    def read(self, settings: QSettings | None = None) -> Any:
        """The stored value, or the default when missing or unreadable."""
        store = settings if settings is not None else user_settings()
        value = store.value(self.key, self.default)
        try:
            return self.kind(value) if value is not None else self.default
        except (TypeError, ValueError):
            return self.default

    def write(self, value: Any, settings: QSettings | None = None) -> None:
        (settings if settings is not None else user_settings()).setValue(self.key, value)


def user_settings() -> QSettings:
    """The settings of this user on this workstation."""
    return QSettings(APP_DIR_NAME, "monitor")


THEME = Setting("theme", str, "light", "light or dark (night) theme; View > Toggle theme")
BACKUP_FOLDER = Setting("backup/folder", str, "",
                        "where backups go (empty: backups/ beside the database)")
BACKUP_KEEP = Setting("backup/keep", int, 14, "how many backups to keep")
LAST_INITIALS = Setting("workstation/last_initials", str, "",
                        "the initials last signed with here, offered in every form")
WINDOW_GEOMETRY = Setting("window/geometry", str, "",
                          "the main window's size and place when it was last closed, "
                          "base64 (empty: start maximised)")
FHIR_PATIENT_ID_SYSTEM = Setting(
    "export/fhir_patient_id_system", str, DEFAULT_PATIENT_ID_SYSTEM,
    "the system of the Patient identifier in FHIR exports (the site's MRN system URI)")

#: All of them, for documentation and tests.
SETTINGS: tuple[Setting, ...] = (THEME, BACKUP_FOLDER, BACKUP_KEEP, LAST_INITIALS,
                                 WINDOW_GEOMETRY, FHIR_PATIENT_ID_SYSTEM)
