"""The frame shared by the dialogs that chart something with the nurse's initials: an
initials field, an error line that names each field, and Save / Cancel. Saving runs the
controller's action; a refusal or a disk error keeps the dialog open with what was typed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QWidget

from monitor.domain.errors import ValidationFailed
from monitor.store import StoreError
from monitor.ui.entry.tab_leaves import tab_leaves_date_fields
from monitor.ui.theme import error_label
from monitor.ui.wheel_guard import guard_choices


class ChartingDialog(QDialog):
    """Subclasses lay out ``initials``, ``errors`` and ``buttons`` and implement
    ``try_accept`` with :meth:`run`. Object names start with ``prefix`` for tests and
    accessibility (``timelineInitials``, ``timelineErrors``, ``timelineSave``)."""

    def __init__(self, title: str, prefix: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName(f"{prefix}Dialog")
        self.initials = QLineEdit()
        self.initials.setObjectName(f"{prefix}Initials")
        self.initials.setMaxLength(6)
        self.initials.setPlaceholderText("e.g. JM")
        self.errors = error_label(f"{prefix}Errors")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setObjectName(f"{prefix}Save")
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt)
        guard_choices(self)  # built by the subclass by now
        tab_leaves_date_fields(self)  # initials typed after Tab never go into a date
        super().showEvent(event)

    def try_accept(self) -> None:
        raise NotImplementedError

    def run(self, action: Callable[[], object]) -> None:
        """Run ``action``; close on success, else show why and stay open."""
        try:
            action()
        except ValidationFailed as failure:
            self.errors.setText("\n".join(str(e) for e in failure.errors))
            return
        except StoreError as failure:
            self.errors.setText(f"NOT SAVED: {failure}")
            return
        self.accept()
