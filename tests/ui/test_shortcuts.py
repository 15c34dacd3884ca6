"""Every shortcut is declared once, no two do the same key, and the window's menus use
exactly the declared ones."""

from __future__ import annotations

from PySide6.QtGui import QAction, QShortcut

from monitor.ui import shortcuts


def test_declared_shortcuts_are_unique(qapp):  # standard keys need a running app
    texts = [t for t in (shortcuts.text(s) for s in shortcuts.ALL.values()) if t]
    assert len(texts) == len(set(texts)), sorted(texts)
    assert {"Ctrl+N", "F2", "Shift+F2", "F9", "Ctrl+Shift+T"} <= set(texts)


def test_the_window_uses_each_declared_shortcut_once_and_no_other(window):
    used = [a.shortcut().toString() for a in window.findChildren(QAction)
            if not a.shortcut().isEmpty()]
    used += [s.key().toString() for s in window.findChildren(QShortcut)
             if not s.key().isEmpty()]
    # A standard key this platform has no binding for says ''.
    declared = {shortcuts.text(s) for s in shortcuts.ALL.values()} - {""}
    assert len(used) == len(set(used)), sorted(used)
    assert set(used) <= declared, sorted(set(used) - declared)
    assert declared - set(used) == set(), sorted(declared - set(used))
