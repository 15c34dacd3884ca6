"""The initials last used at this workstation, offered again in every form that asks for
them (a nurse signs a dozen things an hour). Kept in the user's settings; only initials the
one initials rule accepts are remembered, and a field already filled is left alone."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit

from monitor.domain.readings import initials_errors
from monitor.ui.settings_keys import LAST_INITIALS


def last_initials() -> str:
    """The initials last signed with here, or ''."""
    return LAST_INITIALS.read()


def remember_initials(by: str) -> None:
    """Remember ``by`` after something signed with it was saved."""
    if not initials_errors(by):
        LAST_INITIALS.write(by.strip().upper())


def prefill(edit: QLineEdit) -> None:
    """Offer the last initials in an empty field, selected, so typing replaces them."""
    if not edit.text():
        edit.setText(last_initials())
        edit.selectAll()
