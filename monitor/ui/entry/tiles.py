"""Big latest-value tiles, readable from two metres: value, unit, state in colour AND words."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from monitor.domain.readings import Reading
from monitor.domain.thresholds import Classification, Severity, ThresholdProfile, classify, worst
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.ui.formatting import fmt_time, fmt_value, state_text
from monitor.ui.theme import LIGHT, Theme


class VitalTile(QFrame):
    """One tile. BP shows systolic/diastolic with MAP beneath."""

    def __init__(self, title: str, vitals: tuple[Vital, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.vitals = vitals
        self.setObjectName(f"tile_{vitals[0].value}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(title)
        self.value = QLabel("—")
        self.value.setObjectName("tileValue")
        self.unit = QLabel(VITAL_SPECS[vitals[0]].unit)
        self.state = QLabel("no reading")
        self.state.setObjectName("tileState")
        self.detail = QLabel("")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(0)
        for widget in (self.title, self.value, self.unit, self.state, self.detail):
            layout.addWidget(widget)
        self.value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.severity = Severity.NORMAL
        self.result: Classification | None = None

    def show_reading(self, values: dict[Vital, float], taken_at: datetime | None,
                     results: dict[Vital, Classification], theme: Theme) -> None:
        """Display the latest values and their worst state."""
        shown = [v for v in self.vitals if v in values and v is not Vital.MAP]
        if not shown:
            self.value.setText("—")
            self.state.setText("no reading")
            self.detail.setText("")
            self.result = None
            self.severity = Severity.NORMAL
        else:
            self.value.setText("/".join(fmt_value(values[v]) for v in shown))
            relevant = {v: results[v] for v in shown if v in results}
            self.result = worst(relevant)
            self.severity = self.result.severity if self.result else Severity.NORMAL
            self.state.setText(state_text(self.result))
            extra = f"MAP {fmt_value(values[Vital.MAP])}  " if (
                Vital.MAP in self.vitals and Vital.MAP in values) else ""
            self.detail.setText(f"{extra}at {fmt_time(taken_at)}")
        self.setAccessibleDescription(f"{self.title.text()} {self.value.text()} "
                                      f"{self.unit.text()}, {self.state.text()}")
        self.restyle(theme)

    def restyle(self, theme: Theme) -> None:
        background = theme.severity[self.severity] if self.result else theme.surface
        foreground = theme.severity_text[self.severity] if self.result else theme.muted
        self.setStyleSheet(
            f"QFrame#{self.objectName()} {{ background: {background}; border-radius: 6px;"
            f" border: 1px solid {theme.grid}; }}"
            f"QLabel {{ color: {foreground}; background: transparent; font-size: 13pt; }}"
            f"QLabel#tileValue {{ font-size: 34pt; font-weight: 600; }}"
            f"QLabel#tileState {{ font-size: 14pt; font-weight: 600; }}"
        )


class LatestValuesPanel(QWidget):
    """The latest value of each vital, each in its own tile."""

    TILES = (
        ("Blood pressure", (Vital.SBP, Vital.DBP, Vital.MAP)),
        ("Heart rate", (Vital.HR,)),
        ("Respiratory rate", (Vital.RR,)),
        ("SpO2", (Vital.SPO2,)),
    )

    def __init__(self, theme: Theme = LIGHT, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("latestValues")
        self.setAccessibleName("latestValues")
        self._theme = theme
        self.tiles: dict[Vital, VitalTile] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for index, (title, vitals) in enumerate(self.TILES):
            tile = VitalTile(title, vitals)
            grid.addWidget(tile, index // 2, index % 2)
            self.tiles[vitals[0]] = tile

    def tile(self, vital: Vital) -> VitalTile:
        """The tile showing ``vital`` (DBP and MAP share the blood-pressure tile)."""
        if vital in (Vital.DBP, Vital.MAP):
            vital = Vital.SBP
        return self.tiles[vital]

    def show_latest(self, readings: list[Reading], profile: ThresholdProfile,
                    baseline: dict[Vital, float]) -> None:
        """Each tile shows the newest current reading that has its vital."""
        for tile in self.tiles.values():
            latest = next((r for r in reversed(readings)
                           if r.is_current and tile.vitals[0] in r.values), None)
            values = dict(latest.values) if latest else {}
            results = {v: classify(profile, v, x, baseline) for v, x in values.items()}
            tile.show_reading(values, latest.taken_at if latest else None, results, self._theme)

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        for tile in self.tiles.values():
            tile.restyle(theme)
