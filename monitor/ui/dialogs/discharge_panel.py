"""Discharge readiness: a small Qt controller over the store and the domain scores, and a
side widget that says whether the criteria are met now and since when.

The scoring (modified Aldrete, PADSS, when criteria were first met) is the domain's; the
controller only gathers the session's readings and baseline, validates who assessed, and
commits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from monitor.domain.charted_scores import (
    DischargeAssessment,
    DischargeKind,
    assess,
    latest_on_oxygen,
    stored_score,
    validate_assessor,
)
from monitor.domain.errors import FieldError, ValidationFailed
from monitor.domain.records import StoredAssessment
from monitor.domain.scores import CriteriaTimes, ScoreItem, criteria_times
from monitor.ui import shortcuts
from monitor.ui.dialogs.discharge_dialog import DischargeDialog
from monitor.ui.formatting import fmt_time
from monitor.ui.session_controller import SessionController

SHORTCUT = shortcuts.DISCHARGE_ASSESSMENT
ASSESS_TIP = f"Session > Discharge assessment… ({SHORTCUT})"
LOCKED_TIP = "Not now: the session is closed (or the database is open read-only)"
#: Said while a long session's readings load: a score from its newest rows alone could
#: miss what the criteria look back on.
LOADING_NOTE = "Loading all readings… assessment available when they are in."
STILL_LOADING = FieldError("Readings", "are still loading: assess once they are all in")


class DischargeController(QObject):
    """Scores and records discharge assessments of the open session."""

    assessmentsChanged = Signal()

    def __init__(self, sessions: SessionController, parent: QObject | None = None):
        super().__init__(parent)
        self.sessions = sessions
        sessions.sessionChanged.connect(self.assessmentsChanged)

    @property
    def ready(self) -> bool:
        """False while a long session's readings are still loading (only its newest rows
        are in): nothing is scored or saved until they all are."""
        return not self.sessions.loading

    @property
    def can_assess(self) -> bool:
        """True when an assessment can be recorded now: every reading is in and the session
        is open for charting (not closed, nor a read-only database)."""
        return self.ready and not self.sessions.read_only

    def assess(self, kind: DischargeKind, observed: Mapping[str, ScoreItem | None], *,
               escort_present: bool | None = None, on_oxygen: bool | None = None
               ) -> DischargeAssessment:
        """Score ``kind`` now, from ``observed`` and the latest charted vitals."""
        return assess(kind, observed, self.sessions.readings, self.sessions.baseline,
                      self.sessions.clock(), escort_present=escort_present,
                      on_oxygen=on_oxygen)

    def charted_on_oxygen(self) -> bool | None:
        """Air or oxygen as last charted with a reading."""
        return latest_on_oxygen(self.sessions.readings)

    def save(self, kind: DischargeKind, observed: Mapping[str, ScoreItem | None], by: str, *,
             escort_present: bool | None = None, on_oxygen: bool | None = None
             ) -> StoredAssessment:
        """Score and commit an assessment made now by ``by`` (initials required)."""
        session = self.sessions.session
        if session is None or session.id is None:
            raise ValidationFailed([FieldError("Session", "no session is open")])
        if not self.ready:
            raise ValidationFailed([STILL_LOADING])
        result = self.assess(kind, observed, escort_present=escort_present,
                             on_oxygen=on_oxygen)
        at = result.score.assessed_at or self.sessions.clock()
        errors = validate_assessor(by, at, self.sessions.clock())
        if errors:
            raise ValidationFailed(errors)
        saved = self.sessions.store.add_assessment(
            session.id, kind=kind.value, at=at, items=result.to_items(),
            total=result.score.total, meets=result.score.meets_criteria,
            by=by.strip().upper())
        self.assessmentsChanged.emit()
        return saved

    def stored(self) -> list[StoredAssessment]:
        session = self.sessions.session
        if session is None or session.id is None:
            return []
        return self.sessions.store.assessments(session.id)

    def criteria(self, kind: DischargeKind) -> CriteriaTimes:
        """When ``kind``'s criteria were first met, and since when they are met unbroken."""
        return criteria_times(stored_score(a.kind, a.at, a.items, a.total, a.meets)
                              for a in self.stored() if a.kind == kind.value)


