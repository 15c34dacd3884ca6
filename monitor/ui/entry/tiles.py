"""Big latest-value tiles, readable from two metres: value, unit, state in colour AND words.

As on a bedside monitor each parameter keeps one colour (its numerals, and its curve on the
chart); an alarm turns the whole tile to the alarm colour, with the state in words."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QWidget

from monitor.domain.readings import Reading
from monitor.domain.thresholds import Classification, Severity, ThresholdProfile, classify, worst
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.ui.formatting import fmt_time, fmt_value, state_text
from monitor.ui.theme import LIGHT, Theme

#: Numeral height in pixels for a window of a given height: large enough to read from two
#: metres on a 720-line screen, larger where the screen allows.
NUMERAL_PX_MIN, NUMERAL_PX_MAX = 40, 76


def numeral_px(window_height: int) -> int:
    """The tile numeral size for a window ``window_height`` pixels tall."""
    return max(NUMERAL_PX_MIN, min(NUMERAL_PX_MAX, window_height // 15))


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
        self.detail.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.unit.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        layout = QGridLayout(self)
        layout.setContentsMargins(10, 4, 10, 6)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(0)
        # When (and MAP) beside the title, so a long state ("▲ CRITICAL high") never
        # wraps the tile taller.
        title_row = QHBoxLayout()
        title_row.setSpacing(10)
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.detail)
        layout.addLayout(title_row, 0, 0, 1, 2)
        layout.addWidget(self.value, 1, 0)
        layout.addWidget(self.unit, 1, 1)
        layout.addWidget(self.state, 2, 0, 1, 2)
        layout.setColumnStretch(1, 1)
        self.value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.numeral_px = NUMERAL_PX_MIN
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
        """Colours for the current state in ``theme``: the parameter's own colour while
        normal (or without a reading), the alarm colour as background otherwise."""
        own = theme.series[Vital.MAP if Vital.MAP in self.vitals else self.vitals[0]]
        alarm = self.result is not None and self.severity is not Severity.NORMAL
        background = theme.severity[self.severity] if alarm else theme.surface
        foreground = theme.severity_text[self.severity] if alarm else theme.text
        numerals = foreground if alarm else (own if self.result else theme.muted)
        state = theme.severity_text[Severity.NORMAL] if self.result and not alarm else foreground
        border = foreground if alarm else own
        self.setStyleSheet(
            f"QFrame#{self.objectName()} {{ background: {background}; border-radius: 6px;"
            f" border: 1px solid {theme.grid}; border-left: 6px solid {border}; }}"
            f"QLabel {{ color: {foreground}; background: transparent; font-size: 11pt; }}"
            f"QLabel#tileValue {{ color: {numerals}; font-size: {self.numeral_px}px;"
            f" font-weight: 700; }}"
            f"QLabel#tileState {{ color: {state}; font-size: 13pt; font-weight: 700; }}"
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
            # One row: the numbers stay in sight whatever the chart below does.
            grid.addWidget(tile, 0, index)
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

    def fit_to(self, window_height: int) -> None:
        """Size the numerals for a window ``window_height`` pixels tall."""
        size = numeral_px(window_height)
        for tile in self.tiles.values():
            if tile.numeral_px != size:
                tile.numeral_px = size
                tile.restyle(self._theme)
