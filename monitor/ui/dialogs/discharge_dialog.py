"""The discharge-readiness assessment: choose modified Aldrete or PADSS, enter what you
observe; the items that come from the chart are computed against the baseline and shown
read-only with their basis. The total and whether the criteria are met update as you go."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.charted_scores import OBSERVED_ITEMS, DischargeAssessment, DischargeKind
from monitor.domain.scores import ScoreItem
from monitor.ui.entry.charting_dialog import ChartingDialog
from monitor.ui.initials_memory import prefill

if TYPE_CHECKING:
    from monitor.ui.dialogs.discharge_panel import DischargeController

NOT_ASSESSED = "— not assessed —"
YES_NO: tuple[tuple[str, bool | None], ...] = (("not recorded", None), ("Yes", True),
                                               ("No", False))
AIR_OXYGEN: tuple[tuple[str, bool | None], ...] = (("not recorded", None), ("Air", False),
                                                   ("On oxygen", True))


def _combo(name: str, choices: tuple[tuple[str, object], ...]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for text, value in choices:
        combo.addItem(text, value)
    return combo


class _ScorePage(QWidget):
    """The items of one score: observed ones as choices, computed ones read-only."""

    def __init__(self, kind: DischargeKind):
        super().__init__()
        self.kind = kind
        self.form = QFormLayout(self)
        self.observed: dict[str, QComboBox] = {}
        for field, (label, choices) in OBSERVED_ITEMS[kind].items():
            combo = _combo(f"{kind.value}_{field}", ((NOT_ASSESSED, None), *(
                (f"{int(c)}  {c.label}", c) for c in choices)))
            self.observed[field] = combo
            self.form.addRow(label, combo)
        self.extra = (_combo("aldrete_oxygen", AIR_OXYGEN) if kind is DischargeKind.ALDRETE
                      else _combo("padss_escort", YES_NO))
        self.form.addRow("Air or oxygen now" if kind is DischargeKind.ALDRETE
                         else "Escort present", self.extra)
        self.computed: dict[str, QLabel] = {}

    def choices(self) -> dict[str, ScoreItem | None]:
        return {field: combo.currentData() for field, combo in self.observed.items()}

    def show_computed(self, assessment: DischargeAssessment) -> None:
        for item in assessment.computed:
            label = self.computed.get(item.name)
            if label is None:
                label = QLabel()
                label.setObjectName(f"computed_{self.kind.value}_{item.name.replace(' ', '_')}")
                label.setWordWrap(True)
                self.computed[item.name] = label
                caption = "SpO2" if item.name == "spo2" else item.name.capitalize()
                self.form.addRow(f"{caption} (from chart)", label)
            label.setText(item.basis)


class DischargeDialog(ChartingDialog):
    """Score, review and save one discharge assessment."""

    def __init__(self, controller: DischargeController, parent: QWidget | None = None):
        super().__init__("Discharge assessment", "discharge", parent)
        self.setMinimumWidth(560)
        self.controller = controller
        self.kind = _combo("dischargeKind", tuple((k.label, k) for k in DischargeKind))
        self.pages = {kind: _ScorePage(kind) for kind in DischargeKind}
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)
        oxygen = controller.charted_on_oxygen()
        aldrete_oxygen = self.pages[DischargeKind.ALDRETE].extra
        aldrete_oxygen.setCurrentIndex(aldrete_oxygen.findData(oxygen))
        self.result = QLabel("")
        self.result.setObjectName("dischargeResult")
        self.result.setWordWrap(True)
        self.result.setStyleSheet("font-size: 12pt; font-weight: 600;")
        top = QFormLayout()
        top.addRow("Score", self.kind)
        bottom = QFormLayout()
        bottom.addRow("Your initials", self.initials)
        prefill(self.initials)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stack)
        layout.addWidget(self.result)
        layout.addLayout(bottom)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for page in self.pages.values():
            for combo in (*page.observed.values(), page.extra):
                combo.currentIndexChanged.connect(self.recompute)
        self._kind_changed()

    @property
    def page(self) -> _ScorePage:
        return self.pages[DischargeKind(self.kind.currentData())]

    def _kind_changed(self) -> None:
        self.stack.setCurrentWidget(self.page)
        self.recompute()

    def _extras(self) -> dict[str, bool | None]:
        page = self.page
        if page.kind is DischargeKind.ALDRETE:
            return {"on_oxygen": page.extra.currentData()}
        return {"escort_present": page.extra.currentData()}

    def recompute(self) -> DischargeAssessment:
        """Score what is entered so far and show it."""
        assessment = self.controller.assess(self.page.kind, self.page.choices(),
                                            **self._extras())
        self.page.show_computed(assessment)
        score = assessment.score
        verdict = ("✓ criteria met" if score.meets_criteria
                   else "criteria not met: " + "; ".join(score.unmet))
        partial = " (partial)" if score.partial else ""
        self.result.setText(f"{score.name}: {score.total}/10{partial} — {verdict}")
        return assessment

    def try_accept(self) -> None:
        self.run(lambda: self.controller.save(self.page.kind, self.page.choices(),
                                              self.initials.text(), **self._extras()))
