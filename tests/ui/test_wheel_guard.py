"""Scrolling past a choice never changes it: only a focused combo or spin box takes the
mouse wheel."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox


def wheel(widget, steps: int = -1) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_an_unfocused_o2_combo_changes_nothing(qtbot, window):
    oxygen = window.findChild(QComboBox, "oxygenInput")
    before = oxygen.currentIndex()
    assert not oxygen.hasFocus()  # the nurse is typing in systolic
    wheel(oxygen)
    wheel(oxygen, steps=1)
    assert oxygen.currentIndex() == before

    oxygen.setFocus()
    qtbot.waitUntil(oxygen.hasFocus)
    wheel(oxygen)  # chosen on purpose: it may change now
    assert oxygen.currentIndex() != before


def test_a_dialog_guards_its_choices_too(qtbot, window):
    from monitor.ui.entry.timeline_dialog import TimelineDialog

    dialog = TimelineDialog(window.alerts.add_timeline_entry, window.controller.clock, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    choice = dialog.findChild(QComboBox, "timelineChoice")
    dialog.findChild(QComboBox, "timelineKind").setFocus()
    before = choice.currentIndex()
    wheel(choice)
    assert choice.currentIndex() == before
    dialog.reject()
