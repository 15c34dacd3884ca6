"""One full-width strip under the alert banner shared by the score widgets (NEWS2,
discharge readiness, sedation and events), side by side: the side column is already full
of tiles, the entry form and the schedule, and a single row costs the chart little."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QWidget

STRIP_NAME = "scoresStrip"


def scores_strip(window: Any) -> QHBoxLayout:
    """The strip's layout, created and placed under the banner on first use."""
    strip = window.findChild(QWidget, STRIP_NAME)
    if strip is None:
        strip = QWidget()
        strip.setObjectName(STRIP_NAME)
        layout = QHBoxLayout(strip)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(6)
        window.add_strip(strip)
    layout = strip.layout()
    assert isinstance(layout, QHBoxLayout)
    return layout