def criteria_line(kind: DischargeKind, times: CriteriaTimes) -> str:
    """``Modified Aldrete: 9/10 — criteria met since 14:32 (first met 14:20)``."""
    latest = times.latest
    if latest is None:
        return f"{kind.label}: not assessed"
    score = f"{latest.total}/10{' partial' if latest.partial else ''}"
    first = f"first met {fmt_time(times.first_met)}" if times.first_met else ""
    if latest.meets_criteria:
        since = f"criteria met since {fmt_time(times.met_since)}"
        extra = f" ({first})" if times.first_met != times.met_since else ""
        return f"{kind.label}: {score} — ✓ {since}{extra}"
    why = "; ".join(latest.unmet)
    when = f"not met now ({first})" if first else "not met yet"
    return f"{kind.label}: {score} at {fmt_time(latest.assessed_at)} — {when}: {why}"


class DischargeStatus(QFrame):
    """One line per score assessed this session, and a button to assess."""

    def __init__(self, controller: DischargeController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("dischargeStatus")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        title = QLabel("Discharge readiness")
        title.setStyleSheet("font-weight: 600;")
        self.summary = QLabel("")
        self.summary.setObjectName("dischargeSummary")
        self.summary.setWordWrap(True)
        self.assess_button = QPushButton("Assess…")
        self.assess_button.setObjectName("dischargeAssessButton")
        self.assess_button.setToolTip(ASSESS_TIP)
        heading = QHBoxLayout()
        heading.addWidget(title, 1)
        heading.addWidget(self.assess_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        layout.addLayout(heading)
        layout.addWidget(self.summary, 1)
        self.setMaximumHeight(100)
        self._lines = ""
        controller.assessmentsChanged.connect(self.refresh)
        controller.sessions.readingsChanged.connect(self.show_readiness)
        controller.sessions.sessionChanged.connect(self.show_readiness)  # closed or opened
        controller.sessions.amendmentChanged.connect(self.show_readiness)
        self.refresh()

    def refresh(self) -> None:
        assessed = {a.kind for a in self.controller.stored()}
        lines = [criteria_line(kind, self.controller.criteria(kind))
                 for kind in DischargeKind if kind.value in assessed]
        self._lines = "\n".join(lines) or "No discharge assessment yet."
        self.show_readiness()

    def show_readiness(self) -> None:
        """Offer the assessment only when every reading is in; say why not meanwhile."""
        ready = self.controller.ready
        self.assess_button.setEnabled(self.controller.can_assess)
        self.assess_button.setToolTip(
            LOCKED_TIP if self.controller.sessions.read_only else ASSESS_TIP)
        self.summary.setText(self._lines if ready else f"{LOADING_NOTE}\n{self._lines}")


def install_discharge(window: Any) -> DischargeController:
    """The Session menu's discharge assessment (with its shortcut) and the status widget in
    the column beside ``window``'s chart."""
    controller = DischargeController(window.controller, window)
    status = DischargeStatus(controller)
    window.add_side_widget(status, 0)

    def open_dialog() -> None:
        if controller.can_assess:
            DischargeDialog(controller, window).exec()

    action = window.add_menu_action("&Session", "&Discharge assessment…", open_dialog,
                                    SHORTCUT, "dischargeAssessmentAction")
    status.assess_button.clicked.connect(open_dialog)

    def show_readiness() -> None:
        action.setEnabled(controller.can_assess)

    controller.sessions.readingsChanged.connect(show_readiness)
    controller.sessions.sessionChanged.connect(show_readiness)
    controller.sessions.amendmentChanged.connect(show_readiness)
    show_readiness()
    return controller
