"""The alert banner: the worst current state, in colour, symbols and words.

For now it shows the state of the latest values against the thresholds; the alert workflow
(acknowledge, latch, audio) builds on this widget."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ..domain.thresholds import Classification, Severity
from .formatting import SEVERITY_SYMBOL
from .theme import LIGHT, Theme


class AlertBanner(QWidget):
    def __init__(self, theme: Theme = LIGHT, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("alertBanner")
        self.setAccessibleName("alertBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._theme = theme
        self.label = QLabel("No reading yet")
        self.label.setObjectName("alertText")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.label, 1)
        self.severity = Severity.NORMAL
        self.results: list[Classification] = []
        self._restyle()

    def show_states(self, results: list[Classification]) -> None:
        """Show abnormal results, worst first."""
        self.results = sorted((r for r in results if r.severity > Severity.NORMAL),
                              key=lambda r: -r.severity)
        if not self.results:
            self.severity = Severity.NORMAL
            self.label.setText("✓ Latest values within limits" if results else
                               "No reading yet")
        else:
            self.severity = self.results[0].severity
            parts = [f"{SEVERITY_SYMBOL[r.severity]} {r.message} ({r.severity.word})"
                     for r in self.results]
            self.label.setText("    ".join(parts))
        self.setAccessibleDescription(self.label.text())
        self._restyle()

    def text(self) -> str:
        return self.label.text()

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._restyle()

    def _restyle(self) -> None:
        t = self._theme
        background = t.severity[self.severity] if self.severity else t.surface
        colour = t.severity_text[self.severity] if self.severity else t.muted
        self.setStyleSheet(
            f"QWidget#alertBanner {{ background: {background}; border-radius: 4px; }}"
            f"QLabel#alertText {{ color: {colour}; font-size: 15pt; font-weight: 600; }}"
        )
