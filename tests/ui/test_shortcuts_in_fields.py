"""A shortcut pressed while the nurse is typing in the entry form never types into a field:
not the one with the focus, not another one (a shortcut that moves the focus must not carry
its key into the field it lands in). And no shortcut is a key a field would type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QLineEdit

from monitor.domain.vitals import Vital
from monitor.ui import shortcuts

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
#: A half-typed reading: what a nurse has in the form when a shortcut is pressed.
TYPED = {"sbpInput": "132", "dbpInput": "84", "hrInput": "88", "rrInput": "14",
         "spo2Input": "97", "timeInput": "09:25", "initialsInput": "JM"}
TYPING = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier,
          Qt.KeyboardModifier.KeypadModifier)


def declared() -> list[tuple[str, QKeySequence]]:
    """Each declared shortcut as the key sequence this platform binds it to."""
    keys = [(name, QKeySequence(shortcuts.text(value))) for name, value in shortcuts.ALL.items()]
    return [(name, key) for name, key in keys if not key.isEmpty()]


def form_texts(window) -> dict[str, str]:
    return {edit.objectName(): edit.text() for edit in window.entry.findChildren(QLineEdit)
            if edit.objectName()}


def fill_form(qtbot, window) -> None:
    window.controller.clock = lambda: NOW  # the time field never follows a moving clock
    for name, text in TYPED.items():
        edit = window.findChild(QLineEdit, name)
        edit.clear()
        qtbot.keyClicks(edit, text)


def test_no_shortcut_is_a_key_a_text_field_types(qapp):
    typed = [name for name, key in declared()
             if key[0].keyboardModifiers() in TYPING and Qt.Key.Key_Space <= key[0].key()
             <= Qt.Key.Key_AsciiTilde]
    assert typed == []


def test_shortcuts_pressed_in_any_entry_field_reach_their_action_and_type_nothing(
        qtbot, window):
    # What each shortcut opens is tested elsewhere; here each only says it fired, so no
    # modal dialog opens (and no Quit closes the window) under the key presses.
    fired: list[str] = []

    def record(key: str) -> Callable[..., None]:
        return lambda *_: fired.append(key)

    for action in window.findChildren(QAction):
        if not action.shortcut().isEmpty():
            action.triggered.disconnect()
            action.triggered.connect(record(action.shortcut().toString()))
    for shortcut in window.findChildren(QShortcut):
        if not shortcut.key().isEmpty():
            shortcut.activated.disconnect()
            shortcut.activated.connect(record(shortcut.key().toString()))
    enabled = {a.shortcut().toString() for a in window.findChildren(QAction)
               if a.isEnabled() and not a.shortcut().isEmpty()}
    fill_form(qtbot, window)
    before = form_texts(window)
    assert {k: before[k] for k in TYPED} == TYPED

    for field in TYPED:
        for name, key in declared():
            edit = window.findChild(QLineEdit, field)
            edit.setFocus(Qt.FocusReason.TabFocusReason)
            qtbot.waitUntil(edit.hasFocus)
            fired.clear()
            qtbot.keyClick(edit, key[0].key(), key[0].keyboardModifiers())

            assert form_texts(window) == before, (name, field)
            if key.toString() in enabled:
                assert fired == [key.toString()], (name, field)


def test_new_reading_moves_to_systolic_without_typing_its_key_there(qtbot, window):
    # The real action: the one shortcut that moves the focus into a field.
    fill_form(qtbot, window)
    before = form_texts(window)
    initials = window.findChild(QLineEdit, "initialsInput")
    initials.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(initials.hasFocus)
    key = QKeySequence(shortcuts.NEW_READING)[0]

    qtbot.keyClick(initials, key.key(), key.keyboardModifiers())

    assert QApplication.focusWidget() is window.entry.inputs[Vital.SBP]
    assert form_texts(window) == before
    qtbot.keyClicks(QApplication.focusWidget(), "118")  # typed over, as after Tab
    assert window.entry.inputs[Vital.SBP].text() == "118"
