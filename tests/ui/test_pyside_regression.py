"""PySide6 6.12.0 on Python 3.11 drops a reference to None on every void method call,
which crashes pyqtgraph's threshold lines after a few seconds (../shared/NOTES.md).
This fails if an upgrade brings that bug back."""

from __future__ import annotations

import sys

from PySide6.QtCore import QRectF


def test_void_method_calls_do_not_leak_references_to_none():
    rect = QRectF(0, 0, 1, 1)
    before = sys.getrefcount(None)
    for _ in range(1000):
        rect.setRight(5.0)
    # A few references may come and go with the interpreter; 1000 calls losing one each
    # is the bug.
    assert abs(sys.getrefcount(None) - before) < 50
