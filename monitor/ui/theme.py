"""Light and dark themes: one palette for widgets, one set of colours for the chart.

Recovery rooms are dimmed at night, so the dark theme keeps large areas dark and uses
saturated colours only for state. State is never shown by colour alone: tiles, table
and banner also carry words and symbols."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from monitor.domain.thresholds import Severity
from monitor.domain.vitals import Vital


class ThemeName(StrEnum):
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True)
class Theme:
    name: ThemeName
    window: str
    surface: str
    text: str
    muted: str
    grid: str
    caution_band: tuple[int, int, int, int]  # RGBA for shaded bands
    critical_band: tuple[int, int, int, int]
    severity: dict[Severity, str]
    severity_text: dict[Severity, str]  # text colour on the severity background
    series: dict[Vital, str]


LIGHT = Theme(
    name=ThemeName.LIGHT,
    window="#f4f5f7",
    surface="#ffffff",
    text="#111418",
    muted="#5b6470",
    grid="#d5d9df",
    caution_band=(245, 176, 0, 60),
    critical_band=(214, 38, 38, 55),
    severity={Severity.NORMAL: "#e8f3ea", Severity.CAUTION: "#ffd54a",
              Severity.CRITICAL: "#c62828"},
    severity_text={Severity.NORMAL: "#14532d", Severity.CAUTION: "#3a2a00",
                   Severity.CRITICAL: "#ffffff"},
    series={Vital.SBP: "#c62828", Vital.DBP: "#1565c0", Vital.MAP: "#6a1b9a",
            Vital.HR: "#2e7d32", Vital.RR: "#ef6c00", Vital.SPO2: "#00838f"},
)

DARK = Theme(
    name=ThemeName.DARK,
    window="#0e1116",
    surface="#161b22",
    text="#e6e9ee",
    muted="#9aa4b2",
    grid="#2b323c",
    caution_band=(245, 176, 0, 48),
    critical_band=(255, 82, 82, 60),
    severity={Severity.NORMAL: "#1b2a1f", Severity.CAUTION: "#c99700",
              Severity.CRITICAL: "#d32f2f"},
    severity_text={Severity.NORMAL: "#a5d6a7", Severity.CAUTION: "#111111",
                   Severity.CRITICAL: "#ffffff"},
    series={Vital.SBP: "#ff6b6b", Vital.DBP: "#64b5f6", Vital.MAP: "#ce93d8",
            Vital.HR: "#81c784", Vital.RR: "#ffb74d", Vital.SPO2: "#4dd0e1"},
)

THEMES = {ThemeName.LIGHT: LIGHT, ThemeName.DARK: DARK}


def apply_palette(app: QApplication, theme: Theme) -> None:
    """Set the Fusion style and a palette for ``theme`` on the whole application."""
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.surface,
        QPalette.ColorRole.AlternateBase: theme.window,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.surface,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.ToolTipBase: theme.surface,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Highlight: "#1976d2",
        QPalette.ColorRole.HighlightedText: "#ffffff",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(theme.muted))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText,
                     QColor(theme.muted))
    app.setPalette(palette)
    repolish_styled(app)


def repolish_styled(app: QApplication) -> None:
    """Re-apply every widget's own style sheet. A widget with a style sheet keeps the
    palette it was polished with, so without this the header, the board and panel titles
    stayed in the old theme (dark text on a dark window) until a restart."""
    for top in app.topLevelWidgets():
        for widget in (top, *top.findChildren(QWidget)):
            sheet = widget.styleSheet()
            if sheet:
                widget.setStyleSheet(sheet)


#: How a message about bad input reads, in every form and dialog (red in both themes).
ERROR_STYLE = "color: #d32f2f; font-weight: 600;"


def error_label(object_name: str) -> QLabel:
    """An empty, word-wrapped label for what is wrong with a form's input."""
    label = QLabel("")
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    return label
